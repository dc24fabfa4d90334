"""The moderation state of a piece of content, separate from its own life cycle.

Kept in a module without imports of other domains, so that the proposals and meetings models
can use it for their ``moderation_state`` column without an import cycle.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from civic.core.enums import LabelledEnum


class ModerationState(LabelledEnum):
    """Whether people see an item: visible, held for a moderator's review, or hidden."""

    VISIBLE = "visible"
    HELD = "held"  # waiting for a moderator: only its author and moderators see it
    HIDDEN = "hidden"  # hidden by moderation: its place shows the reason

    @classmethod
    def _labels(cls):
        return {
            "visible": _l("Visible"),
            "held": _l("Awaiting moderation"),
            "hidden": _l("Hidden by moderation"),
        }
