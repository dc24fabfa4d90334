"""Privacy and data rights: the privacy page generated from the retention list, downloading
one's data, deleting one's account, the retention job and log redaction.

Each domain declares its personal data with ``civic.privacy.registry.register_personal_data``
(the domains that exist are plugged in from ``civic.privacy.domains``).
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from civic.core.templating import add_nav_item
    from civic.privacy import domains
    from civic.privacy.logging import install_redaction

    add_nav_item(app, "footer", "privacy.policy", _l("Privacy"), order=20)
    domains.register(app)
    install_redaction()
