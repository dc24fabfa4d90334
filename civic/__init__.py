"""Civic: an open-source civic participation and e-consultation platform."""

from __future__ import annotations

import logging
import os

from flask import Flask

__all__ = ["create_app"]


def create_app(config: type | dict | str | None = None) -> Flask:
    """Build the application.

    ``config`` is a configuration class, a name ("development", "testing", "production"),
    or a mapping of settings applied on top of the environment's class.
    """
    from config import ConfigurationError, config_for

    app = Flask(
        __name__,
        instance_relative_config=True,
        static_folder="static",
        static_url_path="/static",
    )

    overrides: dict = {}
    if isinstance(config, dict):
        overrides = dict(config)
        cfg_cls = config_for(overrides.pop("CIVIC_ENV", None))
    elif isinstance(config, str) or config is None:
        cfg_cls = config_for(config)
    else:
        cfg_cls = config
    app.config.from_object(cfg_cls)
    app.config.update(cfg_cls.from_environment())
    app.config.update(overrides)
    try:
        cfg_cls.check(app.config)
    except ConfigurationError as exc:
        logging.getLogger("civic").error("Civic cannot start: %s", exc)
        raise
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            app.instance_path, "civic.sqlite3"
        )
    if app.config.get("REDIS_URL") and not app.config.get("TESTING"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
        app.config["JOBS_IN_PROCESS"] = False

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    import civic.models  # noqa: F401  (every table known to SQLAlchemy and Alembic)
    from civic.core import assets, errorpages, jobs, security, sessions, templating
    from civic.core.i18n import select_locale, select_timezone
    from civic.extensions import babel, compress, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    _sqlite_pragmas(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    compress.init_app(app)
    limiter.init_app(app)
    sessions.init_app(app, login_manager)
    jobs.init_app(app)
    security.init_app(app)
    assets.init_app(app)
    templating.init_app(app)
    errorpages.init_app(app)

    # Flask's own static route: public, but declared like every other view.
    static_view = app.view_functions["static"]

    def static(filename):
        return static_view(filename)

    static.civic_permission = "anyone"
    app.view_functions["static"] = static


def _sqlite_pragmas(app: Flask) -> None:
    from sqlalchemy import event

    from civic.extensions import db

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.close()


def _register_blueprints(app: Flask) -> None:
    from civic.accounts.views import bp as accounts_bp
    from civic.admin.views import bp as admin_bp
    from civic.core.views import bp as core_bp
    from civic.notifications.views import bp as notifications_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(admin_bp)

    from civic.pages import register as register_pages
    from civic.pages.views import bp as pages_bp

    app.register_blueprint(pages_bp)
    register_pages(app)

    from civic.consultations import register as register_consultations
    from civic.consultations.views import bp as consultations_bp

    app.register_blueprint(consultations_bp)
    register_consultations(app)

    from civic.proposals import register as register_proposals
    from civic.proposals.views import bp as proposals_bp

    app.register_blueprint(proposals_bp)
    register_proposals(app)

    from civic.meetings import register as register_meetings
    from civic.meetings.views import bp as meetings_bp

    app.register_blueprint(meetings_bp)
    register_meetings(app)

    from civic.comments import register as register_comments
    from civic.comments.views import bp as comments_bp

    app.register_blueprint(comments_bp)
    register_comments(app)

    from civic.moderation import register as register_moderation
    from civic.moderation.views import bp as moderation_bp

    app.register_blueprint(moderation_bp)
    register_moderation(app)

    from civic.accounts import register as register_accounts
    from civic.audit.views import bp as audit_bp
    from civic.privacy import register as register_privacy
    from civic.privacy.views import bp as privacy_bp

    app.register_blueprint(audit_bp)
    app.register_blueprint(privacy_bp)
    register_accounts(app)
    register_privacy(app)


def _register_cli(app: Flask) -> None:
    from civic.cli import register

    register(app)
