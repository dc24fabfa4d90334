"""Reminders 24 hours and 1 hour before: sent once each, at the right moments, in the
recipient's language and time zone; announcements of changes and cancellations."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from civic.extensions import db
from civic.meetings import services
from civic.meetings.models import MeetingType, RegistrationMode
from civic.notifications import kinds
from civic.notifications.emails import as_seen_by
from civic.notifications.models import Notification, NotificationKind
from tests import factories
from tests.meetings.conftest import NOW, make_meeting
from tests.meetings.test_registration import _input_from


def _reminders():
    return db.session.execute(
        select(Notification.recipient_id, Notification.params)
        .where(Notification.kind == NotificationKind.MEETING_REMINDER)
        .order_by(Notification.id)
    ).all()


def _run(app, clock, at):
    clock.move_to(at)
    result = app.test_cli_runner().invoke(args=["meetings", "send-reminders"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def test_each_reminder_once_at_its_time(app, session, department, clock, outbox):
    meeting = make_meeting(department, starts_in=timedelta(hours=30), type=MeetingType.ONLINE)
    seoul = factories.UserFactory(locale="fr", timezone="Asia/Seoul", display_name="Kim Min-ji")
    services.register(meeting.id, seoul, services.AccessNeeds(), actor=seoul)
    db.session.commit()
    start = meeting.starts_at

    assert "0 meeting" in _run(app, clock, NOW)
    assert _reminders() == []
    _run(app, clock, start - timedelta(hours=24, seconds=1))
    assert _reminders() == []

    assert "1 meeting" in _run(app, clock, start - timedelta(hours=24))
    assert [(r, p["when"]) for r, p in _reminders()] == [(seoul.id, "day")]
    _run(app, clock, start - timedelta(hours=23))  # again: nothing new
    _run(app, clock, start - timedelta(hours=1, seconds=1))
    assert len(_reminders()) == 1

    _run(app, clock, start - timedelta(hours=1))
    assert [(r, p["when"]) for r, p in _reminders()] == [(seoul.id, "day"), (seoul.id, "hour")]
    _run(app, clock, start - timedelta(minutes=5))
    _run(app, clock, start + timedelta(minutes=5))
    assert len(_reminders()) == 2

    # The emails are written in French, with the time in Seoul (UTC+9): start is 18:00 UTC,
    # so 03:00 the next day in Seoul.
    mails = [m for m in outbox if m["to"] == seoul.email]
    assert len(mails) == 2
    assert all(m["headers"]["Content-Language"] == "fr" for m in mails)
    assert "03:00" in mails[0]["text"] and "Corée" in mails[0]["text"]


def test_reminder_text_in_the_reader_zone(app, session, department, clock):
    meeting = make_meeting(department, starts_in=timedelta(hours=2), timezone="Europe/Madrid")
    bogota = factories.UserFactory(locale="es", timezone="America/Bogota")
    services.register(meeting.id, bogota, services.AccessNeeds(), actor=bogota)
    db.session.commit()
    clock.move_to(meeting.starts_at - timedelta(minutes=50))
    services.send_reminders()
    db.session.commit()
    n = db.session.execute(select(Notification)).scalar_one()
    with app.test_request_context("/"), as_seen_by(bogota):
        text = kinds.render(n).text()
    # 14:00 UTC is 09:00 in Bogotá.
    assert "9:00" in text and "Colombia" in text


def test_late_registrations_skip_the_day_reminder_and_waiting_people_get_none(app, session, department, clock):
    meeting = make_meeting(department, starts_in=timedelta(hours=5), registration=RegistrationMode.LIMITED, capacity=1)
    early, waiting = factories.UserFactory(), factories.UserFactory()
    for person in (early, waiting):
        services.register(meeting.id, person, services.AccessNeeds(), actor=person)
        db.session.commit()
    services.send_reminders()  # 5 hours before: registered after the 24-hour moment
    db.session.commit()
    assert _reminders() == []
    clock.move_to(meeting.starts_at - timedelta(minutes=59))
    services.send_reminders()
    db.session.commit()
    assert [(r, p["when"]) for r, p in _reminders()] == [(early.id, "hour")]


def test_cancelled_meetings_get_no_reminder(app, session, department, staff, clock):
    meeting = make_meeting(department, starts_in=timedelta(hours=20))
    person = factories.UserFactory()
    services.register(meeting.id, person, services.AccessNeeds(), actor=person)
    services.cancel_meeting(meeting, actor=staff)
    db.session.commit()
    assert services.send_reminders() == 0


def test_changes_and_cancellation_are_announced_to_registered_and_waiting(app, session, department, staff, clock):
    meeting = make_meeting(department, starts_in=timedelta(days=3), registration=RegistrationMode.LIMITED, capacity=1)
    has_place, waits, gone = factories.UserFactory(), factories.UserFactory(), factories.UserFactory()
    for person in (has_place, waits, gone):
        services.register(meeting.id, person, services.AccessNeeds(), actor=person)
        db.session.commit()
    reg = db.session.execute(
        select(services.Registration).where(services.Registration.user_id == gone.id)
    ).scalar_one()
    services.unregister(reg, actor=gone)
    db.session.commit()
    # A new title only: not announced.
    services.update_meeting(meeting, _input_from(meeting, title="New name"), actor=staff)
    db.session.commit()
    assert db.session.execute(select(Notification).where(Notification.kind == NotificationKind.MEETING_CHANGED)).first() is None
    services.update_meeting(meeting, _input_from(meeting, address="Another street 5"), actor=staff)
    db.session.commit()
    changed = db.session.execute(
        select(Notification.recipient_id, Notification.params).where(Notification.kind == NotificationKind.MEETING_CHANGED)
    ).all()
    assert sorted(r for r, _p in changed) == sorted([has_place.id, waits.id])
    assert changed[0][1]["changes"] == ["place"]
    services.cancel_meeting(meeting, actor=staff)
    db.session.commit()
    cancelled = db.session.execute(
        select(Notification.recipient_id).where(Notification.kind == NotificationKind.MEETING_CANCELLED)
    ).scalars().all()
    assert sorted(cancelled) == sorted([has_place.id, waits.id])
    assert staff.id not in cancelled
