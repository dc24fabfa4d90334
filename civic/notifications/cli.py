"""``flask notifications …``: daily digests and a test notification."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import func, select


def register(app: Flask) -> None:
    @app.cli.group()
    def notifications():
        """Notification emails."""

    @notifications.command("send-digests")
    def send_digests_command():
        """Email each person their waiting daily notifications as one message (run daily)."""
        from civic.core.jobs import run_ready_jobs
        from civic.notifications.emails import send_digests

        people, items = send_digests()
        run_ready_jobs()
        click.echo(f"Sent {people} digest(s) covering {items} notification(s).")

    @notifications.command("send-test")
    @click.argument("email")
    def send_test_command(email: str):
        """Send a test notification (and email, per their settings) to the account EMAIL."""
        from civic.accounts.models import User
        from civic.core.jobs import run_ready_jobs
        from civic.extensions import db
        from civic.notifications.services import send_test

        user = db.session.execute(
            select(User).where(func.lower(User.email) == email.strip().lower())
        ).scalar_one_or_none()
        if user is None:
            raise click.ClickException(f"No account with the email address {email}.")
        send_test(user)
        db.session.commit()
        run_ready_jobs()
        click.echo(f"Test notification sent to {user.email}.")
