"""One page of a discussion, loaded in a bounded number of queries whatever its size.

Queries: the settings (consultations and proposals) and the stored tally, one count and one
page of top-level comments (with their authors), every reply of those threads in ONE query
(with authors), the viewer's own votes, and the mentions: seven at most.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from civic.accounts.models import User
from civic.comments import mentions as mention_rules
from civic.comments import permissions, services
from civic.comments.models import (
    Comment,
    CommentMention,
    CommentPosition,
    CommentState,
    CommentTally,
)
from civic.comments.targets import Target
from civic.core.pagination import Page
from civic.core.permissions import is_signed_in
from civic.core.sanitize import markdown_text
from civic.core.time import utcnow
from civic.extensions import db


def per_page() -> int:
    return int(current_app.config.get("COMMENTS_PER_PAGE", 20))


@dataclass
class Discussion:
    target: Target
    viewer: Any
    settings: Any
    tally: CommentTally | None
    page: Page
    sort: str
    #: Top-level comments of the page, in the chosen order.
    roots: list[Comment] = field(default_factory=list)
    #: ``{comment id: [direct replies, oldest first]}``
    children: dict[int, list[Comment]] = field(default_factory=dict)
    by_id: dict[int, Comment] = field(default_factory=dict)
    my_votes: dict[int, int] = field(default_factory=dict)
    mentions: dict[int, list[tuple[str, int]]] = field(default_factory=dict)
    #: The comment whose reply form is open (``?reply_to=``), when it is on this page.
    reply_to: int | None = None
    is_open: bool = False
    may_comment: bool = False

    # ---- counts ----------------------------------------------------------------------------

    @property
    def comment_count(self) -> int:
        if self.target.kind == "section":
            return self.target.obj.comment_count
        return self.tally.comment_count if self.tally is not None else 0

    @property
    def positions_enabled(self) -> bool:
        return self.target.positions_enabled

    def position_counts(self) -> list[tuple[CommentPosition, int]]:
        return [(p, self.tally.count_of(p) if self.tally is not None else 0) for p in CommentPosition]

    # ---- per comment -------------------------------------------------------------------------

    def replies(self, comment: Comment) -> list[Comment]:
        return self.children.get(comment.id, [])

    def can_reply(self, comment: Comment) -> bool:
        return self.may_comment and comment.state == CommentState.VISIBLE

    def can_edit(self, comment: Comment) -> bool:
        return self.may_comment and permissions.is_author(self.viewer, comment) and comment.is_visible

    def can_delete(self, comment: Comment) -> bool:
        return permissions.can_delete(self.viewer, comment)

    def can_vote(self, comment: Comment) -> bool:
        return self.may_comment and comment.is_visible and not permissions.is_author(self.viewer, comment)

    def can_see_history(self, comment: Comment) -> bool:
        return permissions.can_see_history(self.viewer, comment)

    def shows_text(self, comment: Comment) -> bool:
        if comment.state == CommentState.VISIBLE:
            return True
        return comment.state == CommentState.HELD and permissions.can_read_held(self.viewer, comment)

    def my_vote(self, comment: Comment) -> int:
        return self.my_votes.get(comment.id, 0)

    def body_html(self, comment: Comment) -> Markup:
        return render_body(comment, self.mentions.get(comment.id, []))

    def answered(self, comment: Comment) -> Comment | None:
        """The comment a depth-capped reply answers (shown as "in reply to …")."""
        if comment.reply_to_id is None:
            return None
        return self.by_id.get(comment.reply_to_id)

    # ---- links ---------------------------------------------------------------------------------

    def url(self, anchor: str | None = "comments", **changes) -> str:
        args = {"sort": self.sort if self.sort != "oldest" else None, "cpage": self.page.number if self.page.number > 1 else None}
        args.update(changes)
        return self.target.page_url(anchor=anchor, **args)

    def reply_url(self, comment: Comment) -> str:
        return self.url(anchor="reply-form", reply_to=comment.id)


def render_body(comment: Comment, mentions: list[tuple[str, int]]) -> Markup:
    return mention_rules.link_mentions(markdown_text(comment.body), mentions)


def _sort(value: str | None) -> str:
    return value if value in services.SORTS else "oldest"


def _with_authors(stmt, target: Target):
    # Authors come in the same query; their memberships (selectin by default) are not needed.
    stmt = stmt.options(joinedload(Comment.author).lazyload(User.memberships))
    if target.kind == "consultation":
        stmt = stmt.options(joinedload(Comment.section))
    return stmt


def load(
    target: Target,
    viewer,
    *,
    sort: str | None = "oldest",
    page: int = 1,
    reply_to: int | None = None,
    size: int | None = None,
) -> Discussion:
    """The page ``page`` of ``target``'s discussion for ``viewer``."""
    sort = _sort(sort)
    size = size or per_page()
    settings = services.settings_of(target)
    tally = services.tally_of(target) if target.kind != "section" else None
    roots_filter = (target.where(), Comment.depth == 0)
    total = db.session.execute(select(func.count()).select_from(Comment).where(*roots_filter)).scalar_one()
    pages = max(1, -(-total // size))
    number = min(max(page, 1), pages)
    roots = list(
        db.session.execute(
            _with_authors(select(Comment), target)
            .where(*roots_filter)
            .order_by(*services.root_order(sort))
            .limit(size)
            .offset((number - 1) * size)
        ).scalars()
    )
    replies: list[Comment] = []
    if roots:
        replies = list(
            db.session.execute(
                _with_authors(select(Comment), target)
                .where(Comment.root_id.in_([r.id for r in roots]))
                .order_by(Comment.created_at, Comment.id)
            ).scalars()
        )
    every = roots + replies
    children: dict[int, list[Comment]] = defaultdict(list)
    for reply in replies:
        children[reply.parent_id].append(reply)
    ids = [c.id for c in every]
    mentions: dict[int, list[tuple[str, int]]] = defaultdict(list)
    if ids:
        for row in db.session.execute(
            select(CommentMention.comment_id, CommentMention.name, CommentMention.user_id).where(
                CommentMention.comment_id.in_(ids)
            )
        ):
            mentions[row.comment_id].append((row.name, row.user_id))
    now = utcnow()
    is_open = permissions.discussion_open(target, settings, now)
    may_comment = permissions.can_comment(viewer, target, settings, now)
    by_id = {c.id: c for c in every}
    return Discussion(
        target=target,
        viewer=viewer,
        settings=settings,
        tally=tally,
        page=Page(items=roots, number=number, per_page=size, total=total),
        sort=sort,
        roots=roots,
        children=dict(children),
        by_id=by_id,
        my_votes=services.votes_of(viewer, ids) if is_signed_in(viewer) else {},
        mentions=dict(mentions),
        reply_to=reply_to if reply_to in by_id and may_comment else None,
        is_open=is_open,
        may_comment=may_comment,
    )


def single(target: Target, viewer, comment: Comment) -> Discussion:
    """A discussion holding one comment (the HTML fragment sent back after posting)."""
    settings = services.settings_of(target)
    now = utcnow()
    mentions = [
        (row.name, row.user_id)
        for row in db.session.execute(
            select(CommentMention.name, CommentMention.user_id).where(CommentMention.comment_id == comment.id)
        )
    ]
    wanted = [comment.id] + ([comment.reply_to_id] if comment.reply_to_id else [])
    loaded = db.session.execute(
        _with_authors(select(Comment), target)
        .where(Comment.id.in_(wanted))
        .execution_options(populate_existing=True)
    ).scalars()
    by_id = {c.id: c for c in loaded}
    comment = by_id[comment.id]
    return Discussion(
        target=target,
        viewer=viewer,
        settings=settings,
        tally=services.tally_of(target) if target.kind != "section" else None,
        page=Page(items=[comment], number=1, per_page=per_page(), total=1),
        sort="oldest",
        roots=[comment] if comment.depth == 0 else [],
        children={},
        by_id=by_id,
        my_votes=services.votes_of(viewer, [comment.id]),
        mentions={comment.id: mentions},
        is_open=permissions.discussion_open(target, settings, now),
        may_comment=permissions.can_comment(viewer, target, settings, now),
    )
