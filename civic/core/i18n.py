"""Languages and locale selection.

Order: the signed-in person's saved preference, then an explicit choice made with the
language switcher (kept in the session), then ``Accept-Language``, then the site default.
"""

from __future__ import annotations

from babel import Locale
from flask import current_app, g, has_request_context, request, session
from flask_login import current_user

RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "ps", "ckb", "yi", "dv"})

SESSION_LOCALE_KEY = "locale"


def supported_locales() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def text_direction(locale_code: str | None) -> str:
    if not locale_code:
        return "ltr"
    return "rtl" if locale_code.split("_")[0].split("-")[0] in RTL_LANGUAGES else "ltr"


def language_name(code: str) -> str:
    """The language's name written in that language ("Français", "العربية")."""
    try:
        loc = Locale.parse(code)
        name = loc.get_display_name(loc) or code
        return name[:1].upper() + name[1:]
    except (ValueError, TypeError):
        return code


def language_choices() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in supported_locales()]


def select_locale() -> str:
    """Flask-Babel locale selector."""
    supported = supported_locales()
    if not has_request_context():  # CLI, jobs: callers use force_locale for a person
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if getattr(current_user, "is_authenticated", False):
        pref = getattr(current_user, "locale", None)
        if pref in supported:
            return pref
    chosen = session.get(SESSION_LOCALE_KEY)
    if chosen in supported:
        return chosen
    best = request.accept_languages.best_match(supported) if request else None
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Flask-Babel time zone selector: the person's zone, else the city's."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_TIMEZONE"]
    zone = None
    if getattr(current_user, "is_authenticated", False):
        zone = getattr(current_user, "timezone", None)
    zone = zone or current_app.config["BABEL_DEFAULT_TIMEZONE"]
    g.viewer_timezone = zone
    return zone
