"""The audit log: every action is written, nothing can change it, administrators read and
export it."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from sqlalchemy import delete, func, select, update

from civic.extensions import db
from civic.moderation.models import AppendOnlyError, ModerationAction, ModerationLogEntry
from tests.moderation.conftest import act, case_of, report


@pytest.fixture
def decided(world, reporters, moderator):
    report(reporters[0], "comment", world.comment, "spam", "Advertising a shop.")
    act(moderator, case_of("comment", world.comment), "hide", reason="Advertising.", rule="no_spam")
    return case_of("comment", world.comment)


def _entries():
    return list(db.session.execute(select(ModerationLogEntry).order_by(ModerationLogEntry.id)).scalars())


def test_every_action_is_logged_with_who_what_when_why(decided, moderator, reporters):
    actions = [(e.action, e.actor_id, e.item_kind, e.item_id, e.case_id) for e in _entries()]
    assert actions == [
        (ModerationAction.REPORT, reporters[0].id, "comment", decided.comment_id, decided.id),
        (ModerationAction.HIDE, moderator.id, "comment", decided.comment_id, decided.id),
    ]
    hide = _entries()[-1]
    assert hide.reason == "Advertising." and hide.details["rule"] == "no_spam"
    assert hide.actor_name == moderator.display_name and hide.created_at is not None


def test_entries_cannot_be_changed_through_the_orm(decided):
    entry = _entries()[0]
    entry.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    entry = _entries()[0]
    db.session.delete(entry)
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AppendOnlyError):
        db.session.execute(update(ModerationLogEntry).values(reason="x"))
    db.session.rollback()
    with pytest.raises(AppendOnlyError):
        db.session.execute(delete(ModerationLogEntry))
    db.session.rollback()
    assert [e.reason for e in _entries()] == ["Advertising a shop.", "Advertising."]


def test_postgresql_trigger_rejects_update_and_delete(decided):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only (SQLite relies on the ORM listeners)")
    with db.engine.connect() as conn:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            conn.execute(sa.text("UPDATE moderation_log_entry SET reason = 'x'"))
        conn.rollback()
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            conn.execute(sa.text("DELETE FROM moderation_log_entry"))
        conn.rollback()
        count = conn.execute(sa.text("SELECT count(*) FROM moderation_log_entry")).scalar_one()
    assert count == 2


def test_no_application_code_path_updates_or_deletes_log_entries():
    """The only write is ``services.log`` (an INSERT)."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "civic"
    offenders = []
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for needle in ("update(ModerationLogEntry", "delete(ModerationLogEntry", "ModerationLogEntry).delete", "ModerationLogEntry).update"):
            if needle in text:
                offenders.append(f"{path.relative_to(root)}: {needle}")
    assert offenders == []


def test_admins_read_the_log_with_filters_and_pages(client, login, admin, decided, moderator):
    login(admin)
    page = client.get("/moderation/admin/log")
    assert page.status_code == 200
    assert b"Advertising." in page.data and moderator.display_name.encode() in page.data
    only_hides = client.get("/moderation/admin/log?action=hide")
    assert b"Advertising a shop." not in only_hides.data and b"Advertising." in only_hides.data
    by_actor = client.get(f"/moderation/admin/log?actor={moderator.id}")
    assert b"2 entries" not in by_actor.data and b"1 entry" in by_actor.data
    assert b"1 entry" in client.get(f"/moderation/admin/log?case={decided.id}&action=report").data
    assert b"0 entries" in client.get("/moderation/admin/log?since=2026-03-11").data
    assert b"2 entries" in client.get("/moderation/admin/log?since=2026-03-10&until=2026-03-10").data


def test_admins_export_the_log_as_csv(client, login, admin, decided):
    login(admin)
    response = client.get("/moderation/admin/log.csv?action=hide")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:5] == ["id", "created_at", "actor_id", "actor_name", "action"]
    assert len(rows) == 2 and rows[1][4] == "hide" and rows[1][8] == "Advertising."


def test_csv_export_neutralises_spreadsheet_formulas(client, login, admin, world, reporters):
    report(reporters[0], "comment", world.comment, "other", "=HYPERLINK(\"http://evil\")")
    login(admin)
    text = client.get("/moderation/admin/log.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text
    assert db.session.execute(select(func.count()).select_from(ModerationLogEntry)).scalar_one() == 1
