"""``flask meetings …``: the reminders a scheduler runs every few minutes."""

from __future__ import annotations

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.group()
    def meetings():
        """Public meetings."""

    @meetings.command("send-reminders")
    def send_reminders():
        """Send the reminders due now (24 hours and 1 hour before). Safe to run often."""
        from civic.core.jobs import run_ready_jobs
        from civic.extensions import db
        from civic.meetings.services import send_reminders as run

        sent = run()
        db.session.commit()
        run_ready_jobs()  # the emails (in-process mode); with Redis they are queued
        click.echo(f"{sent} meeting reminder(s) sent.")
