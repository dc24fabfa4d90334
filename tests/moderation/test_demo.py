"""The demo city has moderation to explore: reports, held, hidden and appealed content, a
pre-moderated consultation, watched words and a history in the audit log."""

from __future__ import annotations

from sqlalchemy import func, select

from civic.comments.models import Comment, CommentState
from civic.moderation.models import (
    AppealState,
    CaseOrigin,
    CaseState,
    ConsultationModeration,
    ModerationAppeal,
    ModerationCase,
    ModerationLogEntry,
    ModerationWord,
)


def _count(session, stmt) -> int:
    return session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()


def test_demo_data_has_moderation(app, session):
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    states = set(session.execute(select(ModerationCase.state)).scalars())
    assert {CaseState.PENDING, CaseState.DECIDED, CaseState.APPEALED, CaseState.CLOSED} <= states
    origins = set(session.execute(select(ModerationCase.origin)).scalars())
    assert {CaseOrigin.REPORTS, CaseOrigin.WORD_LIST, CaseOrigin.PREMODERATION} <= origins
    comment_states = set(session.execute(select(Comment.state)).scalars())
    assert {CommentState.HELD, CommentState.HIDDEN} <= comment_states
    assert set(session.execute(select(ModerationAppeal.state)).scalars()) == {AppealState.PENDING, AppealState.REJECTED}
    assert _count(session, select(ModerationWord.id)) >= 3
    assert _count(session, select(ConsultationModeration.consultation_id)) == 1
    assert _count(session, select(ModerationLogEntry.id)) >= 15
