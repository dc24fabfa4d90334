"""notify(): in-app notifications, emails per preference and language, digests, counters."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from civic.accounts.models import NotificationFrequency
from civic.core.jobs import run_ready_jobs
from civic.extensions import db
from civic.notifications import services
from civic.notifications.emails import send_digests
from civic.notifications.models import (
    EmailState,
    Notification,
    NotificationKind,
    NotificationState,
)
from tests import factories

ROLE = NotificationKind.ROLE_CHANGED
DEPT = NotificationKind.DEPARTMENT_UPDATE


def _commit_and_run():
    db.session.commit()
    run_ready_jobs()


def _set(user, kind, frequency):
    services.set_preferences(user, user, {kind: frequency})
    db.session.commit()


def test_one_notification_per_recipient_and_never_the_actor(session, resident, moderator, admin):
    created = services.notify([resident, moderator, admin, resident], ROLE, None, actor=admin, change="role", role="moderator")
    _commit_and_run()
    assert sorted(n.recipient_id for n in created) == sorted([resident.id, moderator.id])
    rows = session.execute(select(Notification)).scalars().all()
    assert {r.recipient_id for r in rows} == {resident.id, moderator.id}
    assert all(r.actor_id == admin.id and r.kind == ROLE and r.params["role"] == "moderator" for r in rows)
    assert services.unread_count(resident.id) == 1
    assert services.unread_count(admin.id) == 0


def test_unread_counter_is_stored_and_exact(session, resident, admin):
    for _ in range(3):
        services.notify([resident], ROLE, None, actor=admin, change="verified")
    db.session.commit()
    state = session.get(NotificationState, resident.id)
    assert state.unread_notification_count == 3
    first = session.execute(select(Notification).order_by(Notification.id)).scalars().first()
    assert services.mark_read(resident, first) is True
    assert services.mark_read(resident, first) is False  # twice does not count twice
    db.session.commit()
    assert services.unread_count(resident.id) == 2
    assert services.mark_all_read(resident) == 2
    db.session.commit()
    assert services.unread_count(resident.id) == 0


def test_immediately_sends_one_email_after_commit(session, outbox, resident, admin):
    services.notify([resident], ROLE, None, actor=admin, change="role", role="moderator")
    assert outbox == []  # nothing leaves before the commit
    _commit_and_run()
    assert len(outbox) == 1
    mail = outbox[0]
    assert mail["to"] == resident.email
    assert "Moderator" in mail["subject"] and "Moderator" in mail["text"]
    headers = mail["headers"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<http://127\.0\.0\.1:5000/notifications/unsubscribe/[^>]+>", headers["List-Unsubscribe"])
    assert headers["List-Unsubscribe"][1:-1] in mail["text"]
    row = session.execute(select(Notification)).scalar_one()
    assert row.email_state == EmailState.SENT and row.emailed_at is not None


def test_email_job_is_idempotent(session, outbox, resident, admin):
    from civic.notifications.emails import send_notification_email

    [n] = services.notify([resident], ROLE, None, actor=admin, change="verified")
    _commit_and_run()
    send_notification_email(n.id)  # a retried job
    _commit_and_run()
    assert len(outbox) == 1


def test_never_sends_no_email_but_keeps_the_notification(session, outbox, resident, admin):
    _set(resident, ROLE, NotificationFrequency.NEVER)
    services.notify([resident], ROLE, None, actor=admin, change="verified")
    _commit_and_run()
    assert outbox == []
    row = session.execute(select(Notification)).scalar_one()
    assert row.email_state == EmailState.NOT_WANTED
    assert services.unread_count(resident.id) == 1


def test_unconfirmed_address_gets_no_email(session, outbox, unconfirmed_resident, admin):
    services.notify([unconfirmed_resident], ROLE, None, actor=admin, change="verified")
    _commit_and_run()
    assert outbox == []


def test_default_frequencies_per_kind(session, resident):
    prefs = services.preferences_of(resident)
    assert prefs[ROLE] == NotificationFrequency.IMMEDIATELY
    assert prefs[DEPT] == NotificationFrequency.DAILY


def test_email_is_rendered_in_the_recipients_language_and_zone(session, outbox, admin):
    french = factories.UserFactory(locale="fr", timezone="America/Montreal")
    english = factories.UserFactory(locale="en", timezone="Asia/Tokyo")
    services.notify([french, english], ROLE, None, actor=admin, change="verified")
    _commit_and_run()
    by_to = {m["to"]: m for m in outbox}
    assert by_to[french.email]["headers"]["Content-Language"] == "fr"
    assert by_to[english.email]["headers"]["Content-Language"] == "en"


def test_email_uses_force_locale_with_the_recipients_locale(session, outbox, admin, monkeypatch):
    from flask_babel import force_locale

    from civic.notifications import emails

    used = []

    def spy(locale):
        used.append(locale)
        return force_locale(locale)

    monkeypatch.setattr(emails, "force_locale", spy)
    spanish = factories.UserFactory(locale="es")
    services.notify([spanish], ROLE, None, actor=admin, change="verified")
    _commit_and_run()
    assert used == ["es"]
    assert outbox[0]["headers"]["Content-Language"] == "es"


def test_digest_groups_per_person_in_their_zone_and_is_idempotent(session, outbox, department, admin):
    montreal = factories.UserFactory(locale="en", timezone="America/Montreal")
    tokyo = factories.UserFactory(locale="fr", timezone="Asia/Tokyo")
    for person in (montreal, tokyo):
        services.follow(person, department)
    db.session.commit()
    with time_machine.travel(datetime(2026, 3, 2, 15, 30, tzinfo=UTC), tick=False):
        services.notify_followers(department, DEPT, actor=admin, change="details")
        services.notify_followers(department, DEPT, actor=admin, change="details")
        _commit_and_run()
    assert outbox == []  # daily by default: nothing yet
    people, items = send_digests()
    run_ready_jobs()
    assert (people, items) == (2, 4)
    assert sorted(m["to"] for m in outbox) == sorted([montreal.email, tokyo.email])
    by_to = {m["to"]: m for m in outbox}
    # 15:30 UTC is 10:30 in Montreal and 00:30 the next day in Tokyo.
    assert "10:30" in by_to[montreal.email]["text"]
    assert "00:30" in by_to[tokyo.email]["text"] or "0:30" in by_to[tokyo.email]["text"]
    assert by_to[tokyo.email]["headers"]["Content-Language"] == "fr"
    for mail in outbox:
        assert mail["text"].count("/notifications/following/departments#department-") >= 2
        assert "/notifications/unfollow/" in mail["text"]
    rows = session.execute(select(Notification)).scalars().all()
    assert all(r.email_state == EmailState.SENT and r.emailed_at is not None for r in rows)
    # Idempotent: a second run sends nothing more.
    assert send_digests() == (0, 0)
    run_ready_jobs()
    assert len(outbox) == 2


def test_choosing_never_drops_emails_waiting_for_the_digest(session, outbox, resident, department, admin):
    services.follow(resident, department)
    services.notify_followers(department, DEPT, actor=admin, change="details")
    db.session.commit()
    _set(resident, DEPT, NotificationFrequency.NEVER)
    assert send_digests() == (0, 0)
    run_ready_jobs()
    assert outbox == []


def test_digest_command(app, session, outbox, resident, department, admin):
    services.follow(resident, department)
    services.notify_followers(department, DEPT, actor=admin, change="details")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notifications", "send-digests"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 digest(s) covering 1 notification(s)." in result.output
    assert [m["to"] for m in outbox] == [resident.email]
    again = runner.invoke(args=["notifications", "send-digests"])
    assert "Sent 0 digest(s)" in again.output
    assert len(outbox) == 1


def test_send_test_command(app, session, outbox, resident):
    result = app.test_cli_runner().invoke(args=["notifications", "send-test", resident.email.upper()])
    assert result.exit_code == 0, result.output
    assert [m["to"] for m in outbox] == [resident.email]
    assert app.test_cli_runner().invoke(args=["notifications", "send-test", "nobody@example.org"]).exit_code != 0


def test_params_must_be_json(session, resident):
    from civic.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.notify([resident], ROLE, None, None, change=object())


def test_notification_text_is_rendered_in_the_viewers_language(app, session, department, resident):
    from flask_babel import force_locale

    from civic.notifications import kinds

    services.follow(resident, department)
    [n] = services.notify_followers(department, DEPT, change="details")
    db.session.commit()
    with app.test_request_context():
        with force_locale("fr"):
            html = str(kinds.render(n).html())
        assert f"Service {department.slug}" in html  # the French name of the department
        with force_locale("en"):
            html = str(kinds.render(n).html())
        assert f"Department {department.slug}" in html
        # A name only available in another language is marked with its language.
        department.name_translations = {"fr": "Urbanisme"}
        department.default_locale = "fr"
        with force_locale("en"):
            html = str(kinds.render(n).html())
        assert '<span lang="fr" dir="ltr">Urbanisme</span>' in html
