"""The privacy page, downloading one's data, deleting one's account."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from civic.core.errors import Conflict, InvalidInput
from civic.core.permissions import allow, allow_anyone, is_signed_in
from civic.core.sessions import end_session
from civic.extensions import db, limiter
from civic.privacy import retention, services
from civic.privacy.forms import REMOVE, DeleteAccountForm, ExportForm

bp = Blueprint("privacy", __name__, template_folder="templates")


@bp.get("/privacy")
@allow_anyone
def policy():
    return render_template(
        "privacy/policy.html",
        entries=retention.RETENTION,
        rule_text=retention.rule_text,
        parts=services.contributors_summary(),
    )


@bp.get("/account/data")
@allow(is_signed_in)
def my_data():
    return render_template(
        "privacy/my_data.html", parts=services.contributors_summary(), form=ExportForm()
    )


@bp.post("/account/data/download")
@allow(is_signed_in)
@limiter.limit(lambda: current_app.config["RATE_LIMIT_EXPORT"])
def download():
    if not ExportForm().validate_on_submit():
        return redirect(url_for(".my_data"))
    data = services.export_archive(current_user, actor=current_user)
    return Response(
        data,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{services.archive_name(current_user)}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/account/delete", methods=["GET", "POST"])
@allow(is_signed_in)
@limiter.limit(lambda: current_app.config["RATE_LIMIT_LOGIN"], methods=["POST"])
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.delete_account(
                user,
                password=form.current_password.data,
                code=form.code.data,
                remove_contributions=form.contributions.data == REMOVE,
                actor=user,
            )
        except InvalidInput as error:
            db.session.rollback()
            field = getattr(form, error.field, None) if error.field else None
            if field is not None:
                field.errors = [*field.errors, str(error.message)]
            else:
                form.form_errors.append(str(error.message))
        except Conflict as error:
            db.session.rollback()
            form.form_errors.append(str(error.message))
        else:
            end_session(user)
            db.session.commit()
            flash(_("Your account has been deleted. We have sent a last email to confirm it."), "success")
            return redirect(url_for("core.home"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "privacy/delete_account.html", form=form, needs_code=current_user.has_two_factor
    ), status
