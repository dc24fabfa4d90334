"""State enums with translated labels.

Every entity state is one ``LabelledEnum``; the database stores the value (a short string),
templates show ``state.label`` in the reader's language.
"""

from __future__ import annotations

import enum

import sqlalchemy as sa


class LabelledEnum(enum.StrEnum):
    """A string enum whose members carry a lazily translated label.

    Subclasses define ``_labels()`` returning ``{member_value: lazy_gettext(...)}``.
    """

    @classmethod
    def _labels(cls) -> dict[str, object]:  # pragma: no cover - overridden
        return {}

    @property
    def label(self) -> str:
        return str(self._labels().get(self.value, self.value))

    def __str__(self) -> str:
        return self.value

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def coerce(cls, value):
        return value if isinstance(value, cls) else cls(value)


def enum_column(enum_cls: type[enum.Enum], **kwargs) -> sa.Enum:
    """A portable column type storing enum *values* (VARCHAR + CHECK, no PG ENUM type)."""
    return sa.Enum(
        enum_cls,
        values_callable=lambda e: [m.value for m in e],
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls) + 8,
        name=kwargs.pop("name", enum_cls.__name__.lower()),
        validate_strings=True,
        **kwargs,
    )
