"""Site-wide pages: home, language switch, health check."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from civic.core.forms import LanguageForm
from civic.core.i18n import SESSION_LOCALE_KEY
from civic.core.permissions import allow_anyone, is_signed_in
from civic.core.urls import safe_next
from civic.extensions import db

bp = Blueprint("core", __name__, template_folder="templates")


@bp.get("/")
@allow_anyone
def home():
    return render_template("core/home.html")


@bp.post("/language")
@allow_anyone
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        code = form.language.data
        session[SESSION_LOCALE_KEY] = code
        if is_signed_in(current_user):
            from civic.accounts.services import set_locale

            set_locale(current_user, code, actor=current_user)
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("core.home"))


@bp.get("/healthz")
@allow_anyone
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok", "version": current_app.config.get("VERSION", "0.1.0")}
