"""Where an item lives: its consultation and department (the queue's filters and the
department staff's scope), and its author."""

from __future__ import annotations

from sqlalchemy import select

from civic.extensions import db


def _consultation_department(consultation_id: int | None) -> int | None:
    if consultation_id is None:
        return None
    from civic.consultations.models import Consultation

    found = db.session.identity_map.get(db.session.identity_key(Consultation, consultation_id))
    if found is not None:
        return found.department_id
    return db.session.execute(
        select(Consultation.department_id).where(Consultation.id == consultation_id)
    ).scalar_one_or_none()


def _proposal_consultation(proposal_id: int) -> int | None:
    from civic.proposals.models import Proposal

    found = db.session.identity_map.get(db.session.identity_key(Proposal, proposal_id))
    if found is not None:
        return found.consultation_id
    return db.session.execute(
        select(Proposal.consultation_id).where(Proposal.id == proposal_id)
    ).scalar_one_or_none()


def _meeting_scope(meeting_id: int) -> tuple[int | None, int | None]:
    from civic.meetings.models import Meeting

    found = db.session.identity_map.get(db.session.identity_key(Meeting, meeting_id))
    if found is not None:
        return found.consultation_id, found.department_id
    row = db.session.execute(
        select(Meeting.consultation_id, Meeting.department_id).where(Meeting.id == meeting_id)
    ).one_or_none()
    return (row[0], row[1]) if row else (None, None)


def scope_of(kind: str, item) -> tuple[int | None, int | None]:
    """``(consultation_id, department_id)`` of an item; ``(None, None)`` for profiles."""
    if kind == "comment":
        if item.consultation_id is not None:
            return item.consultation_id, _consultation_department(item.consultation_id)
        if item.proposal_id is not None:
            consultation_id = _proposal_consultation(item.proposal_id)
            return consultation_id, _consultation_department(consultation_id)
        if item.meeting_id is not None:
            return _meeting_scope(item.meeting_id)
        return None, None
    if kind == "proposal":
        return item.consultation_id, _consultation_department(item.consultation_id)
    if kind == "meeting":
        return item.consultation_id, item.department_id
    return None, None
