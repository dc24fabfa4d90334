"""Accessibility barrier reports sent with the account's email address as contact."""

from __future__ import annotations

from sqlalchemy import select, update

from civic.extensions import db
from civic.pages.models import BarrierReport
from civic.privacy.domains import enum_value, iso


def export(user) -> list:
    rows = db.session.execute(
        select(BarrierReport).where(BarrierReport.email == user.email).order_by(BarrierReport.created_at)
    ).scalars()
    return [
        {"sent_at": iso(r.created_at), "page": r.page_address, "description": r.description,
         "status": enum_value(r.status), "resolved_at": iso(r.resolved_at)}
        for r in rows
    ]


def erase(user, remove_contributions: bool) -> None:
    """The reports stay (they describe a page, not the person); the contact address goes."""
    db.session.execute(
        update(BarrierReport)
        .where(BarrierReport.email == user.email)
        .values(email=None)
        .execution_options(synchronize_session=False)
    )
