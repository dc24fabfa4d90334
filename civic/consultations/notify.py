"""Consultations and the notifications capability: follows and the three announcements
(opened, closed, concluded). The announcements run as jobs after the transition committed, so
a transition rolled back never notifies anyone, and a big audience never slows a page.
"""

from __future__ import annotations

from flask_babel import format_date, format_datetime, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from civic.accounts.models import NotificationFrequency
from civic.consultations.models import Consultation
from civic.core import jobs
from civic.extensions import db
from civic.notifications.kinds import Foreign, Rendered, register_kind, subject_link, subject_name
from civic.notifications.models import Notification, NotificationKind
from civic.notifications.targets import TARGET_COLUMNS, register_target


def follows_supported() -> bool:
    return "consultation_id" in TARGET_COLUMNS


# ---- the target and the kinds ----------------------------------------------------------------


def _name(consultation: Consultation, locale: str) -> tuple[str, str]:
    title = consultation.title_for(locale)
    return title.text, title.lang


register_target(
    Consultation,
    "consultation_id",
    name=_name,
    link=lambda c: ("consultations.detail", {"consultation_id": c.id}),
    label=_l("consultation"),
)


def _subject(n: Notification) -> tuple[Foreign, Consultation | None]:
    name = subject_name(n) or Foreign(gettext("a consultation that no longer exists"), "")
    return name, getattr(n, "consultation", None)


def render_opened(n: Notification) -> Rendered:
    name, c = _subject(n)
    if c is not None and c.closes_at:
        return Rendered(
            gettext("The consultation %(consultation)s is open: you can take part until %(date)s."),
            {"consultation": name, "date": format_datetime(c.closes_at, "long")},
            subject_link(n),
        )
    return Rendered(gettext("The consultation %(consultation)s is open."), {"consultation": name}, subject_link(n))


def render_closed(n: Notification) -> Rendered:
    name, c = _subject(n)
    if c is not None and c.report_due_at:
        return Rendered(
            gettext("The consultation %(consultation)s has closed. Its department promises a report by %(date)s."),
            {"consultation": name, "date": format_date(c.report_due_at, "long")},
            subject_link(n),
        )
    return Rendered(gettext("The consultation %(consultation)s has closed."), {"consultation": name}, subject_link(n))


def render_concluded(n: Notification) -> Rendered:
    name, _c = _subject(n)
    return Rendered(
        gettext("The department published its report on the consultation %(consultation)s: see what it heard and what it will do."),
        {"consultation": name},
        subject_link(n),
    )


register_kind(
    NotificationKind.CONSULTATION_OPENED,
    default=NotificationFrequency.IMMEDIATELY,
    description=_l("When a consultation you follow opens."),
    render=render_opened,
)
register_kind(
    NotificationKind.CONSULTATION_CLOSED,
    default=NotificationFrequency.DAILY,
    description=_l("When a consultation you follow closes."),
    render=render_closed,
)
register_kind(
    NotificationKind.CONSULTATION_CONCLUDED,
    default=NotificationFrequency.IMMEDIATELY,
    description=_l("When the report of a consultation you answered or follow is published."),
    render=render_concluded,
)


def is_following(user, consultation) -> bool:
    from civic.notifications.services import followed_ids

    return consultation.id in followed_ids(user, Consultation, [consultation.id])


def follow(user, consultation) -> None:
    from civic.notifications.services import follow as _follow

    _follow(user, consultation)


def unfollow(user, consultation) -> None:
    from civic.notifications.services import unfollow as _unfollow

    _unfollow(user, consultation)


# ---- called by the services (inside the transition's transaction) -----------------------------


def consultation_opened(consultation_id: int) -> None:
    jobs.enqueue("civic.consultations.notify.send_opened", consultation_id)


def consultation_closed(consultation_id: int) -> None:
    jobs.enqueue("civic.consultations.notify.send_closed", consultation_id)


def consultation_concluded(consultation_id: int, actor_id: int | None) -> None:
    jobs.enqueue("civic.consultations.notify.send_concluded", consultation_id, actor_id)


# ---- jobs ------------------------------------------------------------------------------------------


def _consultation(consultation_id: int):
    return db.session.get(Consultation, consultation_id)


def _followers(consultation) -> list:
    from civic.notifications.services import followers_of

    return followers_of(consultation)


def _send(consultation, kind: NotificationKind, people, actor=None) -> None:
    from civic.notifications.services import notify

    notify(people, kind, consultation, actor)


def send_opened(consultation_id: int) -> None:
    consultation = _consultation(consultation_id)
    if consultation is not None:
        _send(consultation, NotificationKind.CONSULTATION_OPENED, _followers(consultation))


def send_closed(consultation_id: int) -> None:
    consultation = _consultation(consultation_id)
    if consultation is not None:
        _send(consultation, NotificationKind.CONSULTATION_CLOSED, _followers(consultation))


def send_concluded(consultation_id: int, actor_id: int | None) -> None:
    """Everyone who took part (``participants_of``) or follows it, once each."""
    from civic.accounts.models import User
    from civic.consultations.registry import participants_of

    consultation = _consultation(consultation_id)
    if consultation is None:
        return
    people = {u.id: u for u in _followers(consultation)}
    missing = participants_of(consultation) - set(people)
    if missing:
        for user in db.session.execute(select(User).where(User.id.in_(sorted(missing)))).scalars():
            people[user.id] = user
    actor = db.session.get(User, actor_id) if actor_id else None
    _send(consultation, NotificationKind.CONSULTATION_CONCLUDED, [people[k] for k in sorted(people)], actor)
