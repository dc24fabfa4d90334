"""Calendar files and feeds: valid RFC 5545 (parsed back), stable UID, TZID with VTIMEZONE,
SEQUENCE growing with changes, STATUS:CANCELLED, folding and CRLF, private feeds."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from civic.consultations.models import ConsultationState
from civic.extensions import db
from civic.meetings import services
from civic.meetings.models import MeetingType, RegistrationMode
from tests import factories
from tests.meetings.conftest import make_consultation, make_meeting
from tests.meetings.test_registration import _input_from

LINK = "https://video.example.org/room-42"


def _check_format(data: bytes) -> None:
    """CRLF line ends everywhere, no line longer than 75 octets, folding with a space."""
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, line


def _events(data: bytes):
    _check_format(data)
    cal = Calendar.from_ical(data)
    assert str(cal["VERSION"]) == "2.0" and cal.get("PRODID")
    return cal, list(cal.walk("VEVENT"))


def test_meeting_ics_is_valid_and_complete(app, client, department):
    long_title = "Réunion publique sur le réaménagement des berges — " + "très " * 20
    meeting = make_meeting(department, timezone="Asia/Hebron", title=long_title, type=MeetingType.HYBRID,
                           address="Bab al-Zawiya, Hebron")
    response = client.get(f"/meetings/{meeting.id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert "attachment" in response.headers["Content-Disposition"]
    cal, events = _events(response.data)
    assert len(events) == 1
    event = events[0]
    assert str(event["UID"]) == f"meeting-{meeting.id}@127.0.0.1"
    start = event.decoded("DTSTART")
    assert start.tzinfo is not None and str(event["DTSTART"].params["TZID"]) == "Asia/Hebron"
    assert start == meeting.starts_at and event.decoded("DTEND") == meeting.ends_at
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Hebron"]
    assert event.decoded("DTSTAMP") is not None
    assert int(event["SEQUENCE"]) == 0
    assert str(event["SUMMARY"]) == long_title
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "Bab al-Zawiya, Hebron" in str(event["LOCATION"])
    description = str(event["DESCRIPTION"])
    assert f"/meetings/{meeting.id}" in description
    assert LINK not in description and LINK not in response.get_data(as_text=True)


def test_join_link_only_for_registered_people_signed_in(app, client, login, department, resident):
    meeting = make_meeting(department, type=MeetingType.ONLINE)
    login(resident)
    assert LINK not in client.get(f"/meetings/{meeting.id}.ics").get_data(as_text=True)
    services.register(meeting.id, resident, services.AccessNeeds(), actor=resident)
    db.session.commit()
    response = client.get(f"/meetings/{meeting.id}.ics")
    _cal, (event,) = _events(response.data)
    assert LINK in str(event["DESCRIPTION"])
    assert response.headers["Cache-Control"].startswith("private")


def test_sequence_grows_and_cancellation_shows(app, client, department, staff):
    meeting = make_meeting(department, type=MeetingType.ONLINE)
    services.update_meeting(meeting, _input_from(meeting, starts_local=services.utc_to_local(
        meeting.starts_at + timedelta(hours=1), meeting.timezone), ends_local=services.utc_to_local(
        meeting.ends_at + timedelta(hours=1), meeting.timezone)), actor=staff)
    db.session.commit()
    _cal, (event,) = _events(client.get(f"/meetings/{meeting.id}.ics").data)
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == meeting.starts_at
    services.cancel_meeting(meeting, actor=staff)
    db.session.commit()
    _cal, (event,) = _events(client.get(f"/meetings/{meeting.id}.ics").data)
    assert int(event["SEQUENCE"]) == 2
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == f"meeting-{meeting.id}@127.0.0.1"


def test_public_feeds(app, client, department, other_department):
    consultation = make_consultation(department)
    draft = make_consultation(department, ConsultationState.DRAFT, title="Secret draft")
    a = make_meeting(department, consultation=consultation, title="About the consultation", timezone="America/Bogota")
    b = make_meeting(department, title="Department meeting", starts_in=timedelta(days=9), timezone="Asia/Seoul")
    c = make_meeting(other_department, title="Elsewhere", starts_in=timedelta(days=3))
    make_meeting(department, title="Long ago", starts_in=timedelta(days=-400))

    def uids(path):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "inline" in response.headers["Content-Disposition"]
        _cal, events = _events(response.data)
        return [str(e["UID"]).split("@")[0] for e in events]

    assert uids("/meetings/feeds/all.ics") == [f"meeting-{m.id}" for m in (c, a, b)]
    assert uids(f"/meetings/feeds/departments/{department.slug}.ics") == [f"meeting-{m.id}" for m in (a, b)]
    assert uids(f"/meetings/feeds/consultations/{consultation.id}.ics") == [f"meeting-{a.id}"]
    cal = Calendar.from_ical(client.get("/meetings/feeds/all.ics").data)
    assert {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")} == {"America/Bogota", "Asia/Seoul", "Europe/Madrid"}
    # A draft consultation's feed is not public.
    assert client.get(f"/meetings/feeds/consultations/{draft.id}.ics").status_code == 302
    assert client.get("/meetings/feeds/departments/nope.ics").status_code == 404


def test_private_feed_token_regenerate_and_revoke(app, client, login, department, resident):
    mine = make_meeting(department, type=MeetingType.ONLINE, title="Mine", registration=RegistrationMode.OPEN)
    make_meeting(department, type=MeetingType.ONLINE, title="Not mine")
    services.register(mine.id, resident, services.AccessNeeds(), actor=resident)
    db.session.commit()
    login(resident)
    assert client.post("/meetings/mine/feed").status_code == 302
    page = client.get("/meetings/mine").get_data(as_text=True)
    feed = services.feed_for(resident)
    token = services.feed_token(feed)
    assert token in page
    anonymous = app.test_client()
    response = anonymous.get(f"/meetings/feeds/private/{token}.ics")
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    _cal, events = _events(response.data)
    assert [str(e["SUMMARY"]) for e in events] == ["Mine"]
    assert LINK in str(events[0]["DESCRIPTION"])
    # Tampered tokens and unknown ids are refused.
    assert anonymous.get(f"/meetings/feeds/private/{token[:-1]}x.ics").status_code == 404
    assert anonymous.get(f"/meetings/feeds/private/{feed.feed_id}.{'0' * 32}.ics").status_code == 404
    # A new address replaces the old one.
    client.post("/meetings/mine/feed")
    db.session.expire_all()
    new_token = services.feed_token(services.feed_for(resident))
    assert new_token != token
    assert anonymous.get(f"/meetings/feeds/private/{token}.ics").status_code == 404
    assert anonymous.get(f"/meetings/feeds/private/{new_token}.ics").status_code == 200
    # Turned off: no address works.
    client.post("/meetings/mine/feed/revoke")
    assert anonymous.get(f"/meetings/feeds/private/{new_token}.ics").status_code == 404
    assert services.feed_for(resident) is None


def test_times_in_the_file_keep_the_organizer_zone(app, client, department):
    meeting = make_meeting(department, timezone="America/Bogota")
    _cal, (event,) = _events(client.get(f"/meetings/{meeting.id}.ics").data)
    local = meeting.starts_at.astimezone(ZoneInfo("America/Bogota"))
    assert f"DTSTART;TZID=America/Bogota:{local:%Y%m%dT%H%M%S}" in client.get(
        f"/meetings/{meeting.id}.ics").get_data(as_text=True)
    assert event.decoded("DTSTART").utcoffset() == timedelta(hours=-5)


def test_feed_for_another_person_needs_their_token(app, client, login, department):
    a, b = factories.UserFactory(), factories.UserFactory()
    services.regenerate_feed(a, actor=a)
    db.session.commit()
    login(b)
    # b's own page never shows a's address.
    assert services.feed_token(services.feed_for(a)) not in client.get("/meetings/mine").get_data(as_text=True)
