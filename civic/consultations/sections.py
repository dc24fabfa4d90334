"""The consultation page's own sections, built on the same registry other capabilities use.

Each loader takes a list of consultations and returns ``{consultation_id: data}`` with at most
one query per kind of child (children already loaded on the objects cost no query at all).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import inspect, select

from civic.consultations.models import (
    Answer,
    Attachment,
    AttachmentPurpose,
    ConsultationSection,
    ConsultationState,
    Question,
)
from civic.consultations.permissions import can_answer, can_see_results, may_answer_at_all
from civic.extensions import db


def _children(consultations, attr: str, model, order) -> dict[int, list]:
    """``{consultation_id: [children]}`` from what is loaded, else one IN query."""
    out: dict[int, list] = {}
    missing = []
    for c in consultations:
        if attr in inspect(c).unloaded:
            missing.append(c.id)
        else:
            out[c.id] = list(getattr(c, attr))
    if missing:
        grouped: dict[int, list] = defaultdict(list)
        rows = db.session.execute(
            select(model).where(model.consultation_id.in_(missing)).order_by(*order)
        ).scalars()
        for row in rows:
            grouped[row.consultation_id].append(row)
        for cid in missing:
            out[cid] = grouped.get(cid, [])
    return out


def load_text(consultations, user) -> dict[int, dict]:
    sections = _children(
        consultations, "sections", ConsultationSection,
        (ConsultationSection.position, ConsultationSection.id),
    )
    return {c.id: {"sections": sections[c.id]} for c in consultations}


def load_documents(consultations, user) -> dict[int, list]:
    files = _children(consultations, "attachments", Attachment, (Attachment.position, Attachment.id))
    return {
        cid: [a for a in rows if a.purpose == AttachmentPurpose.DOCUMENT] for cid, rows in files.items()
    }


def load_report(consultations, user) -> dict[int, dict]:
    concluded = [c for c in consultations if c.current_state == ConsultationState.CONCLUDED]
    files = _children(concluded, "attachments", Attachment, (Attachment.position, Attachment.id))
    return {
        c.id: {"documents": [a for a in files[c.id] if a.purpose == AttachmentPurpose.REPORT]}
        for c in concluded
    }


def load_questions(consultations, user) -> dict[int, dict]:
    from civic.consultations.forms import answer_form
    from civic.consultations.services import question_results
    from civic.core.templating import current_locale_code

    questions = _children(consultations, "questions", Question, (Question.position, Question.id))
    answers: dict[int, dict[int, Answer]] = defaultdict(dict)
    open_ones = [c.id for c in consultations if c.current_state == ConsultationState.OPEN and questions[c.id]]
    if open_ones and getattr(user, "is_authenticated", False):
        for a in db.session.execute(
            select(Answer).where(Answer.consultation_id.in_(open_ones), Answer.user_id == user.id)
        ).scalars():
            answers[a.consultation_id][a.question_id] = a
    locale = current_locale_code()
    out = {}
    for c in consultations:
        qs = questions[c.id]
        allowed = can_answer(user, c)
        show_results = can_see_results(user, c)
        out[c.id] = {
            "questions": qs,
            "answers": answers[c.id],
            "can_answer": allowed,
            "blocked_by_verification": may_answer_at_all(user, c) and not allowed,
            "form": answer_form(qs, locale, c.default_locale, answers[c.id]) if allowed and qs else None,
            "show_results": show_results,
            "results": {q.id: question_results(q, locale, c.default_locale) for q in qs} if show_results else {},
        }
    return out
