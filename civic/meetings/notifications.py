"""Meetings and the notification service: the follow/notification target and the kinds.

Each renderer runs in the reader's language and time zone (in-app: the viewer's; email: the
recipient's), so times are formatted then, never stored as text.
"""

from __future__ import annotations

from babel.lists import format_list
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from civic.accounts.models import NotificationFrequency, User
from civic.extensions import db
from civic.meetings.models import Meeting
from civic.meetings.timefmt import when_with_zone
from civic.notifications.kinds import Foreign, Rendered, register_kind, subject_link, subject_name
from civic.notifications.models import Notification, NotificationKind
from civic.notifications.targets import register_target

KIND_NAMES = {
    "meeting_scheduled": NotificationKind.MEETING_SCHEDULED,
    "meeting_changed": NotificationKind.MEETING_CHANGED,
    "meeting_cancelled": NotificationKind.MEETING_CANCELLED,
    "meeting_reminder": NotificationKind.MEETING_REMINDER,
    "meeting_promoted": NotificationKind.MEETING_PROMOTED,
    "meeting_minutes": NotificationKind.MEETING_MINUTES,
}


def send(user_ids: list[int], kind: str, meeting: Meeting, *, actor=None, **params) -> None:
    """Notify these people (loaded in one query) about ``meeting``."""
    from civic.notifications.services import notify

    people = list(
        db.session.execute(select(User).where(User.id.in_(sorted(set(user_ids)))).order_by(User.id)).scalars()
    )
    notify(people, KIND_NAMES[kind], meeting, actor=actor, **params)


# ---- the target ---------------------------------------------------------------------------


def _name(meeting: Meeting, locale: str) -> tuple[str, str]:
    title = meeting.title_for(locale)
    return title.text, title.lang


register_target(
    Meeting,
    "meeting_id",
    name=_name,
    link=lambda m: ("meetings.show", {"meeting_id": m.id}),
    label=_l("meeting"),
)


# ---- renderers ---------------------------------------------------------------------------------


def _meeting(n: Notification) -> tuple[Foreign, Meeting | None]:
    name = subject_name(n) or Foreign(gettext("a meeting that no longer exists"), "")
    return name, getattr(n, "meeting", None)


def _time(meeting: Meeting | None) -> str:
    return when_with_zone(meeting.starts_at) if meeting is not None else ""


def render_scheduled(n: Notification) -> Rendered:
    name, meeting = _meeting(n)
    return Rendered(
        gettext("A date was chosen: %(meeting)s takes place on %(time)s."),
        {"meeting": name, "time": _time(meeting)},
        subject_link(n),
    )


def render_changed(n: Notification) -> Rendered:
    name, meeting = _meeting(n)
    labels = {
        "time": gettext("the time"),
        "place": gettext("the place"),
        "link": gettext("the online link"),
    }
    changes = [labels[c] for c in (n.params or {}).get("changes", []) if c in labels]
    what = format_list(changes, locale=get_locale()) if changes else gettext("the details")
    return Rendered(
        gettext("The meeting %(meeting)s changed (%(what)s). It starts on %(time)s."),
        {"meeting": name, "what": what, "time": _time(meeting)},
        subject_link(n),
    )


def render_cancelled(n: Notification) -> Rendered:
    name, meeting = _meeting(n)
    return Rendered(
        gettext("The meeting %(meeting)s planned on %(time)s is cancelled."),
        {"meeting": name, "time": _time(meeting)},
        subject_link(n),
    )


def render_reminder(n: Notification) -> Rendered:
    name, meeting = _meeting(n)
    if (n.params or {}).get("when") == "hour":
        message = gettext("Reminder: %(meeting)s starts in about an hour, on %(time)s.")
    else:
        message = gettext("Reminder: %(meeting)s starts in about 24 hours, on %(time)s.")
    return Rendered(message, {"meeting": name, "time": _time(meeting)}, subject_link(n))


def render_promoted(n: Notification) -> Rendered:
    name, meeting = _meeting(n)
    return Rendered(
        gettext("A place became free: you are now registered for %(meeting)s on %(time)s."),
        {"meeting": name, "time": _time(meeting)},
        subject_link(n),
    )


def render_minutes(n: Notification) -> Rendered:
    name, _meeting_obj = _meeting(n)
    return Rendered(
        gettext("The minutes of the meeting %(meeting)s are published."),
        {"meeting": name},
        subject_link(n),
    )


register_kind(
    NotificationKind.MEETING_SCHEDULED,
    default=NotificationFrequency.IMMEDIATELY,
    description=_l("When a date is chosen for a meeting whose scheduling poll you answered."),
    render=render_scheduled,
)
register_kind(
    NotificationKind.MEETING_CHANGED,
    default=NotificationFrequency.IMMEDIATELY,
    description=_l("When the time, place or link of a meeting you registered for changes."),
    render=render_changed,
)
register_kind(
    NotificationKind.MEETING_CANCELLED,
    default=NotificationFrequency.IMMEDIATELY,
    description=_l("When a meeting you registered for is cancelled."),
    render=render_cancelled,
)
register_kind(
    NotificationKind.MEETING_REMINDER,
    default=NotificationFrequency.IMMEDIATELY,
    description=_l("Reminders 24 hours and 1 hour before a meeting you registered for."),
    render=render_reminder,
)
register_kind(
    NotificationKind.MEETING_PROMOTED,
    default=NotificationFrequency.IMMEDIATELY,
    description=_l("When you move from a meeting's waiting list to a place."),
    render=render_promoted,
)
register_kind(
    NotificationKind.MEETING_MINUTES,
    default=NotificationFrequency.DAILY,
    description=_l("When the minutes of a meeting you registered for are published."),
    render=render_minutes,
)
