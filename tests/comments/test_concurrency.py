"""Many people voting on one comment at the same moment on PostgreSQL: exact counters, one vote
row per person, no errors. Each thread has its own application context (session and
connection), like concurrent requests of a real server."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from civic.comments import services
from civic.comments.models import Comment, CommentVote
from civic.comments.targets import load_target
from civic.extensions import db
from tests import factories
from tests.comments.conftest import make_consultation, post


@pytest.fixture(autouse=True)
def _postgres_only(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("concurrency is tested on PostgreSQL (SQLite serialises every write)")


def _run_together(app, jobs):
    barrier = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def worker(i, job):
        with app.test_request_context():
            try:
                barrier.wait(timeout=30)
                outcomes[i] = job()
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the test
                db.session.rollback()
                outcomes[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def _vote_job(user_id: int, comment_id: int, value: int):
    def job():
        from civic.accounts.models import User

        user = db.session.get(User, user_id)
        comment = db.session.get(Comment, comment_id)
        return services.vote(user, comment, load_target("consultation", comment.consultation_id), value)

    return job


def _state(comment_id: int):
    db.session.expire_all()
    comment = db.session.get(Comment, comment_id)
    rows = db.session.execute(
        select(CommentVote.value, func.count()).where(CommentVote.comment_id == comment_id).group_by(CommentVote.value)
    ).all()
    return (comment.up_count, comment.down_count, comment.score), dict(rows)


def test_many_people_voting_on_one_comment_at_once(app, session, department):
    consultation = make_consultation(department)
    comment = post(factories.UserFactory(), "consultation", consultation, "Popular")
    people = [factories.UserFactory() for _ in range(12)]
    # Everyone clicks "up" twice at the same moment; four also click "down" at that moment.
    jobs = [_vote_job(p.id, comment.id, 1) for p in people for _ in range(2)]
    jobs += [_vote_job(p.id, comment.id, -1) for p in people[:4]]
    outcomes = _run_together(app, jobs)
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    (up, down, score), rows = _state(comment.id)
    assert up + down == 12  # one vote row per person, whatever the order
    assert (up, down) == (rows.get(1, 0), rows.get(-1, 0))
    assert score == up - down


def test_changes_and_take_backs_racing_keep_counters_exact(app, session, department):
    consultation = make_consultation(department)
    comment = post(factories.UserFactory(), "consultation", consultation, "Contested")
    people = [factories.UserFactory() for _ in range(10)]
    with app.test_request_context():
        target = load_target("consultation", consultation.id)
        for p in people:
            services.vote(p, comment, target, 1)
        db.session.commit()
    jobs = []
    for p in people[:5]:  # flip to down, twice each
        jobs += [_vote_job(p.id, comment.id, -1), _vote_job(p.id, comment.id, -1)]
    for p in people[5:]:  # take back, twice each
        jobs += [_vote_job(p.id, comment.id, 0), _vote_job(p.id, comment.id, 0)]
    outcomes = _run_together(app, jobs)
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    (up, down, score), rows = _state(comment.id)
    assert (up, down, score) == (0, 5, -5)
    assert rows == {-1: 5}
