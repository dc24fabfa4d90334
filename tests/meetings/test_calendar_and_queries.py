"""The calendar page (months, filters, pagination) and bounded SQL on the calendar, a
meeting's page and the consultation page's Meetings section."""

from __future__ import annotations

from datetime import timedelta

from civic.extensions import db
from civic.meetings import services
from civic.meetings.models import (
    MeetingOutcome,
    MeetingType,
    PollSlot,
    PollState,
    RegistrationMode,
    SchedulingPoll,
)
from civic.meetings.sections import load_meetings
from tests import factories
from tests.meetings.conftest import NOW, make_consultation, make_meeting


def test_calendar_groups_by_month_and_filters(app, client, department, other_department):
    consultation = make_consultation(department, title="Parks")
    make_meeting(department, title="March talk", starts_in=timedelta(days=5), type=MeetingType.ONLINE)
    make_meeting(department, title="April walk", starts_in=timedelta(days=30), type=MeetingType.IN_PERSON,
                 consultation=consultation)
    make_meeting(other_department, title="Other talk", starts_in=timedelta(days=6), type=MeetingType.ONLINE)
    make_meeting(department, title="Old one", starts_in=timedelta(days=-20))
    page = client.get("/meetings/").get_data(as_text=True)
    assert page.index("March 2026") < page.index("March talk") < page.index("Other talk") < page.index("April 2026") < page.index("April walk")
    assert "Old one" not in page
    assert '<h3 id="month-2026-03" class="month-heading">' in page
    only_dept = client.get(f"/meetings/?department={other_department.id}").get_data(as_text=True)
    assert "Other talk" in only_dept and "March talk" not in only_dept
    online = client.get("/meetings/?type=online").get_data(as_text=True)
    assert "March talk" in online and "April walk" not in online
    about = client.get(f"/meetings/?consultation={consultation.id}").get_data(as_text=True)
    assert "April walk" in about and "March talk" not in about
    past = client.get("/meetings/?when=past").get_data(as_text=True)
    assert "Old one" in past and "March talk" not in past
    assert client.get("/meetings/?type=teleport").status_code == 404


def test_calendar_is_paginated(app, client, department):
    app.config["PAGE_SIZE"], old = 3, app.config["PAGE_SIZE"]
    try:
        for i in range(7):
            make_meeting(department, title=f"Meeting number {i}", starts_in=timedelta(days=i + 1, hours=1), duration=timedelta(hours=1))
        first = client.get("/meetings/").get_data(as_text=True)
        assert "Meeting number 0" in first and "Meeting number 3" not in first and "Page 1 of 3" in first
        third = client.get("/meetings/?page=3").get_data(as_text=True)
        assert "Meeting number 6" in third and "Meeting number 5" not in third
    finally:
        app.config["PAGE_SIZE"] = old


def _calendar_queries(client, count_queries):
    client.get("/meetings/")  # warm up
    with count_queries() as q:
        assert client.get("/meetings/").status_code == 200
    return q.count


def test_calendar_queries_do_not_grow_with_meetings(app, client, login, department, other_department, resident, count_queries):
    login(resident)
    consultation = make_consultation(department)
    make_meeting(department, consultation=consultation, agenda=2)
    few = _calendar_queries(client, count_queries)
    other = make_consultation(other_department)
    for i in range(12):
        make_meeting(department if i % 2 else other_department, consultation=consultation if i % 3 else other,
                     starts_in=timedelta(days=i + 2), agenda=3, translations={"en": f"M{i}", "fr": f"R{i}"},
                     type=list(MeetingType)[i % 3])
    many = _calendar_queries(client, count_queries)
    assert few == many


def _meeting_queries(client, count_queries, meeting_id):
    client.get(f"/meetings/{meeting_id}")
    with count_queries() as q:
        assert client.get(f"/meetings/{meeting_id}").status_code == 200
    return q.count


def test_meeting_page_queries_do_not_grow(app, client, login, department, staff, count_queries, clock):
    consultation = make_consultation(department)
    small = make_meeting(department, consultation=consultation, agenda=1, registration=RegistrationMode.LIMITED, capacity=2)
    big = make_meeting(department, consultation=consultation, agenda=12, registration=RegistrationMode.LIMITED,
                       capacity=5, starts_in=timedelta(days=20), translations={"en": "Big", "fr": "Grand", "es": "Grande"})
    for person in factories.UserFactory.create_batch(9):
        services.register(big.id, person, services.AccessNeeds(captions=True), actor=person)
    person = factories.UserFactory()
    services.register(small.id, person, services.AccessNeeds(), actor=person)
    for i in range(6):
        db.session.add(MeetingOutcome(meeting_id=big.id, position=i, title=f"Outcome {i}", url=f"https://x.example/{i}"))
    db.session.commit()
    login(staff)  # organizers see the most
    assert _meeting_queries(client, count_queries, small.id) == _meeting_queries(client, count_queries, big.id)
    # And the organizer's list of people: same count for 1 or 9 people.
    with count_queries() as q_small:
        client.get(f"/meetings/{small.id}/attendees")
    with count_queries() as q_big:
        client.get(f"/meetings/{big.id}/attendees")
    assert q_small.count == q_big.count


def test_consultation_section_is_bounded_and_shows_meetings(app, session, department, staff, count_queries):
    one = make_consultation(department, title="One")
    two = make_consultation(department, title="Two")
    make_meeting(department, consultation=one, title="Only meeting")
    make_meeting(department, consultation=one, title="Only past", starts_in=timedelta(days=-30))
    _poll(department, one)
    db.session.refresh(one)
    db.session.refresh(two)
    with count_queries() as q_few:
        data = load_meetings([one, two], staff)
    assert [m.id for m in data[one.id]["upcoming"]] and data[two.id]["upcoming"] == []
    for i in range(8):
        make_meeting(department, consultation=two, title=f"Two-{i}", starts_in=timedelta(days=i + 1))
        make_meeting(department, consultation=one, title=f"Past-{i}", starts_in=timedelta(days=-(i + 1)))
        _poll(department, two)
    db.session.refresh(one)
    db.session.refresh(two)
    with count_queries() as q_many:
        data = load_meetings([one, two], staff)
    assert q_few.count == q_many.count
    assert len(data[two.id]["upcoming"]) == 5  # the next five, in order
    assert [m.title_for("en").text for m in data[two.id]["upcoming"]] == [f"Two-{i}" for i in range(5)]
    assert [m.title_for("en").text for m in data[one.id]["past"]] == ["Past-0", "Past-1", "Past-2"]
    assert data[one.id]["can_organize"] is True


def _poll(department, consultation):
    poll = SchedulingPoll(department_id=department.id, consultation_id=consultation.id, title="When?",
                          type=MeetingType.ONLINE, timezone="UTC", state=PollState.OPEN)
    poll.slots = [PollSlot(starts_at=NOW + timedelta(days=3), ends_at=NOW + timedelta(days=3, hours=1))]
    db.session.add(poll)
    db.session.commit()
    return poll


def test_consultation_page_has_the_meetings_section(app, client, department):
    consultation = make_consultation(department, title="Green corridors")
    make_meeting(department, consultation=consultation, title="Walk along the corridor")
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert '<h2 id="meetings">Meetings</h2>' in page
    assert "Walk along the corridor" in page
