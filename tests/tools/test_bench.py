"""The benchmark's data builder and floor app keep working (tiny size, SQLite).

The benchmark itself (``make bench``) and the load test are run on demand, never here.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from civic import create_app
from civic.extensions import db
from tools.bench.build import BENCH_PASSWORD, build, read_info
from tools.bench.floor import create_app as create_floor_app
from tools.bench.presets import preset

pytestmark = pytest.mark.xdist_group("bench-builder")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A migrated SQLite database filled by the builder at the tiny size."""
    url = f"sqlite:///{tmp_path_factory.mktemp('bench') / 'bench.sqlite3'}"
    app = create_app({"CIVIC_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    from civic.accounts.passwords import hash_password

    with app.app_context():
        upgrade()
        layout = build(db.engine, db.metadata, preset("tiny"), hash_password(BENCH_PASSWORD), log=lambda *_: None)
    yield app, url, layout
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _scalar(app, sql: str, **params) -> int:
    with app.app_context():
        return db.session.execute(sa.text(sql), params).scalar_one()


def test_builder_makes_the_preset_and_remembers_its_layout(built):
    app, _url, layout = built
    p = preset("tiny")
    assert _scalar(app, "SELECT count(*) FROM proposal") == p.proposals
    assert _scalar(app, "SELECT count(*) FROM comment") == p.comments
    assert _scalar(app, 'SELECT count(*) FROM "user"') == p.people
    supports = _scalar(app, "SELECT count(*) FROM proposal_support")
    assert 0.5 * p.supports <= supports <= p.supports
    # the pages the benchmark measures exist
    assert _scalar(app, "SELECT count(*) FROM comment WHERE proposal_id = :p", p=layout.hot_proposal_id) == 100
    assert _scalar(app, "SELECT count(*) FROM comment WHERE section_id = :s", s=layout.hot_section_id) > 20
    # writers have written nothing yet
    assert _scalar(app, "SELECT count(*) FROM proposal_support WHERE user_id >= :w", w=layout.first_writer_id) == 0
    with app.app_context():
        assert read_info(db.engine) == layout
    assert layout.writer_count == p.writers


@pytest.mark.parametrize(
    "sql",
    [
        # every stored counter equals the rows it counts
        "SELECT count(*) FROM proposal p WHERE p.support_count <> (SELECT count(*) FROM proposal_support s WHERE s.proposal_id = p.id)",
        "SELECT count(*) FROM proposal p WHERE p.comment_count <> (SELECT count(*) FROM comment c WHERE c.proposal_id = p.id AND c.state = 'visible')",
        "SELECT count(*) FROM proposal p WHERE p.comment_count > 0 AND p.comment_count <> (SELECT t.comment_count FROM comment_tally t WHERE t.proposal_id = p.id)",
        "SELECT count(*) FROM consultation_section s WHERE s.comment_count <> (SELECT count(*) FROM comment c WHERE c.section_id = s.id)",
        "SELECT count(*) FROM proposal_settings s WHERE s.published_count <> (SELECT count(*) FROM proposal p WHERE p.consultation_id = s.consultation_id AND p.state <> 'draft')",
        "SELECT count(*) FROM proposal_support_budget b WHERE b.used <> (SELECT count(*) FROM proposal_support s JOIN proposal p ON p.id = s.proposal_id WHERE s.user_id = b.user_id AND p.consultation_id = b.consultation_id)",
        "SELECT count(*) FROM consultation c WHERE c.participant_count <> (SELECT count(*) FROM consultation_participation p WHERE p.consultation_id = c.id)",
        "SELECT count(*) FROM consultation_question q WHERE q.answer_count <> (SELECT count(*) FROM consultation_answer a WHERE a.question_id = q.id)",
        "SELECT count(*) FROM consultation_question q WHERE q.answer_count <> (SELECT sum(o.vote_count) FROM consultation_question_option o WHERE o.question_id = q.id)",
        # replies hang under a root of the same discussion
        "SELECT count(*) FROM comment c JOIN comment r ON r.id = c.root_id WHERE c.proposal_id IS NOT r.proposal_id OR c.depth <= 0",
    ],
)
def test_counters_match_the_rows(built, sql):
    app, _url, _layout = built
    assert _scalar(app, sql) == 0


def test_the_built_city_renders(built):
    app, _url, layout = built
    client = app.test_client()
    for path in (
        "/",
        "/consultations/",
        f"/consultations/{layout.main_consultation_id}",
        f"/consultations/{layout.main_consultation_id}/proposals",
        f"/proposals/{layout.hot_proposal_id}",
        f"/discussions/sections/{layout.hot_section_id}",
        "/meetings/",
    ):
        assert client.get(path).status_code == 200, path
    page = client.get(f"/proposals/{layout.hot_proposal_id}").get_data(as_text=True)
    assert page.count('id="comment-') >= 20


def test_floor_app_renders_twenty_rows_and_hello(built):
    _app, url, _layout = built
    floor = create_floor_app(url)
    client = floor.test_client()
    html = client.get("/rows").get_data(as_text=True)
    assert len(re.findall(r'<a href="/proposals/\d+">', html)) == 20
    assert client.get("/hello").get_data(as_text=True) == "Hello, World!"
