"""The audit log: written by the services, append-only, read and exported by administrators."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from sqlalchemy import delete, select, update

from civic.accounts.models import Role
from civic.admin import services as admin_services
from civic.audit.models import AuditAction, AuditLogEntry, AuditLogIsAppendOnly
from civic.audit.services import audit
from civic.extensions import db
from tests import factories


def _entries(action=None):
    stmt = select(AuditLogEntry).order_by(AuditLogEntry.id)
    if action is not None:
        stmt = stmt.where(AuditLogEntry.action == action)
    return db.session.execute(stmt).scalars().all()


def test_administration_services_write_the_log(admin, resident, department, app):
    with app.test_request_context():
        admin_services.change_role(resident, Role.MODERATOR, admin)
        admin_services.change_status(resident, "suspended", admin)
        admin_services.verify(resident, admin)
        admin_services.add_membership(resident, department, admin)
        admin_services.remove_membership(resident, department, admin)
        new = admin_services.create_department(admin, slug="parks", names={"en": "Parks"}, email=None)
        admin_services.update_department(admin, new, slug="parks-and-gardens", names={"en": "Parks"}, email=None)
        db.session.commit()
    actions = [e.action for e in _entries()]
    assert actions == [
        AuditAction.ROLE_CHANGED, AuditAction.STATUS_CHANGED, AuditAction.RESIDENT_VERIFIED,
        AuditAction.MEMBERSHIP_ADDED, AuditAction.MEMBERSHIP_REMOVED,
        AuditAction.DEPARTMENT_CREATED, AuditAction.DEPARTMENT_UPDATED,
    ]
    role = _entries(AuditAction.ROLE_CHANGED)[0]
    assert (role.actor_id, role.actor_label) == (admin.id, "Admin Ada")
    assert (role.object_type, role.object_id, role.object_label) == ("user", resident.id, "Amaia Etxeberria")
    assert role.details == {"old": "resident", "new": "moderator"}
    assert _entries(AuditAction.DEPARTMENT_UPDATED)[0].details["new"]["slug"] == "parks-and-gardens"


def test_nothing_is_logged_when_the_change_is_rolled_back(admin, resident, app):
    with app.test_request_context():
        admin_services.change_role(resident, Role.MODERATOR, admin)
    db.session.rollback()
    assert _entries() == []


def test_create_admin_command_is_logged(app, session):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "boss@example.org", "--name", "Boss", "--password", "a long and unusual pass"]
    )
    assert result.exit_code == 0, result.output
    entry = _entries(AuditAction.ADMIN_CREATED)[0]
    assert entry.actor_id is None and entry.object_label == "Boss" and entry.details == {"promoted": False}


def test_lines_cannot_be_changed_or_deleted_through_the_orm(admin):
    entry = audit(admin, AuditAction.ROLE_CHANGED, admin, old="x", new="y")
    db.session.commit()
    entry.details = {"old": "forged"}
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditLogEntry, entry.id))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(update(AuditLogEntry).values(actor_label="someone else"))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(delete(AuditLogEntry))
    db.session.rollback()
    assert db.session.get(AuditLogEntry, entry.id).details == {"old": "x", "new": "y"}


def test_the_database_refuses_changes_on_postgresql(admin):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only (SQLite relies on the ORM listeners)")
    entry = audit(admin, AuditAction.ROLE_CHANGED, admin)
    db.session.commit()
    entry_id = entry.id
    # End the session's transaction: TRUNCATE would otherwise wait for its lock forever.
    db.session.rollback()
    for statement in (
        "UPDATE audit_log_entry SET actor_label = 'x' WHERE id = :id",
        "DELETE FROM audit_log_entry WHERE id = :id",
        "TRUNCATE audit_log_entry",
    ):
        with db.engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="append-only"):
            conn.execute(sa.text("SET lock_timeout = '10s'"))
            conn.execute(sa.text(statement), {"id": entry_id} if ":id" in statement else {})
    assert db.session.get(AuditLogEntry, entry_id) is not None


def test_the_retention_purge_is_the_only_way_out(admin, clock):
    from datetime import timedelta

    from civic.audit.services import purge_before
    from civic.core.time import utcnow

    audit(admin, AuditAction.ROLE_CHANGED, admin)
    db.session.commit()
    assert purge_before(utcnow() - timedelta(days=1)) == 0
    clock.shift(timedelta(days=2))
    assert purge_before(utcnow() - timedelta(days=1)) == 1
    db.session.commit()
    assert _entries() == []
    # the switch does not outlive the purge
    audit(admin, AuditAction.ROLE_CHANGED, admin)
    db.session.commit()
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(delete(AuditLogEntry))


def test_admins_read_filter_and_export_the_log(client, login, admin, resident, app):
    other_admin = factories.UserFactory(admin=True, display_name="Bea Boss")
    with app.test_request_context():
        admin_services.change_role(resident, Role.MODERATOR, admin)
        admin_services.verify(resident, other_admin)
        db.session.commit()
    login(admin)
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert "Role changed" in page and "Resident verified" in page and "Amaia Etxeberria" in page
    assert "<caption>" in page and 'href="/admin/audit/"' in client.get("/admin/").get_data(as_text=True)
    by_action = client.get("/admin/audit/?action=resident_verified").get_data(as_text=True)
    assert "Resident verified" in by_action and "Role changed</th>" not in by_action
    by_actor = client.get(f"/admin/audit/?actor={admin.id}").get_data(as_text=True)
    assert "Role changed</th>" in by_actor and "Resident verified</th>" not in by_actor
    exported = client.post("/admin/audit/export", data={"action": "", "actor": ""})
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    text = exported.get_data(as_text=True)
    assert text.startswith("\ufeff")  # spreadsheets read it as UTF-8
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:5] == ["id", "created_at_utc", "actor_id", "actor", "action"]
    # the export itself is logged (and part of what it exports)
    assert [r[4] for r in rows[1:]] == ["role_changed", "resident_verified", "audit_log_exported"]
    assert _entries(AuditAction.AUDIT_LOG_EXPORTED)[0].actor_id == admin.id
    filtered = client.post("/admin/audit/export", data={"action": "resident_verified", "actor": ""})
    assert [r[4] for r in csv.reader(io.StringIO(filtered.get_data(as_text=True)[1:]))][1:] == ["resident_verified"]


def test_csv_export_neutralises_formulas(client, login, admin):
    audit(admin, AuditAction.ROLE_CHANGED, None, note="=HYPERLINK(\"http://evil\")")
    evil = factories.UserFactory(display_name="=cmd|' /C calc'!A0")
    audit(evil, AuditAction.ROLE_CHANGED, None)
    db.session.commit()
    login(admin)
    text = client.post("/admin/audit/export", data={}).get_data(as_text=True)
    assert ",'=cmd" in text and ",=cmd" not in text


def test_only_administrators_see_the_log(client, login, moderator, staff):
    for person in (moderator, staff):
        login(person)
        assert client.get("/admin/audit/").status_code == 403
        assert client.post("/admin/audit/export").status_code == 403
    client.post("/sign-out")
    assert client.get("/admin/audit/").status_code == 302
