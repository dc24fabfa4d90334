"""Notifications received, follows and email preferences."""

from __future__ import annotations

from sqlalchemy import select

from civic.extensions import db
from civic.notifications.models import Follow, Notification, NotificationPreference
from civic.notifications.targets import target_types
from civic.privacy.domains import enum_value, iso


def export(user) -> dict:
    notifications = db.session.execute(
        select(Notification)
        .where(Notification.recipient_id == user.id)
        .order_by(Notification.created_at, Notification.id)
    ).scalars()
    follows = db.session.execute(
        select(Follow).where(Follow.user_id == user.id).order_by(Follow.created_at, Follow.id)
    ).scalars()
    columns = [tt.column for tt in target_types()]
    preferences = db.session.execute(
        select(NotificationPreference.kind, NotificationPreference.frequency).where(
            NotificationPreference.user_id == user.id
        )
    ).all()
    return {
        "notifications": [
            {
                "kind": enum_value(n.kind),
                "created_at": iso(n.created_at),
                "read_at": iso(n.read_at),
                "about": {c: getattr(n, c) for c in columns if getattr(n, c, None) is not None},
                "details": n.params or {},
                "email": enum_value(n.email_state),
            }
            for n in notifications
        ],
        "follows": [
            {"since": iso(f.created_at),
             "about": {c: getattr(f, c) for c in columns if getattr(f, c, None) is not None}}
            for f in follows
        ],
        "email_preferences": {enum_value(k): enum_value(f) for k, f in preferences},
    }


def erase(user, remove_contributions: bool) -> None:
    """Notifications received, follows, preferences and the unread counter go with the account
    row (ON DELETE CASCADE); notifications others received about what this person did keep
    their text but lose the link to the account (ON DELETE SET NULL)."""
