"""Translated, accessible error pages."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

ERRORS = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to see this page.")),
    404: (_l("Page not found"), _l("We could not find this page. It may have moved or been removed.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("File too large"), _l("What you sent is larger than this site accepts. Please send a smaller file.")),
    429: (_l("Too many attempts"), _l("You have tried this too many times in a short while. Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error happened on our side. It has been recorded; please try again later.")),
}


def render_error(code: int, detail: str | None = None):
    title, message = ERRORS.get(code, ERRORS[500])
    try:
        body = render_template("errors/error.html", code=code, title=title, message=message, detail=detail)
    except Exception:  # noqa: BLE001 - the error page must never fail itself
        body = f"<!doctype html><title>{code}</title><h1>{code}</h1>"
    return body, code


def init_app(app: Flask) -> None:
    for code in ERRORS:
        if code == 500:
            continue
        app.register_error_handler(code, lambda e, c=code: render_error(c))

    @app.errorhandler(CSRFError)
    def _csrf(e):
        from flask_babel import gettext as _

        return render_error(
            400, _("The form expired or was sent from elsewhere. Please go back, reload the page and send it again.")
        )

    @app.errorhandler(500)
    def _server_error(e):
        from civic.extensions import db

        db.session.rollback()
        # The route pattern, not the path: paths can carry emailed-link tokens.
        rule = request.url_rule.rule if request.url_rule is not None else "(no route)"
        app.logger.error("server error on %s %s", request.method, rule)
        return render_error(500)
