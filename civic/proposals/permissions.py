"""Who may do what with proposals. Plain functions, used by views, services and templates.

Functions that depend on the consultation's proposal settings take them explicitly
(``settings`` is a ``ProposalSettings``, see ``services.settings_for``).
"""

from __future__ import annotations

from civic.consultations.models import ConsultationState
from civic.consultations.permissions import can_edit as can_edit_consultation
from civic.consultations.permissions import can_view as can_view_consultation
from civic.core.permissions import is_admin, is_participant, is_signed_in, is_staff_of
from civic.moderation.states import ModerationState
from civic.proposals.models import SUPPORTABLE_STATES, TRANSITIONS, ProposalState

#: Consultation states in which the department answers proposals.
ANSWERING_STATES = (ConsultationState.OPEN, ConsultationState.CLOSED, ConsultationState.CONCLUDED)


def is_author(user, proposal) -> bool:
    return is_signed_in(user) and proposal.author_id is not None and proposal.author_id == user.id


def is_staff_for(user, consultation) -> bool:
    """The consultation's department staff and administrators."""
    return is_admin(user) or is_staff_of(user, consultation.department_id)


# ---- consultations -------------------------------------------------------------------------


def can_see_proposals(user, consultation) -> bool:
    return can_view_consultation(user, consultation)


def can_submit(user, consultation, settings) -> bool:
    """Open consultation that accepts proposals, participant in good standing."""
    return (
        is_participant(user)
        and settings.accepts_proposals
        and consultation.current_state == ConsultationState.OPEN
    )


def can_manage_settings(user, consultation) -> bool:
    return can_edit_consultation(user, consultation)


# ---- one proposal --------------------------------------------------------------------------


def can_view(user, proposal) -> bool:
    """Public once published (withdrawn ones too); drafts only for their author."""
    if not can_view_consultation(user, proposal.consultation):
        return False
    if proposal.state == ProposalState.DRAFT:
        return is_author(user, proposal)
    if proposal.moderation_state == ModerationState.HELD:
        # Awaiting moderation: its author and those who may moderate it (civic.moderation).
        from civic.moderation.permissions import can_see_held

        return can_see_held(user, "proposal", proposal, proposal.consultation.department_id)
    return True


def edit_window_open(proposal) -> bool:
    """A published proposal can change until someone supports it or comments on it."""
    return proposal.support_count == 0 and proposal.comment_count == 0


def can_edit(user, proposal, settings) -> bool:
    if not (is_participant(user) and is_author(user, proposal)):
        return False
    if proposal.state == ProposalState.DRAFT:
        return can_submit(user, proposal.consultation, settings)
    return (
        proposal.state == ProposalState.PUBLISHED
        and proposal.consultation.current_state == ConsultationState.OPEN
        and edit_window_open(proposal)
    )


def can_publish(user, proposal, settings) -> bool:
    return (
        proposal.state == ProposalState.DRAFT
        and is_author(user, proposal)
        and can_submit(user, proposal.consultation, settings)
    )


def can_delete_draft(user, proposal) -> bool:
    return proposal.state == ProposalState.DRAFT and is_author(user, proposal)


def can_withdraw(user, proposal) -> bool:
    """The author, at any time until the department decides (suspended authors too)."""
    return is_author(user, proposal) and proposal.state in SUPPORTABLE_STATES


def supporting_open(proposal) -> bool:
    return (
        proposal.state in SUPPORTABLE_STATES
        and proposal.moderation_state == ModerationState.VISIBLE
        and proposal.consultation.current_state == ConsultationState.OPEN
    )


def may_support_at_all(user, proposal) -> bool:
    """Everything but the verified-resident setting (used to explain a refusal)."""
    return is_participant(user) and supporting_open(proposal) and not is_author(user, proposal)


def can_support(user, proposal, settings) -> bool:
    if not may_support_at_all(user, proposal):
        return False
    return not settings.verified_only or bool(user.is_verified)


def can_unsupport(user, proposal) -> bool:
    """Taking a support back: while supporting is open (the service checks there is one)."""
    return is_participant(user) and supporting_open(proposal)


def answer_choices(proposal) -> tuple[ProposalState, ...]:
    return TRANSITIONS.get(proposal.state, ())


def can_answer(user, proposal) -> bool:
    return (
        is_staff_for(user, proposal.consultation)
        and proposal.consultation.current_state in ANSWERING_STATES
        and bool(answer_choices(proposal))
    )


def can_follow(user, proposal) -> bool:
    return is_participant(user) and proposal.state != ProposalState.DRAFT and can_view(user, proposal)


def can_see_drafts(user) -> bool:
    """"My drafts": everyone signed in (suspended people can still find and delete theirs)."""
    return is_signed_in(user)
