"""The audit trail of administrative and staff actions (append-only).

Domain services call ``civic.audit.services.audit(actor, action, obj, **details)`` in the same
transaction as the change they record. Moderation keeps its own log
(``civic.moderation``); this one covers roles, statuses, departments, memberships,
consultations, official answers, exports and meetings.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Nothing to add to the navigation: the log is reached from the administration pages."""
