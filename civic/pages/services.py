"""Barrier reports: store what the person told us and tell the administrators."""

from __future__ import annotations

from flask_babel import force_locale, gettext
from sqlalchemy import select

from civic.core.errors import Conflict, PermissionDenied
from civic.core.time import utcnow
from civic.extensions import db
from civic.pages.models import BarrierReport, BarrierReportStatus
from civic.pages.permissions import can_manage_barrier_reports, can_report_barrier


def report_barrier(
    *, page_address: str, description: str, email: str | None, locale: str, reports_url: str, actor
) -> BarrierReport:
    """Record a report and notify every active administrator (after the commit).

    Nothing about the sender is kept but what they typed: no IP address, no browser, no
    account, even when they are signed in.
    """
    if not can_report_barrier(actor):
        raise PermissionDenied(gettext("You may not send reports."))
    report = BarrierReport(
        page_address=page_address.strip()[:500],
        description=description.strip(),
        email=(email or "").strip() or None,
        locale=locale,
        status=BarrierReportStatus.OPEN,
    )
    db.session.add(report)
    db.session.flush()
    _notify_administrators(report, reports_url)
    return report


def _notify_administrators(report: BarrierReport, reports_url: str) -> None:
    from civic.accounts.models import AccountStatus, Role, User
    from civic.core.mail import send_mail

    admins = db.session.execute(
        select(User).where(User.role == Role.ADMIN, User.status == AccountStatus.ACTIVE)
    ).scalars()
    for admin in admins:
        with force_locale(admin.locale or "en"):
            subject = gettext("Accessibility problem reported on %(page)s", page=report.page_address[:80])
            text = gettext(
                "Someone reported an accessibility problem.\n\n"
                "Page: %(page)s\n\n%(description)s\n\n"
                "Answer to: %(email)s\n\nAll reports: %(url)s\n",
                page=report.page_address,
                description=report.description,
                email=report.email or gettext("(no email address given)"),
                url=reports_url,
            )
        send_mail(admin.email, subject, text)


def resolve_barrier_report(report: BarrierReport, *, actor) -> BarrierReport:
    if not can_manage_barrier_reports(actor):
        raise PermissionDenied(gettext("Only administrators handle accessibility reports."))
    if report.status == BarrierReportStatus.RESOLVED:
        raise Conflict(gettext("This report is already resolved."))
    report.status = BarrierReportStatus.RESOLVED
    report.resolved_at = utcnow()
    report.resolved_by_id = actor.id
    db.session.flush()
    return report
