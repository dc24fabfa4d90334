"""Site pages about the site itself: the accessibility statement and barrier reports.

``contract.py`` is the one description of what Civic promises about accessibility and low
bandwidth; the statement page shows it and the browser tests (tests/browser) enforce it.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from civic.core.templating import add_nav_item
    from civic.pages.permissions import can_manage_barrier_reports

    add_nav_item(app, "footer", "pages.accessibility", _l("Accessibility"), order=10)
    add_nav_item(
        app,
        "footer",
        "pages.barrier_reports",
        _l("Accessibility reports"),
        order=90,
        check=can_manage_barrier_reports,
    )
