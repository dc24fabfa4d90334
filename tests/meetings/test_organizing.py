"""Organizing: the form (time zones, links, Jitsi rooms, overlap warning), translations with
fallback, scheduling polls, minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from civic.consultations.models import ConsultationState
from civic.extensions import db
from civic.meetings import services
from civic.meetings.models import (
    Meeting,
    MeetingType,
    PollAnswer,
    PollState,
    RegistrationMode,
    SchedulingPoll,
)
from civic.notifications.models import Notification, NotificationKind
from tests import factories
from tests.meetings.conftest import make_consultation, make_meeting


def _form(**changes):
    data = {
        "department_id": "",
        "consultation_id": "0",
        "locale": "en",
        "title": "Budget night",
        "description": "Let us *talk*.",
        "agenda": "15 Welcome\n45 min - Budget questions\n\n30 Next steps",
        "type": "hybrid",
        "timezone": "America/Bogota",
        "starts_local": "2026-04-01T18:00",
        "ends_local": "2026-04-01T20:30",
        "address": "Carrera 7 # 6-16",
        "access_notes": "Ramp at the side door.",
        "video": "link",
        "join_url": "https://meet.example.org/budget",
        "registration": "limited",
        "capacity": "40",
    }
    data.update(changes)
    return data


def _count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_create_stores_utc_and_the_zone(app, client, login, department, staff):
    login(staff)
    response = client.post("/meetings/new", data=_form(department_id=department.id))
    assert response.status_code == 302, response.get_data(as_text=True)
    meeting = db.session.execute(select(Meeting)).unique().scalar_one()
    # 18:00 in Bogotá (UTC-5) is 23:00 UTC.
    assert meeting.starts_at == datetime(2026, 4, 1, 23, 0, tzinfo=UTC)
    assert meeting.ends_at == datetime(2026, 4, 2, 1, 30, tzinfo=UTC)
    assert meeting.timezone == "America/Bogota"
    assert (meeting.registration, meeting.capacity, meeting.creator_id) == (RegistrationMode.LIMITED, 40, staff.id)
    agenda = db.session.execute(select(services.AgendaItem).order_by(services.AgendaItem.position)).scalars().all()
    assert [(a.duration_minutes, a.title_translations["en"]) for a in agenda] == [
        (15, "Welcome"), (45, "Budget questions"), (30, "Next steps")
    ]
    # The edit form shows the times as they were typed, in the meeting's zone.
    edit = client.get(f"/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert 'value="2026-04-01T18:00"' in edit


def test_form_errors(app, client, login, department, other_department, staff):
    login(staff)
    other = make_consultation(other_department)
    cases = [
        (dict(join_url="http://insecure.example.org/room"), "https://"),
        (dict(ends_local="2026-04-01T17:00"), "The end must be after the start"),
        (dict(agenda="Welcome without minutes"), "Line 1 of the agenda"),
        (dict(registration="limited", capacity=""), "how many places"),
        (dict(consultation_id=str(other.id)), "Not a valid choice"),
        (dict(starts_local="2026-03-29T02:30", ends_local="2026-03-29T04:00", timezone="Europe/Madrid"), "does not exist"),
        (dict(video="jitsi"), "Not a valid choice"),  # no Jitsi server configured
        (dict(address="", type="in_person"), "address"),
    ]
    for changes, message in cases:
        response = client.post("/meetings/new", data=_form(department_id=department.id, **changes))
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "There is a problem" in body, changes
        assert message in body, (changes, message)
    assert _count(Meeting) == 0
    # Staff may not organise for another department.
    response = client.post("/meetings/new", data=_form(department_id=other_department.id))
    assert response.status_code == 200 and _count(Meeting) == 0


def test_jitsi_room_is_random_on_the_configured_server(app, client, login, department, staff):
    app.config["JITSI_DOMAIN"] = "meet.jit.si"
    try:
        login(staff)
        assert "Create a private video room" in client.get("/meetings/new").get_data(as_text=True)
        for day in ("02", "03"):
            client.post("/meetings/new", data=_form(department_id=department.id, video="jitsi", join_url="",
                                                    starts_local=f"2026-04-{day}T18:00", ends_local=f"2026-04-{day}T19:00"))
        urls = db.session.execute(select(Meeting.join_url)).scalars().all()
        assert len(urls) == 2 and len(set(urls)) == 2
        for url in urls:
            assert url.startswith("https://meet.jit.si/Civic-") and len(url.rsplit("-", 1)[1]) == 32
        # Editing keeps the room.
        meeting = db.session.execute(select(Meeting).where(Meeting.join_url == urls[0])).unique().scalar_one()
        client.post(f"/meetings/{meeting.id}/edit", data=_form(department_id=department.id, video="jitsi",
                                                              starts_local="2026-04-04T18:00", ends_local="2026-04-04T19:00"))
        db.session.refresh(meeting)
        assert meeting.join_url == urls[0]
    finally:
        app.config["JITSI_DOMAIN"] = ""
    login(staff)
    assert "Create a private video room" not in client.get("/meetings/new").get_data(as_text=True)


def test_overlap_warning_must_be_confirmed(app, client, login, department, other_department, staff):
    existing = make_meeting(department, title="Already planned", timezone="America/Bogota")
    make_meeting(other_department, title="Other department")
    login(staff)
    local = services.utc_to_local(existing.starts_at + timedelta(minutes=30), "America/Bogota")
    data = _form(department_id=department.id, starts_local=local.strftime("%Y-%m-%dT%H:%M"),
                 ends_local=(local + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    response = client.post("/meetings/new", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "overlaps other meetings of the department" in body and "Already planned" in body
    assert "Other department" not in body
    assert _count(Meeting) == 2
    response = client.post("/meetings/new", data={**data, "confirm_overlap": "y"})
    assert response.status_code == 302 and _count(Meeting) == 3
    # Right after the other meeting: no warning.
    after = services.utc_to_local(existing.ends_at, "America/Bogota")
    response = client.post("/meetings/new", data=_form(
        department_id=department.id, starts_local=after.strftime("%Y-%m-%dT%H:%M"),
        ends_local=(after + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 302


def test_meeting_for_a_consultation_of_the_department(app, client, login, department, staff):
    consultation = make_consultation(department, title="River banks")
    login(staff)
    form = client.get(f"/meetings/new?consultation={consultation.id}").get_data(as_text=True)
    assert f'<option selected value="{consultation.id}">' in form or f'value="{consultation.id}" selected' in form
    response = client.post("/meetings/new", data=_form(department_id=department.id, consultation_id=str(consultation.id)))
    assert response.status_code == 302
    meeting = db.session.execute(select(Meeting)).unique().scalar_one()
    assert meeting.consultation_id == consultation.id
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "River banks" in page


def test_draft_consultation_is_not_revealed(app, client, department):
    draft = make_consultation(department, ConsultationState.DRAFT, title="Secret plan")
    meeting = make_meeting(department, consultation=draft)
    assert "Secret plan" not in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Secret plan" not in client.get("/meetings/").get_data(as_text=True)


def test_translation_fallback_is_marked(app, client, login, department, staff):
    meeting = make_meeting(department, locale="fr", translations={"fr": "Assemblée de quartier"}, agenda=1)
    page = client.get(f"/meetings/{meeting.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<h1><span lang="fr" dir="ltr">Assemblée de quartier</span></h1>' in page
    assert "has not been translated into your language" in page
    item_id = db.session.execute(select(services.AgendaItem.id)).scalar_one()
    login(staff)
    response = client.post(f"/meetings/{meeting.id}/translate/ar", data={
        "title": "اجتماع الحي", "description": "", "access_notes": "", f"agenda-{item_id}": "ترحيب",
    })
    assert response.status_code == 302
    db.session.expire_all()
    assert set(db.session.get(Meeting, meeting.id).locales) == {"ar", "fr"}
    staff.locale = "ar"
    db.session.commit()
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "<h1>اجتماع الحي</h1>" in page and "ترحيب" in page
    assert 'lang="fr"' not in page.split("<h1>")[1].split("</h1>")[0]


# ---- scheduling polls -----------------------------------------------------------------------------


def _poll(client, department, **changes):
    data = {
        "department_id": department.id, "consultation_id": "0", "locale": "en",
        "title": "Which evening suits you?", "description": "", "type": "online",
        "timezone": "Asia/Seoul",
        "slots-0-starts_local": "2026-03-20T19:00", "slots-0-ends_local": "2026-03-20T21:00",
        "slots-1-starts_local": "2026-03-21T19:00", "slots-1-ends_local": "2026-03-21T21:00",
        "slots-2-starts_local": "2026-03-22T10:00", "slots-2-ends_local": "2026-03-22T12:00",
    }
    data.update(changes)
    return client.post("/meetings/polls/new", data=data)


def test_poll_answers_table_and_pick(app, client, login, department, staff):
    login(staff)
    assert _poll(client, department).status_code == 302
    poll = db.session.execute(select(SchedulingPoll)).unique().scalar_one()
    s1, s2, s3 = poll.slots
    # 19:00 in Seoul (UTC+9) is 10:00 UTC.
    assert s1.starts_at == datetime(2026, 3, 20, 10, 0, tzinfo=UTC)

    amaia = factories.UserFactory(timezone="Europe/Madrid", display_name="Amaia")
    kwame = factories.UserFactory(timezone="America/Bogota", display_name="Kwame")
    lina = factories.UserFactory(timezone="Asia/Seoul", display_name="Lina")
    answers = {
        amaia: {s1: "yes", s2: "no", s3: "if_need_be"},
        kwame: {s1: "yes", s2: "yes"},
        lina: {s1: "no", s2: "yes", s3: "yes"},
    }
    for person, choices in answers.items():
        login(person)
        page = client.get(f"/meetings/polls/{poll.id}").get_data(as_text=True)
        page = page.replace("\u202f", " ").replace("\xa0", " ")
        if person is kwame:
            # Each person sees the dates in their own zone with the organizer's alongside:
            # 10:00 UTC is 5:00 AM in Bogotá and 7:00 PM in Seoul.
            assert "5:00 AM" in page and "7:00 PM" in page and "Korea" in page
        data = {f"slot_{slot.id}": value for slot, value in choices.items()}
        assert client.post(f"/meetings/polls/{poll.id}", data=data).status_code == 302
    # Amaia changes her mind: one answer per person per slot, totals follow.
    login(amaia)
    client.post(f"/meetings/polls/{poll.id}", data={f"slot_{s2.id}": "yes"})
    assert db.session.execute(
        select(func.count()).where(PollAnswer.user_id == amaia.id, PollAnswer.slot_id == s2.id)
    ).scalar_one() == 1
    db.session.expire_all()
    poll = db.session.get(SchedulingPoll, poll.id)
    s1, s2, s3 = poll.slots
    assert (s1.yes_count, s1.maybe_count, s1.no_count) == (2, 0, 1)
    assert (s2.yes_count, s2.maybe_count, s2.no_count) == (3, 0, 0)
    assert (s3.yes_count, s3.maybe_count, s3.no_count) == (1, 1, 0)
    assert poll.respondent_count == 3
    assert client.get(f"/meetings/polls/{poll.id}/answers").status_code == 403

    login(staff)
    table = client.get(f"/meetings/polls/{poll.id}/answers").get_data(as_text=True)
    assert "<caption>" in table and 'scope="col"' in table and 'scope="row"' in table
    assert "3 yes, 0 if need be, 0 no" in table
    assert "Amaia" in table and "no answer" in table  # Kwame skipped slot 3
    response = client.post(f"/meetings/polls/{poll.id}/pick", data={"slot_id": s2.id})
    assert response.status_code == 302
    meeting = db.session.execute(select(Meeting)).unique().scalar_one()
    assert (meeting.starts_at, meeting.ends_at) == (s2.starts_at, s2.ends_at)
    assert meeting.timezone == "Asia/Seoul" and meeting.type == MeetingType.ONLINE
    db.session.expire_all()
    poll = db.session.get(SchedulingPoll, poll.id)
    assert poll.state == PollState.DECIDED and poll.meeting_id == meeting.id
    told = db.session.execute(
        select(Notification.recipient_id).where(Notification.kind == NotificationKind.MEETING_SCHEDULED)
    ).scalars().all()
    assert sorted(told) == sorted([amaia.id, kwame.id, lina.id])
    # Decided: no more answers, no second pick.
    login(lina)
    assert client.post(f"/meetings/polls/{poll.id}", data={f"slot_{s1.id}": "yes"}).status_code == 403
    login(staff)
    assert client.post(f"/meetings/polls/{poll.id}/pick", data={"slot_id": s1.id}).status_code == 403


def test_poll_needs_complete_future_slots(app, client, login, department, staff):
    login(staff)
    body = _poll(client, department, **{"slots-1-ends_local": ""}).get_data(as_text=True)
    assert "needs both a start and an end" in body
    body = _poll(client, department, **{"slots-0-starts_local": "2026-01-01T10:00", "slots-0-ends_local": "2026-01-01T11:00"}).get_data(as_text=True)
    assert "must be in the future" in body
    assert _count(SchedulingPoll) == 0


# ---- minutes -------------------------------------------------------------------------------------


def test_minutes_after_the_meeting(app, client, login, department, staff, clock):
    meeting = make_meeting(department, starts_in=timedelta(hours=1), registration=RegistrationMode.OPEN)
    person = factories.UserFactory()
    services.register(meeting.id, person, services.AccessNeeds(), actor=person)
    db.session.commit()
    login(staff)
    assert client.get(f"/meetings/{meeting.id}/minutes").status_code == 403
    clock.move_to(meeting.ends_at + timedelta(minutes=10))
    login(staff)
    data = {
        "locale": "en",
        "minutes": "We agreed on **three** points.\n\n<script>alert(1)</script>",
        "attendee_count": "27",
        "recording_url": "https://video.example.org/recording/9",
        "outcomes": "More benches on the square https://civic.example/proposals/12\nNight buses https://civic.example/proposals/13",
    }
    assert client.post(f"/meetings/{meeting.id}/minutes", data=data).status_code == 302
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "<strong>three</strong>" in page and "<script>alert" not in page
    assert "27" in page and "https://video.example.org/recording/9" in page
    assert '<a href="https://civic.example/proposals/12" rel="noopener noreferrer">More benches on the square</a>' in page
    told = db.session.execute(
        select(Notification.recipient_id).where(Notification.kind == NotificationKind.MEETING_MINUTES)
    ).scalars().all()
    assert told == [person.id]
    bad = client.post(f"/meetings/{meeting.id}/minutes", data={**data, "outcomes": "No address here"})
    assert "Line 1 needs a title" in bad.get_data(as_text=True)
