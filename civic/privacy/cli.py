"""``flask privacy enforce-retention``: apply the retention periods (schedule it daily)."""

from __future__ import annotations

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.group()
    def privacy():
        """Privacy: retention of personal data."""

    @privacy.command("enforce-retention")
    def enforce_retention():
        """Delete or erase what is past its retention period (idempotent; run it daily)."""
        from civic.extensions import db
        from civic.privacy.retention import enforce_retention as run

        done = run()
        db.session.commit()
        for name, count in done.items():
            click.echo(f"{name}: {count}")
