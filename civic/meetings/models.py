"""Public meetings (online, hybrid, in person), registrations, scheduling polls and feeds.

A meeting stores UTC start and end plus the IANA zone its organizer entered them in.  The
stored ``state`` is ``scheduled`` or ``cancelled``; ``live`` and ``past`` come from the clock
(``Meeting.effective_state``), so pages are right without any background job.

Counters shown on pages (``registered_count``, ``waiting_count``, ``checked_in_count``, the
poll totals) are stored on their rows and changed with SQL expressions in the same
transaction as the change they count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import Department, User
from civic.consultations.models import Consultation
from civic.core.enums import LabelledEnum, enum_column
from civic.core.models import CreatorMixin, TimestampMixin
from civic.core.time import utcnow
from civic.extensions import db
from civic.moderation.states import ModerationState

#: The join link appears this long before the start.
JOIN_WINDOW = timedelta(minutes=15)
#: Reminders, before the start.
REMINDER_DAY = timedelta(hours=24)
REMINDER_HOUR = timedelta(hours=1)


class MeetingType(LabelledEnum):
    ONLINE = "online"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"

    @classmethod
    def _labels(cls):
        return {
            "online": _l("Online"),
            "in_person": _l("In person"),
            "hybrid": _l("Hybrid (in person and online)"),
        }

    @property
    def has_place(self) -> bool:
        return self in (MeetingType.IN_PERSON, MeetingType.HYBRID)

    @property
    def has_link(self) -> bool:
        return self in (MeetingType.ONLINE, MeetingType.HYBRID)


class MeetingState(LabelledEnum):
    """Stored: ``scheduled`` or ``cancelled``. ``live`` and ``past`` derive from the clock."""

    SCHEDULED = "scheduled"
    LIVE = "live"
    PAST = "past"
    CANCELLED = "cancelled"

    @classmethod
    def _labels(cls):
        return {
            "scheduled": _l("Upcoming"),
            "live": _l("Happening now"),
            "past": _l("Took place"),
            "cancelled": _l("Cancelled"),
        }


class RegistrationMode(LabelledEnum):
    OFF = "off"
    OPEN = "open"
    LIMITED = "limited"

    @classmethod
    def _labels(cls):
        return {
            "off": _l("No registration: anyone may come"),
            "open": _l("Registration open to every signed-in resident"),
            "limited": _l("Registration with a limited number of places"),
        }


class RegistrationState(LabelledEnum):
    REGISTERED = "registered"
    WAITING = "waiting"
    CANCELLED = "cancelled"

    @classmethod
    def _labels(cls):
        return {
            "registered": _l("Registered"),
            "waiting": _l("On the waiting list"),
            "cancelled": _l("Registration cancelled"),
        }


class PollState(LabelledEnum):
    OPEN = "open"
    DECIDED = "decided"
    CLOSED = "closed"

    @classmethod
    def _labels(cls):
        return {
            "open": _l("Open for answers"),
            "decided": _l("Date chosen"),
            "closed": _l("Closed without a date"),
        }


class PollChoice(LabelledEnum):
    YES = "yes"
    IF_NEED_BE = "if_need_be"
    NO = "no"

    @classmethod
    def _labels(cls):
        return {"yes": _l("Yes"), "if_need_be": _l("If need be"), "no": _l("No")}


@dataclass(frozen=True)
class Localized:
    """A text picked for the reader: ``lang`` is the language it is really written in."""

    text: str
    lang: str
    fallback: bool


def effective_state(
    state: MeetingState, starts_at: datetime, ends_at: datetime, now: datetime
) -> MeetingState:
    if state == MeetingState.CANCELLED:
        return state
    if now >= ends_at:
        return MeetingState.PAST
    if now >= starts_at:
        return MeetingState.LIVE
    return MeetingState.SCHEDULED


class Meeting(TimestampMixin, CreatorMixin, db.Model):
    __tablename__ = "meeting"
    __table_args__ = (
        Index("ix_meeting_starts_at", "starts_at"),
        Index("ix_meeting_ends_at", "ends_at"),
        Index("ix_meeting_department_id_starts_at", "department_id", "starts_at"),
        Index("ix_meeting_consultation_id_starts_at", "consultation_id", "starts_at"),
        Index("ix_meeting_state_starts_at", "state", "starts_at"),
        Index("ix_meeting_type_starts_at", "type", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"))
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="SET NULL")
    )
    default_locale: Mapped[str] = mapped_column(String(10), default="en")
    type: Mapped[MeetingType] = mapped_column(enum_column(MeetingType))
    state: Mapped[MeetingState] = mapped_column(
        enum_column(MeetingState), default=MeetingState.SCHEDULED
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    #: IANA zone the organizer entered the times in (shown alongside the reader's own zone).
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    #: Street address (in-person and hybrid meetings).
    address: Mapped[str] = mapped_column(Text, default="")
    #: Link to any video service (https only), or a generated Jitsi room.
    join_url: Mapped[str | None] = mapped_column(String(500))
    registration: Mapped[RegistrationMode] = mapped_column(
        enum_column(RegistrationMode), default=RegistrationMode.OFF
    )
    capacity: Mapped[int | None]
    registered_count: Mapped[int] = mapped_column(default=0)
    waiting_count: Mapped[int] = mapped_column(default=0)
    checked_in_count: Mapped[int] = mapped_column(default=0)
    #: iCalendar SEQUENCE: bumped whenever time, place, text or status change.
    sequence: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None]
    # ---- after the meeting
    minutes_published_at: Mapped[datetime | None]
    attendee_count: Mapped[int | None]
    recording_url: Mapped[str | None] = mapped_column(String(500))
    #: Moderation of the description (civic.moderation): while held or hidden, the page
    #: shows a notice (with the moderators' reason) in its place.
    moderation_state: Mapped[ModerationState] = mapped_column(
        enum_column(ModerationState, name="meetingmoderationstate"),
        default=ModerationState.VISIBLE,
        server_default=ModerationState.VISIBLE.value,
        index=True,
    )

    department: Mapped[Department] = relationship(lazy="joined", innerjoin=True)
    consultation: Mapped[Consultation | None] = relationship(lazy="raise")
    creator: Mapped[User | None] = relationship(lazy="raise")
    translations: Mapped[list[MeetingTranslation]] = relationship(
        back_populates="meeting",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="MeetingTranslation.locale",
    )
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting",
        cascade="all, delete-orphan",
        lazy="raise",
        order_by="AgendaItem.position",
    )
    outcomes: Mapped[list[MeetingOutcome]] = relationship(
        back_populates="meeting",
        cascade="all, delete-orphan",
        lazy="raise",
        order_by="MeetingOutcome.position",
    )
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", lazy="raise"
    )

    # ---- the clock -------------------------------------------------------------------

    def effective_state(self, now: datetime | None = None) -> MeetingState:
        return effective_state(self.state, self.starts_at, self.ends_at, now or utcnow())

    @property
    def current_state(self) -> MeetingState:
        return self.effective_state()

    @property
    def is_cancelled(self) -> bool:
        return self.state == MeetingState.CANCELLED

    @property
    def join_opens_at(self) -> datetime:
        return self.starts_at - JOIN_WINDOW

    def join_window_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return not self.is_cancelled and self.join_opens_at <= now < self.ends_at

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    @property
    def places_left(self) -> int | None:
        if self.registration != RegistrationMode.LIMITED or self.capacity is None:
            return None
        return max(0, self.capacity - self.registered_count)

    @property
    def is_full(self) -> bool:
        left = self.places_left
        return left is not None and left <= 0

    # ---- languages -------------------------------------------------------------------

    @property
    def locales(self) -> list[str]:
        return [t.locale for t in self.translations]

    def translation(self, locale: str) -> MeetingTranslation | None:
        return next((t for t in self.translations if t.locale == locale), None)

    def text_for(self, locale: str) -> MeetingTranslation | None:
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
        return f"<Meeting {self.id} {self.state}>"


class MeetingTranslation(TimestampMixin, db.Model):
    """A meeting's texts in one language (Markdown, sanitized when shown)."""

    __tablename__ = "meeting_translation"
    __table_args__ = (UniqueConstraint("meeting_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: How to get in: entrance, floor, step-free route, nearest stop…
    access_notes: Mapped[str] = mapped_column(Text, default="")
    #: Minutes written after the meeting.
    minutes: Mapped[str] = mapped_column(Text, default="")

    meeting: Mapped[Meeting] = relationship(back_populates="translations")


def pick(translations: dict | None, locale: str, default_locale: str) -> Localized:
    values = translations or {}
    if values.get(locale):
        return Localized(values[locale], locale, False)
    if values.get(default_locale):
        return Localized(values[default_locale], default_locale, locale != default_locale)
    for code, value in values.items():
        if value:
            return Localized(value, code, code != locale)
    return Localized("", locale, False)


class AgendaItem(db.Model):
    __tablename__ = "meeting_agenda_item"
    __table_args__ = (Index("ix_meeting_agenda_item_meeting_id_position", "meeting_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    duration_minutes: Mapped[int] = mapped_column(default=0)
    #: ``{"fr": "Accueil", "en": "Welcome"}``
    title_translations: Mapped[dict] = mapped_column(JSON, default=dict)

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")

    def title_for(self, locale: str, default_locale: str) -> Localized:
        return pick(self.title_translations, locale, default_locale)


class MeetingOutcome(db.Model):
    """Something that came out of the meeting: a (title, URL) link for now.

    When the proposals capability exists, add a nullable ``proposal_id`` foreign key here
    (and a CHECK that either ``url`` or ``proposal_id`` is set); the page then links the
    proposal itself and shows its current title.
    """

    __tablename__ = "meeting_outcome"
    __table_args__ = (Index("ix_meeting_outcome_meeting_id_position", "meeting_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    #: Language the title is written in.
    locale: Mapped[str] = mapped_column(String(10), default="en")

    meeting: Mapped[Meeting] = relationship(back_populates="outcomes")


class Registration(db.Model):
    """One person's place (or place in the queue) at a meeting, with the needs they asked for."""

    __tablename__ = "meeting_registration"
    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id"),
        Index("ix_meeting_registration_meeting_state_queued", "meeting_id", "state", "queued_at", "id"),
        Index("ix_meeting_registration_user_state", "user_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    state: Mapped[RegistrationState] = mapped_column(enum_column(RegistrationState))
    #: Short, unguessable code the person shows at the door.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the person (re)joined: the waiting list is served in this order.
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the person got a place (registration, or promotion from the waiting list).
    registered_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    # ---- access needs
    sign_language: Mapped[str | None] = mapped_column(String(80))
    captions: Mapped[bool] = mapped_column(default=False)
    interpretation_language: Mapped[str | None] = mapped_column(String(80))
    step_free: Mapped[bool] = mapped_column(default=False)
    hearing_loop: Mapped[bool] = mapped_column(default=False)
    childcare: Mapped[bool] = mapped_column(default=False)
    other_needs: Mapped[str] = mapped_column(Text, default="")
    # ---- reminders (idempotence of ``flask meetings send-reminders``)
    day_reminder_sent_at: Mapped[datetime | None]
    hour_reminder_sent_at: Mapped[datetime | None]

    meeting: Mapped[Meeting] = relationship(back_populates="registrations")
    user: Mapped[User] = relationship(lazy="raise")

    @property
    def is_active(self) -> bool:
        return self.state in (RegistrationState.REGISTERED, RegistrationState.WAITING)

    @property
    def has_needs(self) -> bool:
        return bool(
            self.sign_language
            or self.captions
            or self.interpretation_language
            or self.step_free
            or self.hearing_loop
            or self.childcare
            or self.other_needs
        )


class SchedulingPoll(TimestampMixin, CreatorMixin, db.Model):
    """Candidate dates for a meeting to be; picking one creates the meeting."""

    __tablename__ = "meeting_poll"
    __table_args__ = (
        Index("ix_meeting_poll_department_id_created_at", "department_id", "created_at"),
        Index("ix_meeting_poll_consultation_id", "consultation_id"),
        Index("ix_meeting_poll_state_created_at", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"))
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="SET NULL")
    )
    state: Mapped[PollState] = mapped_column(enum_column(PollState), default=PollState.OPEN)
    locale: Mapped[str] = mapped_column(String(10), default="en")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[MeetingType] = mapped_column(enum_column(MeetingType))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    #: People who answered at least one slot.
    respondent_count: Mapped[int] = mapped_column(default=0)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="SET NULL"), index=True
    )

    department: Mapped[Department] = relationship(lazy="joined", innerjoin=True)
    consultation: Mapped[Consultation | None] = relationship(lazy="raise")
    meeting: Mapped[Meeting | None] = relationship(lazy="raise")
    slots: Mapped[list[PollSlot]] = relationship(
        back_populates="poll",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="(PollSlot.starts_at, PollSlot.id)",
    )


class PollSlot(db.Model):
    __tablename__ = "meeting_poll_slot"
    __table_args__ = (Index("ix_meeting_poll_slot_poll_id_starts_at", "poll_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("meeting_poll.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    yes_count: Mapped[int] = mapped_column(default=0)
    maybe_count: Mapped[int] = mapped_column(default=0)
    no_count: Mapped[int] = mapped_column(default=0)

    poll: Mapped[SchedulingPoll] = relationship(back_populates="slots")

    def count_of(self, choice: PollChoice) -> int:
        return {
            PollChoice.YES: self.yes_count,
            PollChoice.IF_NEED_BE: self.maybe_count,
            PollChoice.NO: self.no_count,
        }[choice]


class PollAnswer(db.Model):
    __tablename__ = "meeting_poll_answer"
    __table_args__ = (
        UniqueConstraint("slot_id", "user_id"),
        Index("ix_meeting_poll_answer_poll_id_user_id", "poll_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("meeting_poll.id", ondelete="CASCADE"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("meeting_poll_slot.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    choice: Mapped[PollChoice] = mapped_column(enum_column(PollChoice))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(lazy="raise")


class CalendarFeed(db.Model):
    """A person's private calendar feed of the meetings they registered for.

    The URL carries ``feed_id`` and an HMAC of it made with the site's secret; the database
    alone cannot rebuild the URL. Regenerating gives a new ``feed_id`` (the old URL stops
    working); revoking deletes the row.
    """

    __tablename__ = "meeting_calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    feed_id: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="raise")
