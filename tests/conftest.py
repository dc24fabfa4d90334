"""Shared fixtures: one migrated database per test session, emptied after every test.

``TEST_DATABASE_URL`` (a PostgreSQL server URL) makes the suite create a fresh database on
that server, migrate it, and drop it at the end; without it, a SQLite file in a temporary
folder is used.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import secrets
import tempfile
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_migrate import upgrade

from civic import create_app
from civic.extensions import db
from tests import factories


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _make_database_url() -> tuple[str, callable]:
    server = os.environ.get("TEST_DATABASE_URL", "").strip()
    if server.startswith("postgres"):
        url = sa.engine.make_url(server)
        if url.drivername in ("postgres", "postgresql"):
            url = url.set(drivername="postgresql+psycopg")
        name = f"civic_test_{_worker()}_{secrets.token_hex(4)}"
        admin_url = url.set(database="postgres")
        engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        test_url = url.set(database=name)

        def drop():
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()

        return test_url.render_as_string(hide_password=False), drop
    folder = tempfile.mkdtemp(prefix="civic-test-")
    path = os.path.join(folder, f"test-{_worker()}.sqlite3")
    return f"sqlite:///{path}", lambda: None


@pytest.fixture(scope="session")
def database_url():
    url, drop = _make_database_url()
    yield url
    drop()


class CivicTestClient(FlaskClient):
    """Runs every request in its own application context, as a real server does.

    Tests often hold an application context (for factories and queries); without this, a
    request would reuse it and share ``g`` and the database session with the test. After
    each request the test's session is expired so it reads what the request committed.
    """

    def open(self, *args, **kwargs):
        outer = _cv_app.get(None)
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if outer is not None:
            db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app({
        "CIVIC_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Uploaded files (consultation documents, demo data) never land in the instance folder.
        "UPLOAD_FOLDER": tempfile.mkdtemp(prefix="civic-test-uploads-"),
    })
    app.test_client_class = CivicTestClient
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _table_names() -> list[str]:
    return [t.name for t in reversed(db.metadata.sorted_tables)]


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Empty every table after each test that used the app."""
    yield
    from civic.extensions import limiter

    # ``limiter`` is one object shared by every app: a second app created with
    # RATELIMIT_ENABLED=True switches rate limiting on for the main test app too. Switch it
    # back to the testing default so later tests are never limited by accident.
    limiter.enabled = False
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        names = _table_names()
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # DELETE is much faster than TRUNCATE on small tables; foreign-key and
                # append-only triggers are skipped for this cleanup only.
                conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
                conn.exec_driver_sql(";".join(f'DELETE FROM "{n}"' for n in names))  # noqa: S608 - our own table names
            else:
                for name in names:
                    conn.execute(sa.text(f'DELETE FROM "{name}"'))  # noqa: S608 - our own table names
        app.extensions.get("civic_mail_outbox", []).clear()
        from civic.extensions import limiter

        with contextlib.suppress(Exception):
            limiter.reset()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def session(app_ctx):
    """The database session, inside an application context."""
    yield db.session
    db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def outbox(app):
    return app.extensions.setdefault("civic_mail_outbox", [])


# ---- people for every role -----------------------------------------------------------


@pytest.fixture
def department(session):
    return factories.DepartmentFactory()


@pytest.fixture
def other_department(session):
    return factories.DepartmentFactory()


@pytest.fixture
def resident(session):
    return factories.UserFactory(display_name="Amaia Etxeberria")


@pytest.fixture
def verified_resident(session):
    return factories.UserFactory(verified=True, display_name="Kwame Mensah")


@pytest.fixture
def unconfirmed_resident(session):
    return factories.UserFactory(unconfirmed=True)


@pytest.fixture
def suspended_resident(session):
    return factories.UserFactory(suspended=True)


@pytest.fixture
def moderator(session):
    return factories.UserFactory(moderator=True, display_name="Lina Haddad")


@pytest.fixture
def staff(session, department):
    return factories.UserFactory(staff_of=department, display_name="Jung-woo Park")


@pytest.fixture
def other_staff(session, other_department):
    return factories.UserFactory(staff_of=other_department)


@pytest.fixture
def admin(session):
    return factories.UserFactory(admin=True, display_name="Admin Ada")


def sign_in(client, user, remember: bool = False) -> str:
    """Give ``client`` a server-side session for ``user`` without going through the form."""
    from datetime import timedelta

    from civic.accounts.models import UserSession, hash_token
    from civic.core.time import utcnow

    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        UserSession(
            token_hash=hash_token(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=12),
            remember=remember,
            device="test",
        )
    )
    db.session.commit()
    with client.session_transaction() as sess:
        sess["_user_id"] = token
        sess["_fresh"] = True
    return token


@pytest.fixture
def login(client, app_ctx):
    """``login(user)`` signs the test client in as ``user`` and returns the client."""

    def _login(user, remember: bool = False):
        sign_in(client, user, remember)
        return client

    return _login


# ---- query counting ---------------------------------------------------------------------


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            return
        self.statements.append(statement)


@pytest.fixture
def count_queries(app_ctx) -> callable:
    """``with count_queries() as q: ...; assert q.count <= N``."""

    @contextlib.contextmanager
    def _count() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", counter)

    return _count


def pytest_report_header(config):
    url = os.environ.get("TEST_DATABASE_URL")
    return f"civic database: {'PostgreSQL at ' + url if url else 'SQLite (temporary file)'}"
