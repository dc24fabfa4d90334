"""Answers to consultations.

Answers only count: on deletion they are removed and every counter they fed (the question's
``answer_count``, the options' votes, rank sums and first places, the consultation's
``participant_count``) goes down by exactly what they added, so the results stay the exact
sum of the answers that remain.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import selectinload

from civic.consultations.models import Answer, Consultation, Participation, Question
from civic.consultations.services import _apply_option_deltas
from civic.extensions import db
from civic.privacy.domains import iso


def export(user) -> list:
    answers = list(
        db.session.execute(
            select(Answer).where(Answer.user_id == user.id).order_by(Answer.consultation_id, Answer.question_id)
        ).scalars()
    )
    if not answers:
        return []
    questions = {
        q.id: q
        for q in db.session.execute(
            select(Question)
            .where(Question.id.in_({a.question_id for a in answers}))
            .options(selectinload(Question.options))
        ).scalars()
    }
    consultations = {
        c.id: c
        for c in db.session.execute(
            select(Consultation).where(Consultation.id.in_({a.consultation_id for a in answers}))
        ).scalars()
    }
    out = []
    for a in answers:
        q = questions[a.question_id]
        c = consultations[a.consultation_id]
        locale = c.default_locale
        labels = {o.id: o.label_for(locale, locale).text for o in q.options}
        out.append(
            {
                "consultation_id": c.id,
                "consultation": c.title_for(locale).text,
                "question": q.prompt_for(locale, locale).text,
                "kind": q.kind.value,
                "chosen": [labels.get(i, str(i)) for i in (a.option_ids or [])],
                "text": a.text,
                "answered_at": iso(a.created_at),
                "changed_at": iso(a.updated_at),
            }
        )
    return out


def erase(user, remove_contributions: bool) -> None:
    answers = list(
        db.session.execute(
            select(Answer.id, Answer.question_id, Answer.option_ids)
            .where(Answer.user_id == user.id)
            .order_by(Answer.question_id)
        ).all()
    )
    if answers:
        kinds = dict(
            db.session.execute(
                select(Question.id, Question.kind).where(Question.id.in_({a.question_id for a in answers}))
            ).all()
        )
        for answer in answers:  # question id order: the same lock order as answering
            db.session.execute(
                update(Question)
                .where(Question.id == answer.question_id)
                .values(answer_count=Question.answer_count - 1)
                .execution_options(synchronize_session=False)
            )
            _apply_option_deltas(kinds[answer.question_id], list(answer.option_ids or []), [])
        db.session.execute(
            delete(Answer).where(Answer.user_id == user.id).execution_options(synchronize_session=False)
        )
    participated = list(
        db.session.execute(
            select(Participation.consultation_id).where(Participation.user_id == user.id)
        ).scalars()
    )
    if participated:
        db.session.execute(
            update(Consultation)
            .where(Consultation.id.in_(participated))
            .values(participant_count=Consultation.participant_count - 1)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            delete(Participation)
            .where(Participation.user_id == user.id)
            .execution_options(synchronize_session=False)
        )
