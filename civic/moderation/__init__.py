"""Moderation: reports, automatic holding, pre-moderation, the watched-words list, the
moderators' queue, statements of reasons and appeals, the append-only audit log and the
public transparency report.

``register(app)`` (called by ``civic.create_app``) sets the defaults of the settings, adds the
footer links (transparency report, community rules), registers the notification kinds and the
template helpers other pages use:

* ``{% from "moderation/_macros.html" import report_link, moderated %}`` —
  ``report_link("comment", comment)`` shows a "Report" link to people who may report it;
  ``{% call moderated("proposal", proposal) %}…content…{% endcall %}`` shows the content, or
  in its place "Awaiting moderation" / "Hidden by moderation: <reason>";
* ``moderation_pending_count()`` — the header badge for moderators and department staff.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from flask import Flask, g
from flask_babel import lazy_gettext as _l


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def register(app: Flask) -> None:
    from civic.core.templating import add_nav_item
    from civic.moderation.notify import register_kinds

    app.config.setdefault(
        "MODERATION_REPORT_THRESHOLD", int(_env("CIVIC_MODERATION_REPORT_THRESHOLD", "3"))
    )
    app.config.setdefault("RATE_LIMIT_REPORT", _env("CIVIC_RATE_LIMIT_REPORT", "5 per minute;30 per day"))

    add_nav_item(app, "footer", "moderation.transparency", _l("Moderation transparency report"), order=70)
    add_nav_item(app, "footer", "moderation.rules", _l("Community rules"), order=71)
    register_kinds()

    env = app.jinja_env
    env.globals["moderation_pending_count"] = pending_count
    env.globals["can_report_item"] = can_report_item
    env.globals["report_url"] = report_url
    env.globals["moderation_view"] = moderation_view
    env.globals["moderated_title"] = moderated_title


# ---- template helpers ------------------------------------------------------------------------


def pending_count() -> int | None:
    """Entries waiting for the signed-in moderator or staff member (once per request)."""
    from flask_login import current_user
    from sqlalchemy.exc import SQLAlchemyError

    from civic.moderation import services

    if "_civic_moderation_pending" not in g:
        try:
            g._civic_moderation_pending = services.pending_count(current_user)
        except SQLAlchemyError:  # an error page rendered after a failed transaction
            return None
    return g._civic_moderation_pending


def can_report_item(kind: str, item) -> bool:
    from flask_login import current_user

    from civic.moderation.permissions import may_see_report_link

    return may_see_report_link(current_user, kind, item)


_REPORT_ENDPOINTS = {
    "comment": ("moderation.report_comment", "comment_id"),
    "proposal": ("moderation.report_proposal", "proposal_id"),
    "meeting": ("moderation.report_meeting", "meeting_id"),
    "user": ("moderation.report_user", "user_id"),
}


def report_url(kind: str, item) -> str:
    from flask import url_for

    endpoint, arg = _REPORT_ENDPOINTS[kind]
    return url_for(endpoint, **{arg: item.id})


@dataclass(frozen=True)
class ItemView:
    """How the current viewer sees an item: its state, whether they may read it, the reason."""

    state: object
    show_content: bool
    reason: str | None = None
    rule: object = None

    @property
    def visible(self) -> bool:
        return self.state.value == "visible"

    @property
    def held(self) -> bool:
        return self.state.value == "held"

    @property
    def hidden(self) -> bool:
        return self.state.value == "hidden"


def moderation_view(kind: str, item) -> ItemView:
    """For an item's own page (proposal, meeting description): one view per request."""
    from flask_login import current_user

    from civic.moderation import permissions, services
    from civic.moderation.scope import scope_of
    from civic.moderation.states import ModerationState

    cache = g.setdefault("_civic_moderation_views", {})
    key = (kind, item.id)
    if key in cache:
        return cache[key]
    state = services.item_state(kind, item) or ModerationState.VISIBLE
    if state == ModerationState.VISIBLE:
        view = ItemView(state, True)
    else:
        _consultation_id, department_id = scope_of(kind, item)
        may_read = permissions.can_see_held(current_user, kind, item, department_id)
        reason = rule = None
        if state == ModerationState.HIDDEN:
            case = services.decisions_about(kind, item.id)
            if case is not None:
                reason, rule = case.decision_reason, case.decision_rule
        view = ItemView(state, may_read, reason, rule)
    cache[key] = view
    return view


def moderated_title(proposal) -> str:
    """A proposal's title, or "Hidden proposal" for readers of a hidden one."""
    from flask_babel import gettext

    view = moderation_view("proposal", proposal)
    if view.show_content:
        return proposal.title
    return gettext("Hidden proposal")
