"""Notification emails: one per notification ("immediately") or one daily digest per person.

Each email is rendered in its recipient's own language and time zone, says in a
``Content-Language`` header which language that was, and carries signed one-click links
(no sign-in needed): stop emails of that kind, and unfollow the thing it is about.  The
``List-Unsubscribe`` / ``List-Unsubscribe-Post`` headers (RFC 8058) point to the same
unsubscribe link so mail programs can offer their own button.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytz
from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from civic.accounts.models import User
from civic.core.mail import send_mail
from civic.core.time import is_valid_timezone, utcnow
from civic.extensions import db
from civic.notifications import kinds
from civic.notifications.models import EmailState, Follow, Notification, NotificationKind
from civic.notifications.targets import target_of, target_type, target_values

UNSUBSCRIBE_SALT = "civic.notifications.unsubscribe"
UNFOLLOW_SALT = "civic.notifications.unfollow"


# ---- signed one-click links ------------------------------------------------------------------


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def unsubscribe_token(user_id: int, kinds_: list[NotificationKind]) -> str:
    return _serializer(UNSUBSCRIBE_SALT).dumps(
        {"u": user_id, "k": sorted({str(k) for k in kinds_})}
    )


def load_unsubscribe_token(token: str) -> tuple[int, list[NotificationKind]] | None:
    """``(user id, kinds)`` from a link, or None if it was tampered with."""
    try:
        data = _serializer(UNSUBSCRIBE_SALT).loads(token)
        user_id = int(data["u"])
        found = [NotificationKind(k) for k in data["k"]]
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    return (user_id, found) if found else None


def unfollow_token(user_id: int, target) -> str:
    tt = target_type(target)
    return _serializer(UNFOLLOW_SALT).dumps({"u": user_id, "c": tt.column, "id": target.id})


def load_unfollow_token(token: str) -> tuple[int, str, int] | None:
    """``(user id, target column, target id)`` from a link, or None if tampered with."""
    try:
        data = _serializer(UNFOLLOW_SALT).loads(token)
        return int(data["u"]), str(data["c"]), int(data["id"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


# ---- absolute links outside a request ------------------------------------------------------


def external_url(endpoint: str, **values) -> str:
    """An absolute URL built from ``SERVER_BASE_URL`` (works in jobs, without a request)."""
    anchor = values.pop("_anchor", None)
    base = urlsplit(current_app.config["SERVER_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url


def link_url(link: tuple[str, dict] | None) -> str | None:
    if link is None:
        return None
    endpoint, values = link
    return external_url(endpoint, **values)


# ---- the recipient's language and time zone --------------------------------------------------


def person_locale(user: User) -> str:
    langs = current_app.config["LANGUAGES"]
    return user.locale if user.locale in langs else current_app.config["BABEL_DEFAULT_LOCALE"]


def person_timezone(user: User) -> str:
    return user.timezone if is_valid_timezone(user.timezone) else current_app.config["BABEL_DEFAULT_TIMEZONE"]


@contextmanager
def as_seen_by(user: User) -> Iterator[None]:
    """Render in ``user``'s language and time zone (``force_locale`` plus the zone)."""
    with force_locale(person_locale(user)):
        from flask import g

        ctx = g._flask_babel  # Flask-Babel's per-context namespace, made by force_locale
        previous = getattr(ctx, "babel_tzinfo", None)
        ctx.babel_tzinfo = pytz.timezone(person_timezone(user))
        try:
            yield
        finally:
            ctx.babel_tzinfo = previous


# ---- building and sending ------------------------------------------------------------------


def _follows(user_id: int, notifications: list[Notification]) -> set[tuple[str, int]]:
    """Which of the notifications' subjects ``user_id`` follows, as (column, id) pairs."""
    wanted: dict[str, set[int]] = {}
    for n in notifications:
        for column, value in target_values(target_of(n)).items():
            if value is not None:
                wanted.setdefault(column, set()).add(value)
    found: set[tuple[str, int]] = set()
    for column, ids in wanted.items():
        col = getattr(Follow, column)
        rows = db.session.execute(
            select(col).where(Follow.user_id == user_id, col.in_(ids))
        ).scalars()
        found.update((column, i) for i in rows)
    return found


def _item(n: Notification, followed: set[tuple[str, int]]) -> dict:
    rendered = kinds.render(n)
    target = target_of(n)
    unfollow = None
    if target is not None and (target_type(target).column, target.id) in followed:
        name, _lang = target_type(target).name(target, str(get_locale()))
        unfollow = {
            "name": name,
            "url": external_url("notifications.unfollow_link", token=unfollow_token(n.recipient_id, target)),
        }
    return {
        "notification": n,
        "text": rendered.text(),
        "url": link_url(rendered.link),
        "unfollow": unfollow,
        "kind_label": n.kind.label,
    }


def _headers(unsubscribe_url: str) -> dict:
    return {
        "Content-Language": str(get_locale()).replace("_", "-"),
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }


def compose_single(n: Notification) -> tuple[str, str, dict]:
    """(subject, text, headers) of the email for one notification, in the current locale."""
    kinds_ = [n.kind]
    unsubscribe = external_url(
        "notifications.unsubscribe", token=unsubscribe_token(n.recipient_id, kinds_)
    )
    item = _item(n, _follows(n.recipient_id, [n]))
    text = render_template(
        "notifications/email/single.txt",
        person=n.recipient,
        item=item,
        unsubscribe_url=unsubscribe,
        preferences_url=external_url("notifications.preferences"),
        site_name=current_app.config["SITE_NAME"],
    )
    subject = _("%(site)s: %(title)s", site=current_app.config["SITE_NAME"], title=item["text"])
    return subject[:300], text, _headers(unsubscribe)


def compose_digest(user: User, notifications: list[Notification]) -> tuple[str, str, dict]:
    kinds_ = sorted({n.kind for n in notifications}, key=str)
    unsubscribe = external_url("notifications.unsubscribe", token=unsubscribe_token(user.id, kinds_))
    followed = _follows(user.id, notifications)
    items = [_item(n, followed) for n in notifications]
    text = render_template(
        "notifications/email/digest.txt",
        person=user,
        items=items,
        kinds=kinds_,
        unsubscribe_url=unsubscribe,
        preferences_url=external_url("notifications.preferences"),
        notifications_url=external_url("notifications.index"),
        site_name=current_app.config["SITE_NAME"],
    )
    subject = _(
        "%(site)s: your daily summary (%(count)s)",
        site=current_app.config["SITE_NAME"],
        count=len(items),
    )
    return subject[:300], text, _headers(unsubscribe)


def _with_subjects(stmt):
    from civic.notifications.targets import target_types

    options = [joinedload(Notification.recipient), joinedload(Notification.actor)]
    options += [joinedload(getattr(Notification, t.relationship)) for t in target_types()]
    return stmt.options(*options)


def send_notification_email(notification_id: int) -> None:
    """Job: email one notification now, in its recipient's language. Safe to run twice."""
    n = db.session.execute(
        _with_subjects(select(Notification).where(Notification.id == notification_id))
    ).scalar_one_or_none()
    if n is None or n.email_state != EmailState.QUEUED:
        return
    claimed = db.session.execute(
        update(Notification)
        .where(Notification.id == n.id, Notification.email_state == EmailState.QUEUED)
        .values(email_state=EmailState.SENT, emailed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return
    with as_seen_by(n.recipient):
        subject, text, headers = compose_single(n)
    send_mail(n.recipient.email, subject, text, headers=headers)


def send_digest(user_id: int) -> int:
    """Email one person's waiting daily notifications as one message; returns how many."""
    ids = list(
        db.session.execute(
            update(Notification)
            .where(Notification.recipient_id == user_id, Notification.email_state == EmailState.DIGEST)
            .values(email_state=EmailState.SENT, emailed_at=utcnow())
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        ).scalars()
    )
    if not ids:
        return 0
    notifications = list(
        db.session.execute(
            _with_subjects(select(Notification).where(Notification.id.in_(ids)))
            .order_by(Notification.created_at, Notification.id)
        ).scalars().unique()
    )
    user = notifications[0].recipient
    with as_seen_by(user):
        subject, text, headers = compose_digest(user, notifications)
    send_mail(user.email, subject, text, headers=headers)
    return len(notifications)


def send_digests() -> tuple[int, int]:
    """Send every waiting daily digest; ``(people, notifications)``. Idempotent.

    Each person's notifications are claimed (marked as emailed) and their email queued in one
    transaction, so running it twice, or twice at the same time, sends each one once.
    """
    people = list(
        db.session.execute(
            select(Notification.recipient_id)
            .where(Notification.email_state == EmailState.DIGEST)
            .distinct()
        ).scalars()
    )
    sent_people = sent_items = 0
    for user_id in people:
        count = send_digest(user_id)
        db.session.commit()
        if count:
            sent_people += 1
            sent_items += count
    return sent_people, sent_items
