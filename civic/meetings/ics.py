"""iCalendar (RFC 5545) files and feeds for meetings, written with the ``icalendar`` package.

* UID ``meeting-<id>@<host>`` never changes, so calendars update the event in place;
* DTSTART/DTEND carry the organizer's zone (TZID) with a matching VTIMEZONE;
* DTSTAMP and LAST-MODIFIED are the last change, SEQUENCE grows with each change;
* STATUS is CANCELLED for cancelled meetings (calendars then strike the event out);
* the description holds the meeting page's address, and the join link only for people
  entitled to it (see ``join_links``); the library folds lines at 75 octets with CRLF.
"""

from __future__ import annotations

from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Event

from civic.core.templating import current_locale_code
from civic.meetings.models import Meeting

PRODID = "-//Civic//Meetings//EN"


def site_host() -> str:
    return urlsplit(current_app.config["SERVER_BASE_URL"]).hostname or "civic.localhost"


def external_url(endpoint: str, **values) -> str:
    """An absolute URL built from ``SERVER_BASE_URL`` (stable, works outside requests)."""
    base = urlsplit(current_app.config["SERVER_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def meeting_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.id}@{site_host()}"


def _event(meeting: Meeting, locale: str, join_link: str | None) -> Event:
    title = meeting.title_for(locale)
    text = meeting.text_for(locale)
    tz = ZoneInfo(meeting.timezone)
    page = external_url("meetings.show", meeting_id=meeting.id)
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("dtstamp", meeting.updated_at)
    event.add("last-modified", meeting.updated_at)
    event.add("created", meeting.created_at)
    event.add("sequence", meeting.sequence or 0)
    event.add("dtstart", meeting.starts_at.astimezone(tz))
    event.add("dtend", meeting.ends_at.astimezone(tz))
    event.add("summary", title.text)
    event.add("url", page)
    lines = []
    if text is not None and text.description:
        lines.append(text.description)
    lines.append(_("Meeting page: %(url)s", url=page))
    if join_link:
        lines.append(_("Join online: %(url)s", url=join_link))
    elif meeting.type.has_link:
        lines.append(_("The link to join online is on the meeting page for registered people."))
    event.add("description", "\n\n".join(lines))
    location = []
    if meeting.type.has_place and meeting.address:
        location.append(" ".join(meeting.address.split()))
    if meeting.type.has_link:
        location.append(join_link or _("Online"))
    if location:
        event.add("location", " / ".join(location))
    event.add("status", "CANCELLED" if meeting.is_cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("categories", [meeting.type.label])
    return event


def build_calendar(
    meetings: list[Meeting],
    *,
    name: str,
    join_links: dict[int, str] | None = None,
    locale: str | None = None,
) -> bytes:
    """The .ics bytes for ``meetings``; ``join_links`` maps meeting id → link to include."""
    locale = locale or current_locale_code()
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("name", name)
    for meeting in meetings:
        cal.add_component(_event(meeting, locale, (join_links or {}).get(meeting.id)))
    cal.add_missing_timezones()
    return cal.to_ical()
