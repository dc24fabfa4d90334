"""Consultations published by city departments: texts, sections, documents, questions and
"you said, we did" reports. Other capabilities plug into the consultation page through
``civic.consultations.registry``."""

from __future__ import annotations

import os
import re

from flask import Flask
from flask_babel import lazy_gettext as _l
from markupsafe import Markup


def register(app: Flask) -> None:
    """Called by ``civic.create_app``: settings, navigation, page sections, participants."""
    from sqlalchemy import select

    from civic.consultations import notify  # noqa: F401  (follow target and notification kinds)
    from civic.consultations.models import Participation
    from civic.consultations.registry import (
        PageSection,
        register_page_section,
        register_participant_source,
    )
    from civic.consultations.sections import load_documents, load_questions, load_report, load_text
    from civic.core.templating import add_nav_item

    # Uploaded files live outside ``static``: CIVIC_UPLOAD_FOLDER, else <instance>/uploads.
    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = os.environ.get("CIVIC_UPLOAD_FOLDER") or os.path.join(
            app.instance_path, "uploads"
        )
    if not app.config.get("ATTACHMENT_MAX_BYTES"):
        megabytes = int(os.environ.get("CIVIC_MAX_ATTACHMENT_MB") or 8)
        app.config["ATTACHMENT_MAX_BYTES"] = megabytes * 1024 * 1024

    add_nav_item(app, "main", "consultations.index", _l("Consultations"), order=10)
    add_nav_item(app, "footer", "consultations.overdue", _l("Overdue consultation reports"), order=60)

    register_page_section(app, PageSection(
        key="report", order=5, title=_l("You said, we did"),
        template="consultations/sections/report.html", loader=load_report,
        visible=lambda user, c, data: data is not None,
    ))
    register_page_section(app, PageSection(
        key="text", order=10, title=_l("The proposed text"),
        template="consultations/sections/text.html", loader=load_text,
    ))
    register_page_section(app, PageSection(
        key="documents", order=20, title=_l("Documents"),
        template="consultations/sections/documents.html", loader=load_documents,
        visible=lambda user, c, data: bool(data),
    ))
    register_page_section(app, PageSection(
        key="questions", order=30, title=_l("Questions"),
        template="consultations/sections/questions.html", loader=load_questions,
        visible=lambda user, c, data: bool(data and data["questions"]),
    ))
    register_participant_source(
        app, lambda consultation_id: select(Participation.user_id).where(
            Participation.consultation_id == consultation_id
        )
    )

    _templating(app)


_HEADING = re.compile(r"<(/?)h([2-6])(?=[\s>])")


def demote_headings(html, top: int = 3) -> Markup:
    """Staff write h2–h4; inside a page their headings start at level ``top`` instead."""
    shift = top - 2

    def repl(match):
        level = min(int(match.group(2)) + shift, 6)
        return f"<{match.group(1)}h{level}"

    return Markup(_HEADING.sub(repl, str(html)))  # noqa: S704 - only renames sanitized tags


def _templating(app: Flask) -> None:
    from flask_login import current_user

    from civic.consultations import permissions as perms
    from civic.consultations.uploads import human_size
    from civic.consultations.views import consultations_for_home
    from civic.core.i18n import language_name

    env = app.jinja_env
    env.globals["open_consultations"] = consultations_for_home
    env.globals["language_display"] = language_name
    env.globals["human_size"] = human_size
    env.globals["public_results"] = perms.results_are_public
    env.globals["data_can_read"] = lambda consultation: perms.can_read_responses(current_user, consultation)
    env.filters["demote_headings"] = demote_headings
