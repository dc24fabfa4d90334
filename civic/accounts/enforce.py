"""Administrators and moderators must use two-step verification before using their powers.

Until they set it up, every request of such an account outside its own account pages and
public reading is sent to the setup page (a redirect, with an explanation).
"""

from __future__ import annotations

from flask import Flask, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from civic.core.permissions import PERMISSION_ATTR

#: Blueprints always reachable: one's own account, site pages, privacy and notifications.
OPEN_BLUEPRINTS = frozenset({"accounts", "core", "pages", "privacy", "notifications"})


def must_set_up_first() -> bool:
    """True when this request must wait until two-step verification is set up."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static" or request.blueprint in OPEN_BLUEPRINTS:
        return False
    user = current_user
    if not getattr(user, "is_authenticated", False):
        return False
    if not user.needs_two_factor or user.has_two_factor:
        return False
    view = current_app.view_functions.get(endpoint)
    public = getattr(view, PERMISSION_ATTR, None) == "anyone"
    return not (public and request.method in ("GET", "HEAD"))


def init_app(app: Flask) -> None:
    @app.before_request
    def _two_factor_required():
        if must_set_up_first():
            flash(
                _("Administrators and moderators must set up two-step verification before "
                  "using these pages. It takes two minutes with an authenticator app."),
                "info",
            )
            return redirect(url_for("accounts.two_factor_setup"))
        return None
