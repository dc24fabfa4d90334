"""The demo city's discussions: four languages, every kind of target, replies, positions, votes,
mentions, an edited and a deleted comment — and counters equal to fresh counts."""

from __future__ import annotations

from sqlalchemy import func, select

from civic.comments.models import (
    Comment,
    CommentMention,
    CommentRevision,
    CommentState,
    CommentTally,
    CommentVote,
)
from civic.consultations.models import ConsultationSection
from civic.demo import BUILDERS, load_demo_data
from civic.extensions import db
from civic.proposals.models import Proposal


def test_demo_discussions(app, session):
    names = [b.__name__ for b in BUILDERS]
    assert names.index("build_comments") > max(names.index(n) for n in ("build_consultations", "build_meetings",
                                                                         "build_proposals"))
    with app.test_request_context():
        load_demo_data()
        db.session.commit()
    comments = db.session.execute(select(Comment)).scalars().all()
    assert len(comments) >= 40
    assert {"fr", "en", "es", "ar"} <= {c.language for c in comments}
    assert all(any(getattr(c, column) for c in comments)
               for column in ("consultation_id", "section_id", "proposal_id", "meeting_id"))
    assert max(c.depth for c in comments) >= 3
    assert {c.position for c in comments if c.position} >= {"in_favour", "against", "neutral"}
    assert db.session.execute(select(func.count()).select_from(CommentVote)).scalar_one() > 20
    assert db.session.execute(select(func.count()).select_from(CommentMention)).scalar_one() >= 2
    # One edited (its earlier version kept), one deleted whose replies stay.
    assert db.session.execute(select(func.count()).select_from(CommentRevision)).scalar_one() >= 1
    deleted = [c for c in comments if c.state == CommentState.DELETED]
    assert deleted and any(c.parent_id == deleted[0].id and c.state == CommentState.VISIBLE for c in comments)
    # Stored counters equal fresh counts.
    for c in comments:
        votes = dict(db.session.execute(
            select(CommentVote.value, func.count()).where(CommentVote.comment_id == c.id).group_by(CommentVote.value)
        ).all())
        assert (c.up_count, c.down_count, c.score) == (votes.get(1, 0), votes.get(-1, 0),
                                                       votes.get(1, 0) - votes.get(-1, 0))
    visible = [c for c in comments if c.state == CommentState.VISIBLE]
    for tally in db.session.execute(select(CommentTally)).scalars():
        key = ("consultation_id", tally.consultation_id) if tally.consultation_id else (
            ("proposal_id", tally.proposal_id) if tally.proposal_id else ("meeting_id", tally.meeting_id))
        mine = [c for c in visible if getattr(c, key[0]) == key[1]]
        assert tally.comment_count == len(mine)
        assert tally.in_favour_count == sum(1 for c in mine if c.position == "in_favour")
        assert tally.against_count == sum(1 for c in mine if c.position == "against")
    for section in db.session.execute(select(ConsultationSection)).scalars():
        assert section.comment_count == sum(1 for c in visible if c.section_id == section.id)
    for proposal in db.session.execute(select(Proposal).where(Proposal.comment_count > 0)).scalars():
        assert proposal.comment_count == sum(1 for c in visible if c.proposal_id == proposal.id)
