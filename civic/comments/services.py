"""Business rules of comments. Every function takes an explicit ``actor``, flushes but never
commits (the view commits once), and raises ``civic.core.errors`` exceptions.

Counters (the comment's votes, the commented row's ``comment_count``, the discussion's
``CommentTally``) change with SQL expressions in the same transaction as what they count, and
only for *visible* comments: a comment leaving that state (held, hidden, deleted) takes its
counts away, a restored one gives them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from civic.comments import mentions as mention_rules
from civic.comments import permissions
from civic.comments.models import (
    MAX_DEPTH,
    POSITION_COLUMNS,
    Comment,
    CommentMention,
    CommentPosition,
    CommentRevision,
    CommentState,
    CommentTally,
    CommentVote,
    DiscussionSettings,
)
from civic.comments.targets import Target
from civic.consultations.models import ConsultationSection
from civic.core import jobs
from civic.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from civic.core.i18n import language_name
from civic.core.time import utcnow
from civic.extensions import db
from civic.proposals.models import Proposal

REASON_MAX = 500
DEFAULT_EXTRA_LANGUAGES = (
    "de", "it", "pt", "nl", "pl", "ro", "tr", "uk", "ru", "fa", "he", "ur", "hi", "zh", "ko",
    "ja", "eu", "ca", "wo",
)
NOTIFY_JOB = "civic.comments.notify.deliver"
MENTION_JOB = "civic.comments.notify.deliver_mentions"


# ---- helpers ------------------------------------------------------------------------------


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _insert(model):
    if _dialect() == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def _expire(model, ident, attrs: list[str]) -> None:
    """Forget stale counter values of an object this session holds (no query)."""
    obj = db.session.identity_map.get(db.session.identity_key(model, ident))
    if obj is not None:
        db.session.expire(obj, attrs)


def max_length() -> int:
    return int(current_app.config.get("COMMENT_MAX_LENGTH", 2000))


def language_codes() -> list[str]:
    """Languages a comment can be marked with: the site's, then a few more."""
    codes = list(current_app.config["LANGUAGES"])
    extra = current_app.config.get("COMMENT_EXTRA_LANGUAGES", DEFAULT_EXTRA_LANGUAGES)
    codes += [c for c in extra if c not in codes]
    return codes


def language_options() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in language_codes()]


def _lock(comment: Comment) -> Comment:
    """Re-read the comment under a row lock (PostgreSQL); SQLite serialises writers anyway."""
    found = db.session.execute(
        select(Comment).where(Comment.id == comment.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(_("This comment does not exist."))
    return found


# ---- settings -----------------------------------------------------------------------------


def settings_for(consultation_id: int | None) -> DiscussionSettings | None:
    """The consultation's discussion settings (None: the defaults)."""
    if consultation_id is None:
        return None
    return db.session.get(DiscussionSettings, consultation_id)


def settings_of(target: Target) -> DiscussionSettings | None:
    return settings_for(target.consultation.id) if target.consultation is not None else None


def set_keep_open(actor, consultation, keep_open: bool) -> DiscussionSettings:
    """Keep the consultation's discussion open after it closes (or not)."""
    if not permissions.can_manage_settings(actor, consultation):
        raise PermissionDenied()
    db.session.execute(
        _insert(DiscussionSettings)
        .values(consultation_id=consultation.id, keep_open_after_close=False, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["consultation_id"])
    )
    db.session.execute(
        update(DiscussionSettings)
        .where(DiscussionSettings.consultation_id == consultation.id)
        .values(keep_open_after_close=bool(keep_open), updated_at=utcnow(), updated_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    _expire(DiscussionSettings, consultation.id, ["keep_open_after_close", "updated_at", "updated_by_id"])
    return db.session.get(DiscussionSettings, consultation.id)


# ---- counters -----------------------------------------------------------------------------


def _tally_key(comment: Comment) -> tuple[str, int]:
    if comment.consultation_id is not None:
        return "consultation_id", comment.consultation_id
    if comment.proposal_id is not None:
        return "proposal_id", comment.proposal_id
    return "meeting_id", comment.meeting_id


def _count(comment: Comment, sign: int, position: CommentPosition | None = None) -> None:
    """Add ``sign`` (±1) visible comment to every counter ``comment`` counts in."""
    column, ident = _tally_key(comment)
    db.session.execute(
        _insert(CommentTally).values({column: ident}).on_conflict_do_nothing(index_elements=[column])
    )
    values = {"comment_count": CommentTally.comment_count + sign}
    if position is not None:
        name = POSITION_COLUMNS[position]
        values[name] = getattr(CommentTally, name) + sign
    db.session.execute(
        update(CommentTally)
        .where(getattr(CommentTally, column) == ident)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    _expire_tallies(column, ident)
    if comment.section_id is not None:
        db.session.execute(
            update(ConsultationSection)
            .where(ConsultationSection.id == comment.section_id)
            .values(comment_count=ConsultationSection.comment_count + sign)
            .execution_options(synchronize_session=False)
        )
        _expire(ConsultationSection, comment.section_id, ["comment_count"])
    if comment.proposal_id is not None:
        db.session.execute(
            update(Proposal)
            .where(Proposal.id == comment.proposal_id)
            .values(comment_count=Proposal.comment_count + sign)
            .execution_options(synchronize_session=False)
        )
        _expire(Proposal, comment.proposal_id, ["comment_count"])


def _move_position(comment: Comment, old: CommentPosition | None, new: CommentPosition | None) -> None:
    if old == new:
        return
    column, ident = _tally_key(comment)
    values = {}
    if old is not None:
        values[POSITION_COLUMNS[old]] = getattr(CommentTally, POSITION_COLUMNS[old]) - 1
    if new is not None:
        values[POSITION_COLUMNS[new]] = getattr(CommentTally, POSITION_COLUMNS[new]) + 1
    db.session.execute(
        update(CommentTally)
        .where(getattr(CommentTally, column) == ident)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    _expire_tallies(column, ident)


def _expire_tallies(column: str, ident: int) -> None:
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, CommentTally) and obj.__dict__.get(column) == ident:
            db.session.expire(obj)


# ---- writing ------------------------------------------------------------------------------


def _clean_body(body: str | None) -> str:
    text = (body or "").strip()
    if not text:
        raise InvalidInput(_("Write your comment."), field="body")
    limit = max_length()
    if len(text) > limit:
        raise InvalidInput(
            _(
                "Your comment is %(length)s characters long; shorten it to %(max)s characters or fewer.",
                length=format_decimal(len(text)),
                max=format_decimal(limit),
            ),
            field="body",
        )
    return text


def _clean_language(language: str | None) -> str:
    if not language or language not in language_codes():
        raise InvalidInput(_("Choose the language of your comment from the list."), field="language")
    return language


def _clean_position(target: Target, top_level: bool, position) -> CommentPosition | None:
    if not top_level or not target.positions_enabled or position in (None, ""):
        return None
    try:
        return CommentPosition.coerce(position)
    except ValueError:
        raise InvalidInput(_("Choose one of the positions offered."), field="position") from None


def _mentions(body: str, choices: dict[str, str] | None) -> dict[str, int]:
    return mention_rules.resolve(
        body, choices, _l("Several people have this name: choose whom you meant.")
    )


def post_comment(
    actor,
    target: Target,
    body: str,
    *,
    language: str,
    position: CommentPosition | str | None = None,
    parent: Comment | None = None,
    mention_choices: dict[str, str] | None = None,
) -> Comment:
    """Publish a comment on ``target``, or a reply to ``parent`` (in ``target``'s discussion).

    Replies deeper than ``MAX_DEPTH`` are attached beside their parent (same depth) and
    remember the comment they answer in ``reply_to_id``.
    """
    settings = settings_of(target)
    if parent is not None:
        if parent.thread_root_id is None or not _same_discussion(parent, target):
            raise NotFound(_("This comment does not exist."))
        if not permissions.can_reply(actor, parent, target, settings):
            raise PermissionDenied(_("You cannot reply to this comment."))
    elif not permissions.can_comment(actor, target, settings):
        raise PermissionDenied(_("This discussion is closed."))
    text = _clean_body(body)
    lang = _clean_language(language)
    chosen_position = _clean_position(target, parent is None, position)
    mentioned = _mentions(text, mention_choices)

    now = utcnow()
    comment = Comment(
        author_id=actor.id,
        body=text,
        language=lang,
        position=chosen_position,
        state=CommentState.VISIBLE,
        created_at=now,
        up_count=0,
        down_count=0,
        score=0,
    )
    if parent is None:
        for column, value in target.values().items():
            setattr(comment, column, value)
        comment.depth = 0
    else:
        for column in ("consultation_id", "section_id", "proposal_id", "meeting_id"):
            setattr(comment, column, getattr(parent, column))
        comment.root_id = parent.root_id or parent.id
        if parent.depth >= MAX_DEPTH:
            comment.parent_id = parent.parent_id
            comment.depth = MAX_DEPTH
            comment.reply_to_id = parent.id
        else:
            comment.parent_id = parent.id
            comment.depth = parent.depth + 1
    db.session.add(comment)
    db.session.flush()
    for name, user_id in mentioned.items():
        db.session.add(CommentMention(comment_id=comment.id, user_id=user_id, name=name))
    from civic.moderation.services import screen_new_content

    # Pre-moderation or a watched word holds it (not counted, nobody notified until approved).
    if not screen_new_content(comment):
        _count(comment, +1, comment.position)
        jobs.enqueue(NOTIFY_JOB, comment.id)
    db.session.flush()
    return comment


def _same_discussion(comment: Comment, target: Target) -> bool:
    """Whether ``comment`` is shown in ``target``'s discussion (a consultation's includes its
    sections')."""
    return getattr(comment, target.column.key) == target.id


def edit_comment(
    actor,
    comment: Comment,
    target: Target,
    body: str,
    *,
    language: str,
    position: CommentPosition | str | None = None,
    mention_choices: dict[str, str] | None = None,
) -> bool:
    """Change a comment; the earlier version is kept as a ``CommentRevision``.

    Returns False when nothing changed (no revision, no "edited" mark).
    """
    settings = settings_of(target)
    if not permissions.can_edit(actor, comment, target, settings):
        raise PermissionDenied(_("You cannot change this comment."))
    text = _clean_body(body)
    lang = _clean_language(language)
    new_position = _clean_position(target, comment.depth == 0, position)
    mentioned = _mentions(text, mention_choices)
    comment = _lock(comment)
    if comment.state != CommentState.VISIBLE:
        raise Conflict(_("This comment can no longer be changed."))
    if text == comment.body and lang == comment.language and new_position == comment.position:
        return False
    now = utcnow()
    db.session.add(
        CommentRevision(
            comment_id=comment.id,
            body=comment.body,
            language=comment.language,
            position=comment.position,
            written_at=comment.edited_at or comment.created_at,
            replaced_at=now,
            editor_id=actor.id,
        )
    )
    old_position = comment.position
    comment.body = text
    comment.language = lang
    comment.position = new_position
    comment.edited_at = now
    _move_position(comment, old_position, new_position)

    before = dict(
        db.session.execute(
            select(CommentMention.user_id, CommentMention.name).where(CommentMention.comment_id == comment.id)
        ).all()
    )
    wanted = {user_id: name for name, user_id in mentioned.items()}
    gone = [uid for uid in before if uid not in wanted]
    if gone:
        db.session.execute(
            delete(CommentMention).where(CommentMention.comment_id == comment.id, CommentMention.user_id.in_(gone))
        )
    for user_id, name in wanted.items():
        if user_id not in before:
            db.session.add(CommentMention(comment_id=comment.id, user_id=user_id, name=name))
        elif before[user_id] != name:
            db.session.execute(
                update(CommentMention)
                .where(CommentMention.comment_id == comment.id, CommentMention.user_id == user_id)
                .values(name=name)
            )
    db.session.flush()
    new_people = sorted(uid for uid in wanted if uid not in before)
    if new_people:
        jobs.enqueue(MENTION_JOB, comment.id, new_people)
    return True


def delete_comment(actor, comment: Comment) -> Comment:
    """The author deletes their comment: its place in the thread stays, replies too."""
    if not permissions.can_delete(actor, comment):
        raise PermissionDenied(_("You cannot delete this comment."))
    comment = _lock(comment)
    was = comment.state
    if was not in (CommentState.VISIBLE, CommentState.HELD):
        raise Conflict(_("This comment can no longer be deleted."))
    comment.state = CommentState.DELETED
    comment.deleted_at = utcnow()
    if was == CommentState.VISIBLE:
        _count(comment, -1, comment.position)
    db.session.flush()
    return comment


# ---- votes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteResult:
    up: int
    down: int
    #: The actor's vote now: 1, -1 or 0 (none).
    mine: int
    #: Whether anything changed.
    changed: bool


def vote(actor, comment: Comment, target: Target, value: int) -> VoteResult:
    """Vote +1 (up) or -1 (down) on a comment, change that vote, or take it back (0).

    Exact under concurrency without locking the comment: the vote row is written with an
    insert that ignores conflicts, a conditional update, or a delete returning the old value,
    so each statement tells which counter changes; the counters then change with SQL
    expressions.
    """
    if value not in (-1, 0, 1):
        raise InvalidInput(_("Choose to vote up or down."), field="value")
    if not permissions.can_vote(actor, comment, target, settings_of(target)):
        raise PermissionDenied(_("You cannot vote on this comment."))
    now = utcnow()
    up = down = 0
    if value == 0:
        removed = db.session.execute(
            delete(CommentVote)
            .where(CommentVote.comment_id == comment.id, CommentVote.user_id == actor.id)
            .returning(CommentVote.value)
        ).scalar_one_or_none()
        if removed == 1:
            up = -1
        elif removed == -1:
            down = -1
    else:
        # RETURNING says whether a row was written (``rowcount`` of an ORM-enabled insert is
        # not reliable: -1 on PostgreSQL).
        inserted = db.session.execute(
            _insert(CommentVote)
            .values(comment_id=comment.id, user_id=actor.id, value=value, created_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["comment_id", "user_id"])
            .returning(CommentVote.id)
        ).first()
        if inserted is not None:
            up, down = (1, 0) if value == 1 else (0, 1)
        else:
            # The row exists: change it only if it holds the other value (votes are ±1, so a
            # changed row went from -value to value). The update re-checks under its row lock.
            changed = db.session.execute(
                update(CommentVote)
                .where(
                    CommentVote.comment_id == comment.id,
                    CommentVote.user_id == actor.id,
                    CommentVote.value != value,
                )
                .values(value=value, updated_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if changed:
                up, down = (1, -1) if value == 1 else (-1, 1)
    if up or down:
        counts = db.session.execute(
            update(Comment)
            .where(Comment.id == comment.id)
            .values(
                up_count=Comment.up_count + up,
                down_count=Comment.down_count + down,
                score=Comment.score + (up - down),
            )
            .returning(Comment.up_count, Comment.down_count)
            .execution_options(synchronize_session=False)
        ).one()
    else:
        counts = db.session.execute(
            select(Comment.up_count, Comment.down_count).where(Comment.id == comment.id)
        ).one()
    _expire(Comment, comment.id, ["up_count", "down_count", "score"])
    return VoteResult(up=counts[0], down=counts[1], mine=value, changed=bool(up or down))


def votes_of(user, comment_ids) -> dict[int, int]:
    """``{comment id: ±1}``: how ``user`` voted on these comments (one query)."""
    ids = list(comment_ids)
    if not ids or not getattr(user, "is_authenticated", False):
        return {}
    return dict(
        db.session.execute(
            select(CommentVote.comment_id, CommentVote.value).where(
                CommentVote.user_id == user.id, CommentVote.comment_id.in_(ids)
            )
        ).all()
    )


# ---- moderation (used by the moderation capability) ----------------------------------------


def _clean_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(_("Say why, for the author and the readers."), field="reason")
    if len(text) > REASON_MAX:
        raise InvalidInput(
            _("Shorten the reason to %(max)s characters or fewer.", max=REASON_MAX), field="reason"
        )
    return text


def _moderate(comment: Comment, actor, to: CommentState, allowed_from: tuple, reason: str | None) -> Comment:
    if not permissions.can_moderate(actor, comment):
        raise PermissionDenied()
    comment = _lock(comment)
    was = comment.state
    if was not in allowed_from:
        raise Conflict(_("This comment is %(state)s; that cannot change this way.", state=was.label.lower()))
    comment.state = to
    comment.moderation_reason = reason
    comment.moderated_by_id = actor.id
    comment.moderated_at = utcnow()
    if was == CommentState.VISIBLE and to != CommentState.VISIBLE:
        _count(comment, -1, comment.position)
    elif was != CommentState.VISIBLE and to == CommentState.VISIBLE:
        _count(comment, +1, comment.position)
    db.session.flush()
    return comment


def hold(comment: Comment, actor, reason: str) -> Comment:
    """Hold a comment for review: only its author and moderators read it meanwhile."""
    return _moderate(
        comment, actor, CommentState.HELD, (CommentState.VISIBLE, CommentState.HIDDEN), _clean_reason(reason)
    )


def hide(comment: Comment, actor, reason: str) -> Comment:
    """Hide a comment; its place shows "Hidden by moderation: <reason>"."""
    return _moderate(
        comment, actor, CommentState.HIDDEN, (CommentState.VISIBLE, CommentState.HELD), _clean_reason(reason)
    )


def restore(comment: Comment, actor) -> Comment:
    """Show a held or hidden comment again (a comment its author deleted stays deleted)."""
    return _moderate(comment, actor, CommentState.VISIBLE, (CommentState.HELD, CommentState.HIDDEN), None)


# ---- reading ------------------------------------------------------------------------------


def get_comment(comment_id: int) -> Comment:
    found = db.session.get(Comment, comment_id)
    if found is None:
        raise NotFound(_("This comment does not exist."))
    return found


def tally_of(target: Target) -> CommentTally | None:
    column, ident = target.tally_key
    return db.session.execute(
        select(CommentTally).where(getattr(CommentTally, column) == ident)
    ).scalar_one_or_none()


def revisions_of(comment: Comment) -> list[CommentRevision]:
    return list(
        db.session.execute(
            select(CommentRevision)
            .where(CommentRevision.comment_id == comment.id)
            .order_by(CommentRevision.replaced_at.desc(), CommentRevision.id.desc())
        ).scalars()
    )


SORTS = ("oldest", "newest", "top")


def root_order(sort: str):
    if sort == "newest":
        return (Comment.created_at.desc(), Comment.id.desc())
    if sort == "top":
        return (Comment.score.desc(), Comment.created_at.desc(), Comment.id.desc())
    return (Comment.created_at, Comment.id)


def _before(root: Comment, sort: str):
    """Roots shown before ``root`` in that order."""
    c, i = root.created_at, root.id
    if sort == "newest":
        return (Comment.created_at > c) | ((Comment.created_at == c) & (Comment.id > i))
    if sort == "top":
        s = root.score
        return (Comment.score > s) | (
            (Comment.score == s)
            & ((Comment.created_at > c) | ((Comment.created_at == c) & (Comment.id > i)))
        )
    return (Comment.created_at < c) | ((Comment.created_at == c) & (Comment.id < i))


def page_of(comment: Comment, target: Target, sort: str, per_page: int) -> int:
    """The page of ``target``'s discussion (in that order) showing ``comment``'s thread."""
    root = comment if comment.root_id is None else db.session.get(Comment, comment.root_id)
    ahead = db.session.execute(
        select(func.count()).select_from(Comment).where(target.where(), Comment.depth == 0, _before(root, sort))
    ).scalar_one()
    return ahead // per_page + 1


def position_choices() -> list[tuple[str, str]]:
    return CommentPosition.choices()


def now() -> datetime:
    return utcnow()
