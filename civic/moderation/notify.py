"""Moderation and the notifications capability: three kinds, and the jobs that notify.

* ``moderation_queue`` — for moderators and department staff: a new entry in their queue, or an
  appeal for them to decide. Each person chooses "immediately", "daily digest" or "never" on
  their notification settings (default: daily digest).
* ``moderation_decision`` — for authors: their content was hidden (with the reason and the rule
  it broke, and how to appeal), approved or restored; a warning; a suspension or a ban.
* ``moderation_appeal`` — for authors: the final decision on their appeal.
"""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from civic.accounts.models import (
    AccountStatus,
    DepartmentMembership,
    NotificationFrequency,
    Role,
    User,
)
from civic.extensions import db
from civic.notifications.kinds import Rendered, register_kind
from civic.notifications.models import Notification, NotificationKind

REACHABLE = (AccountStatus.ACTIVE,)


def _kind_label(kind: str | None) -> str:
    from civic.moderation.models import ContentKind

    try:
        return ContentKind(kind).label.lower()
    except ValueError:
        return gettext("item")


def _case_link(n: Notification) -> tuple[str, dict]:
    case_id = (n.params or {}).get("case_id")
    if case_id is None:
        return ("moderation.queue", {})
    return ("moderation.case", {"moderation_case_id": case_id})


def _decision_link(n: Notification) -> tuple[str, dict]:
    case_id = (n.params or {}).get("case_id")
    if case_id is None:
        return ("moderation.my_decisions", {})
    return ("moderation.decision", {"moderation_case_id": case_id})


# ---- recipients -----------------------------------------------------------------------------


def moderators_for(case, exclude: set[int] | None = None) -> list[User]:
    """Site moderators, and the staff of the item's department (never its author)."""
    conditions = [User.role.in_((Role.MODERATOR, Role.ADMIN))]
    if case.department_id is not None and case.kind != "user":
        staff = select(DepartmentMembership.user_id).where(
            DepartmentMembership.department_id == case.department_id
        )
        conditions.append(User.id.in_(staff))
    skip = set(exclude or ()) | ({case.author_id} if case.author_id else set())
    people = db.session.execute(
        select(User).where(or_(*conditions), User.status.in_(REACHABLE)).order_by(User.id)
    ).scalars()
    return [p for p in people if p.id not in skip]


# ---- jobs (run after the transaction that opened the entry committed) -------------------------


def queue_entry(case_id: int) -> None:
    from civic.moderation.models import CaseState, ModerationCase
    from civic.notifications.services import notify

    case = db.session.get(ModerationCase, case_id)
    if case is None or case.state != CaseState.PENDING:
        return
    notify(
        moderators_for(case),
        NotificationKind.MODERATION_QUEUE,
        None,
        None,
        case_id=case.id,
        what="entry",
        item_kind=case.kind,
        origin=case.origin.value,
    )


def appeal_filed(case_id: int) -> None:
    from civic.moderation.models import CaseState, ModerationCase
    from civic.notifications.services import notify

    case = db.session.get(ModerationCase, case_id)
    if case is None or case.state != CaseState.APPEALED:
        return
    exclude = {case.decided_by_id} if case.decided_by_id else set()
    notify(
        moderators_for(case, exclude),
        NotificationKind.MODERATION_QUEUE,
        None,
        None,
        case_id=case.id,
        what="appeal",
        item_kind=case.kind,
    )


# ---- called by the services (same transaction) ----------------------------------------------


def decision(author: User, case, actor, **params) -> None:
    from civic.notifications.services import notify

    notify(
        [author],
        NotificationKind.MODERATION_DECISION,
        None,
        actor if getattr(actor, "id", None) else None,
        case_id=case.id,
        item_kind=case.kind,
        reason=case.decision_reason or "",
        rule=case.decision_rule.value if case.decision_rule else "",
        **{k: v for k, v in params.items() if v is not None},
    )


def appeal_decided(author: User, case, actor, *, upheld: bool) -> None:
    from civic.notifications.services import notify

    notify(
        [author],
        NotificationKind.MODERATION_APPEAL,
        None,
        actor,
        case_id=case.id,
        item_kind=case.kind,
        upheld=bool(upheld),
    )


# ---- rendering (in the reader's language) ----------------------------------------------------


def render_queue(n: Notification) -> Rendered:
    p = n.params or {}
    if p.get("what") == "appeal":
        return Rendered(
            gettext("An author appealed a moderation decision about a %(kind)s: it needs a second moderator."),
            {"kind": _kind_label(p.get("item_kind"))},
            _case_link(n),
        )
    return Rendered(
        gettext("A %(kind)s is waiting in the moderation queue."),
        {"kind": _kind_label(p.get("item_kind"))},
        _case_link(n),
    )


def _rule_label(value: str | None) -> str:
    from civic.moderation.models import CommunityRule

    try:
        return CommunityRule(value).label
    except ValueError:
        return ""


def render_decision(n: Notification) -> Rendered:
    p = n.params or {}
    action = p.get("action")
    kind = _kind_label(p.get("item_kind"))
    link = _decision_link(n)
    if action == "hide":
        return Rendered(
            gettext(
                "Your %(kind)s was hidden by moderation. Reason: %(reason)s. Rule broken: "
                "%(rule)s. You can appeal this decision once."
            ),
            {"kind": kind, "reason": p.get("reason", ""), "rule": _rule_label(p.get("rule"))},
            link,
        )
    if action == "approve":
        return Rendered(gettext("A moderator approved your %(kind)s: it is published."), {"kind": kind}, link)
    if action == "restore":
        return Rendered(gettext("A moderator restored your %(kind)s: it is visible again."), {"kind": kind}, link)
    if action == "warn":
        return Rendered(
            gettext("A moderator warned you about your %(kind)s: %(message)s"),
            {"kind": kind, "message": p.get("message", "")},
            link,
        )
    if action == "suspend":
        return Rendered(
            gettext("Your account is suspended for %(days)s days. Reason: %(reason)s. Rule broken: %(rule)s."),
            {"days": p.get("days", ""), "reason": p.get("reason", ""), "rule": _rule_label(p.get("rule"))},
            link,
        )
    if action == "ban":
        return Rendered(
            gettext("Your account was banned. Reason: %(reason)s. Rule broken: %(rule)s."),
            {"reason": p.get("reason", ""), "rule": _rule_label(p.get("rule"))},
            link,
        )
    return Rendered(gettext("A moderator made a decision about your %(kind)s."), {"kind": kind}, link)


def render_appeal(n: Notification) -> Rendered:
    p = n.params or {}
    kind = _kind_label(p.get("item_kind"))
    if p.get("upheld"):
        return Rendered(
            gettext("Your appeal was upheld: your %(kind)s is visible again. This decision is final."),
            {"kind": kind},
            _decision_link(n),
        )
    return Rendered(
        gettext("Your appeal was rejected: your %(kind)s stays hidden. This decision is final."),
        {"kind": kind},
        _decision_link(n),
    )


def register_kinds() -> None:
    register_kind(
        NotificationKind.MODERATION_QUEUE,
        default=NotificationFrequency.DAILY,
        description=_l(
            "For moderators and department staff: new entries in the moderation queue and "
            "appeals to decide."
        ),
        render=render_queue,
    )
    register_kind(
        NotificationKind.MODERATION_DECISION,
        default=NotificationFrequency.IMMEDIATELY,
        description=_l(
            "When a moderator hides, approves or restores what you wrote, or warns, suspends "
            "or bans your account, with the reason."
        ),
        render=render_decision,
    )
    register_kind(
        NotificationKind.MODERATION_APPEAL,
        default=NotificationFrequency.IMMEDIATELY,
        description=_l("The final decision on your appeal against a moderation decision."),
        render=render_appeal,
    )
