"""Reports of accessibility barriers sent from the accessibility statement."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civic.core.enums import LabelledEnum, enum_column
from civic.core.time import utcnow
from civic.extensions import db


class BarrierReportStatus(LabelledEnum):
    OPEN = "open"
    RESOLVED = "resolved"

    @classmethod
    def _labels(cls):
        return {"open": _l("Open"), "resolved": _l("Resolved")}


class BarrierReport(db.Model):
    """Someone could not use a page. No IP address, user agent or account is stored:
    only what the person chose to tell us."""

    __tablename__ = "barrier_report"
    __table_args__ = (Index("ix_barrier_report_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    page_address: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text)
    #: Only when the person wants an answer.
    email: Mapped[str | None] = mapped_column(String(320))
    #: The language the person wrote in, to answer in it.
    locale: Mapped[str] = mapped_column(String(10))
    status: Mapped[BarrierReportStatus] = mapped_column(
        enum_column(BarrierReportStatus), default=BarrierReportStatus.OPEN
    )
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )

    def __repr__(self) -> str:
        return f"<BarrierReport {self.id} {self.status}>"
