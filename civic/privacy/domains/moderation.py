"""Reports made to the moderators and appeals against their decisions.

Reports and appeals are moderation records: when the account goes they stay, unsigned
(``reporter_id``/``appellant_id`` become NULL), so a case's ``report_count`` still equals its
reports and decisions keep their history. Reports *about* the account go with it.
"""

from __future__ import annotations

from sqlalchemy import select

from civic.extensions import db
from civic.moderation.models import ITEM_COLUMNS, ModerationAppeal, ModerationReport
from civic.privacy.domains import enum_value, iso


def export(user) -> dict:
    reports = db.session.execute(
        select(ModerationReport).where(ModerationReport.reporter_id == user.id).order_by(ModerationReport.created_at)
    ).scalars()
    appeals = db.session.execute(
        select(ModerationAppeal).where(ModerationAppeal.appellant_id == user.id).order_by(ModerationAppeal.created_at)
    ).scalars()
    return {
        "reports": [
            {
                "about": {c: getattr(r, c) for c in ITEM_COLUMNS if getattr(r, c, None) is not None},
                "reason": enum_value(r.reason),
                "details": r.details,
                "sent_at": iso(r.created_at),
            }
            for r in reports
        ],
        "appeals": [
            {"case_id": a.case_id, "text": a.text, "state": enum_value(a.state), "sent_at": iso(a.created_at),
             "decided_at": iso(a.decided_at)}
            for a in appeals
        ],
    }


def erase(user, remove_contributions: bool) -> None:
    """Nothing to do before the account row goes: ON DELETE SET NULL unsigns reports and
    appeals; cases and reports about the account are deleted with it (ON DELETE CASCADE)."""
