"""``flask consultations tick``: persist openings and closings and notify followers.

Run it from cron every minute or so; pages show the right state even when it has not run.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup


def register(app: Flask) -> None:
    group = AppGroup("consultations", help="Consultations: the clock that opens and closes them.")

    @group.command("tick")
    def tick_command():
        """Open and close consultations whose time has come, and notify their followers."""
        from civic.consultations.services import tick
        from civic.core.jobs import run_ready_jobs
        from civic.extensions import db

        result = tick()
        db.session.commit()
        run_ready_jobs()
        click.echo(f"Opened: {len(result.opened)}; closed: {len(result.closed)}.")

    app.cli.add_command(group)
