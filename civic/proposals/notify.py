"""Notification kinds about proposals, rendered in the reader's language."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from civic.accounts.models import NotificationFrequency


def _name(n):
    from civic.notifications.kinds import Foreign, subject_name

    return subject_name(n) or Foreign(gettext("a proposal that no longer exists"), "")


def _link(n, anchor: str | None = None):
    if n.proposal_id is None:
        return ("proposals.index", {})
    values = {"proposal_id": n.proposal_id}
    if anchor:
        values["_anchor"] = anchor
    return ("proposals.view", values)


def render_answered(n):
    from civic.notifications.kinds import Rendered
    from civic.proposals.models import ProposalState

    try:
        state = ProposalState((n.params or {}).get("state")).label
    except ValueError:
        state = str((n.params or {}).get("state", ""))
    return Rendered(
        gettext("The proposal “%(proposal)s” received an official answer: %(state)s."),
        {"proposal": _name(n), "state": state},
        _link(n, "answers"),
    )


def render_withdrawn(n):
    from civic.notifications.kinds import Rendered

    return Rendered(
        gettext("The proposal “%(proposal)s” was withdrawn by its author."),
        {"proposal": _name(n)},
        _link(n),
    )


def register_kinds() -> None:
    from civic.notifications.kinds import register_kind
    from civic.notifications.models import NotificationKind

    register_kind(
        NotificationKind.PROPOSAL_ANSWERED,
        default=NotificationFrequency.IMMEDIATELY,
        description=_l(
            "When the city answers a proposal you wrote, support or follow, or changes its state."
        ),
        render=render_answered,
    )
    register_kind(
        NotificationKind.PROPOSAL_WITHDRAWN,
        default=NotificationFrequency.DAILY,
        description=_l("When a proposal you support or follow is withdrawn by its author."),
        render=render_withdrawn,
    )
