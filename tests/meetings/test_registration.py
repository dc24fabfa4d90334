"""Registration: capacity, the waiting list and its order, promotion with notification, access
needs totals, and many people registering at once on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civic.extensions import db
from civic.meetings import services
from civic.meetings.models import (
    Meeting,
    MeetingType,
    Registration,
    RegistrationMode,
    RegistrationState,
)
from civic.notifications.models import Notification, NotificationKind
from tests.meetings.conftest import make_meeting, people

NO_NEEDS = services.AccessNeeds()


def _states(meeting):
    rows = db.session.execute(
        select(Registration.user_id, Registration.state)
        .where(Registration.meeting_id == meeting.id)
        .order_by(Registration.queued_at, Registration.id)
    ).all()
    return [(uid, state) for uid, state in rows]


def _register(meeting, user, needs=NO_NEEDS):
    reg = services.register(meeting.id, user, needs, actor=user)
    db.session.commit()
    return reg


def test_capacity_is_never_exceeded_and_the_rest_wait_in_order(session, department, clock):
    meeting = make_meeting(department, registration=RegistrationMode.LIMITED, capacity=3)
    folks = people(6)
    for i, person in enumerate(folks):
        clock.shift(timedelta(seconds=1))
        reg = _register(meeting, person)
        assert reg.state == (RegistrationState.REGISTERED if i < 3 else RegistrationState.WAITING)
        assert len(reg.code) == 11 and reg.code[5] == "-"
    db.session.refresh(meeting)
    assert (meeting.registered_count, meeting.waiting_count) == (3, 3)
    assert meeting.is_full and meeting.places_left == 0
    assert [s for _u, s in _states(meeting)].count(RegistrationState.REGISTERED) == 3


def test_cancelling_promotes_the_first_waiting_person_and_tells_them(session, department, clock):
    meeting = make_meeting(department, registration=RegistrationMode.LIMITED, capacity=2)
    a, b, c, d, e = people(5)
    for person in (a, b, c, d, e):
        clock.shift(timedelta(seconds=1))
        _register(meeting, person)
    # c, d, e wait in that order. d gives up first: nobody is promoted, e moves up.
    services.unregister(_reg(meeting, d), actor=d)
    db.session.commit()
    db.session.refresh(meeting)
    assert (meeting.registered_count, meeting.waiting_count) == (2, 2)
    # b cancels: c (first in the queue) gets the place, not e.
    services.unregister(_reg(meeting, b), actor=b)
    db.session.commit()
    db.session.refresh(meeting)
    assert _reg(meeting, c).state == RegistrationState.REGISTERED
    assert _reg(meeting, c).registered_at is not None
    assert _reg(meeting, e).state == RegistrationState.WAITING
    assert (meeting.registered_count, meeting.waiting_count) == (2, 1)
    promoted = db.session.execute(
        select(Notification.recipient_id).where(Notification.kind == NotificationKind.MEETING_PROMOTED)
    ).scalars().all()
    assert promoted == [c.id]
    # a cancels: now e gets in.
    services.unregister(_reg(meeting, a), actor=a)
    db.session.commit()
    assert _reg(meeting, e).state == RegistrationState.REGISTERED
    db.session.refresh(meeting)
    assert (meeting.registered_count, meeting.waiting_count) == (2, 0)


def test_registering_again_after_cancelling_goes_to_the_end_of_the_queue(session, department, clock):
    meeting = make_meeting(department, registration=RegistrationMode.LIMITED, capacity=1)
    a, b, c = people(3)
    for person in (a, b, c):
        clock.shift(timedelta(seconds=1))
        _register(meeting, person)
    services.unregister(_reg(meeting, b), actor=b)  # b leaves the waiting list…
    db.session.commit()
    clock.shift(timedelta(seconds=1))
    again = _register(meeting, b)  # …and comes back after c
    assert again.state == RegistrationState.WAITING
    services.unregister(_reg(meeting, a), actor=a)
    db.session.commit()
    assert _reg(meeting, c).state == RegistrationState.REGISTERED
    assert _reg(meeting, b).state == RegistrationState.WAITING


def test_more_places_promote_in_order_and_fewer_than_taken_is_refused(session, department, staff, clock):
    meeting = make_meeting(department, registration=RegistrationMode.LIMITED, capacity=1, type=MeetingType.ONLINE)
    folks = people(4)
    for person in folks:
        clock.shift(timedelta(seconds=1))
        _register(meeting, person)
    data = _input_from(meeting, capacity=3)
    services.update_meeting(meeting, data, actor=staff)
    db.session.commit()
    states = dict(_states(meeting))
    assert [states[p.id] for p in folks] == [RegistrationState.REGISTERED] * 3 + [RegistrationState.WAITING]
    from civic.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.update_meeting(meeting, _input_from(meeting, capacity=2), actor=staff)
    db.session.rollback()


def test_registering_twice_only_updates_needs(session, department, resident):
    meeting = make_meeting(department)
    first = _register(meeting, resident)
    second = _register(meeting, resident, services.AccessNeeds(captions=True))
    assert first.id == second.id and second.captions
    db.session.refresh(meeting)
    assert meeting.registered_count == 1


def test_access_needs_totals_in_one_query(session, department, count_queries):
    meeting = make_meeting(department, registration=RegistrationMode.LIMITED, capacity=3)
    needs = [
        services.AccessNeeds(sign_language="LSF", captions=True),
        services.AccessNeeds(sign_language=" lsf ", step_free=True, childcare=True),
        services.AccessNeeds(interpretation_language="Arabic", hearing_loop=True),
        services.AccessNeeds(sign_language="LSE", other="A quiet place"),  # waiting: counted too
    ]
    for person, need in zip(people(4), needs, strict=True):
        _register(meeting, person, need)
    db.session.refresh(meeting)
    with count_queries() as q:
        totals = services.access_needs_totals(meeting)
    assert q.count == 1
    assert totals.registered == 4
    assert totals.sign_languages == {"lse": 1, "lsf": 2}
    assert totals.interpretation == {"arabic": 1}
    assert (totals.captions, totals.step_free, totals.hearing_loop, totals.childcare, totals.other) == (1, 1, 1, 1, 1)


def test_registration_pages(app, client, login, department, resident, staff):
    meeting = make_meeting(department, registration=RegistrationMode.LIMITED, capacity=1)
    login(resident)
    response = client.post(f"/meetings/{meeting.id}/register", data={"captions": "y", "sign_language": "LSF"})
    assert response.status_code == 302
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    reg = _reg(meeting, resident)
    assert "You have a place" in page and reg.code in page
    # The organizer sees the person, their code and the needs; others may not.
    login(staff)
    attendees = client.get(f"/meetings/{meeting.id}/attendees").get_data(as_text=True)
    assert resident.display_name in attendees and reg.code in attendees
    assert "Sign-language interpretation: lsf" in attendees
    assert "<caption>" in attendees and 'scope="col"' in attendees
    login(resident)
    assert client.get(f"/meetings/{meeting.id}/attendees").status_code == 403
    assert client.post(f"/meetings/{meeting.id}/unregister").status_code == 302
    db.session.refresh(meeting)
    assert meeting.registered_count == 0


def test_no_registration_when_it_is_off(app, client, login, department, resident):
    meeting = make_meeting(department, registration=RegistrationMode.OFF)
    login(resident)
    assert client.post(f"/meetings/{meeting.id}/register", data={}).status_code == 403


def test_check_in_by_code_and_by_ticking(app, client, login, department, staff, clock):
    meeting = make_meeting(department, starts_in=timedelta(minutes=30))
    a, b = people(2)
    reg_a, reg_b = _register(meeting, a), _register(meeting, b)
    login(staff)
    typed = reg_a.code.lower().replace("-", " ")  # people read codes out loud
    assert client.post(f"/meetings/{meeting.id}/check-in", data={"action": "code", "code": typed}).status_code == 302
    db.session.refresh(meeting)
    assert meeting.checked_in_count == 1
    wrong = client.post(f"/meetings/{meeting.id}/check-in", data={"action": "code", "code": "ZZZZZ-ZZZZZ"})
    assert wrong.status_code == 200 and "No registration for this meeting has this code" in wrong.get_data(as_text=True)
    client.post(
        f"/meetings/{meeting.id}/check-in",
        data={"action": "attendance", "shown": [reg_a.id, reg_b.id], "present": [reg_b.id]},
    )
    db.session.refresh(meeting)
    db.session.refresh(reg_a)
    assert meeting.checked_in_count == 1 and reg_a.checked_in_at is None
    assert _reg(meeting, b).checked_in_at is not None


def _reg(meeting, user) -> Registration:
    return db.session.execute(
        select(Registration)
        .where(Registration.meeting_id == meeting.id, Registration.user_id == user.id)
        .execution_options(populate_existing=True)
    ).scalar_one()


def _input_from(meeting: Meeting, **changes) -> services.MeetingInput:
    text = meeting.translation(meeting.default_locale)
    values = dict(
        department_id=meeting.department_id, consultation_id=meeting.consultation_id,
        locale=meeting.default_locale, title=text.title, description=text.description,
        access_notes=text.access_notes, agenda=[], type=meeting.type,
        starts_local=services.utc_to_local(meeting.starts_at, meeting.timezone),
        ends_local=services.utc_to_local(meeting.ends_at, meeting.timezone),
        timezone=meeting.timezone, address=meeting.address, video="link" if meeting.join_url else "none",
        join_url=meeting.join_url, registration=meeting.registration, capacity=meeting.capacity,
    )
    values.update(changes)
    return services.MeetingInput(**values)


# ---- concurrency (PostgreSQL) ------------------------------------------------------------------


@pytest.mark.postgres_only
def test_concurrent_registrations_never_exceed_capacity(app, database_url, department):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers; the row lock matters on PostgreSQL")
    capacity, crowd = 5, 14
    with app.app_context():
        meeting = make_meeting(department, registration=RegistrationMode.LIMITED, capacity=capacity)
        meeting_id = meeting.id
        ids = [p.id for p in people(crowd)]
    start = threading.Barrier(crowd)
    errors: list[BaseException] = []

    def attempt(user_id: int):
        try:
            with app.app_context():
                from civic.accounts.models import User

                user = db.session.get(User, user_id)
                db.session.commit()  # end the read transaction before racing
                start.wait(timeout=30)
                services.register(meeting_id, user, NO_NEEDS, actor=user)
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        registered = db.session.execute(
            select(func.count()).where(Registration.meeting_id == meeting_id, Registration.state == RegistrationState.REGISTERED)
        ).scalar_one()
        waiting = db.session.execute(
            select(Registration.user_id, Registration.queued_at)
            .where(Registration.meeting_id == meeting_id, Registration.state == RegistrationState.WAITING)
            .order_by(Registration.queued_at, Registration.id)
        ).all()
        assert registered == capacity == meeting.registered_count
        assert len(waiting) == crowd - capacity == meeting.waiting_count
        # Everyone waiting is promoted in that order as places free up.
        first_waiting = waiting[0].user_id
        someone = db.session.execute(
            select(Registration).where(Registration.meeting_id == meeting_id, Registration.state == RegistrationState.REGISTERED).limit(1)
        ).scalar_one()
        from civic.accounts.models import User

        services.unregister(someone, actor=db.session.get(User, someone.user_id))
        db.session.commit()
        promoted = db.session.execute(
            select(Registration.state).where(Registration.meeting_id == meeting_id, Registration.user_id == first_waiting)
        ).scalar_one()
        assert promoted == RegistrationState.REGISTERED
