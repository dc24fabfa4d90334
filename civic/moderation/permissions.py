"""Who may do what in moderation. Plain functions used by views, services and templates.

* Reporting: participants in good standing, once per item, never their own content or profile,
  only what they can see (visible items).
* The queue: site moderators (role moderator or administrator) see and moderate everything;
  department staff only the items of their department's consultations and meetings (never
  profiles).
* Nobody moderates their own content or reports about themselves.
* Suspending and banning accounts: administrators (the accounts capability's rule).
* Appeals: the author, once, against a decision that hid their content; decided by a
  different moderator than the one who decided.
* The audit log, the word list and the site settings: administrators.
"""

from __future__ import annotations

from civic.core.permissions import (
    is_admin,
    is_moderator,
    is_participant,
    is_signed_in,
    is_staff_of,
)
from civic.moderation.models import CaseState, ModerationAction
from civic.moderation.states import ModerationState


def is_moderation_staff(user) -> bool:
    """Site moderators and department staff: they have a moderation queue."""
    return is_moderator(user) or (is_signed_in(user) and bool(user.department_ids))


def can_see_queue(user) -> bool:
    return is_moderation_staff(user)


def in_scope(user, department_id: int | None, kind: str) -> bool:
    """Site moderators: everything. Department staff: their department's items (no profiles)."""
    if is_moderator(user):
        return True
    return kind != "user" and is_staff_of(user, department_id)


def is_own(user, author_id: int | None) -> bool:
    return is_signed_in(user) and author_id is not None and author_id == user.id


# ---- reporting ------------------------------------------------------------------------------


def author_id_of(kind: str, item) -> int | None:
    if kind in ("comment", "proposal"):
        return item.author_id
    if kind == "meeting":
        return item.creator_id
    return item.id


def is_reportable(kind: str, item) -> bool:
    """Only what everyone can see is reported (held or hidden items are already moderated)."""
    if item is None:
        return False
    if kind == "comment":
        from civic.comments.models import CommentState

        return item.state == CommentState.VISIBLE
    if kind == "proposal":
        from civic.proposals.models import ProposalState

        return item.state != ProposalState.DRAFT and item.moderation_state == ModerationState.VISIBLE
    if kind == "meeting":
        return item.moderation_state == ModerationState.VISIBLE
    from civic.accounts.permissions import HIDDEN_PROFILE_STATUSES

    return item.status not in HIDDEN_PROFILE_STATUSES


def can_report(user, kind: str, item) -> bool:
    """Participants, on visible items that are not their own (the service checks "once")."""
    return (
        is_participant(user)
        and is_reportable(kind, item)
        and not is_own(user, author_id_of(kind, item))
    )


def may_see_report_link(user, kind: str, item) -> bool:
    """Whether to offer the "Report" link (signed-in people who may report it)."""
    return can_report(user, kind, item)


# ---- the queue ------------------------------------------------------------------------------


def can_moderate_case(user, case) -> bool:
    """In scope, and not about the person's own content or profile."""
    return (
        is_signed_in(user)
        and not is_own(user, case.author_id)
        and in_scope(user, case.department_id, case.kind)
    )


def can_view_case(user, case) -> bool:
    return can_moderate_case(user, case)


def can_decide(user, case) -> bool:
    return can_moderate_case(user, case) and case.state == CaseState.PENDING


def can_act_on_account(user, case) -> bool:
    """Suspend or ban the author: administrators (accounts' rule), never themselves."""
    return is_admin(user) and case.author_id is not None and can_moderate_case(user, case)


def can_decide_appeal(user, case) -> bool:
    """A different moderator than the one who made the decision appealed."""
    return (
        case.state == CaseState.APPEALED
        and can_moderate_case(user, case)
        and case.decided_by_id != user.id
    )


def can_moderate_item(user, kind: str, item, department_id: int | None) -> bool:
    """For the other capabilities' services (comments' ``hide``/``restore``)."""
    return (
        is_signed_in(user)
        and not is_own(user, author_id_of(kind, item))
        and in_scope(user, department_id, kind)
    )


def can_moderate_comment(user, comment) -> bool:
    from civic.moderation.scope import scope_of

    if not is_signed_in(user):
        return False
    if is_moderator(user):
        return not is_own(user, comment.author_id)
    _consultation_id, department_id = scope_of("comment", comment)
    return can_moderate_item(user, "comment", comment, department_id)


# ---- appeals and decisions ----------------------------------------------------------------


def can_appeal(user, case) -> bool:
    """The author, once, against a decision that hid their content."""
    return (
        is_own(user, case.author_id)
        and case.state == CaseState.DECIDED
        and case.decision == ModerationAction.HIDE
        and case.kind != "user"
    )


def can_view_decision(user, case) -> bool:
    """The statement of reasons: the author, and those who may moderate it."""
    return is_own(user, case.author_id) or can_moderate_case(user, case)


# ---- settings and the log -----------------------------------------------------------------


def can_set_premoderation(user, consultation) -> bool:
    return is_moderator(user) or is_staff_of(user, consultation.department_id)


def can_manage_words(user) -> bool:
    return is_admin(user)


def can_manage_settings(user) -> bool:
    return is_admin(user)


def can_read_log(user) -> bool:
    return is_admin(user)


def can_export_log(user) -> bool:
    return is_admin(user)


def can_see_held(user, kind: str, item, department_id: int | None) -> bool:
    """A held item: its author and those who may moderate it."""
    return is_own(user, author_id_of(kind, item)) or (
        is_signed_in(user) and in_scope(user, department_id, kind)
    )
