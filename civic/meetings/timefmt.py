"""Meeting times in the reader's zone and language, with the organizer's zone alongside.

Work inside a request (the viewer's zone) and inside ``as_seen_by`` when emailing (the
recipient's zone): both set Flask-Babel's time zone, which ``zone=None`` uses.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_location
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _


def _zone(zone: str | None):
    return ZoneInfo(zone) if zone else get_timezone()


def viewer_zone_name() -> str:
    tz = get_timezone()
    return getattr(tz, "zone", None) or getattr(tz, "key", None) or str(tz)


def zone_label(zone: str | None = None) -> str:
    """The zone's name in the reader's language ("Colombia Time", "heure : Espagne (Madrid)")."""
    try:
        return get_timezone_location(_zone(zone), locale=get_locale())
    except (LookupError, ValueError):  # pragma: no cover - unusual zones
        return zone or viewer_zone_name()


def when(value: datetime, zone: str | None = None, width: str = "full") -> str:
    """One moment: "Tuesday 24 November 2026, 18:00" in ``zone`` (default: the reader's)."""
    tz = _zone(zone)
    local = value.astimezone(tz)
    locale = get_locale()
    return _(
        "%(date)s, %(time)s",
        date=format_date(local.date(), width, locale=locale),
        time=format_time(local, "short", tzinfo=tz, locale=locale),
    )


def when_range(start: datetime, end: datetime, zone: str | None = None, width: str = "full") -> str:
    """"Tuesday 24 November 2026, 18:00 to 19:30" (both dates when it spans midnight)."""
    tz = _zone(zone)
    s, e = start.astimezone(tz), end.astimezone(tz)
    locale = get_locale()
    if s.date() == e.date():
        return _(
            "%(date)s, %(start)s to %(end)s",
            date=format_date(s.date(), width, locale=locale),
            start=format_time(s, "short", tzinfo=tz, locale=locale),
            end=format_time(e, "short", tzinfo=tz, locale=locale),
        )
    return _("%(start)s to %(end)s", start=when(start, zone, width), end=when(end, zone, width))


def when_with_zone(value: datetime, zone: str | None = None) -> str:
    return _("%(time)s (%(zone)s)", time=when(value, zone), zone=zone_label(zone))


def month_key(value: datetime) -> tuple[int, int]:
    local = value.astimezone(get_timezone())
    return local.year, local.month


def month_label(value: datetime) -> str:
    local = value.astimezone(get_timezone())
    return format_date(local.date(), "LLLL y", locale=get_locale())


def init_app(app) -> None:
    from civic.core.i18n import language_name

    env = app.jinja_env
    env.globals["meetings_language_name"] = language_name
    env.globals["meeting_when"] = when
    env.globals["meeting_when_range"] = when_range
    env.globals["zone_label"] = zone_label
    env.globals["viewer_zone_name"] = viewer_zone_name
