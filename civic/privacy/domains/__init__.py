"""Personal-data contributors of the domains that exist today (see ``civic.privacy.registry``).

Each module has ``export(user)`` and ``erase(user, remove_contributions)``; ``register``
plugs them in. A new domain adds its own module and a line in ``register``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


def register(app: Flask) -> None:
    from civic.privacy.domains import (
        accounts,
        comments,
        consultations,
        meetings,
        moderation,
        notifications,
        pages,
        proposals,
    )
    from civic.privacy.registry import register_personal_data

    contributors = [
        # (name, module, label, order): erasers run in this order, the account last.
        ("comments", comments, _l("Comments you wrote and your votes on comments"), 10),
        ("proposals", proposals, _l("Proposals you wrote and the proposals you support"), 20),
        ("consultations", consultations, _l("Your answers to consultations"), 30),
        ("meetings", meetings, _l("Your meeting registrations and answers to date polls"), 40),
        ("notifications", notifications, _l("Your notifications, follows and email preferences"), 50),
        ("moderation", moderation, _l("Reports you sent to the moderators and your appeals"), 55),
        ("accessibility_reports", pages, _l("Accessibility problems you reported with your email address"), 60),
        ("account", accounts, _l("Your profile, sign-in sessions and sign-in history"), 90),
    ]
    for name, module, label, order in contributors:
        register_personal_data(app, name, module.export, module.erase, label=label, order=order)
