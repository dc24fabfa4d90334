"""``flask demo-data``: a believable city to explore and test with.

Builds departments with staff, moderators, residents with names from several cultures, and
content in French, English, Spanish and Arabic. Each capability adds its own builder to
``BUILDERS`` (in order: later builders may use what earlier ones made).

Every demo account's password is ``DEMO_PASSWORD``; the README lists the accounts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import click
from flask import Flask
from sqlalchemy import func, select

from civic.extensions import db

DEMO_PASSWORD = "civic-demo-2026"  # noqa: S105 - documented demo password
#: The demo administrators' and moderators' two-step verification key (documented in the
#: README): add it to an authenticator app, or compute a code with
#: ``python -c "import pyotp; print(pyotp.TOTP('CIVICDEMOCIVICDEMOCIVICDEMO23456').now())"``.
DEMO_TOTP_SECRET = "CIVICDEMOCIVICDEMOCIVICDEMO23456"  # noqa: S105 - documented demo key

DEPARTMENTS = [
    ("urban-planning", "fr", {"fr": "Urbanisme", "en": "Urban planning", "es": "Urbanismo", "ar": "التخطيط العمراني"}),
    ("mobility", "en", {"en": "Mobility and transport", "fr": "Mobilité et transports", "es": "Movilidad y transporte", "ar": "التنقل والنقل"}),
    ("environment", "es", {"es": "Medio ambiente y parques", "en": "Environment and parks", "fr": "Environnement et parcs", "ar": "البيئة والحدائق"}),
    ("social-services", "ar", {"ar": "الخدمات الاجتماعية", "en": "Social services", "fr": "Services sociaux", "es": "Servicios sociales"}),
    ("culture", "fr", {"fr": "Culture et patrimoine", "en": "Culture and heritage"}),
]

# (email local part, display name, locale, time zone, role, department slug or None, verified)
PEOPLE = [
    ("admin", "Ada Admin", "en", "Europe/Paris", "admin", None, True),
    ("moderator", "Lina Haddad", "ar", "Asia/Hebron", "moderator", None, True),
    ("moderator2", "Mateo Fernández", "es", "Europe/Madrid", "moderator", None, True),
    ("staff", "Jung-woo Park", "en", "Asia/Seoul", "resident", "urban-planning", True),
    ("staff.mobility", "Claire Dubois", "fr", "Europe/Paris", "resident", "mobility", True),
    ("staff.environment", "Nerea Agirre", "es", "Europe/Madrid", "resident", "environment", True),
    ("staff.social", "Omar Khalil", "ar", "Asia/Hebron", "resident", "social-services", True),
    ("staff.culture", "Bernard Lefèvre", "fr", "Europe/Paris", "resident", "culture", True),
    ("resident", "Amaia Etxeberria", "es", "Europe/Madrid", "resident", None, False),
    ("verified", "Kwame Mensah", "en", "Europe/London", "resident", None, True),
    ("fatima", "Fatima Zahra Benali", "fr", "Africa/Casablanca", "resident", None, True),
    ("minji", "Kim Min-ji", "en", "Asia/Seoul", "resident", None, False),
    ("yusuf", "Yusuf Demir", "en", "Europe/Istanbul", "resident", None, True),
    ("maria", "María José López", "es", "America/Bogota", "resident", None, True),
    ("rania", "رانيا عودة", "ar", "Asia/Hebron", "resident", None, True),
    ("jean", "Jean-Baptiste Nkemelu", "fr", "Europe/Paris", "resident", None, False),
    ("priya", "Priya Raman", "en", "Asia/Kolkata", "resident", None, True),
    ("ane", "Ane Urrutia", "es", "Europe/Madrid", "resident", None, True),
    ("sami", "Sami Nasser", "ar", "Asia/Hebron", "resident", None, False),
    ("elodie", "Élodie Martin", "fr", "Europe/Paris", "resident", None, True),
    ("tomasz", "Tomasz Nowak", "en", "Europe/Warsaw", "resident", None, False),
    ("hyunwoo", "Lee Hyun-woo", "en", "Asia/Seoul", "resident", None, True),
    ("lucia", "Lucía Gómez", "es", "Europe/Madrid", "resident", None, True),
    ("pseudonym", "Balcony Gardener", "en", "Europe/Paris", "resident", None, False),
]

DEMO_EMAIL_DOMAIN = "civic.example"


@dataclass
class DemoContext:
    """What builders share: the people and departments made so far, and a seeded random."""

    rng: random.Random
    users: dict[str, object] = field(default_factory=dict)
    departments: dict[str, object] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def residents(self) -> list:
        return [u for u in self.users.values() if not u.memberships]


def build_people(ctx: DemoContext) -> None:
    from civic.accounts.models import AccountStatus, Department, DepartmentMembership, Role, User
    from civic.accounts.passwords import hash_password
    from civic.core.time import utcnow

    for slug, default_locale, names in DEPARTMENTS:
        dept = Department(
            slug=slug,
            name_translations=names,
            default_locale=default_locale,
            email=f"{slug}@{DEMO_EMAIL_DOMAIN}",
        )
        db.session.add(dept)
        ctx.departments[slug] = dept
    db.session.flush()

    password_hash = hash_password(DEMO_PASSWORD)
    now = utcnow()
    for local, name, locale, zone, role, dept_slug, verified in PEOPLE:
        user = User(
            email=f"{local}@{DEMO_EMAIL_DOMAIN}",
            display_name=name,
            password_hash=password_hash,
            locale=locale,
            timezone=zone,
            role=Role(role),
            status=AccountStatus.ACTIVE,
            email_confirmed_at=now,
            verified_at=now if verified else None,
        )
        if user.needs_two_factor:  # required for administrators and moderators
            user.totp_secret = DEMO_TOTP_SECRET
            user.totp_enabled_at = now
        db.session.add(user)
        if dept_slug:
            db.session.add(DepartmentMembership(user=user, department=ctx.departments[dept_slug]))
        ctx.users[local] = user
    db.session.flush()


def build_consultations(ctx: DemoContext) -> None:
    from civic.consultations.demo import build_consultations as build

    build(ctx)


def build_meetings(ctx: DemoContext) -> None:
    from civic.meetings.demo import build_meetings as build

    build(ctx)


def build_proposals(ctx: DemoContext) -> None:
    """Needs the consultations (with their topics and areas): keep it after their builder."""
    from civic.proposals.demo import build_proposals as build

    build(ctx)


def build_comments(ctx: DemoContext) -> None:
    """Discussions on the consultations, sections, proposals and meetings: keep it after them."""
    from civic.comments.demo import build_comments as build

    build(ctx)


def build_moderation(ctx: DemoContext) -> None:
    """Reports, held, hidden and appealed content: needs everything built before it."""
    from civic.moderation.demo import build_moderation as build

    build(ctx)


#: Builders run in this order. Each capability appends its own (see module docstring).
BUILDERS = [
    build_people, build_consultations, build_meetings, build_proposals, build_comments,
    build_moderation,
]


def load_demo_data(seed: int = 2026) -> DemoContext:
    """Build the whole demo city in the current session (the caller commits)."""
    ctx = DemoContext(rng=random.Random(seed))  # noqa: S311 - reproducible demo content
    for builder in BUILDERS:
        builder(ctx)
        db.session.flush()
    return ctx


def _demo_code() -> str:
    from civic.accounts.two_factor import code_at
    from civic.core.time import utcnow

    return code_at(DEMO_TOTP_SECRET, utcnow())


def database_is_empty() -> bool:
    from civic.accounts.models import User

    return db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0


def register(app: Flask) -> None:
    @app.cli.command("demo-data")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database already has people.")
    @click.option("--seed", default=2026, show_default=True, help="Random seed for reproducible content.")
    def demo_data(if_empty: bool, seed: int):
        """Fill the database with a believable demo city."""
        if not database_is_empty():
            if if_empty:
                click.echo("The database already has content; demo data not loaded.")
                return
            raise click.ClickException(
                "The database is not empty. Demo data goes into a fresh database only."
            )
        ctx = load_demo_data(seed)
        db.session.commit()
        click.echo(
            f"Demo city ready: {len(ctx.departments)} departments, {len(ctx.users)} people. "
            f"Every demo account's password is {DEMO_PASSWORD!r}; "
            f"sign in as admin@{DEMO_EMAIL_DOMAIN}, staff@{DEMO_EMAIL_DOMAIN}, "
            f"moderator@{DEMO_EMAIL_DOMAIN} or resident@{DEMO_EMAIL_DOMAIN}."
        )
        click.echo(
            f"Administrators and moderators use two-step verification with the key "
            f"{DEMO_TOTP_SECRET} (add it to an authenticator app); the code right now is "
            f"{_demo_code()}."
        )
