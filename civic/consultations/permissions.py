"""Who may do what with consultations. Plain functions, used by views and templates."""

from __future__ import annotations

from civic.consultations.models import PUBLIC_STATES, ConsultationState, ResultsVisibility
from civic.core.permissions import is_admin, is_participant, is_signed_in, is_staff_of


def is_consultation_staff(user) -> bool:
    """Department staff and administrators: may start a consultation."""
    return is_admin(user) or (is_signed_in(user) and bool(user.department_ids))


def can_manage_taxonomy(user) -> bool:
    """Topics and areas are shared by every department: administrators keep them."""
    return is_admin(user)


def is_staff_for(user, consultation) -> bool:
    return is_admin(user) or is_staff_of(user, consultation.department_id)


def can_view(user, consultation) -> bool:
    """Drafts and scheduled consultations are for the department's staff (others get 404)."""
    if consultation.current_state in PUBLIC_STATES:
        return True
    return is_staff_for(user, consultation)


def can_edit(user, consultation) -> bool:
    return is_staff_for(user, consultation)


def can_edit_questions(user, consultation) -> bool:
    """Questions are frozen once answering starts (answers and counters must stay exact)."""
    return can_edit(user, consultation) and consultation.current_state in (
        ConsultationState.DRAFT,
        ConsultationState.SCHEDULED,
    )


def can_edit_dates(user, consultation) -> bool:
    return can_edit(user, consultation) and consultation.current_state in (
        ConsultationState.DRAFT,
        ConsultationState.SCHEDULED,
        ConsultationState.OPEN,
    )


def may_answer_at_all(user, consultation) -> bool:
    """Open, signed in with an account in good standing (the verified rule aside)."""
    return consultation.current_state == ConsultationState.OPEN and is_participant(user)


def can_answer(user, consultation) -> bool:
    if not may_answer_at_all(user, consultation):
        return False
    return not consultation.verified_only or bool(user.is_verified)


def can_see_results(user, consultation) -> bool:
    state = consultation.current_state
    if state in (ConsultationState.CLOSED, ConsultationState.CONCLUDED):
        return True
    if state == ConsultationState.OPEN and consultation.results_visibility == ResultsVisibility.LIVE:
        return True
    return can_edit(user, consultation) and state != ConsultationState.DRAFT


def results_are_public(consultation) -> bool:
    """Aggregated results are open data once anyone may see them."""
    state = consultation.current_state
    if state in (ConsultationState.CLOSED, ConsultationState.CONCLUDED):
        return True
    return state == ConsultationState.OPEN and consultation.results_visibility == ResultsVisibility.LIVE


def can_read_responses(user, consultation) -> bool:
    """Free-text answers and exports: the department's staff."""
    return can_edit(user, consultation) and consultation.current_state != ConsultationState.DRAFT


def can_publish_report(user, consultation) -> bool:
    return can_edit(user, consultation) and consultation.current_state == ConsultationState.CLOSED


def can_edit_report(user, consultation) -> bool:
    return can_edit(user, consultation) and consultation.current_state in (
        ConsultationState.CLOSED,
        ConsultationState.CONCLUDED,
    )


def can_follow(user, consultation) -> bool:
    """Following needs an account in good standing (as for every follow)."""
    return is_participant(user) and can_view(user, consultation)
