"""The online link: shown to registered people from 15 minutes before the start until the end."""

from __future__ import annotations

from datetime import timedelta

from civic.extensions import db
from civic.meetings import services
from civic.meetings.models import MeetingType, RegistrationMode
from tests import factories
from tests.meetings.conftest import NOW, make_meeting

LINK = "https://video.example.org/room-42"


def _page(client, meeting):
    return client.get(f"/meetings/{meeting.id}").get_data(as_text=True)


def test_link_window_for_a_registered_person(app, client, login, department, clock):
    person = factories.UserFactory(timezone="America/Bogota", locale="en")
    meeting = make_meeting(department, starts_in=timedelta(minutes=90), duration=timedelta(hours=1),
                           type=MeetingType.ONLINE, timezone="Asia/Seoul")
    services.register(meeting.id, person, services.AccessNeeds(), actor=person)
    db.session.commit()
    login(person)

    clock.move_to(meeting.starts_at - timedelta(minutes=16))
    assert LINK not in _page(client, meeting)

    clock.move_to(meeting.starts_at - timedelta(minutes=15, seconds=1))
    early = _page(client, meeting)
    assert LINK not in early
    # The page says when the link appears, in the viewer's zone (Bogotá is UTC-5):
    # 13:30 UTC - 15 min = 08:15 in Bogotá.
    assert "8:15" in early and "Colombia" in early

    clock.move_to(meeting.starts_at - timedelta(minutes=15))
    assert LINK in _page(client, meeting)

    clock.move_to(meeting.starts_at - timedelta(minutes=14))
    assert LINK in _page(client, meeting)

    clock.move_to(meeting.ends_at - timedelta(seconds=1))
    assert LINK in _page(client, meeting)

    clock.move_to(meeting.ends_at)
    assert LINK not in _page(client, meeting)


def test_not_registered_people_never_see_the_link(app, client, login, department, resident, clock):
    meeting = make_meeting(department, starts_in=timedelta(minutes=5), type=MeetingType.ONLINE)
    assert LINK not in _page(client, meeting)  # anonymous
    login(resident)
    body = _page(client, meeting)
    assert LINK not in body
    assert "Registered people get the link" in body


def test_waiting_list_people_do_not_get_the_link(app, client, login, department, clock):
    meeting = make_meeting(department, starts_in=timedelta(minutes=5), type=MeetingType.ONLINE,
                           registration=RegistrationMode.LIMITED, capacity=1)
    first, second = factories.UserFactory(), factories.UserFactory()
    for person in (first, second):
        services.register(meeting.id, person, services.AccessNeeds(), actor=person)
        db.session.commit()
    login(second)
    assert LINK not in _page(client, meeting)
    login(first)
    assert LINK in _page(client, meeting)


def test_without_registration_every_signed_in_participant_gets_it(app, client, login, department, resident,
                                                                    unconfirmed_resident, clock):
    meeting = make_meeting(department, starts_in=timedelta(minutes=10), type=MeetingType.ONLINE,
                           registration=RegistrationMode.OFF)
    assert LINK not in _page(client, meeting)
    login(unconfirmed_resident)
    assert LINK not in _page(client, meeting)
    login(resident)
    assert LINK in _page(client, meeting)


def test_hybrid_meetings_show_place_and_link(app, client, login, department, resident, clock):
    meeting = make_meeting(department, starts_in=timedelta(minutes=10), type=MeetingType.HYBRID,
                           registration=RegistrationMode.OFF, address="Carrera 7 # 6-16, Bogotá")
    login(resident)
    body = _page(client, meeting)
    assert "Carrera 7 # 6-16, Bogotá" in body and LINK in body


def test_cancelled_meeting_hides_the_link(app, client, login, department, resident, clock):
    from civic.meetings.models import MeetingState

    meeting = make_meeting(department, starts_in=timedelta(minutes=10), type=MeetingType.ONLINE,
                           registration=RegistrationMode.OFF, state=MeetingState.CANCELLED)
    login(resident)
    body = _page(client, meeting)
    assert LINK not in body and "This meeting is cancelled" in body
    assert NOW < meeting.starts_at
