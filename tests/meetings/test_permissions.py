"""Role × state matrix for meetings, at a frozen time: create, edit, register, see the join
link, check in, publish minutes — as permission functions and through the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civic.core.permissions import AnonymousUser
from civic.extensions import db
from civic.meetings import permissions as perms
from civic.meetings.models import (
    MeetingState,
    MeetingType,
    Registration,
    RegistrationMode,
    RegistrationState,
)
from tests.meetings.conftest import make_meeting

ROLES = ["anonymous", "resident", "unconfirmed", "suspended", "moderator", "staff", "other_staff", "admin"]

#: state name → (starts in, duration, stored state)
STATES = {
    "upcoming": (timedelta(days=7), timedelta(hours=2), MeetingState.SCHEDULED),
    "join_window": (timedelta(minutes=10), timedelta(hours=2), MeetingState.SCHEDULED),
    "live": (timedelta(minutes=-30), timedelta(hours=2), MeetingState.SCHEDULED),
    "past": (timedelta(days=-2), timedelta(hours=2), MeetingState.SCHEDULED),
    "cancelled": (timedelta(days=7), timedelta(hours=2), MeetingState.CANCELLED),
}

ORGANIZERS = {"staff", "admin"}
PARTICIPANTS = {"resident", "moderator", "staff", "other_staff", "admin"}

#: What each role may do in each state (written out, not computed).
EXPECTED = {
    "edit": {r: {"upcoming", "join_window", "live"} for r in ORGANIZERS},
    "cancel": {r: {"upcoming", "join_window"} for r in ORGANIZERS},
    "register": {r: {"upcoming", "join_window", "live"} for r in PARTICIPANTS},
    # Everyone signed in holds a registration in this matrix; organizers see the link early.
    "see_join_link": {
        "resident": {"join_window", "live"},
        "moderator": {"join_window", "live"},
        "other_staff": {"join_window", "live"},
        "staff": {"upcoming", "join_window", "live"},
        "admin": {"upcoming", "join_window", "live"},
    },
    "check_in": {r: {"join_window", "live", "past"} for r in ORGANIZERS},
    "publish_minutes": {r: {"past"} for r in ORGANIZERS},
    "see_attendees": {r: set(STATES) for r in ORGANIZERS},
}


@pytest.fixture
def users(session, resident, unconfirmed_resident, suspended_resident, moderator, staff, other_staff, admin):
    return {
        "anonymous": AnonymousUser(),
        "resident": resident,
        "unconfirmed": unconfirmed_resident,
        "suspended": suspended_resident,
        "moderator": moderator,
        "staff": staff,
        "other_staff": other_staff,
        "admin": admin,
    }


@pytest.fixture
def meetings(session, department):
    out = {}
    for name, (starts_in, duration, stored) in STATES.items():
        out[name] = make_meeting(
            department, starts_in=starts_in, duration=duration, state=stored,
            type=MeetingType.ONLINE, registration=RegistrationMode.OPEN, title=name,
        )
    return out


def _register_everyone(users, meetings):
    regs = {}
    for role, user in users.items():
        if role == "anonymous":
            continue
        for state, m in meetings.items():
            reg = Registration(meeting_id=m.id, user_id=user.id, state=RegistrationState.REGISTERED,
                               code=f"{role[:3].upper()}{m.id:02d}-XXXXX"[:11])
            db.session.add(reg)
            regs[(role, state)] = reg
    db.session.commit()
    return regs


def test_create_is_for_department_staff_and_admins(users):
    allowed = {role for role, u in users.items() if perms.is_meeting_staff(u)}
    assert allowed == {"staff", "other_staff", "admin"}


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_permission_matrix(users, meetings, action):
    regs = _register_everyone(users, meetings)
    for role, user in users.items():
        for state, meeting in meetings.items():
            if action == "edit":
                got = perms.can_edit(user, meeting)
            elif action == "cancel":
                got = perms.can_cancel(user, meeting)
            elif action == "register":
                got = perms.can_register(user, meeting)
            elif action == "see_join_link":
                got = perms.can_see_join_link(user, meeting, regs.get((role, state)))
            elif action == "check_in":
                got = perms.can_check_in(user, meeting)
            elif action == "publish_minutes":
                got = perms.can_publish_minutes(user, meeting)
            else:
                got = perms.can_see_attendees(user, meeting)
            want = state in EXPECTED[action].get(role, set())
            assert got == want, f"{action} by {role} on a {state} meeting: got {got}, want {want}"


PAGES = {
    "edit": "/meetings/{id}/edit",
    "register": "/meetings/{id}/register",
    "check_in": "/meetings/{id}/check-in",
    "publish_minutes": "/meetings/{id}/minutes",
    "see_attendees": "/meetings/{id}/attendees",
}


@pytest.mark.parametrize("action", sorted(PAGES))
def test_pages_follow_the_matrix(app, users, meetings, action):
    for role, user in users.items():
        client = app.test_client()
        if role != "anonymous":
            from tests.conftest import sign_in

            sign_in(client, user)
        for state, meeting in meetings.items():
            response = client.get(PAGES[action].format(id=meeting.id))
            allowed = state in EXPECTED[action].get(role, set())
            if allowed:
                assert response.status_code == 200, (action, role, state)
            elif role == "anonymous":
                assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
            else:
                assert response.status_code == 403, (action, role, state, response.status_code)


def test_create_page_refuses_residents_and_anonymous(app, client, login, resident):
    assert client.get("/meetings/new").status_code == 302
    login(resident)
    assert client.get("/meetings/new").status_code == 403
    assert client.get("/meetings/polls/new").status_code == 403


def test_join_link_in_page_follows_the_matrix(app, users, meetings):
    regs = _register_everyone(users, meetings)
    assert regs
    for role, user in users.items():
        client = app.test_client()
        if role != "anonymous":
            from tests.conftest import sign_in

            sign_in(client, user)
        for state, meeting in meetings.items():
            body = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
            shown = "https://video.example.org/room-42" in body
            assert shown == (state in EXPECTED["see_join_link"].get(role, set())), (role, state)
