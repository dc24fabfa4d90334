"""Public meetings: online, hybrid and in person, with registration, access needs, reminders,
scheduling polls, calendar feeds and minutes."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Navigation, template helpers, the consultation page section, notification kinds."""
    from flask_babel import lazy_gettext as _l

    from civic.core.templating import add_nav_item
    from civic.meetings import notifications, timefmt  # noqa: F401  (kinds and target)
    from civic.meetings.sections import register_section

    timefmt.init_app(app)
    add_nav_item(app, "main", "meetings.calendar", _l("Meetings"), order=30)
    register_section(app)
