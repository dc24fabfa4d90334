"""``flask create-admin``: create the first administrator, or promote an existing account."""

from __future__ import annotations

import click
from flask import Flask
from flask_babel import force_locale

from civic.core.errors import DomainError


def register(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", help="Email address of the administrator.")
    @click.option("--name", "display_name", help="Display name (for a new account).")
    @click.option(
        "--password",
        help="Password (for a new account). Leave it out to type it at a hidden prompt, "
        "so it stays out of your shell history.",
    )
    def create_admin(email: str | None, display_name: str | None, password: str | None):
        """Create an active, confirmed administrator, or promote the account with this email.

        Missing values are asked for. An existing account keeps its name and password.
        """
        from civic.accounts import services
        from civic.extensions import db

        # Messages are translated; outside a request, use the site's default language.
        with force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
            if not email:
                email = click.prompt("Email address")
            try:
                address = services.valid_email(email)
            except DomainError as error:
                raise click.ClickException(str(error.message)) from error

            if services.get_by_email(address) is None:
                display_name = _ask_display_name(services, display_name)
                password = _ask_password(services, password, address, display_name)
            elif password:
                click.echo("This account already exists: its password is left unchanged.")

            try:
                user, created = services.create_admin(
                    email=address, display_name=display_name, password=password
                )
            except DomainError as error:
                db.session.rollback()
                raise click.ClickException(str(error.message)) from error
            db.session.commit()
            if created:
                click.echo(f"Created administrator {user.display_name} <{user.email}> (id {user.id}).")
            else:
                click.echo(f"{user.display_name} <{user.email}> (id {user.id}) is now an administrator.")


def _ask_display_name(services, given: str | None) -> str:
    if given is not None:
        return given
    while True:
        name = services.clean_display_name(click.prompt("Display name"))
        problem = services.display_name_problem(name)
        if problem is None:
            return name
        click.echo(str(problem), err=True)


def _ask_password(services, given: str | None, email: str, display_name: str) -> str:
    if given is not None:
        return given  # checked by the service; a bad one on the command line is an error
    while True:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        problem = services.password_problem(password, email=email, display_name=display_name)
        if problem is None:
            return password
        click.echo(str(problem), err=True)
