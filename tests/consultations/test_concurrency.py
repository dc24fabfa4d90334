"""Many people answering the same question at the same moment (PostgreSQL only): the counters
end exact, nobody gets an error, and one person sending twice at once keeps one answer."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from civic.consultations import services
from civic.consultations.models import Answer, Consultation, Participation, Question, QuestionKind
from civic.extensions import db
from tests import factories
from tests.consultations.conftest import make_consultation, make_question

pytestmark = pytest.mark.postgres_only

THREADS = 16


@pytest.fixture(autouse=True)
def _postgres_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrency needs PostgreSQL (SQLite has a single writer)")


def _run_together(app, jobs):
    """Run each job in its own thread and app context, released at the same moment."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def worker(job):
        with app.app_context(), app.test_request_context():
            try:
                barrier.wait(timeout=30)
                job()
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_many_people_at_once_keep_exact_counters(app, session, department):
    c = make_consultation(department, "open")
    single = make_question(c, QuestionKind.SINGLE, ["A", "B", "C"], position=1)
    ranking = make_question(c, QuestionKind.RANKING, ["X", "Y", "Z"], position=2)
    people = [factories.UserFactory() for _ in range(THREADS)]
    cid, sid, rid = c.id, single.id, ranking.id
    s_opts = [o.id for o in single.options]
    r_opts = [o.id for o in ranking.options]
    user_ids = [p.id for p in people]
    db.session.remove()

    def answer(i):
        def job():
            from civic.accounts.models import User

            user = db.session.get(User, user_ids[i])
            consultation = db.session.get(Consultation, cid)
            ranked = r_opts[i % 3:] + r_opts[: i % 3]
            services.answer_questions(user, consultation, {sid: s_opts[i % 3], rid: ranked})
        return job

    errors = _run_together(app, [answer(i) for i in range(THREADS)])
    assert errors == []

    db.session.expire_all()
    single = db.session.get(Question, sid)
    assert single.answer_count == THREADS
    assert [o.vote_count for o in single.options] == [sum(1 for i in range(THREADS) if i % 3 == k) for k in range(3)]
    ranking = db.session.get(Question, rid)
    assert ranking.answer_count == THREADS
    assert sum(o.rank_sum for o in ranking.options) == THREADS * (1 + 2 + 3)
    assert sum(o.first_count for o in ranking.options) == THREADS
    assert db.session.get(Consultation, cid).participant_count == THREADS
    assert db.session.execute(select(func.count()).select_from(Participation)).scalar_one() == THREADS


def test_one_person_sending_many_times_at_once_keeps_one_answer(app, session, department):
    c = make_consultation(department, "open")
    q = make_question(c, QuestionKind.SINGLE, ["A", "B", "C"])
    person = factories.UserFactory()
    cid, qid, uid = c.id, q.id, person.id
    options = [o.id for o in q.options]
    db.session.remove()

    def answer(i):
        def job():
            from civic.accounts.models import User

            services.answer_questions(db.session.get(User, uid), db.session.get(Consultation, cid), {qid: options[i % 3]})
        return job

    errors = _run_together(app, [answer(i) for i in range(THREADS)])
    assert errors == []
    db.session.expire_all()
    rows = list(db.session.execute(select(Answer).where(Answer.question_id == qid)).scalars())
    assert len(rows) == 1
    q = db.session.get(Question, qid)
    assert q.answer_count == 1
    votes = [o.vote_count for o in q.options]
    assert sum(votes) == 1 and votes[options.index(rows[0].option_ids[0])] == 1
    assert db.session.get(Consultation, cid).participant_count == 1
