"""The state follows the clock: effective state, the tick, followers told, dates in the city's zone."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from civic.consultations import services
from civic.consultations.models import Consultation, ConsultationState, effective_state
from civic.core.jobs import run_ready_jobs
from civic.extensions import db
from civic.notifications.models import Notification, NotificationKind
from civic.notifications.services import follow
from tests.consultations.conftest import NOW, make_consultation

S = ConsultationState
HOUR = timedelta(hours=1)


def _state(cid: int) -> ConsultationState:
    db.session.expire_all()
    return db.session.get(Consultation, cid).state


def _notified(kind: NotificationKind) -> list[int]:
    return list(
        db.session.execute(select(Notification.recipient_id).where(Notification.kind == kind).order_by(Notification.recipient_id)).scalars()
    )


@pytest.mark.parametrize(
    ("stored", "opens", "closes", "want"),
    [
        (S.DRAFT, NOW - HOUR, NOW + HOUR, S.DRAFT),  # drafts never open by themselves
        (S.SCHEDULED, NOW + HOUR, NOW + 2 * HOUR, S.SCHEDULED),
        (S.SCHEDULED, NOW, NOW + HOUR, S.OPEN),  # the opening moment itself is open
        (S.SCHEDULED, NOW - 2 * HOUR, NOW, S.CLOSED),  # the closing moment itself is closed
        (S.OPEN, NOW - HOUR, NOW + HOUR, S.OPEN),
        (S.OPEN, NOW - 2 * HOUR, NOW - HOUR, S.CLOSED),
        (S.CLOSED, NOW - 2 * HOUR, NOW - HOUR, S.CLOSED),
        (S.CONCLUDED, NOW - 2 * HOUR, NOW - HOUR, S.CONCLUDED),
    ],
)
def test_effective_state(stored, opens, closes, want):
    assert effective_state(stored, opens, closes, NOW) == want


def test_sql_state_filter_agrees_with_the_clock(session, department):
    """For every (stored state, opening, closing) around now, the SQL filter used by the
    listing finds exactly the consultations whose effective state matches."""
    moments = [NOW - 2 * HOUR, NOW, NOW + 2 * HOUR]
    made = []
    for stored, opens, closes in itertools.product(S, moments, moments):
        if closes <= opens:
            continue
        c = Consultation(department_id=department.id, state=stored, opens_at=opens, closes_at=closes)
        db.session.add(c)
        made.append(c)
    db.session.commit()
    for state in S:
        found = set(db.session.execute(select(Consultation.id).where(services.state_condition(state, NOW))).scalars())
        want = {c.id for c in made if c.effective_state(NOW) == state}
        assert found == want, state


def test_page_shows_open_before_the_tick_ran(client, department, clock, monkeypatch):
    c = make_consultation(department, "scheduled")
    cid = c.id
    # The page must be right by itself: no tick at all during this request.
    monkeypatch.setattr(services, "tick_job", lambda: None)
    assert client.get(f"/consultations/{cid}").status_code == 404  # not yet public
    clock.move_to(c.opens_at + timedelta(minutes=1))
    response = client.get(f"/consultations/{cid}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="state state-open"' in page
    assert "Preview." not in page
    assert _state(cid) == S.SCHEDULED  # nothing persisted (tick disabled)


def test_tick_persists_and_notifies_followers_once(app, session, department, resident, verified_resident, clock, outbox):
    c = make_consultation(department, "scheduled")
    follow(resident, c)
    follow(verified_resident, c)
    db.session.commit()
    cid, opens, closes = c.id, c.opens_at, c.closes_at

    assert services.tick().opened == []
    clock.move_to(opens + timedelta(seconds=1))
    result = services.tick()
    db.session.commit()
    run_ready_jobs()
    assert result.opened == [cid] and result.closed == []
    assert _state(cid) == S.OPEN
    assert _notified(NotificationKind.CONSULTATION_OPENED) == sorted([resident.id, verified_resident.id])

    # Running it again changes nothing and tells no one twice.
    assert services.tick().opened == []
    db.session.commit()
    run_ready_jobs()
    assert len(_notified(NotificationKind.CONSULTATION_OPENED)) == 2

    clock.move_to(closes + timedelta(seconds=1))
    result = services.tick()
    db.session.commit()
    run_ready_jobs()
    assert result.closed == [cid]
    assert _state(cid) == S.CLOSED
    assert _notified(NotificationKind.CONSULTATION_CLOSED) == sorted([resident.id, verified_resident.id])
    # "open" followers get an email right away (their default), in their language.
    assert any(resident.email == m["to"] for m in outbox)


def test_tick_from_scheduled_straight_to_closed(session, department, clock):
    c = make_consultation(department, "scheduled")
    clock.move_to(c.closes_at + HOUR)
    result = services.tick()
    assert result.closed == [c.id] and result.opened == []
    assert _state(c.id) == S.CLOSED


def test_tick_command(app, session, department, clock):
    c = make_consultation(department, "scheduled")
    clock.move_to(c.opens_at + HOUR)
    result = app.test_cli_runner().invoke(args=["consultations", "tick"])
    assert result.exit_code == 0, result.output
    assert "Opened: 1; closed: 0." in result.output
    assert _state(c.id) == S.OPEN


def test_viewing_a_page_runs_the_tick_opportunistically(client, department, resident, clock):
    c = make_consultation(department, "open")
    follow(resident, c)
    db.session.commit()
    clock.move_to(c.closes_at + HOUR)
    assert client.get(f"/consultations/{c.id}").status_code == 200
    assert _state(c.id) == S.CLOSED
    assert _notified(NotificationKind.CONSULTATION_CLOSED) == [resident.id]
    client.get("/consultations/")
    assert len(_notified(NotificationKind.CONSULTATION_CLOSED)) == 1


def test_schedule_needs_dates_then_opens_by_itself(client, login, department, staff, clock):
    c = make_consultation(department, "draft")
    login(staff)
    response = client.post(f"/consultations/{c.id}/schedule", follow_redirects=True)
    assert "Set the opening and closing times." in response.get_data(as_text=True)
    assert _state(c.id) == S.DRAFT

    response = client.post(
        f"/consultations/{c.id}/dates",
        data={"opens_at": "2026-03-12T09:00", "closes_at": "2026-04-30T18:00"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    c = db.session.get(Consultation, c.id)
    # Entered in the city's zone (Paris: UTC+1 in March, UTC+2 from the end of March).
    assert c.opens_at == datetime(2026, 3, 12, 8, 0, tzinfo=UTC)
    assert c.closes_at == datetime(2026, 4, 30, 16, 0, tzinfo=UTC)
    assert c.timezone == "Europe/Paris"
    assert c.report_due_at == c.closes_at + timedelta(weeks=12)

    assert client.post(f"/consultations/{c.id}/schedule").status_code == 302
    assert _state(c.id) == S.SCHEDULED
    clock.move_to(datetime(2026, 3, 12, 8, 0, 1, tzinfo=UTC))
    login(staff)
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert 'class="state state-open"' in page


def test_a_time_skipped_by_the_clock_change_is_refused(client, login, department, staff):
    c = make_consultation(department, "draft")
    login(staff)
    # On 29 March 2026 Paris clocks jump from 02:00 to 03:00.
    response = client.post(
        f"/consultations/{c.id}/dates", data={"opens_at": "2026-03-29T02:30", "closes_at": "2026-04-30T18:00"}
    )
    assert response.status_code == 400
    assert "does not exist in the city" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Consultation, c.id).opens_at is None


def test_closing_must_follow_opening(client, login, department, staff):
    c = make_consultation(department, "draft")
    login(staff)
    response = client.post(
        f"/consultations/{c.id}/dates", data={"opens_at": "2026-04-30T09:00", "closes_at": "2026-04-01T09:00"}
    )
    assert response.status_code == 400
    assert "The closing time must be after the opening time." in response.get_data(as_text=True)


def test_back_to_draft_and_close_now(client, login, department, staff, resident, clock):
    scheduled = make_consultation(department, "scheduled")
    open_one = make_consultation(department, "open")
    follow(resident, open_one)
    db.session.commit()
    login(staff)
    assert client.post(f"/consultations/{scheduled.id}/unschedule").status_code == 302
    assert _state(scheduled.id) == S.DRAFT
    assert client.post(f"/consultations/{open_one.id}/close").status_code == 302
    assert _state(open_one.id) == S.CLOSED
    c = db.session.get(Consultation, open_one.id)
    assert c.closes_at == NOW
    assert c.report_due_at == NOW + timedelta(weeks=12)
    assert _notified(NotificationKind.CONSULTATION_CLOSED) == [resident.id]
    # Closing twice is refused with a message, not an error page.
    response = client.post(f"/consultations/{open_one.id}/close", follow_redirects=True)
    assert "Only an open consultation can be closed." in response.get_data(as_text=True)


def test_timeline_says_the_current_phase_in_text(client, department):
    c = make_consultation(department, "closed")
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    timeline = page.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
    assert timeline.count('aria-current="step"') == 1
    current = timeline.split('aria-current="step"', 1)[1].split("</li>", 1)[0]
    assert "Closed" in current and "Current phase" in current
    assert "Report promised by" in current


def test_followers_count_is_not_needed_to_count_transitions(session, department):
    """A sanity check that transitions are counted from rows, not guessed."""
    for _ in range(3):
        make_consultation(department, "scheduled", opens_at=NOW - HOUR)
    assert services.tick().opened.__len__() == 3
    assert db.session.execute(select(func.count()).select_from(Consultation).where(Consultation.state == S.OPEN)).scalar_one() == 3
