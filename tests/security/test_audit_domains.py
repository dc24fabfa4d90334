"""Staff actions in consultations, proposals and meetings reach the audit log."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from civic.audit.models import AuditAction, AuditLogEntry
from civic.consultations import services as consultation_services
from civic.core.time import utcnow
from civic.extensions import db
from civic.meetings import services as meeting_services
from civic.meetings.models import MeetingType, RegistrationMode
from civic.proposals import services as proposal_services
from civic.proposals.models import ProposalState
from tests.security.world import build


def _entry(action: AuditAction) -> AuditLogEntry:
    return db.session.execute(select(AuditLogEntry).where(AuditLogEntry.action == action)).scalar_one()


def test_official_answer_close_and_export_are_logged(app, client, login, resident, staff, department):
    with app.test_request_context():
        w = build(resident, department)
        proposal = proposal_services.get_proposal(w.other_proposal.id)
        proposal_services.answer(staff, proposal, ProposalState.ACCEPTED, {"en": "We will plant them."})
        db.session.commit()
        answered = _entry(AuditAction.PROPOSAL_ANSWERED)
        assert (answered.actor_id, answered.object_type, answered.object_id) == (staff.id, "proposal", proposal.id)
        assert answered.object_label == "More trees on the avenue"
        assert answered.details["old"] == "published" and answered.details["new"] == "accepted"

        consultation = consultation_services.get_consultation(w.consultation.id, full=True)
        consultation_services.close_now(staff, consultation)
        db.session.commit()
        closed = _entry(AuditAction.CONSULTATION_CLOSED)
        assert closed.object_label == "Greener streets" and closed.actor_label == "Jung-woo Park"

    login(staff)
    assert client.get(f"/consultations/{w.consultation.id}/export.csv").status_code == 200
    exported = _entry(AuditAction.RESULTS_EXPORTED)
    assert exported.actor_id == staff.id and exported.details == {"format": "csv"}


def test_meeting_creation_change_and_cancellation_are_logged(app, staff, department):
    start = (utcnow() + timedelta(days=10)).replace(tzinfo=None, microsecond=0)
    data = meeting_services.MeetingInput(
        department_id=department.id, consultation_id=None, locale="en", title="Budget night",
        description="", access_notes="", agenda=[], type=MeetingType.IN_PERSON,
        starts_local=start, ends_local=start + timedelta(hours=2), timezone="Europe/Paris",
        address="Town hall", video="none", join_url=None, registration=RegistrationMode.OPEN, capacity=None,
    )
    with app.test_request_context():
        meeting = meeting_services.create_meeting(data, actor=staff)
        db.session.commit()
        data.address = "Library"
        meeting_services.update_meeting(meeting, data, actor=staff)
        db.session.commit()
        meeting_services.cancel_meeting(meeting, actor=staff)
        db.session.commit()
    created = _entry(AuditAction.MEETING_CREATED)
    assert created.object_type == "meeting" and created.object_label == "Budget night"
    assert _entry(AuditAction.MEETING_CHANGED).details["changes"] == ["place"]
    assert _entry(AuditAction.MEETING_CANCELLED).actor_id == staff.id
