"""Command-line commands: ``flask translate …``, ``flask rq-worker`` and each domain's own."""

from __future__ import annotations

import os
import subprocess  # noqa: S404 - runs pybabel, a fixed local tool
import sys

import click
from flask import Flask
from flask.cli import FlaskGroup

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRANSLATIONS = os.path.join(ROOT, "translations")
POT = os.path.join(TRANSLATIONS, "messages.pot")


def _pybabel(*args: str) -> None:
    cmd = [sys.executable, "-m", "babel.messages.frontend", *args]
    result = subprocess.run(cmd, cwd=ROOT, check=False)  # noqa: S603
    if result.returncode != 0:
        raise click.ClickException("pybabel " + " ".join(args) + " failed")


def register(app: Flask) -> None:
    @app.cli.group()
    def translate():
        """Extract, update and compile translation catalogs."""

    @translate.command()
    def extract():
        """Extract messages from the code and templates into translations/messages.pot."""
        _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
                 "--sort-output", "--project=Civic", "-o", POT, "civic")

    @translate.command()
    def update():
        """Extract, then merge new messages into every catalog."""
        _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
                 "--sort-output", "--project=Civic", "-o", POT, "civic")
        _pybabel("update", "-i", POT, "-d", TRANSLATIONS, "--no-fuzzy-matching", "--ignore-obsolete")

    @translate.command()
    def compile():  # noqa: A001 - the command is called "compile"
        """Compile every catalog to the binary .mo files Flask-Babel reads."""
        _pybabel("compile", "-d", TRANSLATIONS, "--statistics")

    @translate.command()
    @click.argument("lang")
    def init(lang: str):
        """Start a catalog for a new language (then add it to LANGUAGES)."""
        _pybabel("init", "-i", POT, "-d", TRANSLATIONS, "-l", lang)

    @app.cli.command("rq-worker")
    def rq_worker():
        """Run an RQ worker for Civic's job queue (needs REDIS_URL)."""
        from redis import Redis
        from rq import Queue, Worker

        from civic.core.jobs import QUEUE_NAME

        url = app.config.get("REDIS_URL")
        if not url:
            raise click.ClickException("REDIS_URL is not set; without it jobs run in-process.")
        conn = Redis.from_url(url)
        Worker([Queue(QUEUE_NAME, connection=conn)], connection=conn).work()

    from civic.accounts.cli import register as register_accounts
    from civic.consultations.cli import register as register_consultations
    from civic.demo import register as register_demo
    from civic.meetings.cli import register as register_meetings
    from civic.notifications.cli import register as register_notifications
    from civic.privacy.cli import register as register_privacy

    register_accounts(app)
    register_consultations(app)
    register_notifications(app)
    register_meetings(app)
    register_privacy(app)
    register_demo(app)


def main() -> None:
    """``civic`` console script: the Flask CLI bound to this app."""
    from civic import create_app

    FlaskGroup(create_app=lambda: create_app())(prog_name="civic")
