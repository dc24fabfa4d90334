"""Who may do what with meetings and scheduling polls. Plain functions for views and templates.

Functions taking ``now`` use the clock by default; tests freeze it with ``time_machine``.
"""

from __future__ import annotations

from datetime import timedelta

from civic.core.permissions import is_admin, is_participant, is_signed_in, is_staff_of
from civic.core.time import utcnow
from civic.meetings.models import MeetingState, PollState, RegistrationMode, RegistrationState

#: Organizers may open the check-in page this long before the start.
CHECK_IN_OPENS = timedelta(hours=1)


def is_meeting_staff(user) -> bool:
    """Department staff and administrators: may create meetings and polls."""
    return is_admin(user) or (is_signed_in(user) and bool(user.department_ids))


def is_organizer(user, meeting_or_poll) -> bool:
    """Staff of the meeting's (or poll's) department, and administrators."""
    return is_admin(user) or is_staff_of(user, meeting_or_poll.department_id)


def can_view(user, meeting) -> bool:
    """Meetings are public, cancelled ones too (people need to learn of the cancellation)."""
    return True


def can_edit(user, meeting, now=None) -> bool:
    """Organizers, until the meeting has ended; never once cancelled."""
    return is_organizer(user, meeting) and meeting.effective_state(now) in (
        MeetingState.SCHEDULED,
        MeetingState.LIVE,
    )


def can_cancel(user, meeting, now=None) -> bool:
    return is_organizer(user, meeting) and meeting.effective_state(now) == MeetingState.SCHEDULED


def can_register(user, meeting, now=None) -> bool:
    """Participants in good standing, while registration is on and the meeting not over."""
    return (
        is_participant(user)
        and meeting.registration != RegistrationMode.OFF
        and meeting.effective_state(now) in (MeetingState.SCHEDULED, MeetingState.LIVE)
    )


def can_unregister(user, registration, now=None) -> bool:
    return (
        is_signed_in(user)
        and registration is not None
        and registration.user_id == user.id
        and registration.is_active
        and registration.meeting.effective_state(now) in (MeetingState.SCHEDULED, MeetingState.LIVE)
    )


def may_join(user, meeting, registration=None) -> bool:
    """Whether the person is entitled to the online link at all (the time window aside)."""
    if not meeting.type.has_link or not meeting.join_url or meeting.is_cancelled:
        return False
    if is_organizer(user, meeting):
        return True
    if meeting.registration == RegistrationMode.OFF:
        return is_participant(user)
    return (
        is_participant(user)
        and registration is not None
        and registration.user_id == user.id
        and registration.state == RegistrationState.REGISTERED
    )


def can_see_join_link(user, meeting, registration=None, now=None) -> bool:
    """Entitled people, from 15 minutes before the start until the end.

    Organizers see the link as soon as it is set (they host the meeting) until the end;
    everyone else only in that window.
    """
    if not may_join(user, meeting, registration):
        return False
    now = now or utcnow()
    if is_organizer(user, meeting):
        return now < meeting.ends_at
    return meeting.join_window_open(now)


def can_see_attendees(user, meeting) -> bool:
    return is_organizer(user, meeting)


def can_check_in(user, meeting, now=None) -> bool:
    """From an hour before the start on, unless cancelled."""
    now = now or utcnow()
    return (
        is_organizer(user, meeting)
        and not meeting.is_cancelled
        and now >= meeting.starts_at - CHECK_IN_OPENS
    )


def can_publish_minutes(user, meeting, now=None) -> bool:
    return is_organizer(user, meeting) and meeting.effective_state(now) == MeetingState.PAST


# ---- scheduling polls --------------------------------------------------------------------


def can_view_poll(user, poll) -> bool:
    """Polls are for signed-in people (their answers are personal)."""
    return is_signed_in(user)


def can_answer_poll(user, poll) -> bool:
    return is_participant(user) and poll.state == PollState.OPEN


def can_manage_poll(user, poll) -> bool:
    return is_organizer(user, poll)


def can_see_poll_answers(user, poll) -> bool:
    return is_organizer(user, poll)


def can_pick_slot(user, poll) -> bool:
    return is_organizer(user, poll) and poll.state == PollState.OPEN
