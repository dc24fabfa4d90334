"""The application factory, configuration, security headers and schema."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from civic import create_app
from civic.extensions import db
from config import ConfigurationError


def test_home_page_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"<h1>" in response.data


def test_security_headers_on_every_response(client):
    for path in ("/", "/does-not-exist"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        assert "object-src 'none'" in csp
        assert "base-uri 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]


def test_production_refuses_to_start_without_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app("production")


def test_production_refuses_known_default_secret(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "civic-development-secret-not-for-production")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(ConfigurationError, match="known default"):
        create_app("production")


def test_production_refuses_to_start_without_database(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        create_app("production")


def test_production_starts_with_real_settings(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-" + "z" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app({"CIVIC_ENV": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_models_and_migrations_agree(app_ctx):
    """The migrated schema is exactly what the models describe."""
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == [], f"models and migrations disagree; run `make migration m=...`: {diff}"


def test_session_cookie_flags(client):
    client.post("/language", data={"language": "fr", "next": "/"})
    cookie = client.get_cookie("civic_session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"
