"""Comments written and votes given on comments.

* Votes are removed and each comment's ``up_count``/``down_count``/``score`` goes back by
  exactly the vote.
* Comments stay by default, signed "a former member". When the person chooses to remove
  their contributions, each comment becomes a deleted placeholder (its text and earlier
  versions erased, its replies kept in place) and the visible-comment counters it fed (the
  discussion's tally and positions, the section's or proposal's ``comment_count``) go down.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from civic.comments import services as comment_services
from civic.comments.models import (
    Comment,
    CommentMention,
    CommentRevision,
    CommentState,
    CommentVote,
)
from civic.core.time import utcnow
from civic.extensions import db
from civic.privacy.domains import enum_value, iso

_TARGETS = ("consultation_id", "section_id", "proposal_id", "meeting_id")


def export(user) -> dict:
    comments = list(
        db.session.execute(
            select(Comment).where(Comment.author_id == user.id).order_by(Comment.created_at, Comment.id)
        ).scalars()
    )
    revisions: dict[int, list] = {}
    if comments:
        for r in db.session.execute(
            select(CommentRevision)
            .where(CommentRevision.comment_id.in_([c.id for c in comments]))
            .order_by(CommentRevision.comment_id, CommentRevision.replaced_at)
        ).scalars():
            revisions.setdefault(r.comment_id, []).append(
                {"body": r.body, "language": r.language, "written_at": iso(r.written_at),
                 "replaced_at": iso(r.replaced_at)}
            )
    votes = db.session.execute(
        select(CommentVote).where(CommentVote.user_id == user.id).order_by(CommentVote.created_at)
    ).scalars()
    return {
        "comments": [
            {
                "id": c.id,
                "on": {t: getattr(c, t) for t in _TARGETS if getattr(c, t) is not None},
                "reply_to": c.parent_id,
                "body": c.body,
                "language": c.language,
                "position": enum_value(c.position),
                "state": enum_value(c.state),
                "created_at": iso(c.created_at),
                "edited_at": iso(c.edited_at),
                "deleted_at": iso(c.deleted_at),
                "votes_up": c.up_count,
                "votes_down": c.down_count,
                "earlier_versions": revisions.get(c.id, []),
            }
            for c in comments
        ],
        "votes": [
            {"comment_id": v.comment_id, "vote": "up" if v.value > 0 else "down", "at": iso(v.created_at)}
            for v in votes
        ],
    }


def _remove_votes(user) -> None:
    votes = list(
        db.session.execute(
            select(CommentVote.comment_id, CommentVote.value)
            .where(CommentVote.user_id == user.id)
            .order_by(CommentVote.comment_id)
        ).all()
    )
    for comment_id, value in votes:
        up, down = (1, 0) if value > 0 else (0, 1)
        db.session.execute(
            update(Comment)
            .where(Comment.id == comment_id)
            .values(
                up_count=Comment.up_count - up,
                down_count=Comment.down_count - down,
                score=Comment.score - (up - down),
            )
            .execution_options(synchronize_session=False)
        )
    if votes:
        db.session.execute(
            delete(CommentVote).where(CommentVote.user_id == user.id).execution_options(synchronize_session=False)
        )


def _remove_comments(user) -> None:
    comments = list(
        db.session.execute(
            select(Comment).where(Comment.author_id == user.id).order_by(Comment.id).with_for_update()
        ).scalars()
    )
    if not comments:
        return
    now = utcnow()
    for comment in comments:
        if comment.state == CommentState.VISIBLE:
            comment_services._count(comment, -1, comment.position)
        if comment.state != CommentState.DELETED:
            comment.state = CommentState.DELETED
            comment.deleted_at = now
        comment.body = ""
    ids = [c.id for c in comments]
    db.session.execute(
        delete(CommentRevision).where(CommentRevision.comment_id.in_(ids)).execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(CommentMention).where(CommentMention.comment_id.in_(ids)).execution_options(synchronize_session=False)
    )
    db.session.flush()


def erase(user, remove_contributions: bool) -> None:
    _remove_votes(user)
    if remove_contributions:
        _remove_comments(user)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Comment):
            db.session.expire(obj)
