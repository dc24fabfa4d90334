"""Big listings stay fast: the random order pages through an index, counts come from counters.

``PROPOSALS_INDEXED_SHUFFLE_FROM`` is lowered so that a few proposals take the path that
100,000 would (see ``services.listing_page`` and docs/performance.md).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from civic.extensions import db
from civic.proposals import services
from civic.proposals.models import Proposal, ProposalState
from civic.proposals.views import SEED_KEY
from tests.proposals.conftest import make_consultation, make_proposal

KEY_STEP = 80_000_000  # keys 0, 8e7, 16e7, … (below 2**31) so the expected order is known


def _ids(page_html: str) -> list[int]:
    cards = re.findall(r'<li class="card proposal-card">\s*<h\d[^>]*><a href="/proposals/(\d+)"', page_html)
    return [int(i) for i in cards]


def _visitor(app, seed: int):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess[SEED_KEY] = seed
    return client


@pytest.fixture
def indexed(app):
    before = app.config.get("PROPOSALS_INDEXED_SHUFFLE_FROM")
    app.config["PROPOSALS_INDEXED_SHUFFLE_FROM"] = 1
    yield
    if before is None:
        app.config.pop("PROPOSALS_INDEXED_SHUFFLE_FROM")
    else:
        app.config["PROPOSALS_INDEXED_SHUFFLE_FROM"] = before


def _with_keys(consultation, author, n: int) -> list[int]:
    """``n`` published proposals whose stored keys are 0, KEY_STEP, 2·KEY_STEP, … but given in
    a scrambled creation order (so key order is not id order). Returns ids in key order."""
    order = [(i * 7) % n for i in range(n)]  # 7 is prime to the n used here: a permutation
    made = {}
    for k in order:
        p = make_proposal(consultation, author, title=f"Idea with key {k}")
        p.shuffle_key = k * KEY_STEP
        made[k] = p.id
    db.session.commit()
    return [made[k] for k in range(n)]


def _seed_starting_at(key: int) -> int:
    """A seed whose starting point falls just after ``key``."""
    for seed in range(1, 10**6):
        start = services.shuffle_start(seed)
        if key < start <= key + KEY_STEP // 2:
            return seed
    raise AssertionError("no seed found")


def test_big_listing_is_the_stored_order_rotated_from_the_visitor_start(frozen, app, indexed, department, resident):
    consultation = make_consultation(department)
    by_key = _with_keys(consultation, resident, 25)
    url = f"/consultations/{consultation.id}/proposals"
    seed = _seed_starting_at(17 * KEY_STEP)  # starts at key 18: wraps around after 7 proposals
    visitor = _visitor(app, seed)
    page1 = _ids(visitor.get(url).get_data(as_text=True))
    page2 = _ids(visitor.get(url + "?page=2").get_data(as_text=True))
    expected = by_key[18:] + by_key[:18]
    assert page1 == expected[:20] and page2 == expected[20:]
    assert _ids(visitor.get(url).get_data(as_text=True)) == page1  # stable for the visitor
    other = _ids(_visitor(app, _seed_starting_at(3 * KEY_STEP)).get(url).get_data(as_text=True))
    assert other == (by_key[4:] + by_key[:4])[:20]  # another visitor, another start
    # a page past the wrap-around only (needs the size of the first segment)
    seed_end = _seed_starting_at(23 * KEY_STEP)  # first segment: key 24 only
    assert _ids(_visitor(app, seed_end).get(url + "?page=2").get_data(as_text=True)) == by_key[19:24]


def test_big_listing_hides_drafts_and_moderated_and_counts_from_the_counter(frozen, app, indexed, count_queries, department, resident):
    from civic.moderation.states import ModerationState

    consultation = make_consultation(department)
    visible = [make_proposal(consultation, resident, title=f"Visible {i}").id for i in range(3)]
    make_proposal(consultation, resident, ProposalState.DRAFT, title="Draft")
    hidden = make_proposal(consultation, resident, title="Hidden")
    hidden.moderation_state = ModerationState.HIDDEN
    db.session.commit()
    client = app.test_client()
    url = f"/consultations/{consultation.id}/proposals"
    assert sorted(_ids(client.get(url).get_data(as_text=True))) == sorted(visible)
    # no count(*) over the proposals: the stored published count is the total
    with count_queries() as q:
        client.get(url)
    assert not [s for s in q.statements if "count(" in s.lower() and "proposal" in s.lower()]


def test_city_wide_listing_takes_its_total_from_the_counters(frozen, app, count_queries, department, resident):
    consultation = make_consultation(department)
    for i in range(3):
        make_proposal(consultation, resident, title=f"City idea {i}")
    db.session.commit()
    client = app.test_client()
    client.get("/proposals")
    with count_queries() as q:
        page = client.get("/proposals").get_data(as_text=True)
    assert len(_ids(page)) == 3
    assert not [s for s in q.statements if "count(" in s.lower() and "from proposal" in s.lower()]
    from civic.core.permissions import AnonymousUser

    assert services.published_total(AnonymousUser()) == 3


def test_consultation_page_section_uses_the_indexed_order(frozen, app, indexed, department, resident):
    consultation = make_consultation(department)
    by_key = _with_keys(consultation, resident, 12)
    seed = _seed_starting_at(5 * KEY_STEP)
    html = _visitor(app, seed).get(f"/consultations/{consultation.id}").get_data(as_text=True)
    shown = [int(i) for i in re.findall(r'href="/proposals/(\d+)"', html)]
    firsts = list(dict.fromkeys(shown))[:5]
    assert firsts == (by_key[6:] + by_key[:6])[:5]


def test_shuffle_indexes_exist_and_serve_the_listing(app_ctx):
    inspector = sa.inspect(db.engine)
    names = {ix["name"] for ix in inspector.get_indexes("proposal")}
    assert {"ix_proposal_consultation_shuffle", "ix_proposal_shuffle"} <= names
    if db.engine.dialect.name != "postgresql":
        return
    stmt = (
        sa.select(Proposal.id)
        .where(Proposal.consultation_id == 1, Proposal.state.in_(["published"]),
               Proposal.moderation_state == "visible", Proposal.shuffle_key >= 5)
        .order_by(Proposal.shuffle_key, Proposal.id)
        .limit(20)
    )
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    with db.engine.connect() as conn:
        # whatever the table's size here: can the index give these rows in order?
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET enable_sort = off")
        conn.exec_driver_sql("SET enable_bitmapscan = off")
        plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))
    assert "ix_proposal_consultation_shuffle" in plan and "Sort" not in plan and "Index Cond" in plan, plan
