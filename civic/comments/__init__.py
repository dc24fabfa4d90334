"""Comments: threaded, respectful discussion on consultations, their sections, proposals and
meetings.

``register(app)`` (called by ``civic.create_app``) sets the defaults of the settings, plugs the
discussion into the consultation page (page-section registry), makes commenters participants of
their consultation, registers the notification kinds and the template helpers the proposal and
meeting pages use (``{% include "comments/_proposal.html" %}``, ``comments/_meeting.html``).
"""

from __future__ import annotations

import os

from flask import Flask, g


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def register(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l
    from sqlalchemy import select

    from civic.comments import sections
    from civic.comments.models import Comment, CommentState
    from civic.comments.notify import register_kinds
    from civic.consultations.registry import (
        PageSection,
        register_page_section,
        register_participant_source,
    )
    from civic.proposals.models import Proposal

    app.config.setdefault("COMMENT_MAX_LENGTH", _env_int("CIVIC_COMMENT_MAX_LENGTH", 2000))
    app.config.setdefault("COMMENTS_PER_PAGE", _env_int("CIVIC_COMMENTS_PER_PAGE", 20))
    app.config.setdefault("COMMENT_MEETING_DAYS_AFTER", _env_int("CIVIC_COMMENT_MEETING_DAYS", 14))

    register_page_section(app, PageSection(
        key="comments", order=50, title=_l("Discussion"),
        template="comments/_consultation_section.html",
        loader=sections.load_for_consultations, visible=sections.visible,
    ))
    register_participant_source(
        app,
        lambda consultation_id: select(Comment.author_id).where(
            Comment.consultation_id == consultation_id, Comment.state != CommentState.DELETED
        ),
    )
    register_participant_source(
        app,
        lambda consultation_id: select(Comment.author_id)
        .join(Proposal, Proposal.id == Comment.proposal_id)
        .where(Proposal.consultation_id == consultation_id, Comment.state != CommentState.DELETED),
    )
    register_kinds()
    _templating(app)


def _templating(app: Flask) -> None:
    from civic.comments import sections

    env = app.jinja_env
    env.globals["comment_discussion"] = sections.discussion_for
    env.globals["comment_form_for"] = sections.form_for
    env.globals["section_discussion_open"] = _section_discussion_open
    env.globals["prefix_comment_ids"] = sections.prefix_ids
    env.globals["discussion_settings_allowed"] = _settings_allowed


def _settings_allowed(consultation) -> bool:
    from flask_login import current_user

    from civic.comments.permissions import can_manage_settings

    return can_manage_settings(current_user, consultation)


def _section_discussion_open(consultation) -> bool:
    """Whether a consultation's discussion takes comments (once per request)."""
    from civic.comments.permissions import consultation_discussion_open
    from civic.comments.services import settings_for

    cache = g.setdefault("_civic_discussion_open", {})
    if consultation.id not in cache:
        cache[consultation.id] = consultation_discussion_open(consultation, settings_for(consultation.id))
    return cache[consultation.id]
