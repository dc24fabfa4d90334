"""What Civic keeps about people, why, and for how long: ONE list, read by two things.

* the privacy page (``/privacy``) shows it, in the reader's language;
* ``flask privacy enforce-retention`` (``enforce_retention``) applies every period in it.

Change a period here and both follow. An entry with ``enforce`` has a job that removes what
is older than its period; an entry without one is kept until the person deletes it (or their
account), or lives outside the database (a cookie in the browser).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import delete, func, or_, select, update

from civic.core.time import utcnow
from civic.extensions import db


@dataclass(frozen=True)
class Retention:
    id: str
    #: What is kept.
    data: Any
    #: Why it is kept.
    purpose: Any
    #: How long, with ``%(period)s`` where the period goes (and other ``%(...)s`` from
    #: ``values``).
    rule: Any
    #: The period (None: as long as the account exists, or as said in ``rule``).
    period: timedelta | None = None
    #: ``enforce(now, period) -> int``: removes what is past its period; returns how many.
    enforce: Callable[[datetime, timedelta], int] | None = field(default=None, repr=False)
    #: Extra values for ``rule`` read from the configuration: ``{name: setting}``.
    settings: dict[str, str] = field(default_factory=dict)


def describe_period(period: timedelta) -> str:
    """An exact, translated period: "7 days", "1 year", "5 years", "12 hours"."""
    days = period.days
    if period < timedelta(days=1):
        hours = int(period.total_seconds() // 3600)
        return ngettext("%(num)s hour", "%(num)s hours", hours)
    if days % 365 == 0:
        return ngettext("%(num)s year", "%(num)s years", days // 365)
    return ngettext("%(num)s day", "%(num)s days", days)


def rule_text(entry: Retention) -> str:
    values = {"period": describe_period(entry.period) if entry.period else ""}
    for name, setting in entry.settings.items():
        values[name] = describe_period(current_app.config[setting])
    return str(entry.rule) % values


# ---- the jobs ---------------------------------------------------------------------------------


def _unconfirmed_accounts(now: datetime, period: timedelta) -> int:
    """Accounts whose email address was never confirmed, after the period."""
    from civic.accounts.models import AccountStatus, User
    from civic.privacy.services import erase_account

    stale = list(
        db.session.execute(
            select(User)
            .where(
                User.status == AccountStatus.PENDING,
                User.email_confirmed_at.is_(None),
                User.created_at < now - period,
            )
            .order_by(User.id)
        ).scalars()
    )
    for user in stale:
        erase_account(user, remove_contributions=True)
    return len(stale)


def _sessions(now: datetime, period: timedelta) -> int:
    """Sessions past their absolute end, or idle too long (not "keep me signed in" ones)."""
    from civic.accounts.models import UserSession

    idle = current_app.config["SESSION_IDLE_TIMEOUT"]
    return db.session.execute(
        delete(UserSession)
        .where(
            or_(
                UserSession.expires_at <= now,
                (UserSession.remember.is_(False)) & (UserSession.last_seen_at <= now - idle),
            )
        )
        .execution_options(synchronize_session=False)
    ).rowcount or 0


def _sign_in_attempts(now: datetime, period: timedelta) -> int:
    from civic.accounts.models import SignInAttempt

    return db.session.execute(
        delete(SignInAttempt)
        .where(SignInAttempt.created_at < now - period)
        .execution_options(synchronize_session=False)
    ).rowcount or 0


def _notifications(now: datetime, period: timedelta) -> int:
    """Old notifications; unread ones leave the unread counters exact."""
    from civic.notifications.models import Notification, NotificationState

    cutoff = now - period
    unread = db.session.execute(
        select(Notification.recipient_id, func.count())
        .where(Notification.created_at < cutoff, Notification.read_at.is_(None))
        .group_by(Notification.recipient_id)
    ).all()
    for recipient_id, count in unread:
        db.session.execute(
            update(NotificationState)
            .where(NotificationState.user_id == recipient_id)
            .values(unread_notification_count=NotificationState.unread_notification_count - count)
            .execution_options(synchronize_session=False)
        )
    return db.session.execute(
        delete(Notification)
        .where(Notification.created_at < cutoff)
        .execution_options(synchronize_session=False)
    ).rowcount or 0


def _outbox(now: datetime, period: timedelta) -> int:
    from civic.mail.models import OutboxMessage

    return db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.created_at < now - period)
        .execution_options(synchronize_session=False)
    ).rowcount or 0


def _access_needs(now: datetime, period: timedelta) -> int:
    """Access needs given with a registration, once the meeting is long over."""
    from civic.meetings.models import Meeting, Registration

    past = select(Meeting.id).where(Meeting.ends_at < now - period)
    has_needs = or_(
        Registration.sign_language.is_not(None),
        Registration.captions.is_(True),
        Registration.interpretation_language.is_not(None),
        Registration.step_free.is_(True),
        Registration.hearing_loop.is_(True),
        Registration.childcare.is_(True),
        Registration.other_needs != "",
    )
    return db.session.execute(
        update(Registration)
        .where(Registration.meeting_id.in_(past), has_needs)
        .values(
            sign_language=None,
            captions=False,
            interpretation_language=None,
            step_free=False,
            hearing_loop=False,
            childcare=False,
            other_needs="",
        )
        .execution_options(synchronize_session=False)
    ).rowcount or 0


def _barrier_report_emails(now: datetime, period: timedelta) -> int:
    from civic.pages.models import BarrierReport

    return db.session.execute(
        update(BarrierReport)
        .where(
            BarrierReport.email.is_not(None),
            BarrierReport.resolved_at.is_not(None),
            BarrierReport.resolved_at < now - period,
        )
        .values(email=None)
        .execution_options(synchronize_session=False)
    ).rowcount or 0


def _audit_log(now: datetime, period: timedelta) -> int:
    from civic.audit.services import purge_before

    return purge_before(now - period)


# ---- the one list -----------------------------------------------------------------------------

RETENTION: tuple[Retention, ...] = (
    Retention(
        "account",
        _l("Your account: email address, display name, password (only as an Argon2 hash), "
           "language, time zone, role, departments, whether the city verified you as a resident."),
        _l("To let you sign in, write to you, show your name with what you publish, and decide "
           "what you may do."),
        _l("Until you delete your account."),
    ),
    Retention(
        "unconfirmed_accounts",
        _l("Accounts whose email address was never confirmed."),
        _l("To let you finish registering."),
        _l("Deleted %(period)s after registration."),
        period=timedelta(days=7),
        enforce=_unconfirmed_accounts,
    ),
    Retention(
        "contributions",
        _l("What you publish or give: proposals, comments, answers to consultations, supports, "
           "votes on comments, meeting registrations, date-poll answers, follows, reports you "
           "send to the moderators."),
        _l("Taking part in your city's decisions: this is what the site is for."),
        _l("Until you delete them or your account. When you delete your account, you choose "
           "whether your public contributions are removed or stay as written by \u201ca former "
           "member\u201d; answers, supports and votes are always removed and the totals go down."),
    ),
    Retention(
        "sessions",
        _l("Sign-in sessions: a random token (stored hashed), the browser and system "
           "(\u201cFirefox on Android\u201d), when you signed in and were last active."),
        _l("To keep you signed in and to let you see and sign out your devices."),
        _l("A session ends after %(idle)s without activity and %(absolute)s after signing in at "
           "most (%(remember)s with \u201ckeep me signed in\u201d); it is then deleted."),
        period=timedelta(0),
        enforce=_sessions,
        settings={"idle": "SESSION_IDLE_TIMEOUT", "absolute": "PERMANENT_SESSION_LIFETIME",
                  "remember": "REMEMBER_COOKIE_DURATION"},
    ),
    Retention(
        "sign_in_attempts",
        _l("Sign-in attempts: when, whether they succeeded, and keyed hashes of the email "
           "address typed and of the network address (never the addresses themselves)."),
        _l("To slow down people guessing passwords without locking you out, and to warn you "
           "about failed attempts."),
        _l("Deleted after %(period)s."),
        period=timedelta(days=30),
        enforce=_sign_in_attempts,
    ),
    Retention(
        "notifications",
        _l("Notifications shown to you on the site."),
        _l("To tell you about what you follow and what concerns you."),
        _l("Deleted %(period)s after they were made."),
        period=timedelta(days=365),
        enforce=_notifications,
    ),
    Retention(
        "access_needs",
        _l("Access needs you give when registering for a meeting (sign language, captions, "
           "interpretation, step-free access, hearing loop, childcare, other needs)."),
        _l("So that the organizers can prepare the meeting for you."),
        _l("Erased %(period)s after the meeting ends."),
        period=timedelta(days=90),
        enforce=_access_needs,
    ),
    Retention(
        "barrier_report_emails",
        _l("The email address you give, if you wish, with a report of an accessibility problem."),
        _l("To answer your report."),
        _l("Erased %(period)s after the problem is marked resolved."),
        period=timedelta(days=365),
        enforce=_barrier_report_emails,
    ),
    Retention(
        "outbox",
        _l("Copies of emails kept by a development or test installation (never in production)."),
        _l("To check emails without sending them."),
        _l("Deleted after %(period)s."),
        period=timedelta(days=30),
        enforce=_outbox,
    ),
    Retention(
        "audit_log",
        _l("The audit log of what administrators and staff do (changes of role or status, "
           "departments, publishing consultations, official answers, exports, meetings), with "
           "the names of the people involved at the time."),
        _l("Accountability of the city's staff; it cannot be changed."),
        _l("Deleted after %(period)s."),
        period=timedelta(days=5 * 365),
        enforce=_audit_log,
    ),
    Retention(
        "known_device",
        _l("A \u201cknown device\u201d cookie in your browser, listing the accounts that signed in "
           "on it (signed, not secret)."),
        _l("So that someone guessing your password cannot slow down your own sign-ins."),
        _l("Expires after %(period)s in your browser."),
        settings={"period": "KNOWN_DEVICE_DURATION"},
    ),
    Retention(
        "logs",
        _l("Technical logs of errors."),
        _l("To repair problems."),
        _l("Email addresses and network addresses are masked before anything is written to the "
           "logs; how long the server keeps its logs is set by the city's hosting."),
    ),
)


def entry(entry_id: str) -> Retention:
    return next(e for e in RETENTION if e.id == entry_id)


def enforce_retention(now: datetime | None = None) -> dict[str, int]:
    """Apply every period (idempotent: a second run at the same moment removes nothing).

    Flushes but does not commit; the command commits.
    """
    now = now or utcnow()
    done: dict[str, int] = {}
    for item in RETENTION:
        if item.enforce is not None:
            done[item.id] = item.enforce(now, item.period or timedelta(0))
            db.session.flush()
    return done
