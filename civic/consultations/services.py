"""Business rules for consultations. Services take an explicit ``actor``, flush, never commit."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, case, delete, exists, func, literal_column, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from civic.audit.models import AuditAction
from civic.audit.services import audit
from civic.consultations import uploads
from civic.consultations.models import (
    PUBLIC_STATES,
    Answer,
    Area,
    Attachment,
    AttachmentPurpose,
    Consultation,
    ConsultationSection,
    ConsultationState,
    ConsultationTranslation,
    Participation,
    Question,
    QuestionKind,
    QuestionOption,
    ResultsVisibility,
    Topic,
    consultation_topics,
    report_due,
)
from civic.consultations.permissions import (
    can_answer,
    can_edit,
    can_edit_dates,
    can_edit_questions,
    can_edit_report,
    can_manage_taxonomy,
    can_publish_report,
    can_read_responses,
    is_consultation_staff,
    may_answer_at_all,
)
from civic.core import jobs
from civic.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from civic.core.permissions import is_admin
from civic.core.time import utcnow
from civic.extensions import db

log = logging.getLogger(__name__)

SCALE_VALUES = (1, 2, 3, 4, 5)
MAX_OPTIONS = 30
MAX_FREE_TEXT = 10_000


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not do this."))


def _dialect() -> str:
    return db.session.get_bind().dialect.name


# ---- loading ------------------------------------------------------------------------------


def get_consultation(consultation_id: int, *, full: bool = False) -> Consultation:
    """One consultation; ``full`` also loads sections, documents, questions and options."""
    stmt = select(Consultation).where(Consultation.id == consultation_id)
    if full:
        stmt = stmt.options(
            selectinload(Consultation.sections),
            selectinload(Consultation.attachments),
            selectinload(Consultation.questions).selectinload(Question.options),
        )
    found = db.session.execute(stmt).unique().scalar_one_or_none()
    if found is None:
        raise NotFound(_("This consultation does not exist."))
    return found


def get_child(model, consultation: Consultation, child_id: int):
    """A section, document or question of ``consultation`` (else NotFound)."""
    row = db.session.get(model, child_id)
    if row is None or row.consultation_id != consultation.id:
        raise NotFound(_("This item does not exist."))
    return row


# ---- creating and editing -----------------------------------------------------------------


def _check_locale(locale: str) -> None:
    from flask import current_app

    if locale not in current_app.config["LANGUAGES"]:
        raise InvalidInput(_("Choose one of the languages offered."), field="locale")


def _topics(ids: list[int]) -> list[Topic]:
    if not ids:
        return []
    return list(db.session.execute(select(Topic).where(Topic.id.in_(ids))).scalars())


def _check_department(actor, department_id: int) -> None:
    from civic.accounts.models import Department

    if db.session.get(Department, department_id) is None:
        raise InvalidInput(_("Choose a department."), field="department_id")
    if not (is_admin(actor) or department_id in actor.department_ids):
        raise InvalidInput(_("You can only publish for your own departments."), field="department_id")


def create_consultation(
    actor,
    *,
    department_id: int,
    default_locale: str,
    title: str,
    summary: str = "",
    body: str = "",
    easy_read: str = "",
    area_id: int | None = None,
    topic_ids: list[int] | None = None,
) -> Consultation:
    _require(is_consultation_staff(actor))
    _check_department(actor, department_id)
    _check_locale(default_locale)
    consultation = Consultation(
        department_id=department_id,
        default_locale=default_locale,
        area_id=area_id or None,
        state=ConsultationState.DRAFT,
        creator_id=actor.id,
        topics=_topics(topic_ids or []),
    )
    consultation.translations.append(
        ConsultationTranslation(
            locale=default_locale, title=title, summary=summary, body=body, easy_read=easy_read
        )
    )
    db.session.add(consultation)
    db.session.flush()
    return consultation


def update_settings(
    actor,
    consultation: Consultation,
    *,
    department_id: int,
    default_locale: str,
    area_id: int | None,
    topic_ids: list[int],
    results_visibility: ResultsVisibility,
    verified_only: bool,
    response_weeks: int,
) -> None:
    _require(can_edit(actor, consultation))
    if department_id != consultation.department_id:
        _check_department(actor, department_id)
    _check_locale(default_locale)
    if consultation.translation(default_locale) is None:
        raise InvalidInput(
            _("Write the text in this language before making it the default one."),
            field="default_locale",
        )
    if not 1 <= response_weeks <= 104:
        raise InvalidInput(_("Choose between 1 and 104 weeks."), field="response_weeks")
    consultation.department_id = department_id
    consultation.default_locale = default_locale
    consultation.area_id = area_id or None
    consultation.topics = _topics(topic_ids)
    consultation.results_visibility = ResultsVisibility.coerce(results_visibility)
    consultation.verified_only = bool(verified_only)
    consultation.response_weeks = response_weeks
    consultation.report_due_at = report_due(consultation.closes_at, response_weeks)
    db.session.flush()


def save_translation(
    actor,
    consultation: Consultation,
    locale: str,
    *,
    title: str,
    summary: str,
    body: str,
    easy_read: str,
) -> ConsultationTranslation:
    _require(can_edit(actor, consultation))
    _check_locale(locale)
    if not title.strip():
        raise InvalidInput(_("Enter a title."), field="title")
    tr = consultation.translation(locale)
    if tr is None:
        tr = ConsultationTranslation(locale=locale, title=title)
        consultation.translations.append(tr)
    tr.title, tr.summary, tr.body, tr.easy_read = title, summary, body, easy_read
    db.session.flush()
    return tr


def delete_translation(actor, consultation: Consultation, locale: str) -> None:
    _require(can_edit(actor, consultation))
    if locale == consultation.default_locale:
        raise Conflict(_("The default language cannot be removed."))
    tr = consultation.translation(locale)
    if tr is None:
        raise NotFound(_("There is no text in this language."))
    consultation.translations.remove(tr)
    db.session.flush()


def set_dates(actor, consultation: Consultation, opens_at: datetime, closes_at: datetime, zone: str) -> None:
    """Opening and closing moments (UTC, entered in ``zone``, the city's time zone)."""
    _require(can_edit_dates(actor, consultation))
    now = utcnow()
    state = consultation.current_state
    if closes_at <= opens_at:
        raise InvalidInput(_("The closing time must be after the opening time."), field="closes_at")
    if state == ConsultationState.OPEN:
        if opens_at != consultation.opens_at:
            raise InvalidInput(_("The consultation is already open; its opening time cannot change."), field="opens_at")
        if closes_at <= now:
            raise InvalidInput(_("Choose a closing time in the future, or close it now."), field="closes_at")
    if state == ConsultationState.SCHEDULED and closes_at <= now:
        raise InvalidInput(_("Choose a closing time in the future."), field="closes_at")
    consultation.opens_at = opens_at
    consultation.closes_at = closes_at
    consultation.timezone = zone
    consultation.report_due_at = report_due(closes_at, consultation.response_weeks)
    db.session.flush()


def _ready_problems(consultation: Consultation) -> list[str]:
    problems = []
    if consultation.translation(consultation.default_locale) is None:
        problems.append(_("Write the text in the default language."))
    if consultation.opens_at is None or consultation.closes_at is None:
        problems.append(_("Set the opening and closing times."))
    elif consultation.closes_at <= utcnow():
        problems.append(_("The closing time has passed; choose a later one."))
    if consultation.cover_image and not (consultation.cover_alt or "").strip():
        problems.append(_("Describe the cover image (alternative text)."))
    return problems


def publication_problems(consultation: Consultation) -> list[str]:
    """What still stops a draft from being scheduled (shown to staff)."""
    return _ready_problems(consultation)


def schedule(actor, consultation: Consultation) -> None:
    """Draft → scheduled: it opens by itself at its opening time."""
    _require(can_edit(actor, consultation))
    if consultation.state != ConsultationState.DRAFT:
        raise Conflict(_("Only a draft can be scheduled."))
    problems = _ready_problems(consultation)
    if problems:
        raise Conflict(" ".join(problems))
    consultation.state = ConsultationState.SCHEDULED
    db.session.flush()
    audit(actor, AuditAction.CONSULTATION_PUBLISHED, consultation,
          opens_at=consultation.opens_at, closes_at=consultation.closes_at)
    if consultation.opens_at <= utcnow():
        tick()


def unschedule(actor, consultation: Consultation) -> None:
    """Scheduled (not yet open) → draft."""
    _require(can_edit(actor, consultation))
    if consultation.current_state != ConsultationState.SCHEDULED:
        raise Conflict(_("Only a consultation that has not opened yet can go back to draft."))
    consultation.state = ConsultationState.DRAFT
    db.session.flush()
    audit(actor, AuditAction.CONSULTATION_UNPUBLISHED, consultation)


def close_now(actor, consultation: Consultation) -> None:
    _require(can_edit(actor, consultation))
    if consultation.current_state != ConsultationState.OPEN:
        raise Conflict(_("Only an open consultation can be closed."))
    now = utcnow()
    consultation.closes_at = now
    consultation.report_due_at = report_due(now, consultation.response_weeks)
    db.session.flush()
    audit(actor, AuditAction.CONSULTATION_CLOSED, consultation, closed_at=now)
    tick(now)


# ---- the clock ----------------------------------------------------------------------------


@dataclass
class TickResult:
    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)


def due_transitions_exist(consultations, now: datetime | None = None) -> bool:
    """True when some loaded consultation's stored state lags behind the clock."""
    now = now or utcnow()
    return any(c.effective_state(now) != c.state for c in consultations)


def tick(now: datetime | None = None) -> TickResult:
    """Persist the transitions the clock made and notify followers (safe to run anywhere,
    any number of times, concurrently: each row moves with a guarded UPDATE)."""
    from civic.consultations import notify

    now = now or utcnow()
    result = TickResult()
    closing = db.session.execute(
        update(Consultation)
        .where(
            Consultation.state.in_([ConsultationState.SCHEDULED, ConsultationState.OPEN]),
            Consultation.closes_at <= now,
        )
        .values(state=ConsultationState.CLOSED)
        .returning(Consultation.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    opening = db.session.execute(
        update(Consultation)
        .where(
            Consultation.state == ConsultationState.SCHEDULED,
            Consultation.opens_at <= now,
            Consultation.closes_at > now,
        )
        .values(state=ConsultationState.OPEN)
        .returning(Consultation.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    result.opened, result.closed = list(opening), list(closing)
    if opening or closing:
        # Objects already in the session must see the new states.
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, Consultation) and obj.id in set(opening) | set(closing):
                db.session.expire(obj, ["state"])
        for cid in result.opened:
            notify.consultation_opened(cid)
        for cid in result.closed:
            notify.consultation_closed(cid)
    db.session.flush()
    return result


def tick_job() -> None:
    """Job run opportunistically when a page notices a transition the tick has not made.

    It commits and runs the announcement jobs it queued at once: an in-process job started
    from inside a request would otherwise leave them behind (RQ queues them as usual).
    """
    from civic.core.jobs import run_ready_jobs

    tick()
    db.session.commit()
    run_ready_jobs()


# ---- cover image and documents -------------------------------------------------------------


def set_cover(actor, consultation: Consultation, checked: uploads.CheckedFile | None, alt: str) -> None:
    _require(can_edit(actor, consultation))
    alt = (alt or "").strip()
    if checked is None and not consultation.cover_image:
        raise InvalidInput(_("Choose an image."), field="image")
    if not alt:
        raise InvalidInput(
            _("Describe the image for people who cannot see it (alternative text)."), field="alt"
        )
    if checked is not None:
        if checked.content_type not in uploads.IMAGE_TYPES:
            raise InvalidInput(_("The cover must be a PNG, JPEG or WebP image."), field="image")
        old = consultation.cover_image
        consultation.cover_image = uploads.store(checked)
        consultation.cover_content_type = checked.content_type
        if old:
            jobs.enqueue("civic.consultations.uploads.remove", old)
    consultation.cover_alt = alt
    db.session.flush()


def remove_cover(actor, consultation: Consultation) -> None:
    _require(can_edit(actor, consultation))
    if consultation.cover_image:
        jobs.enqueue("civic.consultations.uploads.remove", consultation.cover_image)
    consultation.cover_image = None
    consultation.cover_content_type = None
    consultation.cover_alt = None
    db.session.flush()


def add_attachment(
    actor,
    consultation: Consultation,
    checked: uploads.CheckedFile,
    *,
    title: str,
    language: str,
    purpose: AttachmentPurpose = AttachmentPurpose.DOCUMENT,
) -> Attachment:
    purpose = AttachmentPurpose.coerce(purpose)
    if purpose == AttachmentPurpose.REPORT:
        _require(can_edit_report(actor, consultation))
    else:
        _require(can_edit(actor, consultation))
    _check_locale(language)
    if not title.strip():
        raise InvalidInput(_("Give the document a title."), field="title")
    last = db.session.execute(
        select(func.coalesce(func.max(Attachment.position), 0)).where(
            Attachment.consultation_id == consultation.id
        )
    ).scalar_one()
    attachment = Attachment(
        consultation_id=consultation.id,
        purpose=purpose,
        title=title.strip(),
        language=language,
        filename=checked.filename,
        stored_name=uploads.store(checked),
        content_type=checked.content_type,
        size_bytes=len(checked.data),
        position=last + 1,
        creator_id=actor.id,
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def delete_attachment(actor, consultation: Consultation, attachment: Attachment) -> None:
    _require(can_edit(actor, consultation))
    jobs.enqueue("civic.consultations.uploads.remove", attachment.stored_name)
    db.session.delete(attachment)
    db.session.flush()


# ---- sections of the draft text -------------------------------------------------------------


def _sections(consultation: Consultation) -> list[ConsultationSection]:
    return list(
        db.session.execute(
            select(ConsultationSection)
            .where(ConsultationSection.consultation_id == consultation.id)
            .order_by(ConsultationSection.position, ConsultationSection.id)
        ).scalars()
    )


def add_section(actor, consultation: Consultation, locale: str, *, title: str, body: str) -> ConsultationSection:
    _require(can_edit(actor, consultation))
    _check_locale(locale)
    if not (title.strip() or body.strip()):
        raise InvalidInput(_("Write a title or a text for this section."), field="title")
    number = db.session.execute(
        update(Consultation)
        .where(Consultation.id == consultation.id)
        .values(last_section_number=Consultation.last_section_number + 1)
        .returning(Consultation.last_section_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    db.session.expire(consultation, ["last_section_number"])
    position = len(_sections(consultation)) + 1
    section = ConsultationSection(
        consultation_id=consultation.id,
        position=position,
        number=number,
        translations={locale: {"title": title.strip(), "body": body}},
    )
    db.session.add(section)
    db.session.flush()
    return section


def update_section(actor, consultation: Consultation, section: ConsultationSection, locale: str, *, title: str, body: str) -> None:
    _require(can_edit(actor, consultation))
    _check_locale(locale)
    values = dict(section.translations or {})
    if title.strip() or body.strip():
        values[locale] = {"title": title.strip(), "body": body}
    else:
        if locale == consultation.default_locale:
            raise InvalidInput(_("Write a title or a text for this section."), field="title")
        values.pop(locale, None)
    section.translations = values
    db.session.flush()


def _renumber(rows: list) -> None:
    for index, row in enumerate(rows, start=1):
        if row.position != index:
            row.position = index


def delete_section(actor, consultation: Consultation, section: ConsultationSection) -> None:
    _require(can_edit(actor, consultation))
    if section.comment_count:
        raise Conflict(_("People have commented on this section; it cannot be deleted."))
    db.session.delete(section)
    db.session.flush()
    _renumber(_sections(consultation))
    db.session.flush()


def _move(rows: list, row, direction: str) -> None:
    index = rows.index(row)
    target = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= target < len(rows):
        raise Conflict(_("This item cannot move further."))
    rows[index], rows[target] = rows[target], rows[index]
    _renumber(rows)


def move_section(actor, consultation: Consultation, section: ConsultationSection, direction: str) -> None:
    _require(can_edit(actor, consultation))
    _move(_sections(consultation), section, direction)
    db.session.flush()


# ---- questions --------------------------------------------------------------------------------


def _questions(consultation: Consultation) -> list[Question]:
    return list(
        db.session.execute(
            select(Question)
            .where(Question.consultation_id == consultation.id)
            .order_by(Question.position, Question.id)
        ).scalars()
    )


def _clean_lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _check_question(kind: QuestionKind, prompt: str, options: list[str], max_choices, max_length) -> None:
    if not prompt.strip():
        raise InvalidInput(_("Write the question."), field="prompt")
    if kind.has_options:
        if len(options) < 2:
            raise InvalidInput(_("Give at least two options, one per line."), field="options")
        if len(options) > MAX_OPTIONS:
            raise InvalidInput(_("Give at most %(n)s options.", n=MAX_OPTIONS), field="options")
        if len(set(options)) != len(options):
            raise InvalidInput(_("Each option must be different."), field="options")
    if kind == QuestionKind.MULTIPLE:
        if max_choices is not None and not 1 <= max_choices <= len(options):
            raise InvalidInput(
                _("Choose a number between 1 and the number of options."), field="max_choices"
            )
    if kind == QuestionKind.FREE_TEXT and max_length is not None and not 10 <= max_length <= MAX_FREE_TEXT:
        raise InvalidInput(_("Choose a limit between 10 and %(n)s characters.", n=MAX_FREE_TEXT), field="max_length")


def add_question(
    actor,
    consultation: Consultation,
    locale: str,
    *,
    kind: QuestionKind,
    prompt: str,
    hint: str = "",
    options: str = "",
    max_choices: int | None = None,
    max_length: int | None = None,
) -> Question:
    _require(can_edit_questions(actor, consultation))
    _check_locale(locale)
    kind = QuestionKind.coerce(kind)
    lines = _clean_lines(options)
    _check_question(kind, prompt, lines, max_choices, max_length)
    question = Question(
        consultation_id=consultation.id,
        position=len(_questions(consultation)) + 1,
        kind=kind,
        prompt_translations={locale: prompt.strip()},
        hint_translations={locale: hint.strip()} if hint.strip() else {},
        max_choices=(max_choices or len(lines)) if kind == QuestionKind.MULTIPLE else None,
        max_length=(max_length or 2000) if kind == QuestionKind.FREE_TEXT else None,
    )
    if kind.has_options:
        question.options = [
            QuestionOption(position=i, label_translations={locale: label})
            for i, label in enumerate(lines, start=1)
        ]
    elif kind == QuestionKind.SCALE:
        question.options = [QuestionOption(position=v, value=v, label_translations={}) for v in SCALE_VALUES]
    db.session.add(question)
    db.session.flush()
    return question


def update_question(
    actor,
    consultation: Consultation,
    question: Question,
    locale: str,
    *,
    prompt: str,
    hint: str = "",
    options: str = "",
    max_choices: int | None = None,
    max_length: int | None = None,
) -> None:
    """Edit the question in one language. Options are added or removed in the default
    language; another language gives the same number of lines, translated."""
    _require(can_edit_questions(actor, consultation))
    _check_locale(locale)
    kind = question.kind
    lines = _clean_lines(options)
    is_default = locale == consultation.default_locale
    if kind.has_options and not is_default and len(lines) != len(question.options):
        raise InvalidInput(
            _("Translate each of the %(n)s options, one per line, in the same order.", n=len(question.options)),
            field="options",
        )
    _check_question(kind, prompt, lines, max_choices, max_length)
    question.prompt_translations = {**(question.prompt_translations or {}), locale: prompt.strip()}
    hints = dict(question.hint_translations or {})
    if hint.strip():
        hints[locale] = hint.strip()
    else:
        hints.pop(locale, None)
    question.hint_translations = hints
    if kind.has_options:
        existing = list(question.options)
        for index, label in enumerate(lines):
            if index < len(existing):
                existing[index].label_translations = {**(existing[index].label_translations or {}), locale: label}
            else:
                question.options.append(QuestionOption(position=index + 1, label_translations={locale: label}))
        for extra in existing[len(lines):]:
            question.options.remove(extra)
    if kind == QuestionKind.MULTIPLE:
        question.max_choices = max_choices or len(lines)
    if kind == QuestionKind.FREE_TEXT:
        question.max_length = max_length or question.max_length or 2000
    db.session.flush()


def delete_question(actor, consultation: Consultation, question: Question) -> None:
    _require(can_edit_questions(actor, consultation))
    db.session.delete(question)
    db.session.flush()
    _renumber(_questions(consultation))
    db.session.flush()


def move_question(actor, consultation: Consultation, question: Question, direction: str) -> None:
    _require(can_edit_questions(actor, consultation))
    _move(_questions(consultation), question, direction)
    db.session.flush()


# ---- answering ----------------------------------------------------------------------------------


def validate_answer(question: Question, value: Any) -> tuple[list[int], str | None]:
    """Check one answer; returns (option ids in order, text). ``value`` is an option id (single,
    scale), a list of option ids (multiple; ranking in ranked order) or a string (free text)."""
    field_name = f"q_{question.id}"
    kind = question.kind
    option_ids = [o.id for o in question.options]
    if kind == QuestionKind.FREE_TEXT:
        text = (value or "").strip() if isinstance(value, str) else ""
        if not text:
            raise InvalidInput(_("Write your answer."), field=field_name)
        if len(text) > (question.max_length or MAX_FREE_TEXT):
            raise InvalidInput(
                _("Your answer is %(length)s characters long; the limit is %(limit)s.",
                  length=len(text), limit=question.max_length),
                field=field_name,
            )
        return [], text
    if kind in (QuestionKind.SINGLE, QuestionKind.SCALE):
        try:
            chosen = int(value)
        except (TypeError, ValueError):
            raise InvalidInput(_("Choose one answer."), field=field_name) from None
        if chosen not in option_ids:
            raise InvalidInput(_("Choose one of the answers offered."), field=field_name)
        return [chosen], None
    try:
        chosen_list = [int(v) for v in (value or [])]
    except (TypeError, ValueError):
        raise InvalidInput(_("Choose among the answers offered."), field=field_name) from None
    if kind == QuestionKind.MULTIPLE:
        if not chosen_list:
            raise InvalidInput(_("Choose at least one answer."), field=field_name)
        if len(set(chosen_list)) != len(chosen_list) or not set(chosen_list) <= set(option_ids):
            raise InvalidInput(_("Choose among the answers offered."), field=field_name)
        limit = question.max_choices or len(option_ids)
        if len(chosen_list) > limit:
            raise InvalidInput(
                _("Choose at most %(n)s answers.", n=limit), field=field_name
            )
        return sorted(chosen_list, key=option_ids.index), None
    # ranking: every option exactly once
    if sorted(chosen_list) != sorted(option_ids):
        raise InvalidInput(
            _("Give each option a different position, from 1 to %(n)s.", n=len(option_ids)),
            field=field_name,
        )
    return chosen_list, None


def _option_deltas(kind: QuestionKind, ids: list[int], sign: int) -> dict[int, tuple[int, int, int]]:
    """{option id: (vote delta, rank-sum delta, first-place delta)}"""
    out: dict[int, tuple[int, int, int]] = {}
    if kind == QuestionKind.RANKING:
        for rank, oid in enumerate(ids, start=1):
            out[oid] = (0, sign * rank, sign if rank == 1 else 0)
    elif kind != QuestionKind.FREE_TEXT:
        for oid in ids:
            out[oid] = (sign, 0, 0)
    return out


def _apply_option_deltas(kind: QuestionKind, old: list[int], new: list[int]) -> None:
    total: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for deltas in (_option_deltas(kind, old, -1), _option_deltas(kind, new, +1)):
        for oid, (v, r, f) in deltas.items():
            acc = total[oid]
            acc[0] += v
            acc[1] += r
            acc[2] += f
    changes = {oid: d for oid, d in total.items() if any(d)}
    if not changes:
        return
    ids = sorted(changes)

    def _case(index: int):
        return case({oid: changes[oid][index] for oid in ids}, value=QuestionOption.id, else_=0)

    db.session.execute(
        update(QuestionOption)
        .where(QuestionOption.id.in_(ids))
        .values(
            vote_count=QuestionOption.vote_count + _case(0),
            rank_sum=QuestionOption.rank_sum + _case(1),
            first_count=QuestionOption.first_count + _case(2),
        )
        .execution_options(synchronize_session=False)
    )


def _insert_ignore(table, values: dict, conflict: list[str]):
    """INSERT … ON CONFLICT DO NOTHING RETURNING (PostgreSQL, SQLite); None when it existed."""
    dialect = _dialect()
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # another database: a SAVEPOINT catches the duplicate
        try:
            with db.session.begin_nested():
                return db.session.execute(table.insert().values(**values)).inserted_primary_key
        except IntegrityError:
            return None
    stmt = insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)
    pk = [c for c in table.primary_key.columns]
    return db.session.execute(stmt.returning(*pk)).first()


def _record_answer(question: Question, user_id: int, option_ids: list[int], text: str | None, now: datetime) -> bool:
    """Insert or change one answer with exact counters; True when it is a new answer.

    Concurrency: the question row is locked first (UPDATE), so answers to one question are
    serialised; the unique (question, user) constraint and ON CONFLICT keep one row.
    """
    # 1. lock the question (answer_count + 0 takes the row lock on PostgreSQL; on SQLite any
    #    write takes the database lock).
    db.session.execute(
        update(Question)
        .where(Question.id == question.id)
        .values(answer_count=Question.answer_count + 0)
        .execution_options(synchronize_session=False)
    )
    table = Answer.__table__
    inserted = _insert_ignore(
        table,
        {
            "question_id": question.id,
            "consultation_id": question.consultation_id,
            "user_id": user_id,
            "option_ids": option_ids,
            "text": text,
            "created_at": now,
            "updated_at": now,
        },
        ["question_id", "user_id"],
    )
    if inserted is not None:
        db.session.execute(
            update(Question)
            .where(Question.id == question.id)
            .values(answer_count=Question.answer_count + 1)
            .execution_options(synchronize_session=False)
        )
        _apply_option_deltas(question.kind, [], option_ids)
        return True
    old = db.session.execute(
        select(table.c.id, table.c.option_ids)
        .where(table.c.question_id == question.id, table.c.user_id == user_id)
        .with_for_update()
    ).one()
    _apply_option_deltas(question.kind, list(old.option_ids or []), option_ids)
    db.session.execute(
        update(table)
        .where(table.c.id == old.id)
        .values(option_ids=option_ids, text=text, updated_at=now)
    )
    return False


def _record_participation(consultation_id: int, user_id: int, now: datetime) -> bool:
    inserted = _insert_ignore(
        Participation.__table__,
        {"consultation_id": consultation_id, "user_id": user_id, "created_at": now},
        ["consultation_id", "user_id"],
    )
    if inserted is None:
        return False
    db.session.execute(
        update(Consultation)
        .where(Consultation.id == consultation_id)
        .values(participant_count=Consultation.participant_count + 1)
        .execution_options(synchronize_session=False)
    )
    return True


def check_may_answer(actor, consultation: Consultation) -> None:
    if not may_answer_at_all(actor, consultation):
        if consultation.current_state != ConsultationState.OPEN:
            raise Conflict(_("This consultation is not open for answers."))
        raise PermissionDenied(_("Sign in with an active account to answer."))
    if not can_answer(actor, consultation):
        raise PermissionDenied(
            _("Only residents whose address the city has verified can answer this consultation.")
        )


def answer_questions(actor, consultation: Consultation, values: dict[int, Any]) -> dict[str, int]:
    """Record the actor's answers (``{question_id: value}``; questions left out are untouched).

    Every answer is checked first, then written; one error refuses the whole submission.
    Returns ``{"new": n, "changed": m}``.
    """
    check_may_answer(actor, consultation)
    questions = {q.id: q for q in db.session.execute(
        select(Question).where(Question.consultation_id == consultation.id).order_by(Question.id)
    ).scalars()}
    checked: list[tuple[Question, list[int], str | None]] = []
    errors: list[InvalidInput] = []
    for qid in sorted(values):
        question = questions.get(qid)
        if question is None:
            raise NotFound(_("This question does not exist."))
        try:
            ids, text = validate_answer(question, values[qid])
        except InvalidInput as exc:
            errors.append(exc)
            continue
        checked.append((question, ids, text))
    if errors:
        raise AnswerErrors(errors)
    if not checked:
        raise InvalidInput(_("Answer at least one question."))
    now = utcnow()
    counts = {"new": 0, "changed": 0}
    for question, ids, text in checked:  # question id order: the same lock order for everyone
        counts["new" if _record_answer(question, actor.id, ids, text, now) else "changed"] += 1
    _record_participation(consultation.id, actor.id, now)
    for question, _ids, _text in checked:
        db.session.expire(question)
    db.session.expire(consultation, ["participant_count"])
    db.session.flush()
    return counts


class AnswerErrors(InvalidInput):
    """Several answers were refused; ``errors`` has one InvalidInput per question."""

    def __init__(self, errors: list[InvalidInput]):
        super().__init__(errors[0].message, field=errors[0].field)
        self.errors = errors


def answers_of(user, consultation: Consultation) -> dict[int, Answer]:
    if not getattr(user, "is_authenticated", False):
        return {}
    rows = db.session.execute(
        select(Answer).where(Answer.consultation_id == consultation.id, Answer.user_id == user.id)
    ).scalars()
    return {a.question_id: a for a in rows}


# ---- results -------------------------------------------------------------------------------------


@dataclass
class OptionResult:
    option: QuestionOption
    label: Any
    count: int
    percent: float
    average_rank: float | None = None
    first_count: int = 0


@dataclass
class QuestionResult:
    question: Question
    answered: int
    options: list[OptionResult]


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def question_results(question: Question, locale: str, default_locale: str) -> QuestionResult:
    """Results from the counters stored on rows (no scan of the answers)."""
    n = question.answer_count
    rows = []
    for option in question.options:
        label = option.label_for(locale, default_locale)
        if question.kind == QuestionKind.RANKING:
            avg = round(option.rank_sum / n, 2) if n else None
            rows.append(OptionResult(option, label, option.first_count, _pct(option.first_count, n), avg, option.first_count))
        else:
            rows.append(OptionResult(option, label, option.vote_count, _pct(option.vote_count, n)))
    if question.kind == QuestionKind.RANKING and n:
        rows.sort(key=lambda r: (r.average_rank, r.option.position))
    return QuestionResult(question, n, rows)


def open_data(consultation: Consultation, questions: list[Question]) -> dict:
    """Aggregated results (no personal data), in every language the consultation has."""
    from flask import url_for

    def names(translations: dict | None) -> dict:
        return {k: v for k, v in (translations or {}).items() if v}

    return {
        "consultation": {
            "id": consultation.id,
            "url": url_for("consultations.detail", consultation_id=consultation.id, _external=True),
            "title": {t.locale: t.title for t in consultation.translations},
            "department": consultation.department.slug,
            "state": str(consultation.current_state),
            "opens_at": consultation.opens_at.isoformat() if consultation.opens_at else None,
            "closes_at": consultation.closes_at.isoformat() if consultation.closes_at else None,
            "participants": consultation.participant_count,
        },
        "questions": [
            {
                "id": q.id,
                "position": q.position,
                "kind": str(q.kind),
                "prompt": names(q.prompt_translations),
                "answered": q.answer_count,
                "options": [
                    {
                        "id": o.id,
                        "label": names(o.label_translations) or ({"value": o.value} if o.value else {}),
                        **({"value": o.value} if o.value is not None else {}),
                        **(
                            {"first_place": o.first_count, "rank_sum": o.rank_sum,
                             "average_rank": round(o.rank_sum / q.answer_count, 3) if q.answer_count else None}
                            if q.kind == QuestionKind.RANKING
                            else {"count": o.vote_count, "percent": _pct(o.vote_count, q.answer_count)}
                        ),
                    }
                    for o in q.options
                ],
            }
            for q in questions
        ],
    }


def free_text_answers(question: Question):
    """SELECT of a free-text question's answers, newest first (paginate it)."""
    return (
        select(Answer)
        .where(Answer.question_id == question.id)
        .order_by(Answer.updated_at.desc(), Answer.id.desc())
    )


def record_export(actor, consultation: Consultation, fmt: str) -> None:
    """Exports of results (with free-text answers) are recorded in the audit log."""
    _require(can_read_responses(actor, consultation))
    audit(actor, AuditAction.RESULTS_EXPORTED, consultation, format=fmt)


def export_rows(consultation: Consultation, questions: list[Question], locale: str):
    """CSV rows: one per option (counts), then one per free-text answer (text only)."""
    yield ["question_position", "question", "kind", "answered", "option", "count", "percent",
           "average_rank", "free_text_answer"]
    free = [q for q in questions if q.kind == QuestionKind.FREE_TEXT]
    texts: dict[int, list[str]] = defaultdict(list)
    if free:
        for qid, text_value in db.session.execute(
            select(Answer.question_id, Answer.text)
            .where(Answer.question_id.in_([q.id for q in free]))
            .order_by(Answer.question_id, Answer.id)
        ):
            texts[qid].append(text_value or "")
    for q in questions:
        prompt = q.prompt_for(locale, consultation.default_locale).text
        if q.kind == QuestionKind.FREE_TEXT:
            for text_value in texts[q.id]:
                yield [q.position, prompt, str(q.kind), q.answer_count, "", "", "", "", text_value]
            continue
        result = question_results(q, locale, consultation.default_locale)
        for row in result.options:
            yield [q.position, prompt, str(q.kind), q.answer_count, row.label.text, row.count,
                   row.percent, "" if row.average_rank is None else row.average_rank, ""]


# ---- "you said, we did" ----------------------------------------------------------------------------


def save_report(actor, consultation: Consultation, locale: str, *, report: str) -> None:
    _require(can_edit_report(actor, consultation))
    _check_locale(locale)
    tr = consultation.translation(locale)
    if tr is None:
        raise InvalidInput(
            _("Add the consultation's text in this language first."), field="locale"
        )
    tr.report = report
    db.session.flush()


def publish_report(actor, consultation: Consultation) -> None:
    """Closed → concluded; everyone who took part or follows it is told."""
    from civic.consultations import notify

    _require(can_publish_report(actor, consultation))
    main = consultation.translation(consultation.default_locale)
    if main is None or not (main.report or "").strip():
        raise InvalidInput(
            _("Write the report in the default language before publishing it."), field="report"
        )
    now = utcnow()
    moved = db.session.execute(
        update(Consultation)
        .where(
            Consultation.id == consultation.id,
            Consultation.state.in_([ConsultationState.SCHEDULED, ConsultationState.OPEN, ConsultationState.CLOSED]),
        )
        .values(state=ConsultationState.CONCLUDED, report_published_at=now, concluded_by_id=actor.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise Conflict(_("The report is already published."))
    db.session.expire(consultation, ["state", "report_published_at", "concluded_by_id"])
    notify.consultation_concluded(consultation.id, actor.id)
    db.session.flush()
    audit(actor, AuditAction.CONSULTATION_REPORT_PUBLISHED, consultation)


# ---- finding -------------------------------------------------------------------------------------


def state_condition(state: ConsultationState, now: datetime):
    """SQL for "the effective state is ``state``" (the clock included)."""
    S = ConsultationState
    c = Consultation
    if state == S.DRAFT:
        return c.state == S.DRAFT
    if state == S.SCHEDULED:
        return and_(c.state == S.SCHEDULED, or_(c.opens_at.is_(None), c.opens_at > now))
    if state == S.OPEN:
        return and_(
            or_(c.state == S.OPEN, and_(c.state == S.SCHEDULED, c.opens_at <= now)),
            or_(c.closes_at.is_(None), c.closes_at > now),
        )
    if state == S.CLOSED:
        return or_(
            c.state == S.CLOSED,
            and_(c.state.in_([S.SCHEDULED, S.OPEN]), c.closes_at <= now),
        )
    return c.state == S.CONCLUDED


def public_condition(now: datetime):
    return or_(*(state_condition(s, now) for s in PUBLIC_STATES))


def visible_condition(user, now: datetime):
    """Public consultations, plus every state for the viewer's departments (all for admins)."""
    if is_admin(user):
        return literal_column("1") == 1
    departments = list(getattr(user, "department_ids", ()) or ())
    if departments:
        return or_(public_condition(now), Consultation.department_id.in_(departments))
    return public_condition(now)


def search_condition(query: str):
    """Title or summary, in any language, matches the words of ``query``."""
    query = query.strip()[:200]
    T = ConsultationTranslation
    if _dialect() == "postgresql":
        from sqlalchemy import text as sql_text

        from civic.consultations.models import search_vector_sql

        cond = sql_text(
            search_vector_sql("consultation_translation.")
            + " @@ plainto_tsquery('simple'::regconfig, :search_query)"
        ).bindparams(search_query=query)
    else:
        words = [w for w in query.split() if w][:8]
        if not words:
            return literal_column("1") == 1
        conds = []
        for word in words:
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conds.append(or_(T.title.ilike(pattern, escape="\\"), T.summary.ilike(pattern, escape="\\")))
        cond = and_(*conds)
    return exists(select(T.id).where(T.consultation_id == Consultation.id, cond))


SORTS = ("closing", "newest")


@dataclass
class Filters:
    state: ConsultationState | None = None
    department_id: int | None = None
    topic_id: int | None = None
    area_id: int | None = None
    query: str = ""
    sort: str = "closing"


def listing_query(user, filters: Filters, now: datetime | None = None):
    """SELECT of the consultations ``user`` may see, filtered and sorted (paginate it)."""
    now = now or utcnow()
    stmt = select(Consultation).where(visible_condition(user, now))
    if filters.state is not None:
        stmt = stmt.where(state_condition(filters.state, now))
    if filters.department_id:
        stmt = stmt.where(Consultation.department_id == filters.department_id)
    if filters.area_id:
        stmt = stmt.where(Consultation.area_id == filters.area_id)
    if filters.topic_id:
        stmt = stmt.where(
            exists(
                select(consultation_topics.c.topic_id).where(
                    consultation_topics.c.consultation_id == Consultation.id,
                    consultation_topics.c.topic_id == filters.topic_id,
                )
            )
        )
    if filters.query.strip():
        stmt = stmt.where(search_condition(filters.query))
    if filters.sort == "newest":
        stmt = stmt.order_by(Consultation.opens_at.desc().nulls_last(), Consultation.id.desc())
    else:
        upcoming = case((Consultation.closes_at > now, 0), else_=1)
        stmt = stmt.order_by(
            upcoming,
            case((Consultation.closes_at > now, Consultation.closes_at), else_=None).asc().nulls_last(),
            Consultation.closes_at.desc().nulls_last(),
            Consultation.id.desc(),
        )
    return stmt


def overdue_reports_query(now: datetime | None = None):
    """Closed consultations whose report is past its deadline, most overdue first."""
    now = now or utcnow()
    return (
        select(Consultation)
        .where(
            state_condition(ConsultationState.CLOSED, now),
            Consultation.report_due_at.is_not(None),
            Consultation.report_due_at <= now,
        )
        .order_by(Consultation.report_due_at.asc(), Consultation.id)
    )


def open_consultations(limit: int = 3, now: datetime | None = None) -> list[Consultation]:
    now = now or utcnow()
    return list(
        db.session.execute(
            select(Consultation)
            .where(state_condition(ConsultationState.OPEN, now))
            .order_by(Consultation.closes_at.asc(), Consultation.id)
            .limit(limit)
        ).unique().scalars()
    )


# ---- topics and areas -----------------------------------------------------------------------------


def save_named(actor, model, obj, *, slug: str, names: dict[str, str]):
    """Create (``obj`` None) or update a Topic or Area."""
    _require(can_manage_taxonomy(actor))
    names = {k: v.strip() for k, v in names.items() if v and v.strip()}
    if not names:
        raise InvalidInput(_("Give a name in at least one language."))
    clash = db.session.execute(select(model.id).where(model.slug == slug)).scalar_one_or_none()
    if clash is not None and (obj is None or clash != obj.id):
        raise InvalidInput(_("This short name is already used."), field="slug")
    if obj is None:
        obj = model(slug=slug, name_translations=names)
        db.session.add(obj)
    else:
        obj.slug = slug
        obj.name_translations = names
    db.session.flush()
    return obj


def all_topics() -> list[Topic]:
    return list(db.session.execute(select(Topic).order_by(Topic.slug)).scalars())


def all_areas() -> list[Area]:
    return list(db.session.execute(select(Area).order_by(Area.slug)).scalars())


def delete_named(actor, obj) -> None:
    _require(can_manage_taxonomy(actor))
    if isinstance(obj, Topic):
        db.session.execute(delete(consultation_topics).where(consultation_topics.c.topic_id == obj.id))
    db.session.delete(obj)
    db.session.flush()
