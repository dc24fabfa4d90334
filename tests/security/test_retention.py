"""``flask privacy enforce-retention`` applies every period of the one retention list."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from civic.accounts.models import AccountStatus, SignInAttempt, SignInOutcome, User, UserSession
from civic.audit.models import AuditAction, AuditLogEntry
from civic.audit.services import audit
from civic.core.time import utcnow
from civic.extensions import db
from civic.mail.models import OutboxMessage
from civic.notifications.models import Notification, NotificationKind
from civic.notifications.services import mark_read, notify, unread_count
from civic.pages.models import BarrierReport, BarrierReportStatus
from civic.privacy.retention import RETENTION, enforce_retention, entry
from tests import factories
from tests.conftest import sign_in as give_session


def _count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_every_enforced_entry_has_a_period_and_the_page_states_it():
    enforced = [e for e in RETENTION if e.enforce is not None]
    assert {e.id for e in enforced} >= {"unconfirmed_accounts", "sessions", "sign_in_attempts",
                                        "notifications", "outbox", "audit_log"}
    assert all(e.period is not None for e in enforced)
    assert entry("unconfirmed_accounts").period == timedelta(days=7)
    assert entry("sign_in_attempts").period == timedelta(days=30)
    assert entry("notifications").period == timedelta(days=365)
    assert entry("outbox").period == timedelta(days=30)


def test_unconfirmed_accounts_go_after_seven_days(clock, session):
    stale = factories.UserFactory(unconfirmed=True)
    confirmed = factories.UserFactory()
    clock.shift(timedelta(days=7) - timedelta(minutes=1))
    fresh = factories.UserFactory(unconfirmed=True)
    assert enforce_retention()["unconfirmed_accounts"] == 0
    clock.shift(timedelta(minutes=2))
    assert enforce_retention()["unconfirmed_accounts"] == 1
    db.session.commit()
    remaining = set(db.session.execute(select(User.id)).scalars())
    assert stale.id not in remaining and {confirmed.id, fresh.id} <= remaining


def test_expired_sessions_and_old_attempts_are_deleted(app, client, clock, resident):
    give_session(client, resident)  # 12 hours, not "keep me signed in"
    db.session.add(SignInAttempt(account_key="a" * 64, address_key="b" * 64, outcome=SignInOutcome.FAILED,
                                 created_at=utcnow()))
    db.session.commit()
    clock.shift(app.config["SESSION_IDLE_TIMEOUT"] + timedelta(seconds=1))
    done = enforce_retention()
    assert done["sessions"] == 1 and _count(UserSession) == 0
    assert done["sign_in_attempts"] == 0
    clock.shift(timedelta(days=30))
    assert enforce_retention()["sign_in_attempts"] == 1
    assert _count(SignInAttempt) == 0


def test_old_notifications_go_and_the_unread_counter_stays_exact(clock, resident, admin):
    notify([resident], NotificationKind.TEST, None, admin)
    notify([resident], NotificationKind.TEST, None, admin)
    db.session.commit()
    first = db.session.execute(select(Notification).order_by(Notification.id)).scalars().first()
    mark_read(resident, first)
    db.session.commit()
    clock.shift(timedelta(days=200))
    notify([resident], NotificationKind.TEST, None, admin)
    db.session.commit()
    assert unread_count(resident.id) == 2
    clock.shift(timedelta(days=166))
    assert enforce_retention()["notifications"] == 2
    db.session.commit()
    assert _count(Notification) == 1
    assert unread_count(resident.id) == 1


def test_outbox_barrier_emails_and_audit_log(clock, admin, session):
    db.session.add(OutboxMessage(recipient="a@example.org", subject="s", body_text="t"))
    db.session.add(BarrierReport(page_address="/x", description="d", email="me@example.org", locale="en",
                                 status=BarrierReportStatus.RESOLVED, resolved_at=utcnow()))
    audit(admin, AuditAction.ROLE_CHANGED, admin, old="resident", new="admin")
    db.session.commit()
    clock.shift(timedelta(days=31))
    done = enforce_retention()
    assert done["outbox"] == 1 and done["barrier_report_emails"] == 0 and done["audit_log"] == 0
    clock.shift(timedelta(days=365))
    assert enforce_retention()["barrier_report_emails"] == 1
    db.session.commit()
    report = db.session.execute(select(BarrierReport)).scalar_one()
    assert report.email is None and report.description == "d"
    clock.shift(timedelta(days=5 * 365))
    assert enforce_retention()["audit_log"] == 1
    db.session.commit()
    assert _count(AuditLogEntry) == 0


def test_enforcing_twice_removes_nothing_more(clock, session):
    factories.UserFactory(unconfirmed=True)
    db.session.add(OutboxMessage(recipient="a@example.org", subject="s", body_text="t"))
    db.session.commit()
    clock.shift(timedelta(days=40))
    first = enforce_retention()
    db.session.commit()
    assert first["unconfirmed_accounts"] == 1 and first["outbox"] == 1
    assert all(count == 0 for count in enforce_retention().values())


def test_the_command(app, clock, session):
    db.session.add(OutboxMessage(recipient="a@example.org", subject="s", body_text="t"))
    db.session.commit()
    clock.shift(timedelta(days=31))
    result = app.test_cli_runner().invoke(args=["privacy", "enforce-retention"])
    assert result.exit_code == 0, result.output
    assert "outbox: 1" in result.output
    db.session.expire_all()
    assert _count(OutboxMessage) == 0


def test_pending_accounts_status_is_kept_until_the_period(clock, session):
    person = factories.UserFactory(unconfirmed=True)
    clock.shift(timedelta(days=3))
    enforce_retention()
    db.session.commit()
    assert db.session.get(User, person.id).status == AccountStatus.PENDING
