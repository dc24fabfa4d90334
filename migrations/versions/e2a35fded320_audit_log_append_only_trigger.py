"""audit log append-only trigger

On PostgreSQL, a trigger refuses UPDATE, DELETE and TRUNCATE on ``audit_log_entry``. The only
exception is the retention job (``civic.audit.services.purge_before``), which deletes lines
past their retention period after ``SET LOCAL civic.audit_purge = 'on'``. SQLite (development,
tests) relies on the ORM listeners in ``civic.audit.models``.

Revision ID: e2a35fded320
Revises: 2d90a1c2bd3c
Create Date: 2026-11-22 00:56:12.626679

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e2a35fded320'
down_revision = '2d90a1c2bd3c'
branch_labels = None
depends_on = None

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_log_entry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('civic.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log_entry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

ROW_TRIGGER = """
CREATE TRIGGER audit_log_entry_append_only
BEFORE UPDATE OR DELETE ON audit_log_entry
FOR EACH ROW EXECUTE FUNCTION audit_log_entry_append_only();
"""

TRUNCATE_TRIGGER = """
CREATE TRIGGER audit_log_entry_no_truncate
BEFORE TRUNCATE ON audit_log_entry
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_entry_append_only();
"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute(ROW_TRIGGER)
    op.execute(TRUNCATE_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_entry_no_truncate ON audit_log_entry")
    op.execute("DROP TRIGGER IF EXISTS audit_log_entry_append_only ON audit_log_entry")
    op.execute("DROP FUNCTION IF EXISTS audit_log_entry_append_only()")
