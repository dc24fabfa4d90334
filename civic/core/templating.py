"""Template globals and filters: dates in the viewer's zone, languages, pagination links."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, format_timedelta, get_locale
from markupsafe import Markup

from civic.core import sanitize
from civic.core.i18n import language_choices, text_direction
from civic.core.time import utcnow


def current_locale_code() -> str:
    loc = get_locale()
    return str(loc) if loc else "en"


def html_lang(code: str | None) -> str:
    return (code or "en").replace("_", "-")


def datetime_filter(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, fmt)


def date_filter(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_date(value, fmt)


def timeago_filter(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_timedelta(value - utcnow(), add_direction=True)


def iso_filter(value: datetime | None) -> str:
    """Machine-readable time for ``<time datetime>`` (HTML allows at most milliseconds)."""
    return value.isoformat(timespec="seconds") if value else ""


def url_with(**changes) -> str:
    """The current URL with some query arguments replaced (``None`` removes one)."""
    args = request.args.to_dict(flat=True)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_app(app: Flask) -> None:
    env = app.jinja_env
    env.filters["datetime"] = datetime_filter
    env.filters["date"] = date_filter
    env.filters["timeago"] = timeago_filter
    env.filters["iso"] = iso_filter
    env.filters["number"] = format_decimal
    env.filters["markdown"] = sanitize.markdown_text
    env.filters["rich"] = sanitize.rich_text
    env.filters["plain"] = sanitize.plain_text
    env.filters["html_lang"] = html_lang
    env.filters["dir"] = text_direction
    env.globals["url_with"] = url_with
    env.globals["language_choices"] = language_choices
    env.globals["text_direction"] = text_direction
    env.globals["current_locale"] = current_locale_code
    env.trim_blocks = True
    env.lstrip_blocks = True

    @app.context_processor
    def _site():
        return {"site_name": app.config["SITE_NAME"]}

    env.globals["Markup"] = Markup
    init_nav(app)
    env.globals["unread_notifications"] = _unread_notifications


# ---- navigation registry: each domain plugs its links into the header and footer ---------


class NavItem:
    def __init__(self, endpoint: str, label, order: int = 50, check=None):
        self.endpoint = endpoint
        self.label = label
        self.order = order
        self.check = check


def add_nav_item(app: Flask, area: str, endpoint: str, label, order: int = 50, check=None) -> None:
    """Register a link in ``area`` ("main" or "footer"), shown when ``check(user)`` passes."""
    app.extensions.setdefault("civic_nav", {}).setdefault(area, []).append(
        NavItem(endpoint, label, order, check)
    )


def _nav_items(area: str):
    from flask import current_app
    from flask_login import current_user

    items = sorted(current_app.extensions.get("civic_nav", {}).get(area, []), key=lambda i: i.order)
    out = []
    for item in items:
        if item.check is not None and not item.check(current_user):
            continue
        out.append(
            {
                "url": url_for(item.endpoint),
                "label": item.label,
                "current": request.endpoint == item.endpoint,
            }
        )
    return out


def form_errors(form) -> list[tuple[str | None, str]]:
    """(field id, message) pairs for the error summary, in field order."""
    errors: list[tuple[str | None, str]] = []
    for field in form:
        for message in field.errors if isinstance(field.errors, list | tuple) else []:
            errors.append((field.id, str(message)))
    for message in getattr(form, "form_errors", []) or []:
        errors.append((None, str(message)))
    return errors


def init_nav(app: Flask) -> None:
    app.jinja_env.globals["main_nav_items"] = lambda: _nav_items("main")
    app.jinja_env.globals["footer_nav_items"] = lambda: _nav_items("footer")
    app.jinja_env.globals["form_errors"] = form_errors


def _unread_notifications() -> int:
    """Unread count for the header; the notifications package provides the real function."""
    from flask import current_app

    fn = current_app.extensions.get("civic_unread_count")
    return fn() if fn else 0
