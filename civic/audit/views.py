"""The audit log for administrators: read (paginated, filtered) and export as CSV."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import Optional

from civic.audit import services
from civic.audit.models import AuditAction
from civic.core.pagination import page_number, paginate
from civic.core.permissions import allow, is_admin
from civic.core.time import utcnow
from civic.extensions import db, limiter

bp = Blueprint("audit", __name__, template_folder="templates", url_prefix="/admin/audit")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    actor = SelectField(_l("Done by"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [("", _l("Any action"))] + sorted(
            AuditAction.choices(), key=lambda c: str(c[1]).casefold()
        )
        self.actor.choices = [("", _l("Anyone"))] + [(str(i), label) for i, label in services.actors()]


class ExportForm(FlaskForm):
    """The CSRF token; the filters travel as hidden fields."""


def _filters(form: AuditFilterForm) -> tuple[AuditAction | None, int | None]:
    if not form.validate():
        return None, None
    action = AuditAction(form.action.data) if form.action.data else None
    actor = int(form.actor.data) if (form.actor.data or "").isdigit() else None
    return action, actor


@bp.get("/")
@allow(is_admin)
def index():
    form = AuditFilterForm(formdata=request.args)
    action, actor = _filters(form)
    page = paginate(services.entries_query(action, actor), page_number(), current_app.config["PAGE_SIZE"])
    return render_template(
        "audit/index.html",
        form=form,
        page=page,
        filtered=bool(action or actor),
        export_form=ExportForm(),
        action=action.value if action else "",
        actor=str(actor) if actor else "",
    )


@bp.post("/export")
@allow(is_admin)
@limiter.limit(lambda: current_app.config["RATE_LIMIT_EXPORT"])
def export():
    if not ExportForm().validate_on_submit():
        return redirect(url_for(".index"))
    form = AuditFilterForm(formdata=request.form)
    action, actor = _filters(form)
    body = "".join(services.export_csv(current_user, services.entries_query(action, actor)))
    db.session.commit()  # the export itself is in the log
    name = f"audit-log-{utcnow():%Y%m%d-%H%M}.csv"
    return Response(
        "\ufeff" + body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
