"""Time: store UTC plus an IANA zone; show in the viewer's zone and locale with Babel."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app, g, has_request_context


def utcnow() -> datetime:
    return datetime.now(UTC)


_ZONES: tuple[str, ...] | None = None


def all_timezones() -> tuple[str, ...]:
    """Sorted IANA zone names offered to people choosing their time zone."""
    global _ZONES
    if _ZONES is None:
        _ZONES = tuple(
            sorted(
                z
                for z in available_timezones()
                if "/" in z and not z.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
            )
            + ["UTC"]
        )
    return _ZONES


def is_valid_timezone(name: str | None) -> bool:
    return bool(name) and name in set(all_timezones())


def site_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def viewer_timezone() -> str:
    """The time zone pages are shown in: the person's own, else the city's."""
    if has_request_context():
        zone = getattr(g, "viewer_timezone", None)
        if zone:
            return zone
    return site_timezone()


def to_zone(value: datetime, zone: str) -> datetime:
    return value.astimezone(ZoneInfo(zone))
