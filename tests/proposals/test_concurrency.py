"""Many requests supporting at once on PostgreSQL: exact counts, budgets never exceeded, no errors.

Each thread works in its own application context (its own database session and connection),
like concurrent requests of a real server.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from civic.core.errors import Conflict
from civic.extensions import db
from civic.proposals import services
from civic.proposals.models import Proposal, Support, SupportBudget
from tests import factories
from tests.proposals.conftest import make_consultation, make_proposal

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _postgres_only(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("concurrency is tested on PostgreSQL (SQLite serialises every write)")


def _run_together(app, jobs):
    """Run ``jobs`` (callables) in threads released at the same moment; collect outcomes.

    Each thread has its own request (and so application) context: its own session.
    """
    barrier = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def worker(i, job):
        with app.test_request_context():
            try:
                barrier.wait(timeout=30)
                outcomes[i] = job()
                db.session.commit()
            except Conflict as exc:
                db.session.rollback()
                outcomes[i] = exc
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


def _support_job(user_id: int, proposal_id: int, unsupport: bool = False):
    def job():
        from civic.accounts.models import User

        user = db.session.get(User, user_id)
        proposal = services.get_proposal(proposal_id)
        if unsupport:
            return services.unsupport(user, proposal)
        return services.support(user, proposal, services.settings_for(proposal.consultation_id))

    return job


def _rows(proposal_id: int) -> int:
    return db.session.execute(
        select(func.count()).select_from(Support).where(Support.proposal_id == proposal_id)
    ).scalar_one()


def test_many_people_supporting_one_proposal_at_once(app, session, frozen, department):
    consultation = make_consultation(department, max_supports=5)
    proposal = make_proposal(consultation, factories.UserFactory())
    people = [factories.UserFactory() for _ in range(12)]
    # Each person clicks twice at the same moment; two others support and take it back.
    jobs = [_support_job(p.id, proposal.id) for p in people for _ in range(2)]
    outcomes = _run_together(app, jobs)
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert errors == []
    assert sum(1 for o in outcomes if o is True) == 12  # one real support per person
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).support_count == 12 == _rows(proposal.id)
    used = db.session.execute(
        select(SupportBudget.used).where(SupportBudget.consultation_id == consultation.id)
    ).scalars().all()
    assert sorted(used) == [1] * 12


def test_supports_and_take_backs_racing_keep_the_count_exact(app, session, frozen, department):
    consultation = make_consultation(department)
    proposal = make_proposal(consultation, factories.UserFactory())
    people = [factories.UserFactory() for _ in range(8)]
    settings = services.settings_for(consultation.id)
    for person in people[:4]:  # these four will take their support back
        services.support(person, services.get_proposal(proposal.id), settings)
    db.session.commit()
    jobs = [_support_job(p.id, proposal.id, unsupport=True) for p in people[:4] for _ in range(2)]
    jobs += [_support_job(p.id, proposal.id) for p in people[4:] for _ in range(2)]
    outcomes = _run_together(app, jobs)
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).support_count == 4 == _rows(proposal.id)


def test_budget_is_never_exceeded_under_concurrency(app, session, frozen, department):
    consultation = make_consultation(department, max_supports=3)
    author = factories.UserFactory()
    proposals = [make_proposal(consultation, author, title=f"Idea {i}") for i in range(10)]
    person = factories.UserFactory()
    jobs = [_support_job(person.id, p.id) for p in proposals]
    outcomes = _run_together(app, jobs)
    unexpected = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, Conflict)]
    assert unexpected == []
    assert sum(1 for o in outcomes if o is True) == 3
    assert sum(1 for o in outcomes if isinstance(o, Conflict)) == 7
    db.session.expire_all()
    counts = [db.session.get(Proposal, p.id).support_count for p in proposals]
    assert sum(counts) == 3 and set(counts) <= {0, 1}
    assert db.session.get(SupportBudget, (person.id, consultation.id)).used == 3
    assert db.session.execute(
        select(func.count()).select_from(Support).where(Support.user_id == person.id)
    ).scalar_one() == 3
