"""Business rules for meetings, registrations, scheduling polls, calendar feeds and reminders.

Every function takes an explicit ``actor``, flushes but never commits, and raises errors from
``civic.core.errors``.  Registrations lock the meeting row first (``SELECT … FOR UPDATE`` on
PostgreSQL; on SQLite an early write takes the database's single write lock), so the stored
``registered_count`` is read and changed by one transaction at a time and the capacity is
never exceeded.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import selectinload

from civic.accounts.models import Department, User
from civic.audit.models import AuditAction
from civic.audit.services import audit
from civic.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from civic.core.time import is_valid_timezone, utcnow
from civic.extensions import db
from civic.meetings import permissions as perms
from civic.meetings.models import (
    REMINDER_DAY,
    REMINDER_HOUR,
    AgendaItem,
    CalendarFeed,
    Meeting,
    MeetingOutcome,
    MeetingState,
    MeetingTranslation,
    MeetingType,
    PollAnswer,
    PollChoice,
    PollSlot,
    PollState,
    Registration,
    RegistrationMode,
    RegistrationState,
    SchedulingPoll,
)

MAX_AGENDA_ITEMS = 30
MAX_OUTCOMES = 20
MAX_SLOTS = 12
MAX_DURATION = timedelta(hours=12)


# ---- times ---------------------------------------------------------------------------------


def local_to_utc(value: datetime, zone: str, field_name: str) -> datetime:
    """A wall-clock time typed in ``zone`` → an aware UTC datetime.

    Refuses times that do not exist in that zone (skipped when clocks go forward).
    """
    if not is_valid_timezone(zone):
        raise InvalidInput(_("Choose a time zone from the list."), field="timezone")
    tz = ZoneInfo(zone)
    aware = value.replace(tzinfo=tz, fold=0)
    back = aware.astimezone(ZoneInfo("UTC")).astimezone(tz)
    if back.replace(tzinfo=None) != value:
        raise InvalidInput(
            _("This time does not exist in that time zone (the clocks change). Choose another time."),
            field=field_name,
        )
    return aware.astimezone(ZoneInfo("UTC"))


def utc_to_local(value: datetime, zone: str) -> datetime:
    """An aware UTC datetime → the naive wall-clock time in ``zone`` (for form inputs)."""
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


# ---- links -------------------------------------------------------------------------------------


def check_https_url(url: str | None, field_name: str) -> str | None:
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname or parts.username or parts.password:
        raise InvalidInput(
            _("Enter a full address starting with https:// (secure links only)."), field=field_name
        )
    if len(url) > 500 or any(c.isspace() for c in url):
        raise InvalidInput(_("This address is too long or contains spaces."), field=field_name)
    return url


def jitsi_room_url() -> str:
    """A new room on the configured Jitsi server, with a random, unguessable name."""
    domain = (current_app.config.get("JITSI_DOMAIN") or "").strip().strip("/")
    if not domain:
        raise InvalidInput(_("No video meeting server is configured."), field="video")
    return f"https://{domain}/Civic-{secrets.token_hex(16)}"


# ---- creating and changing meetings -------------------------------------------------------


@dataclass
class MeetingInput:
    department_id: int | None
    consultation_id: int | None
    locale: str
    title: str
    description: str
    access_notes: str
    #: ``[(minutes, title), …]`` in order
    agenda: list[tuple[int, str]]
    type: MeetingType
    starts_local: datetime
    ends_local: datetime
    timezone: str
    address: str
    #: "none", "link" (``join_url``) or "jitsi" (a generated room; kept when already one)
    video: str
    join_url: str | None
    registration: RegistrationMode
    capacity: int | None


class OverlapWarning(Conflict):
    """The meeting overlaps others of the same department; the organizer must confirm."""

    def __init__(self, meetings: list[Meeting]):
        super().__init__(
            _("This meeting overlaps another meeting of the same department."), field="confirm_overlap"
        )
        self.meetings = meetings


def find_overlaps(
    department_id: int, starts_at: datetime, ends_at: datetime, exclude_id: int | None = None
) -> list[Meeting]:
    stmt = (
        select(Meeting)
        .where(
            Meeting.department_id == department_id,
            Meeting.state == MeetingState.SCHEDULED,
            Meeting.starts_at < ends_at,
            Meeting.ends_at > starts_at,
        )
        .order_by(Meeting.starts_at)
        .limit(10)
    )
    if exclude_id is not None:
        stmt = stmt.where(Meeting.id != exclude_id)
    return list(db.session.execute(stmt).scalars())


def _resolve_owner(data: MeetingInput, actor) -> tuple[int, int | None]:
    """(department id, consultation id) after checking the actor may organise for them."""
    from civic.consultations.models import Consultation

    consultation = None
    if data.consultation_id:
        consultation = db.session.get(Consultation, data.consultation_id)
        if consultation is None:
            raise InvalidInput(_("Choose a consultation from the list."), field="consultation_id")
        if data.department_id and consultation.department_id != data.department_id:
            raise InvalidInput(
                _("This consultation belongs to another department."), field="consultation_id"
            )
        department_id = consultation.department_id
    else:
        department_id = data.department_id
    if not department_id or db.session.get(Department, department_id) is None:
        raise InvalidInput(_("Choose a department."), field="department_id")
    if not (perms.is_admin(actor) or perms.is_staff_of(actor, department_id)):
        raise PermissionDenied(_("You may only organise meetings for your own department."))
    return department_id, (consultation.id if consultation else None)


def _checked_times(data: MeetingInput) -> tuple[datetime, datetime]:
    starts_at = local_to_utc(data.starts_local, data.timezone, "starts_local")
    ends_at = local_to_utc(data.ends_local, data.timezone, "ends_local")
    if ends_at <= starts_at:
        raise InvalidInput(_("The end must be after the start."), field="ends_local")
    if ends_at - starts_at > MAX_DURATION:
        raise InvalidInput(_("A meeting may last at most 12 hours."), field="ends_local")
    return starts_at, ends_at


def _checked_place_and_link(data: MeetingInput, current_url: str | None) -> tuple[str, str | None]:
    address = (data.address or "").strip()
    if data.type.has_place and not address:
        raise InvalidInput(_("Enter the address where people meet."), field="address")
    if not data.type.has_place:
        address = ""
    join_url: str | None = None
    if data.type.has_link:
        if data.video == "jitsi":
            domain = (current_app.config.get("JITSI_DOMAIN") or "").strip().strip("/")
            keep = current_url and domain and urlsplit(current_url).hostname == domain.split("/")[0]
            join_url = current_url if keep else jitsi_room_url()
        elif data.video == "link":
            join_url = check_https_url(data.join_url, "join_url")
            if not join_url:
                raise InvalidInput(_("Enter the link people use to join."), field="join_url")
        # "none": the link is added later; the page says so.
    return address, join_url


def _checked_registration(data: MeetingInput) -> int | None:
    if data.registration == RegistrationMode.LIMITED:
        if not data.capacity or data.capacity < 1:
            raise InvalidInput(_("Enter how many places there are (at least 1)."), field="capacity")
        if data.capacity > 100_000:
            raise InvalidInput(_("Enter at most 100,000 places."), field="capacity")
        return data.capacity
    return None


def _checked_agenda(items: list[tuple[int, str]]) -> list[tuple[int, str]]:
    if len(items) > MAX_AGENDA_ITEMS:
        raise InvalidInput(
            _("An agenda has at most %(max)s items.", max=MAX_AGENDA_ITEMS), field="agenda"
        )
    for minutes, title in items:
        if minutes < 1 or minutes > 720 or not title or len(title) > 200:
            raise InvalidInput(
                _("Each agenda line needs a length in minutes (1 to 720) and a title of at most 200 characters."),
                field="agenda",
            )
    return items


def _checked_text(data: MeetingInput) -> None:
    if data.locale not in current_app.config["LANGUAGES"]:
        raise InvalidInput(_("Choose one of the languages offered."), field="locale")
    if not data.title or len(data.title) > 200:
        raise InvalidInput(_("Enter a title of at most 200 characters."), field="title")


def create_meeting(data: MeetingInput, *, actor, confirm_overlap: bool = False) -> Meeting:
    department_id, consultation_id = _resolve_owner(data, actor)
    _checked_text(data)
    starts_at, ends_at = _checked_times(data)
    if starts_at <= utcnow():
        raise InvalidInput(_("The meeting must start in the future."), field="starts_local")
    address, join_url = _checked_place_and_link(data, None)
    capacity = _checked_registration(data)
    agenda = _checked_agenda(data.agenda)
    overlaps = find_overlaps(department_id, starts_at, ends_at)
    if overlaps and not confirm_overlap:
        raise OverlapWarning(overlaps)
    meeting = Meeting(
        department_id=department_id,
        consultation_id=consultation_id,
        default_locale=data.locale,
        type=data.type,
        state=MeetingState.SCHEDULED,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=data.timezone,
        address=address,
        join_url=join_url,
        registration=data.registration,
        capacity=capacity,
        creator_id=actor.id,
    )
    meeting.translations = [
        MeetingTranslation(
            locale=data.locale,
            title=data.title,
            description=data.description or "",
            access_notes=data.access_notes or "",
        )
    ]
    meeting.agenda = [
        AgendaItem(position=i, duration_minutes=minutes, title_translations={data.locale: title})
        for i, (minutes, title) in enumerate(agenda, start=1)
    ]
    db.session.add(meeting)
    db.session.flush()
    audit(actor, AuditAction.MEETING_CREATED, meeting, starts_at=starts_at, type=meeting.type.value)
    return meeting


def update_meeting(meeting: Meeting, data: MeetingInput, *, actor, confirm_overlap: bool = False) -> list[str]:
    """Change a meeting; returns what changed among "time", "place", "link" (announced)."""
    if not perms.can_edit(actor, meeting):
        raise PermissionDenied(_("This meeting can no longer be changed."))
    data.department_id = meeting.department_id
    _resolve_owner(data, actor)
    _checked_text(data)
    starts_at, ends_at = _checked_times(data)
    address, join_url = _checked_place_and_link(data, meeting.join_url)
    capacity = _checked_registration(data)
    agenda = _checked_agenda(data.agenda)
    if (starts_at, ends_at) != (meeting.starts_at, meeting.ends_at):
        overlaps = find_overlaps(meeting.department_id, starts_at, ends_at, exclude_id=meeting.id)
        if overlaps and not confirm_overlap:
            raise OverlapWarning(overlaps)
    changes: list[str] = []
    if (starts_at, ends_at) != (meeting.starts_at, meeting.ends_at):
        changes.append("time")
    if address != (meeting.address or "") or data.type != meeting.type:
        changes.append("place")
    if join_url != meeting.join_url:
        changes.append("link")
    # Fewer places than people already registered is refused (nobody loses a place silently).
    if data.registration == RegistrationMode.LIMITED and capacity < meeting.registered_count:
        raise InvalidInput(
            _(
                "%(count)s people already have a place: the number of places cannot be lower.",
                count=meeting.registered_count,
            ),
            field="capacity",
        )
    if data.registration == RegistrationMode.OFF and (meeting.registered_count or meeting.waiting_count):
        raise InvalidInput(
            _("People have already registered: registration cannot be switched off."),
            field="registration",
        )
    text = meeting.translation(data.locale)
    text_changed = text is None or (text.title, text.description) != (data.title, data.description)
    if text is None:
        text = MeetingTranslation(locale=data.locale, meeting=meeting, title=data.title)
        meeting.translations.append(text)
    text.title = data.title
    text.description = data.description or ""
    text.access_notes = data.access_notes or ""
    _replace_agenda(meeting, agenda, data.locale)
    meeting.type = data.type
    meeting.starts_at = starts_at
    meeting.ends_at = ends_at
    meeting.timezone = data.timezone
    meeting.address = address
    meeting.join_url = join_url
    meeting.registration = data.registration
    meeting.capacity = capacity
    meeting.updated_at = utcnow()
    if changes or text_changed:
        meeting.sequence = (meeting.sequence or 0) + 1
    db.session.flush()
    audit(actor, AuditAction.MEETING_CHANGED, meeting, changes=changes, text_changed=text_changed,
          starts_at=starts_at)
    _promote_waiting(meeting, actor=actor)
    if changes:
        _announce(meeting, "meeting_changed", actor=actor, changes=changes)
    return changes


def _replace_agenda(meeting: Meeting, items: list[tuple[int, str]], locale: str) -> None:
    existing = list(
        db.session.execute(
            select(AgendaItem).where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.position)
        ).scalars()
    )
    for i, (minutes, title) in enumerate(items, start=1):
        if i <= len(existing):
            item = existing[i - 1]
            titles = dict(item.title_translations or {})
            if titles.get(locale) != title:
                # The text changed: translations of the old text no longer match.
                titles = {locale: title}
            item.title_translations = titles
            item.duration_minutes = minutes
            item.position = i
        else:
            db.session.add(
                AgendaItem(
                    meeting_id=meeting.id,
                    position=i,
                    duration_minutes=minutes,
                    title_translations={locale: title},
                )
            )
    for item in existing[len(items):]:
        db.session.delete(item)


def save_translation(
    meeting: Meeting,
    locale: str,
    *,
    title: str,
    description: str,
    access_notes: str,
    agenda_titles: dict[int, str],
    actor,
) -> MeetingTranslation | None:
    """Add or change the texts in one more language; an empty title removes that language."""
    if not perms.can_edit(actor, meeting):
        raise PermissionDenied(_("This meeting can no longer be changed."))
    if locale not in current_app.config["LANGUAGES"]:
        raise NotFound()
    text = meeting.translation(locale)
    items = list(
        db.session.execute(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)).scalars()
    )
    if not title:
        if locale == meeting.default_locale:
            raise InvalidInput(_("The meeting's own language needs a title."), field="title")
        if text is not None:
            meeting.translations.remove(text)
        for item in items:
            titles = dict(item.title_translations or {})
            titles.pop(locale, None)
            item.title_translations = titles
        db.session.flush()
        return None
    if text is None:
        text = MeetingTranslation(locale=locale, title=title)
        meeting.translations.append(text)
    text.title = title
    text.description = description or ""
    text.access_notes = access_notes or ""
    for item in items:
        titles = dict(item.title_translations or {})
        value = (agenda_titles.get(item.id) or "").strip()[:200]
        if value:
            titles[locale] = value
        else:
            titles.pop(locale, None)
        item.title_translations = titles
    meeting.sequence = (meeting.sequence or 0) + 1
    db.session.flush()
    return text


def cancel_meeting(meeting: Meeting, *, actor) -> None:
    if not perms.can_cancel(actor, meeting):
        raise PermissionDenied(_("This meeting cannot be cancelled any more."))
    meeting.state = MeetingState.CANCELLED
    meeting.cancelled_at = utcnow()
    meeting.sequence = (meeting.sequence or 0) + 1
    db.session.flush()
    audit(actor, AuditAction.MEETING_CANCELLED, meeting)
    _announce(meeting, "meeting_cancelled", actor=actor)


# ---- registrations --------------------------------------------------------------------------


@dataclass
class AccessNeeds:
    sign_language: str | None = None
    captions: bool = False
    interpretation_language: str | None = None
    step_free: bool = False
    hearing_loop: bool = False
    childcare: bool = False
    other: str = ""

    def apply(self, registration: Registration) -> None:
        registration.sign_language = (self.sign_language or "").strip()[:80] or None
        registration.captions = bool(self.captions)
        registration.interpretation_language = (self.interpretation_language or "").strip()[:80] or None
        registration.step_free = bool(self.step_free)
        registration.hearing_loop = bool(self.hearing_loop)
        registration.childcare = bool(self.childcare)
        registration.other_needs = (self.other or "").strip()[:2000]


def lock_meeting(meeting_id: int) -> Meeting:
    """Load the meeting row locked for this transaction (fresh from the database).

    PostgreSQL: ``SELECT … FOR UPDATE`` waits for any other transaction holding the row.
    SQLite ignores ``FOR UPDATE``; a first write takes its single write lock instead, so
    what follows reads the latest committed counters.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            update(Meeting)
            .where(Meeting.id == meeting_id)
            .values(sequence=Meeting.sequence)
            .execution_options(synchronize_session=False)
        )
    meeting = db.session.execute(
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .with_for_update(of=Meeting)
        .execution_options(populate_existing=True)
    ).unique().scalar_one_or_none()
    if meeting is None:
        raise NotFound()
    return meeting


_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _i in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def normalize_code(value: str) -> str:
    raw = "".join(c for c in (value or "").upper() if c.isalnum())
    return f"{raw[:5]}-{raw[5:]}" if len(raw) == 10 else raw


def _unique_code() -> str:
    for _attempt in range(10):
        code = new_code()
        taken = db.session.execute(
            select(Registration.id).where(Registration.code == code)
        ).first()
        if taken is None:
            return code
    raise RuntimeError("could not find a free registration code")


def _counter(meeting_id: int, **deltas: int) -> None:
    values = {name: getattr(Meeting, name) + delta for name, delta in deltas.items() if delta}
    if values:
        db.session.execute(
            update(Meeting)
            .where(Meeting.id == meeting_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def _refresh_counts(meeting: Meeting) -> None:
    db.session.refresh(
        meeting, ["registered_count", "waiting_count", "checked_in_count", "sequence"]
    )


def register(meeting_id: int, user: User, needs: AccessNeeds, *, actor) -> Registration:
    """Give ``user`` a place, or a place on the waiting list when the meeting is full.

    Registering again while registered or waiting only updates the access needs.
    """
    meeting = lock_meeting(meeting_id)
    if actor.id != user.id or not perms.can_register(actor, meeting):
        raise PermissionDenied(_("Registration for this meeting is not open."))
    registration = db.session.execute(
        select(Registration)
        .where(Registration.meeting_id == meeting.id, Registration.user_id == user.id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if registration is not None and registration.is_active:
        needs.apply(registration)
        db.session.flush()
        return registration
    now = utcnow()
    full = meeting.registration == RegistrationMode.LIMITED and (
        meeting.registered_count >= (meeting.capacity or 0)
    )
    state = RegistrationState.WAITING if full else RegistrationState.REGISTERED
    if registration is None:
        registration = Registration(
            meeting_id=meeting.id, user_id=user.id, code=_unique_code(), created_at=now
        )
        db.session.add(registration)
    registration.state = state
    registration.queued_at = now
    registration.registered_at = None if full else now
    registration.checked_in_at = None
    registration.day_reminder_sent_at = None
    registration.hour_reminder_sent_at = None
    needs.apply(registration)
    if full:
        _counter(meeting.id, waiting_count=1)
    else:
        _counter(meeting.id, registered_count=1)
    db.session.flush()
    _refresh_counts(meeting)
    return registration


def update_needs(registration: Registration, needs: AccessNeeds, *, actor) -> None:
    if registration.user_id != actor.id or not registration.is_active:
        raise PermissionDenied()
    needs.apply(registration)
    db.session.flush()


def unregister(registration: Registration, *, actor) -> None:
    """Give the place up; the first person waiting gets it (and is told)."""
    meeting = lock_meeting(registration.meeting_id)
    db.session.refresh(registration)
    if not perms.can_unregister(actor, registration):
        raise Conflict(_("You are not registered for this meeting."))
    was = registration.state
    registration.state = RegistrationState.CANCELLED
    registration.registered_at = None
    if was == RegistrationState.REGISTERED:
        _counter(meeting.id, registered_count=-1, checked_in_count=-1 if registration.checked_in_at else 0)
    else:
        _counter(meeting.id, waiting_count=-1)
    registration.checked_in_at = None
    db.session.flush()
    _refresh_counts(meeting)
    _promote_waiting(meeting, actor=actor)


def _promote_waiting(meeting: Meeting, *, actor) -> list[Registration]:
    """Fill free places from the waiting list, first come first served; notify each person."""
    if meeting.is_cancelled or meeting.waiting_count <= 0:
        return []
    if meeting.registration == RegistrationMode.LIMITED:
        free = (meeting.capacity or 0) - meeting.registered_count
    else:
        free = meeting.waiting_count  # registration opened to all: everyone waiting gets in
    if free <= 0:
        return []
    waiting = list(
        db.session.execute(
            select(Registration)
            .where(
                Registration.meeting_id == meeting.id,
                Registration.state == RegistrationState.WAITING,
            )
            .order_by(Registration.queued_at, Registration.id)
            .limit(free)
            .execution_options(populate_existing=True)
        ).scalars()
    )
    if not waiting:
        return []
    now = utcnow()
    for reg in waiting:
        reg.state = RegistrationState.REGISTERED
        reg.registered_at = now
    _counter(meeting.id, registered_count=len(waiting), waiting_count=-len(waiting))
    db.session.flush()
    _refresh_counts(meeting)
    _notify([r.user_id for r in waiting], "meeting_promoted", meeting, actor=actor)
    return waiting


# ---- attendance --------------------------------------------------------------------------------


def check_in_code(meeting: Meeting, code: str, *, actor) -> Registration:
    if not perms.can_check_in(actor, meeting):
        raise PermissionDenied()
    registration = db.session.execute(
        select(Registration)
        .options(selectinload(Registration.user))
        .where(Registration.meeting_id == meeting.id, Registration.code == normalize_code(code))
    ).scalar_one_or_none()
    if registration is None:
        raise InvalidInput(_("No registration for this meeting has this code."), field="code")
    if registration.state != RegistrationState.REGISTERED:
        raise InvalidInput(
            _("This person has no place: %(state)s.", state=registration.state.label), field="code"
        )
    if registration.checked_in_at is None:
        registration.checked_in_at = utcnow()
        _counter(meeting.id, checked_in_count=1)
        db.session.flush()
        _refresh_counts(meeting)
    return registration


def set_attendance(meeting: Meeting, present_ids: Iterable[int], shown_ids: Iterable[int], *, actor) -> int:
    """Tick boxes: of the registrations ``shown_ids`` on the page, those in ``present_ids``
    attended and the others did not. Returns the new number checked in."""
    if not perms.can_check_in(actor, meeting):
        raise PermissionDenied()
    present = set(present_ids)
    shown = set(shown_ids)
    rows = db.session.execute(
        select(Registration).where(
            Registration.meeting_id == meeting.id,
            Registration.state == RegistrationState.REGISTERED,
            Registration.id.in_(shown),
        )
    ).scalars()
    now = utcnow()
    delta = 0
    for reg in rows:
        if reg.id in present and reg.checked_in_at is None:
            reg.checked_in_at = now
            delta += 1
        elif reg.id not in present and reg.checked_in_at is not None:
            reg.checked_in_at = None
            delta -= 1
    _counter(meeting.id, checked_in_count=delta)
    db.session.flush()
    _refresh_counts(meeting)
    return meeting.checked_in_count


@dataclass
class NeedsTotals:
    registered: int = 0
    captions: int = 0
    step_free: int = 0
    hearing_loop: int = 0
    childcare: int = 0
    other: int = 0
    #: ``{language: people}``
    sign_languages: dict[str, int] = field(default_factory=dict)
    interpretation: dict[str, int] = field(default_factory=dict)

    @property
    def any(self) -> bool:
        return bool(
            self.captions or self.step_free or self.hearing_loop or self.childcare or self.other
            or self.sign_languages or self.interpretation
        )


def access_needs_totals(meeting: Meeting) -> NeedsTotals:
    """Totals of the needs of people with a place or waiting: one aggregate query."""

    def total(column):
        return func.sum(case((column.is_(True), 1), else_=0))

    R = Registration
    rows = db.session.execute(
        select(
            func.lower(func.trim(R.sign_language)),
            func.lower(func.trim(R.interpretation_language)),
            func.count(),
            total(R.captions),
            total(R.step_free),
            total(R.hearing_loop),
            total(R.childcare),
            func.sum(case((R.other_needs != "", 1), else_=0)),
        )
        .where(
            R.meeting_id == meeting.id,
            R.state.in_([RegistrationState.REGISTERED, RegistrationState.WAITING]),
        )
        .group_by(func.lower(func.trim(R.sign_language)), func.lower(func.trim(R.interpretation_language)))
    ).all()
    t = NeedsTotals()
    for sign, interp, count, captions, step_free, loop, childcare, other in rows:
        t.registered += count
        t.captions += captions or 0
        t.step_free += step_free or 0
        t.hearing_loop += loop or 0
        t.childcare += childcare or 0
        t.other += other or 0
        if sign:
            t.sign_languages[sign] = t.sign_languages.get(sign, 0) + count
        if interp:
            t.interpretation[interp] = t.interpretation.get(interp, 0) + count
    t.sign_languages = dict(sorted(t.sign_languages.items()))
    t.interpretation = dict(sorted(t.interpretation.items()))
    return t


# ---- after the meeting -----------------------------------------------------------------------


def publish_minutes(
    meeting: Meeting,
    *,
    locale: str,
    minutes: str,
    attendee_count: int | None,
    recording_url: str | None,
    outcomes: list[tuple[str, str]],
    actor,
) -> None:
    if not perms.can_publish_minutes(actor, meeting):
        raise PermissionDenied(_("Minutes can be published once the meeting has ended."))
    if locale not in current_app.config["LANGUAGES"]:
        raise InvalidInput(_("Choose one of the languages offered."), field="locale")
    if not (minutes or "").strip():
        raise InvalidInput(_("Write the minutes."), field="minutes")
    if attendee_count is not None and not 0 <= attendee_count <= 1_000_000:
        raise InvalidInput(_("Enter a number of people from 0."), field="attendee_count")
    recording = check_https_url(recording_url, "recording_url")
    if len(outcomes) > MAX_OUTCOMES:
        raise InvalidInput(_("At most %(max)s links.", max=MAX_OUTCOMES), field="outcomes")
    checked: list[tuple[str, str]] = []
    for title, url in outcomes:
        if not title or len(title) > 200:
            raise InvalidInput(_("Each link needs a title of at most 200 characters."), field="outcomes")
        checked.append((title, check_https_url(url, "outcomes") or ""))
        if not checked[-1][1]:
            raise InvalidInput(_("Each link needs an address starting with https://."), field="outcomes")
    text = meeting.translation(locale)
    if text is None:
        default = meeting.text_for(meeting.default_locale)
        text = MeetingTranslation(locale=locale, title=default.title if default else "")
        meeting.translations.append(text)
    text.minutes = minutes.strip()
    meeting.attendee_count = attendee_count
    meeting.recording_url = recording
    existing = list(
        db.session.execute(select(MeetingOutcome).where(MeetingOutcome.meeting_id == meeting.id)).scalars()
    )
    for row in existing:
        db.session.delete(row)
    db.session.flush()
    for i, (title, url) in enumerate(checked, start=1):
        db.session.add(MeetingOutcome(meeting_id=meeting.id, position=i, title=title, url=url, locale=locale))
    first_time = meeting.minutes_published_at is None
    meeting.minutes_published_at = meeting.minutes_published_at or utcnow()
    db.session.flush()
    if first_time:
        _announce(meeting, "meeting_minutes", actor=actor, states=(RegistrationState.REGISTERED,))


# ---- scheduling polls ---------------------------------------------------------------------------


@dataclass
class PollInput:
    department_id: int | None
    consultation_id: int | None
    locale: str
    title: str
    description: str
    type: MeetingType
    timezone: str
    #: ``[(start, end), …]`` wall-clock times in ``timezone``
    slots: list[tuple[datetime, datetime]]


def create_poll(data: PollInput, *, actor) -> SchedulingPoll:
    owner = MeetingInput(
        department_id=data.department_id, consultation_id=data.consultation_id, locale=data.locale,
        title=data.title, description=data.description, access_notes="", agenda=[], type=data.type,
        starts_local=datetime.now(), ends_local=datetime.now(), timezone=data.timezone, address="",
        video="none", join_url=None, registration=RegistrationMode.OFF, capacity=None,
    )
    department_id, consultation_id = _resolve_owner(owner, actor)
    _checked_text(owner)
    if not data.slots:
        raise InvalidInput(_("Propose at least one date."), field="slots")
    if len(data.slots) > MAX_SLOTS:
        raise InvalidInput(_("Propose at most %(max)s dates.", max=MAX_SLOTS), field="slots")
    now = utcnow()
    slots = []
    for start_local, end_local in data.slots:
        start = local_to_utc(start_local, data.timezone, "slots")
        end = local_to_utc(end_local, data.timezone, "slots")
        if end <= start or end - start > MAX_DURATION:
            raise InvalidInput(_("Each proposed date needs an end after its start (at most 12 hours later)."), field="slots")
        if start <= now:
            raise InvalidInput(_("Proposed dates must be in the future."), field="slots")
        slots.append(PollSlot(starts_at=start, ends_at=end))
    poll = SchedulingPoll(
        department_id=department_id,
        consultation_id=consultation_id,
        locale=data.locale,
        title=data.title,
        description=data.description or "",
        type=data.type,
        timezone=data.timezone,
        creator_id=actor.id,
        state=PollState.OPEN,
    )
    poll.slots = slots
    db.session.add(poll)
    db.session.flush()
    return poll


_CHOICE_COLUMN = {
    PollChoice.YES: PollSlot.yes_count,
    PollChoice.IF_NEED_BE: PollSlot.maybe_count,
    PollChoice.NO: PollSlot.no_count,
}


def _slot_counter(slot_id: int, choice: PollChoice, delta: int) -> None:
    column = _CHOICE_COLUMN[choice]
    db.session.execute(
        update(PollSlot)
        .where(PollSlot.id == slot_id)
        .values({column.key: column + delta})
        .execution_options(synchronize_session=False)
    )


def answer_poll(poll: SchedulingPoll, answers: dict[int, PollChoice], *, actor) -> None:
    """Save one person's answers (one per slot, changeable); totals stay exact."""
    if not perms.can_answer_poll(actor, poll):
        raise PermissionDenied(_("This poll is closed."))
    slot_ids = {s.id for s in poll.slots}
    if not answers or not set(answers) <= slot_ids:
        raise InvalidInput(_("Answer for at least one proposed date."), field="answers")
    existing = {
        a.slot_id: a
        for a in db.session.execute(
            select(PollAnswer).where(PollAnswer.poll_id == poll.id, PollAnswer.user_id == actor.id)
        ).scalars()
    }
    first_answer = not existing
    for slot_id, choice in answers.items():
        current = existing.get(slot_id)
        if current is None:
            db.session.add(PollAnswer(poll_id=poll.id, slot_id=slot_id, user_id=actor.id, choice=choice))
            _slot_counter(slot_id, choice, 1)
        elif current.choice != choice:
            _slot_counter(slot_id, current.choice, -1)
            _slot_counter(slot_id, choice, 1)
            current.choice = choice
    if first_answer:
        db.session.execute(
            update(SchedulingPoll)
            .where(SchedulingPoll.id == poll.id)
            .values(respondent_count=SchedulingPoll.respondent_count + 1)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    for slot in poll.slots:
        db.session.refresh(slot, ["yes_count", "maybe_count", "no_count"])
    db.session.refresh(poll, ["respondent_count"])


def pick_slot(poll: SchedulingPoll, slot_id: int, *, actor) -> Meeting:
    """Fix the date: creates the meeting from the poll and tells everyone who answered."""
    if not perms.can_pick_slot(actor, poll):
        raise PermissionDenied(_("A date has already been chosen for this poll."))
    slot = next((s for s in poll.slots if s.id == slot_id), None)
    if slot is None:
        raise InvalidInput(_("Choose one of the proposed dates."), field="slot_id")
    if slot.starts_at <= utcnow():
        raise InvalidInput(_("This date has already passed."), field="slot_id")
    meeting = Meeting(
        department_id=poll.department_id,
        consultation_id=poll.consultation_id,
        default_locale=poll.locale,
        type=poll.type,
        state=MeetingState.SCHEDULED,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        timezone=poll.timezone,
        address="",
        join_url=None,
        registration=RegistrationMode.OFF,
        creator_id=actor.id,
    )
    meeting.translations = [
        MeetingTranslation(locale=poll.locale, title=poll.title, description=poll.description)
    ]
    db.session.add(meeting)
    db.session.flush()
    poll.meeting_id = meeting.id
    poll.state = PollState.DECIDED
    db.session.flush()
    people = list(
        db.session.execute(
            select(PollAnswer.user_id).where(PollAnswer.poll_id == poll.id).distinct()
        ).scalars()
    )
    _notify(people, "meeting_scheduled", meeting, actor=actor)
    return meeting


def close_poll(poll: SchedulingPoll, *, actor) -> None:
    if not perms.can_pick_slot(actor, poll):
        raise PermissionDenied()
    poll.state = PollState.CLOSED
    db.session.flush()


# ---- private calendar feeds --------------------------------------------------------------------


def _feed_signature(feed_id: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"civic.meetings.feed:" + feed_id.encode(), hashlib.sha256).hexdigest()[:32]


def feed_token(feed: CalendarFeed) -> str:
    return f"{feed.feed_id}.{_feed_signature(feed.feed_id)}"


def feed_for(user: User) -> CalendarFeed | None:
    return db.session.execute(select(CalendarFeed).where(CalendarFeed.user_id == user.id)).scalar_one_or_none()


def regenerate_feed(user: User, *, actor) -> CalendarFeed:
    """A new private address; the old one stops working."""
    if actor.id != user.id:
        raise PermissionDenied()
    feed = feed_for(user)
    if feed is None:
        feed = CalendarFeed(user_id=user.id)
        db.session.add(feed)
    feed.feed_id = secrets.token_urlsafe(18)
    feed.created_at = utcnow()
    db.session.flush()
    return feed


def revoke_feed(user: User, *, actor) -> None:
    if actor.id != user.id:
        raise PermissionDenied()
    feed = feed_for(user)
    if feed is not None:
        db.session.delete(feed)
        db.session.flush()


def feed_owner(token: str) -> User | None:
    """The person a private feed token belongs to, or None (unknown, revoked, tampered)."""
    feed_id, dot, signature = (token or "").rpartition(".")
    if not dot or not feed_id or len(token) > 120:
        return None
    if not hmac.compare_digest(signature, _feed_signature(feed_id)):
        return None
    feed = db.session.execute(
        select(CalendarFeed).options(selectinload(CalendarFeed.user)).where(CalendarFeed.feed_id == feed_id)
    ).scalar_one_or_none()
    return feed.user if feed else None


# ---- reminders ---------------------------------------------------------------------------


def send_reminders(now: datetime | None = None) -> int:
    """Send due reminders (24 hours and 1 hour before); returns how many were sent.

    Idempotent: each registration records when each reminder went out, and the row is
    claimed with a conditional UPDATE, so running it twice (or twice at once) sends once.
    A person who registered after a reminder's moment does not get that one; when both are
    due (the command did not run for a while), only the 1-hour one is sent.
    """
    now = now or utcnow()
    R = Registration
    rows = db.session.execute(
        select(R.id, R.meeting_id, R.user_id, R.registered_at, R.day_reminder_sent_at,
               R.hour_reminder_sent_at, Meeting.starts_at)
        .join(Meeting, Meeting.id == R.meeting_id)
        .where(
            Meeting.state == MeetingState.SCHEDULED,
            Meeting.starts_at > now,
            Meeting.starts_at <= now + REMINDER_DAY,
            R.state == RegistrationState.REGISTERED,
            (R.day_reminder_sent_at.is_(None)) | (R.hour_reminder_sent_at.is_(None)),
        )
        .order_by(Meeting.starts_at, R.id)
    ).all()
    sent = 0
    by_meeting: dict[tuple[int, str], list[int]] = {}
    for reg_id, meeting_id, user_id, registered_at, day_at, hour_at, starts_at in rows:
        registered_at = registered_at or now
        if now >= starts_at - REMINDER_HOUR:
            if hour_at is None:
                column = R.hour_reminder_sent_at
                which = "hour" if registered_at <= starts_at - REMINDER_HOUR else None
            else:
                continue
            # The day reminder is no longer useful: mark it so it is never sent late.
            extra = {"day_reminder_sent_at": day_at or now}
        elif day_at is None:
            column = R.day_reminder_sent_at
            which = "day" if registered_at <= starts_at - REMINDER_DAY else None
            extra = {}
        else:
            continue
        claimed = db.session.execute(
            update(R)
            .where(R.id == reg_id, column.is_(None))
            .values({column.key: now, **extra})
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed and which:
            by_meeting.setdefault((meeting_id, which), []).append(user_id)
    for (meeting_id, which), user_ids in by_meeting.items():
        meeting = db.session.get(Meeting, meeting_id)
        _notify(user_ids, "meeting_reminder", meeting, actor=None, when=which)
        sent += len(user_ids)
    db.session.flush()
    return sent


# ---- notifications ---------------------------------------------------------------------------


def _announce(meeting: Meeting, kind: str, *, actor, states=None, **params) -> None:
    """Tell everyone registered and waiting (or only ``states``)."""
    states = states or (RegistrationState.REGISTERED, RegistrationState.WAITING)
    people = list(
        db.session.execute(
            select(Registration.user_id).where(
                Registration.meeting_id == meeting.id, Registration.state.in_(states)
            )
        ).scalars()
    )
    _notify(people, kind, meeting, actor=actor, **params)


def _notify(user_ids: list[int], kind: str, meeting: Meeting, *, actor, **params) -> None:
    if not user_ids:
        return
    from civic.meetings.notifications import send

    send(user_ids, kind, meeting, actor=actor, **params)
