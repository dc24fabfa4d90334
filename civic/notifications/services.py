"""Notifying people, their email preferences, the unread counter and follows.

Use from any domain's services (never commit here; the caller's view commits once)::

    notify([person], NotificationKind.ROLE_CHANGED, department, actor=admin, change="joined_department")
    notify_followers(department, NotificationKind.DEPARTMENT_UPDATE, actor=admin, change="details")

Emails leave only after the transaction commits (``civic.core.jobs``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from civic.accounts.models import AccountStatus, NotificationFrequency, User
from civic.core.errors import InvalidInput, NotFound, PermissionDenied
from civic.core.jobs import enqueue
from civic.core.permissions import is_admin
from civic.core.time import utcnow
from civic.extensions import db
from civic.notifications import kinds
from civic.notifications.models import (
    EmailState,
    Follow,
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationState,
)
from civic.notifications.permissions import can_follow
from civic.notifications.targets import target_type, target_types, target_values

SEND_JOB = "civic.notifications.emails.send_notification_email"
CHUNK = 500


# ---- notifying ---------------------------------------------------------------------------------


def notify(
    recipients: Iterable[User],
    kind: NotificationKind | str,
    subject_object: Any | None = None,
    actor: User | None = None,
    **params: Any,
) -> list[Notification]:
    """One in-app notification per recipient (never the actor) and email per preference.

    ``subject_object`` is a registered target (a Department…) or None for notifications
    about the person's own account. ``params`` must be plain JSON data (strings, numbers).
    """
    kind = NotificationKind.coerce(kind)
    kinds.spec(kind)  # fails early for a kind without a renderer
    try:
        params = json.loads(json.dumps(params))
    except TypeError as exc:
        raise InvalidInput("notification params must be JSON data") from exc
    subject = target_values(subject_object)
    actor_id = actor.id if actor is not None else None

    people: list[User] = []
    seen: set[int] = set()
    for person in recipients:
        if person is None or person.id == actor_id or person.id in seen:
            continue
        seen.add(person.id)
        people.append(person)

    created: list[Notification] = []
    for start in range(0, len(people), CHUNK):
        created += _notify_chunk(people[start : start + CHUNK], kind, subject, actor_id, params)
    return created


def _email_state(person: User, kind: NotificationKind, frequency: NotificationFrequency) -> EmailState:
    if not person.is_confirmed:
        return EmailState.NOT_WANTED
    if person.status in (AccountStatus.BANNED, AccountStatus.DISABLED) and kind != NotificationKind.ACCOUNT_SECURITY:
        return EmailState.NOT_WANTED
    return {
        NotificationFrequency.IMMEDIATELY: EmailState.QUEUED,
        NotificationFrequency.DAILY: EmailState.DIGEST,
    }.get(frequency, EmailState.NOT_WANTED)


def _notify_chunk(people, kind, subject, actor_id, params) -> list[Notification]:
    frequencies = frequencies_for([p.id for p in people], kind)
    now = utcnow()
    rows = [
        Notification(
            recipient_id=p.id,
            kind=kind,
            actor_id=actor_id,
            params=params,
            created_at=now,
            email_state=_email_state(p, kind, frequencies[p.id]),
            **subject,
        )
        for p in people
    ]
    if not rows:
        return []
    db.session.add_all(rows)
    db.session.flush()
    _add_unread(sorted(p.id for p in people))
    for row in rows:
        if row.email_state == EmailState.QUEUED:
            enqueue(SEND_JOB, row.id)
    return rows


def notify_followers(
    target: Any, kind: NotificationKind | str, actor: User | None = None, **params: Any
) -> list[Notification]:
    """Notify everyone who follows ``target`` (except the actor) about it."""
    return notify(followers_of(target), kind, target, actor, **params)


# ---- the unread counter ------------------------------------------------------------------------


def _add_unread(user_ids: list[int]) -> None:
    """+1 unread for each person (creating their counter row), in the current transaction."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - Civic runs on PostgreSQL and SQLite
        raise RuntimeError(f"unsupported database {dialect}")
    count = NotificationState.unread_notification_count
    stmt = insert(NotificationState).values(
        [{"user_id": i, "unread_notification_count": 1} for i in user_ids]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[NotificationState.user_id], set_={"unread_notification_count": count + 1}
    )
    db.session.execute(stmt)


def _remove_unread(user_id: int, how_many: int) -> None:
    if how_many:
        count = NotificationState.unread_notification_count
        db.session.execute(
            update(NotificationState)
            .where(NotificationState.user_id == user_id)
            .values(unread_notification_count=count - how_many)
        )


def unread_count(user_id: int) -> int:
    """The stored unread count (one primary-key lookup)."""
    value = db.session.execute(
        select(NotificationState.unread_notification_count).where(NotificationState.user_id == user_id)
    ).scalar_one_or_none()
    return max(value or 0, 0)


def mark_read(actor: User, notification: Notification) -> bool:
    if notification.recipient_id != actor.id:
        raise NotFound()
    done = db.session.execute(
        update(Notification)
        .where(Notification.id == notification.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session="fetch")
    ).rowcount
    _remove_unread(actor.id, done)
    return bool(done)


def mark_all_read(actor: User) -> int:
    done = db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    _remove_unread(actor.id, done)
    return done


# ---- preferences -----------------------------------------------------------------------------


def frequencies_for(user_ids: list[int], kind: NotificationKind) -> dict[int, NotificationFrequency]:
    """Each person's email frequency for ``kind`` (the kind's default when they chose none)."""
    default = kinds.default_frequency(kind)
    result = dict.fromkeys(user_ids, default)
    if user_ids:
        rows = db.session.execute(
            select(NotificationPreference.user_id, NotificationPreference.frequency).where(
                NotificationPreference.kind == kind, NotificationPreference.user_id.in_(user_ids)
            )
        )
        result.update({uid: freq for uid, freq in rows})
    return result


def preferences_of(user: User) -> dict[NotificationKind, NotificationFrequency]:
    chosen = dict(
        db.session.execute(
            select(NotificationPreference.kind, NotificationPreference.frequency).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    return {kind: chosen.get(kind, spec.default) for kind, spec in kinds.KINDS.items()}


def set_preferences(
    actor: User, user: User, choices: Mapping[NotificationKind | str, NotificationFrequency | str]
) -> None:
    """Save how ``user`` wants to be emailed about each kind."""
    if actor.id != user.id and not is_admin(actor):
        raise PermissionDenied()
    wanted = {
        NotificationKind.coerce(k): NotificationFrequency.coerce(f) for k, f in choices.items()
    }
    rows = {
        p.kind: p
        for p in db.session.execute(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        ).scalars()
    }
    for kind, frequency in wanted.items():
        kinds.spec(kind)
        row = rows.get(kind)
        if row is None:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, frequency=frequency))
        elif row.frequency != frequency:
            row.frequency = frequency
        if frequency == NotificationFrequency.NEVER:
            # Emails still waiting (digest or queue) for this kind are dropped.
            db.session.execute(
                update(Notification)
                .where(
                    Notification.recipient_id == user.id,
                    Notification.kind == kind,
                    Notification.email_state.in_([EmailState.DIGEST, EmailState.QUEUED]),
                )
                .values(email_state=EmailState.NOT_WANTED)
                .execution_options(synchronize_session=False)
            )
    db.session.flush()


def unsubscribe(user: User, kinds_: Iterable[NotificationKind]) -> None:
    """The one-click link in an email: no more email of these kinds (the person acts)."""
    set_preferences(user, user, dict.fromkeys(kinds_, NotificationFrequency.NEVER))


# ---- follows -----------------------------------------------------------------------------------


def _follow_filter(user_id: int, target: Any):
    column = getattr(Follow, target_type(target).column)
    return (Follow.user_id == user_id, column == target.id)


def follow(actor: User, target: Any) -> Follow:
    """``actor`` follows ``target`` (idempotent: following twice keeps one follow)."""
    if not can_follow(actor, target):
        raise PermissionDenied()
    existing = db.session.execute(select(Follow).where(*_follow_filter(actor.id, target))).scalar_one_or_none()
    if existing is not None:
        return existing
    row = Follow(user_id=actor.id, created_at=utcnow(), **target_values(target))
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # followed at the same moment in another request
        return db.session.execute(select(Follow).where(*_follow_filter(actor.id, target))).scalar_one()
    return row


def unfollow(actor: User, target: Any) -> bool:
    """Stop following; True when a follow was removed."""
    done = db.session.execute(
        delete(Follow).where(*_follow_filter(actor.id, target)).execution_options(synchronize_session=False)
    ).rowcount
    return bool(done)


def unfollow_by_link(user: User, column: str, target_id: int) -> Any:
    """The signed one-click link in an email; returns the target (``NotFound`` if gone)."""
    for tt in target_types():
        if tt.column == column:
            target = db.session.get(tt.model, target_id)
            if target is None:
                raise NotFound()
            unfollow(user, target)
            return target
    raise NotFound()


def is_following(user: User, target: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.execute(
        select(Follow.id).where(*_follow_filter(user.id, target))
    ).first() is not None


def followed_ids(user: User, model: type, ids: Iterable[int]) -> set[int]:
    """Which of ``ids`` (objects of ``model``) ``user`` follows: one query for a whole list."""
    ids = list(ids)
    if not ids or not getattr(user, "is_authenticated", False):
        return set()
    column = getattr(Follow, target_type(model).column)
    return set(
        db.session.execute(select(column).where(Follow.user_id == user.id, column.in_(ids))).scalars()
    )


def followers_of(target: Any) -> list[User]:
    column = getattr(Follow, target_type(target).column)
    return list(
        db.session.execute(
            select(User).join(Follow, Follow.user_id == User.id).where(column == target.id).order_by(User.id)
        ).scalars()
    )


def send_test(recipient: User, actor: User | None = None) -> list[Notification]:
    """A test notification (and email, per the person's preference)."""
    return notify([recipient], NotificationKind.TEST, None, actor)
