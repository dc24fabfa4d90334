"""Things people follow and that notifications are about ("targets").

Every kind of target has its own nullable foreign-key column on ``follow`` and on
``notification`` (real foreign keys, so deleting a department deletes its follows and
notifications).  This module keeps one registry mapping a model class to that column.

Adding a target later (for example consultations) takes four small steps:

1. in ``civic/notifications/models.py`` add ``consultation_id`` (column + relationship) to
   ``Follow`` and ``Notification`` and append ``"consultation_id"`` to ``TARGET_COLUMNS``
   (the "exactly one target" CHECK constraint of ``follow`` is built from that list), plus a
   ``UniqueConstraint("user_id", "consultation_id")`` in ``Follow.__table_args__``;
2. register it in one line next to the model::

       register_target(Consultation, "consultation_id", name=..., link=...)

3. ``make migration m="follow consultations"``;
4. Alembic does not notice CHECK constraint changes: in that migration, replace the
   constraint by hand inside ``op.batch_alter_table("follow")``::

       batch_op.drop_constraint("ck_follow_one_target", type_="check")
       batch_op.create_check_constraint("one_target", exactly_one_sql(TARGET_COLUMNS_AT_THAT_TIME))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

#: Every target column, in the order they were added. Used to build the CHECK constraint.
TARGET_COLUMNS: tuple[str, ...] = ("department_id", "proposal_id", "meeting_id", "consultation_id")


def exactly_one_sql(columns: Iterable[str]) -> str:
    """SQL for a CHECK constraint: exactly one of ``columns`` is not NULL (portable)."""
    terms = [f"(CASE WHEN {col} IS NOT NULL THEN 1 ELSE 0 END)" for col in columns]
    return " + ".join(terms) + " = 1"


@dataclass(frozen=True)
class TargetType:
    """How one model class takes part in follows and notifications."""

    model: type
    #: Column on ``follow`` / ``notification`` holding the target's id, e.g. ``department_id``.
    column: str
    #: ``name(obj, locale) -> (text, language of that text)``
    name: Callable[[Any, str], tuple[str, str]]
    #: ``link(obj) -> (endpoint, values)`` for ``url_for``: the target's page.
    link: Callable[[Any], tuple[str, dict]]
    #: A short, translated noun for the kind of thing ("department").
    label: Any = None

    @property
    def relationship(self) -> str:
        """The relationship attribute next to the column (``department_id`` → ``department``)."""
        return self.column.removesuffix("_id")


_REGISTRY: dict[type, TargetType] = {}


def register_target(
    model: type,
    column: str,
    *,
    name: Callable[[Any, str], tuple[str, str]],
    link: Callable[[Any], tuple[str, dict]],
    label: Any = None,
) -> None:
    """Let ``model`` be followed and be the subject of notifications."""
    if column not in TARGET_COLUMNS:
        raise ValueError(f"{column!r} is not in TARGET_COLUMNS; add the column first")
    _REGISTRY[model] = TargetType(model, column, name, link, label)


def target_type(obj_or_model: Any) -> TargetType:
    """The registration for an object (or model class); ``LookupError`` if it has none."""
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    for cls in model.__mro__:
        if cls in _REGISTRY:
            return _REGISTRY[cls]
    raise LookupError(f"{model.__name__} is not a registered follow/notification target")


def target_types() -> list[TargetType]:
    return list(_REGISTRY.values())


def target_values(obj: Any | None) -> dict[str, int | None]:
    """``{column: id}`` for every target column: the one for ``obj`` set, the others None."""
    values: dict[str, int | None] = dict.fromkeys(TARGET_COLUMNS)
    if obj is not None:
        values[target_type(obj).column] = obj.id
    return values


def target_of(row: Any) -> Any | None:
    """The target object a Follow or Notification row points to (None when it has none)."""
    for tt in _REGISTRY.values():
        if getattr(row, tt.column, None) is not None:
            return getattr(row, tt.relationship)
    return None
