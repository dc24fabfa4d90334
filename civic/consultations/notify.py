"""Consultations and the notifications capability: follows and the three announcements
(opened, closed, concluded). The announcements run as jobs after the transition committed, so
a transition rolled back never notifies anyone, and a big audience never slows a page.
"""

from __future__ import annotations

from sqlalchemy import select

from civic.core import jobs
from civic.extensions import db


def follows_supported() -> bool:
    from civic.notifications.targets import TARGET_COLUMNS

    return "consultation_id" in TARGET_COLUMNS


def is_following(user, consultation) -> bool:
    from civic.notifications.services import is_following as _is_following

    return _is_following(user, consultation)


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
    from civic.consultations.models import Consultation

    return db.session.get(Consultation, consultation_id)


def _kind(name: str):
    from civic.notifications.models import NotificationKind

    return getattr(NotificationKind, name, None)


def _followers(consultation) -> list:
    if not follows_supported():
        return []
    from civic.notifications.services import followers_of

    return followers_of(consultation)


def _send(consultation, kind_name: str, people, actor=None) -> None:
    from civic.notifications.services import notify

    kind = _kind(kind_name)
    if kind is None or not follows_supported():
        return
    notify(people, kind, consultation, actor)


def send_opened(consultation_id: int) -> None:
    consultation = _consultation(consultation_id)
    if consultation is not None:
        _send(consultation, "CONSULTATION_OPENED", _followers(consultation))


def send_closed(consultation_id: int) -> None:
    consultation = _consultation(consultation_id)
    if consultation is not None:
        _send(consultation, "CONSULTATION_CLOSED", _followers(consultation))


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
    _send(consultation, "CONSULTATION_CONCLUDED", [people[k] for k in sorted(people)], actor)
