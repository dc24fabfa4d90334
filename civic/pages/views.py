"""The accessibility statement, its barrier report form, and the administrators' list."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from civic.core.errors import Conflict
from civic.core.pagination import page_number, paginate
from civic.core.permissions import allow, allow_anyone
from civic.core.templating import current_locale_code
from civic.extensions import db, limiter
from civic.pages import services
from civic.pages.contract import CONTRACT, automatic_checks
from civic.pages.forms import BarrierReportForm
from civic.pages.models import BarrierReport, BarrierReportStatus
from civic.pages.permissions import can_manage_barrier_reports

bp = Blueprint("pages", __name__, template_folder="templates")


def _report_rate_limit() -> str:
    return current_app.config.get("RATE_LIMIT_BARRIER_REPORT", "5 per hour;20 per day")


def _referring_page() -> str:
    """The page the person came from (same site only), to fill in the address for them."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if not referrer or parts.netloc != request.host:
        return ""
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return "" if parts.path == url_for("pages.accessibility") else path


@bp.route("/accessibility", methods=["GET", "POST"])
@allow_anyone
@limiter.limit(_report_rate_limit, methods=["POST"])
def accessibility():
    form = BarrierReportForm()
    if request.method == "GET" and not form.page_address.data:
        form.page_address.data = _referring_page()
    if form.validate_on_submit():
        services.report_barrier(
            page_address=form.page_address.data,
            description=form.description.data,
            email=form.email.data,
            locale=current_locale_code(),
            reports_url=current_app.config["SERVER_BASE_URL"].rstrip("/")
            + url_for("pages.barrier_reports"),
            actor=current_user,
        )
        db.session.commit()
        return redirect(url_for("pages.barrier_report_sent"))
    return render_template(
        "pages/accessibility.html",
        contract=CONTRACT,
        checks=automatic_checks(CONTRACT),
        form=form,
    )


@bp.get("/accessibility/report-sent")
@allow_anyone
def barrier_report_sent():
    return render_template("pages/report_sent.html")


@bp.get("/accessibility/reports")
@allow(can_manage_barrier_reports)
def barrier_reports():
    try:
        status = BarrierReportStatus(request.args.get("status", BarrierReportStatus.OPEN.value))
    except ValueError:
        abort(404)
    stmt = (
        select(BarrierReport)
        .where(BarrierReport.status == status)
        .order_by(BarrierReport.created_at.desc(), BarrierReport.id.desc())
    )
    page = paginate(stmt, page_number(), current_app.config["PAGE_SIZE"])
    return render_template(
        "pages/barrier_reports.html", page=page, status=status, statuses=list(BarrierReportStatus)
    )


@bp.post("/accessibility/reports/<int:report_id>/resolve")
@allow(can_manage_barrier_reports)
def resolve_barrier_report(report_id: int):
    report = db.session.get(BarrierReport, report_id)
    if report is None:
        abort(404)
    try:
        services.resolve_barrier_report(report, actor=current_user)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("pages.barrier_reports"))
    db.session.commit()
    flash(_("Report marked as resolved."), "success")
    return redirect(url_for("pages.barrier_reports"))
