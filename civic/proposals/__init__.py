"""Proposals: residents submit and support ideas in a consultation; departments answer each.

``register(app)`` (called by ``civic.create_app``) sets the defaults of the settings, adds the
navigation link, plugs two sections into the consultation page (the proposals, and the answers
for the "you said, we did" report), adds proposal authors and supporters to the consultation's
participants, and registers the notification kinds.
"""

from __future__ import annotations

import os

from flask import Flask
from flask_babel import lazy_gettext as _l


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def register(app: Flask) -> None:
    from sqlalchemy import select

    from civic.consultations.registry import (
        PageSection,
        register_page_section,
        register_participant_source,
    )
    from civic.core.templating import add_nav_item
    from civic.proposals import sections
    from civic.proposals.models import Proposal, ProposalState, Support
    from civic.proposals.notify import register_kinds

    app.config.setdefault("PROPOSAL_BODY_MAX", _env_int("CIVIC_PROPOSAL_BODY_MAX", 3000))
    app.config.setdefault(
        "PROPOSAL_IMAGE_MAX_BYTES", _env_int("CIVIC_PROPOSAL_IMAGE_MB", 5) * 1024 * 1024
    )

    add_nav_item(app, "main", "proposals.index", _l("Proposals"), order=20)

    from civic.consultations.uploads import human_size
    from civic.core.i18n import language_name

    app.jinja_env.globals.setdefault("language_display", language_name)
    app.jinja_env.globals.setdefault("human_size", human_size)

    register_page_section(app, PageSection(
        key="proposals", order=40, title=_l("Proposals"),
        template="proposals/_consultation_section.html",
        loader=sections.load_proposals, visible=sections.proposals_visible,
    ))
    register_page_section(app, PageSection(
        key="proposal-answers", order=6, title=_l("Answers to residents' proposals"),
        template="proposals/_report_section.html",
        loader=sections.load_report, visible=sections.report_visible,
    ))
    register_participant_source(
        app,
        lambda consultation_id: select(Proposal.author_id).where(
            Proposal.consultation_id == consultation_id, Proposal.state != ProposalState.DRAFT
        ),
    )
    register_participant_source(
        app,
        lambda consultation_id: select(Support.user_id)
        .join(Proposal, Proposal.id == Support.proposal_id)
        .where(Proposal.consultation_id == consultation_id),
    )
    register_kinds()
