"""Comments and the notifications capability: three kinds, and the jobs that notify.

* ``mentioned`` — someone wrote ``@your name`` in a comment;
* ``comment_reply`` — someone replied to your comment;
* ``comment_new`` — a new comment on what you wrote (a proposal, a meeting or consultation you
  organise) or follow.

Each person gets one notification per comment (the most specific kind). The jobs run after the
comment's transaction committed, so a comment rolled back never notifies anyone and a big
audience never slows the page. The notification's subject is the commented item when the
notifications capability knows it as a target (proposals, meetings, consultations once they
are followable); ``params`` keep the comment's id and the link leads to the comment.
"""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from civic.accounts.models import AccountStatus, NotificationFrequency, User
from civic.comments.models import Comment, CommentMention, CommentState
from civic.comments.permissions import can_read
from civic.comments.targets import target_of
from civic.core.templating import current_locale_code
from civic.extensions import db
from civic.notifications.kinds import Foreign, Rendered, register_kind
from civic.notifications.models import Notification, NotificationKind

REACHABLE = (AccountStatus.ACTIVE, AccountStatus.PENDING, AccountStatus.SUSPENDED)


def _subject(target):
    """The object notifications are about (None when the notifications know no such target)."""
    from civic.notifications.targets import target_type

    obj = target.consultation if target.kind == "section" else target.obj
    try:
        target_type(obj)
    except LookupError:
        return None
    return obj


def _people(ids) -> dict[int, User]:
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return {}
    return {
        u.id: u
        for u in db.session.execute(select(User).where(User.id.in_(ids), User.status.in_(REACHABLE))).scalars()
    }


def _followers(subject) -> list[User]:
    if subject is None:
        return []
    from civic.notifications.services import followers_of

    return followers_of(subject)


def deliver(comment_id: int) -> None:
    """Notify, once each, the people a new comment concerns (job)."""
    from civic.notifications.services import notify

    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.state != CommentState.VISIBLE:
        return
    target = target_of(comment)
    actor = db.session.get(User, comment.author_id) if comment.author_id else None
    mentioned_ids = list(
        db.session.execute(select(CommentMention.user_id).where(CommentMention.comment_id == comment.id)).scalars()
    )
    answered_ids = []
    for other_id in (comment.parent_id, comment.reply_to_id):
        if other_id is not None:
            other = db.session.get(Comment, other_id)
            if other is not None and other.state == CommentState.VISIBLE:
                answered_ids.append(other.author_id)
    subject = _subject(target)
    people = _people([*mentioned_ids, *answered_ids, target.author_id])
    for follower in _followers(subject):
        people.setdefault(follower.id, follower)

    done: set[int] = {comment.author_id} if comment.author_id else set()
    groups = (
        (NotificationKind.MENTIONED, mentioned_ids),
        (NotificationKind.COMMENT_REPLY, answered_ids),
        (NotificationKind.COMMENT_NEW, list(people)),
    )
    for kind, ids in groups:
        recipients = []
        for uid in ids:
            person = people.get(uid)
            if person is None or uid in done or not can_read(person, target):
                continue
            done.add(uid)
            recipients.append(person)
        if recipients:
            notify(recipients, kind, subject, actor, comment_id=comment.id)


def deliver_mentions(comment_id: int, user_ids: list[int]) -> None:
    """Notify people newly mentioned when a comment was edited (job)."""
    from civic.notifications.services import notify

    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.state != CommentState.VISIBLE:
        return
    target = target_of(comment)
    still = set(
        db.session.execute(
            select(CommentMention.user_id).where(
                CommentMention.comment_id == comment.id, CommentMention.user_id.in_(user_ids)
            )
        ).scalars()
    )
    people = [p for uid, p in sorted(_people(still).items()) if can_read(p, target)]
    if people:
        actor = db.session.get(User, comment.author_id) if comment.author_id else None
        notify(people, NotificationKind.MENTIONED, _subject(target), actor, comment_id=comment.id)


# ---- rendering (in the reader's language) ---------------------------------------------------


def _context(n: Notification) -> tuple[Foreign, Foreign | str, tuple[str, dict] | None]:
    """(where, who, link) of a comment notification."""
    who = n.actor.display_name if n.actor is not None else gettext("Someone")
    comment_id = (n.params or {}).get("comment_id")
    comment = db.session.get(Comment, comment_id) if comment_id else None
    if comment is None:
        return Foreign(gettext("a discussion that no longer exists"), ""), who, ("notifications.index", {})
    target = target_of(comment)
    if target.kind == "section":
        title = target.consultation.title_for(current_locale_code())
        where = Foreign(title.text, title.lang)
    else:
        where = Foreign(*target.title(current_locale_code()))
    return where, who, ("comments.permalink", {"comment_id": comment.id})


def render_new(n: Notification) -> Rendered:
    where, who, link = _context(n)
    return Rendered(gettext("%(person)s commented on %(subject)s."), {"person": who, "subject": where}, link)


def render_reply(n: Notification) -> Rendered:
    where, who, link = _context(n)
    return Rendered(
        gettext("%(person)s replied to your comment on %(subject)s."), {"person": who, "subject": where}, link
    )


def render_mentioned(n: Notification) -> Rendered:
    where, who, link = _context(n)
    return Rendered(
        gettext("%(person)s mentioned you in a comment on %(subject)s."), {"person": who, "subject": where}, link
    )


def register_kinds() -> None:
    register_kind(
        NotificationKind.COMMENT_NEW,
        default=NotificationFrequency.DAILY,
        description=_l("When someone comments on a proposal you wrote, a meeting or consultation you organise, or something you follow."),
        render=render_new,
    )
    register_kind(
        NotificationKind.COMMENT_REPLY,
        default=NotificationFrequency.IMMEDIATELY,
        description=_l("When someone replies to one of your comments."),
        render=render_reply,
    )
    register_kind(
        NotificationKind.MENTIONED,
        default=NotificationFrequency.IMMEDIATELY,
        description=_l("When someone mentions you (@your name) in a comment."),
        render=render_mentioned,
    )
