"""Meeting registrations (with the access needs asked for), date-poll answers, calendar feed.

Registrations are removed with exact counters (``registered_count``, ``waiting_count``,
``checked_in_count``); a place freed at an upcoming meeting goes to the first person waiting,
as when someone unregisters. Poll answers are removed and the slots' totals and the poll's
``respondent_count`` go down. The private calendar feed goes with the account.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from civic.core.time import utcnow
from civic.extensions import db
from civic.meetings import services as meeting_services
from civic.meetings.models import (
    CalendarFeed,
    Meeting,
    MeetingState,
    PollAnswer,
    Registration,
    RegistrationState,
    SchedulingPoll,
)
from civic.privacy.domains import enum_value, iso


def export(user) -> dict:
    registrations = db.session.execute(
        select(Registration, Meeting)
        .join(Meeting, Meeting.id == Registration.meeting_id)
        .where(Registration.user_id == user.id)
        .order_by(Meeting.starts_at)
    ).all()
    answers = db.session.execute(
        select(PollAnswer, SchedulingPoll.title)
        .join(SchedulingPoll, SchedulingPoll.id == PollAnswer.poll_id)
        .where(PollAnswer.user_id == user.id)
        .order_by(PollAnswer.poll_id, PollAnswer.slot_id)
    ).all()
    feed = db.session.execute(select(CalendarFeed).where(CalendarFeed.user_id == user.id)).scalar_one_or_none()
    return {
        "registrations": [
            {
                "meeting_id": m.id,
                "meeting": m.title_for(m.default_locale).text,
                "starts_at": iso(m.starts_at),
                "state": enum_value(r.state),
                "registered_at": iso(r.registered_at),
                "checked_in_at": iso(r.checked_in_at),
                "access_needs": {
                    "sign_language": r.sign_language,
                    "captions": r.captions,
                    "interpretation_language": r.interpretation_language,
                    "step_free_access": r.step_free,
                    "hearing_loop": r.hearing_loop,
                    "childcare": r.childcare,
                    "other": r.other_needs,
                },
            }
            for r, m in registrations
        ],
        "date_poll_answers": [
            {"poll_id": a.poll_id, "poll": title, "slot_id": a.slot_id, "choice": enum_value(a.choice),
             "answered_at": iso(a.created_at)}
            for a, title in answers
        ],
        "calendar_feed_created_at": iso(feed.created_at) if feed else None,
    }


def _remove_registrations(user) -> None:
    rows = list(
        db.session.execute(
            select(Registration.meeting_id)
            .where(Registration.user_id == user.id)
            .order_by(Registration.meeting_id)
        ).scalars()
    )
    now = utcnow()
    for meeting_id in rows:  # meeting id order: the same lock order as everyone
        meeting = meeting_services.lock_meeting(meeting_id)
        registration = db.session.execute(
            select(Registration)
            .where(Registration.meeting_id == meeting_id, Registration.user_id == user.id)
            .execution_options(populate_existing=True)
        ).scalar_one()
        was = registration.state
        if was == RegistrationState.REGISTERED:
            meeting_services._counter(
                meeting_id, registered_count=-1, checked_in_count=-1 if registration.checked_in_at else 0
            )
        elif was == RegistrationState.WAITING:
            meeting_services._counter(meeting_id, waiting_count=-1)
        db.session.delete(registration)
        db.session.flush()
        meeting_services._refresh_counts(meeting)
        upcoming = meeting.state == MeetingState.SCHEDULED and meeting.starts_at > now
        if was == RegistrationState.REGISTERED and upcoming:
            meeting_services._promote_waiting(meeting, actor=None)


def _remove_poll_answers(user) -> None:
    answers = list(
        db.session.execute(
            select(PollAnswer.poll_id, PollAnswer.slot_id, PollAnswer.choice)
            .where(PollAnswer.user_id == user.id)
            .order_by(PollAnswer.poll_id, PollAnswer.slot_id)
        ).all()
    )
    if not answers:
        return
    for _poll_id, slot_id, choice in answers:
        meeting_services._slot_counter(slot_id, choice, -1)
    polls = sorted({a.poll_id for a in answers})
    db.session.execute(
        update(SchedulingPoll)
        .where(SchedulingPoll.id.in_(polls))
        .values(respondent_count=SchedulingPoll.respondent_count - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(PollAnswer).where(PollAnswer.user_id == user.id).execution_options(synchronize_session=False)
    )


def erase(user, remove_contributions: bool) -> None:
    _remove_registrations(user)
    _remove_poll_answers(user)
