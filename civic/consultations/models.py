"""Consultations: texts in several languages, sections, documents, questions and answers.

The stored ``state`` is what the last transition wrote; the *effective* state also looks at
the clock (``effective_state``), so pages are right even before ``flask consultations tick``
has persisted an opening or a closing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import Department
from civic.core.enums import LabelledEnum, enum_column
from civic.core.models import CreatorMixin, TimestampMixin
from civic.core.time import utcnow
from civic.extensions import db

DEFAULT_RESPONSE_WEEKS = 12


class ConsultationState(LabelledEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    CONCLUDED = "concluded"

    @classmethod
    def _labels(cls):
        return {
            "draft": _l("Draft"),
            "scheduled": _l("Scheduled"),
            "open": _l("Open"),
            "closed": _l("Closed"),
            "concluded": _l("Concluded"),
        }


#: States everyone may see (drafts and scheduled ones are for the department's staff).
PUBLIC_STATES = (ConsultationState.OPEN, ConsultationState.CLOSED, ConsultationState.CONCLUDED)


class ResultsVisibility(LabelledEnum):
    LIVE = "live"
    AFTER_CLOSE = "after_close"

    @classmethod
    def _labels(cls):
        return {
            "live": _l("While the consultation is open"),
            "after_close": _l("Only after it closes"),
        }


class QuestionKind(LabelledEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    RANKING = "ranking"
    SCALE = "scale"
    FREE_TEXT = "free_text"

    @classmethod
    def _labels(cls):
        return {
            "single": _l("Single choice"),
            "multiple": _l("Multiple choice"),
            "ranking": _l("Ranking"),
            "scale": _l("Scale from 1 to 5"),
            "free_text": _l("Free text"),
        }

    @property
    def has_options(self) -> bool:
        return self in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING)


class AttachmentPurpose(LabelledEnum):
    DOCUMENT = "document"
    REPORT = "report"

    @classmethod
    def _labels(cls):
        return {"document": _l("Consultation document"), "report": _l("Report document")}


@dataclass(frozen=True)
class Localized:
    """A text picked for the reader: ``lang`` is the language it is really written in."""

    text: str
    lang: str
    fallback: bool


def pick(translations: dict | None, locale: str, default_locale: str) -> Localized:
    """The reader's language, else the default language, else any language present."""
    values = translations or {}
    if values.get(locale):
        return Localized(values[locale], locale, False)
    if values.get(default_locale):
        return Localized(values[default_locale], default_locale, locale != default_locale)
    for code, value in values.items():
        if value:
            return Localized(value, code, code != locale)
    return Localized("", locale, False)


class NamedMixin:
    """Topics and areas: a slug and a name per language."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: ``{"fr": "Mobilité", "en": "Transport"}``
    name_translations: Mapped[dict] = mapped_column(JSON, default=dict)

    def name_for(self, locale: str, default_locale: str = "en") -> Localized:
        return pick(self.name_translations, locale, default_locale)


class Topic(NamedMixin, db.Model):
    __tablename__ = "consultation_topic"


class Area(NamedMixin, db.Model):
    """An area or district of the city."""

    __tablename__ = "consultation_area"


consultation_topics = Table(
    "consultation_topic_link",
    db.metadata,
    Column("consultation_id", Integer, ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", Integer, ForeignKey("consultation_topic.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Consultation(TimestampMixin, CreatorMixin, db.Model):
    __tablename__ = "consultation"
    __table_args__ = (
        Index("ix_consultation_state_closes_at", "state", "closes_at"),
        Index("ix_consultation_state_opens_at", "state", "opens_at"),
        Index("ix_consultation_department_id_opens_at", "department_id", "opens_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"))
    area_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation_area.id", ondelete="SET NULL"), index=True
    )
    default_locale: Mapped[str] = mapped_column(String(10), default="en")
    state: Mapped[ConsultationState] = mapped_column(
        enum_column(ConsultationState), default=ConsultationState.DRAFT
    )
    opens_at: Mapped[datetime | None] = mapped_column(index=True)
    closes_at: Mapped[datetime | None] = mapped_column(index=True)
    #: IANA zone the opening and closing moments were entered in (the city's zone).
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    results_visibility: Mapped[ResultsVisibility] = mapped_column(
        enum_column(ResultsVisibility), default=ResultsVisibility.AFTER_CLOSE
    )
    #: Only residents whose address the city verified may answer.
    verified_only: Mapped[bool] = mapped_column(default=False)
    #: The department promises its "you said, we did" report this many weeks after closing.
    response_weeks: Mapped[int] = mapped_column(default=DEFAULT_RESPONSE_WEEKS)
    report_due_at: Mapped[datetime | None] = mapped_column(index=True)
    report_published_at: Mapped[datetime | None]
    concluded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    cover_image: Mapped[str | None] = mapped_column(String(80))
    cover_content_type: Mapped[str | None] = mapped_column(String(40))
    #: Text alternative of the cover image, in ``default_locale`` (required with an image).
    cover_alt: Mapped[str | None] = mapped_column(String(300))
    #: People who answered at least one question (exact, kept by the answer service).
    participant_count: Mapped[int] = mapped_column(default=0)
    #: Stable numbers handed to new sections (anchors never change on reordering).
    last_section_number: Mapped[int] = mapped_column(default=0)

    department: Mapped[Department] = relationship(lazy="joined", innerjoin=True)
    area: Mapped[Area | None] = relationship(lazy="joined")
    topics: Mapped[list[Topic]] = relationship(
        secondary=consultation_topics, lazy="selectin", order_by="Topic.slug"
    )
    translations: Mapped[list[ConsultationTranslation]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", lazy="selectin",
        order_by="ConsultationTranslation.locale",
    )
    sections: Mapped[list[ConsultationSection]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", lazy="raise",
        order_by="ConsultationSection.position",
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", lazy="raise",
        order_by="[Attachment.position, Attachment.id]",
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", lazy="raise",
        order_by="Question.position",
    )

    # ---- the clock -------------------------------------------------------------------

    def effective_state(self, now: datetime | None = None) -> ConsultationState:
        """The state the clock says, whether or not the tick has persisted it yet."""
        return effective_state(self.state, self.opens_at, self.closes_at, now or utcnow())

    @property
    def current_state(self) -> ConsultationState:
        return self.effective_state()

    @property
    def is_public(self) -> bool:
        return self.current_state in PUBLIC_STATES

    @property
    def is_open(self) -> bool:
        return self.current_state == ConsultationState.OPEN

    @property
    def report_overdue(self) -> bool:
        return (
            self.current_state == ConsultationState.CLOSED
            and self.report_due_at is not None
            and self.report_due_at <= utcnow()
        )

    # ---- languages -------------------------------------------------------------------

    @property
    def locales(self) -> list[str]:
        return [t.locale for t in self.translations]

    def translation(self, locale: str) -> ConsultationTranslation | None:
        return next((t for t in self.translations if t.locale == locale), None)

    def text_for(self, locale: str) -> ConsultationTranslation | None:
        """The translation in ``locale``, else the default language's (check ``.locale``)."""
        found = self.translation(locale) or self.translation(self.default_locale)
        if found is None and self.translations:
            found = self.translations[0]
        return found

    def title_for(self, locale: str) -> Localized:
        tr = self.text_for(locale)
        if tr is None:
            return Localized("", locale, False)
        return Localized(tr.title, tr.locale, tr.locale != locale)

    def __repr__(self) -> str:
        return f"<Consultation {self.id} {self.state}>"


def effective_state(
    state: ConsultationState,
    opens_at: datetime | None,
    closes_at: datetime | None,
    now: datetime,
) -> ConsultationState:
    """(stored state, opening, closing, now) → the state people see."""
    if state in (ConsultationState.SCHEDULED, ConsultationState.OPEN):
        if closes_at is not None and now >= closes_at:
            return ConsultationState.CLOSED
        if state == ConsultationState.SCHEDULED and opens_at is not None and now >= opens_at:
            return ConsultationState.OPEN
    return state


#: Expression matched by the PostgreSQL full-text index (written as PostgreSQL reflects it,
#: so that autogenerate compares equal). Queries use the same expression, see services.search.
def search_vector_sql(prefix: str = "") -> str:
    return (
        f"to_tsvector('simple'::regconfig, (COALESCE({prefix}title, ''::character varying)::text "
        f"|| ' '::text) || COALESCE({prefix}summary, ''::text))"
    )


SEARCH_VECTOR_SQL = search_vector_sql()


class ConsultationTranslation(TimestampMixin, db.Model):
    """The consultation's texts in one language."""

    __tablename__ = "consultation_translation"
    __table_args__ = (
        UniqueConstraint("consultation_id", "locale"),
        Index("ix_consultation_translation_search", text(SEARCH_VECTOR_SQL), postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    #: Rich text (sanitized by civic.core.sanitize.rich_text when shown).
    body: Mapped[str] = mapped_column(Text, default="")
    easy_read: Mapped[str] = mapped_column(Text, default="")
    #: "You said, we did": the department's final report (rich text).
    report: Mapped[str] = mapped_column(Text, default="")

    consultation: Mapped[Consultation] = relationship(back_populates="translations")


class ConsultationSection(db.Model):
    """A numbered part of the draft text (an article, a paragraph) people comment on."""

    __tablename__ = "consultation_section"
    __table_args__ = (
        UniqueConstraint("consultation_id", "number"),
        Index("ix_consultation_section_consultation_id_position", "consultation_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    #: Display order (1, 2, 3 …); changes when staff reorder.
    position: Mapped[int] = mapped_column(default=0)
    #: Stable number used in the anchor (``#section-3``); never reused within a consultation.
    number: Mapped[int] = mapped_column(default=0)
    #: ``{"fr": {"title": "…", "body": "<p>…</p>"}, "en": {…}}``
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Comments attached to this section (kept exact by the comments capability).
    comment_count: Mapped[int] = mapped_column(default=0)

    consultation: Mapped[Consultation] = relationship(back_populates="sections")

    @property
    def anchor(self) -> str:
        return f"section-{self.number}"

    def text_for(self, locale: str, default_locale: str) -> tuple[str, str, str]:
        """(title, body, language) in the reader's language, else the default one."""
        values = self.translations or {}
        for code in (locale, default_locale, *values.keys()):
            entry = values.get(code) or {}
            if entry.get("title") or entry.get("body"):
                return entry.get("title", ""), entry.get("body", ""), code
        return "", "", default_locale


class Attachment(CreatorMixin, db.Model):
    """A file attached to a consultation (its documents, or its final report's)."""

    __tablename__ = "consultation_attachment"
    __table_args__ = (
        Index("ix_consultation_attachment_consultation_id_purpose", "consultation_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    purpose: Mapped[AttachmentPurpose] = mapped_column(
        enum_column(AttachmentPurpose), default=AttachmentPurpose.DOCUMENT
    )
    title: Mapped[str] = mapped_column(String(200))
    #: Language the document is written in.
    language: Mapped[str] = mapped_column(String(10))
    #: Name offered on download (cleaned; extension matches the detected type).
    filename: Mapped[str] = mapped_column(String(200))
    #: Random name on disk (never derived from what the uploader sent).
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    consultation: Mapped[Consultation] = relationship(back_populates="attachments")

    @property
    def kind_label(self) -> str:
        from civic.consultations.uploads import KIND_LABELS

        return str(KIND_LABELS.get(self.content_type, self.content_type))


class Question(db.Model):
    __tablename__ = "consultation_question"
    __table_args__ = (
        Index("ix_consultation_question_consultation_id_position", "consultation_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind, name="questionkind"))
    #: ``{"fr": "Quel …", "en": "Which …"}``
    prompt_translations: Mapped[dict] = mapped_column(JSON, default=dict)
    hint_translations: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Multiple choice: how many options one person may tick.
    max_choices: Mapped[int | None]
    #: Free text: the longest answer accepted, in characters.
    max_length: Mapped[int | None]
    #: People who answered this question (exact; the base of every percentage).
    answer_count: Mapped[int] = mapped_column(default=0)

    consultation: Mapped[Consultation] = relationship(back_populates="questions")
    options: Mapped[list[QuestionOption]] = relationship(
        back_populates="question", cascade="all, delete-orphan", lazy="selectin",
        order_by="QuestionOption.position",
    )

    def prompt_for(self, locale: str, default_locale: str) -> Localized:
        return pick(self.prompt_translations, locale, default_locale)

    def hint_for(self, locale: str, default_locale: str) -> Localized:
        return pick(self.hint_translations, locale, default_locale)


class QuestionOption(db.Model):
    __tablename__ = "consultation_question_option"
    __table_args__ = (Index("ix_consultation_question_option_question_id_position", "question_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("consultation_question.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    label_translations: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Scale questions: the value 1 … 5 this option stands for.
    value: Mapped[int | None]
    #: People who chose this option (single, multiple, scale).
    vote_count: Mapped[int] = mapped_column(default=0)
    #: Ranking: sum of the positions people gave it (1 = first); average = rank_sum / answers.
    rank_sum: Mapped[int] = mapped_column(default=0)
    #: Ranking: people who put it first.
    first_count: Mapped[int] = mapped_column(default=0)

    question: Mapped[Question] = relationship(back_populates="options")

    def label_for(self, locale: str, default_locale: str) -> Localized:
        if self.value is not None and not self.label_translations:
            return Localized(str(self.value), locale, False)
        return pick(self.label_translations, locale, default_locale)


class Answer(db.Model):
    """One person's answer to one question (unique; changed in place until closing)."""

    __tablename__ = "consultation_answer"
    __table_args__ = (
        UniqueConstraint("question_id", "user_id"),
        Index("ix_consultation_answer_consultation_id_user_id", "consultation_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("consultation_question.id", ondelete="CASCADE"))
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: Chosen option ids (single, multiple, scale) or all option ids in ranked order.
    option_ids: Mapped[list] = mapped_column(JSON, default=list)
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Participation(db.Model):
    """Who answered a consultation at least once (drives ``participant_count``)."""

    __tablename__ = "consultation_participation"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def report_due(closes_at: datetime | None, weeks: int) -> datetime | None:
    return closes_at + timedelta(weeks=weeks) if closes_at else None
