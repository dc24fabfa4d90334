"""The demo city has meetings of every kind, in several zones, with registrations and a poll."""

from sqlalchemy import func, select

from civic.meetings.models import (
    Meeting,
    MeetingState,
    MeetingType,
    PollState,
    Registration,
    RegistrationState,
    SchedulingPoll,
)


def test_demo_meetings(app, session, client):
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    meetings = session.execute(select(Meeting)).unique().scalars().all()
    states = {m.current_state for m in meetings}
    assert {MeetingState.PAST, MeetingState.LIVE, MeetingState.SCHEDULED, MeetingState.CANCELLED} <= states
    assert {m.type for m in meetings} == set(MeetingType)
    assert {"Europe/Madrid", "Asia/Hebron", "Asia/Seoul", "America/Bogota"} <= {m.timezone for m in meetings}
    waiting = session.execute(
        select(func.count()).where(Registration.state == RegistrationState.WAITING)
    ).scalar_one()
    assert waiting >= 1
    # Stored counters agree with the rows.
    for m in meetings:
        registered = session.execute(select(func.count()).where(
            Registration.meeting_id == m.id, Registration.state == RegistrationState.REGISTERED)).scalar_one()
        assert registered == m.registered_count
        assert m.registered_count <= (m.capacity or m.registered_count)
    assert session.execute(select(SchedulingPoll).where(SchedulingPoll.state == PollState.OPEN)).first()
    assert any(m.minutes_published_at for m in meetings)
    for m in meetings:
        assert client.get(f"/meetings/{m.id}").status_code == 200
    assert client.get("/meetings/").status_code == 200
