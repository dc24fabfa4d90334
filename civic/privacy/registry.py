"""Each domain declares the personal data it holds: how to export it and how to erase it.

    register_personal_data(app, "proposals", export_proposals, erase_proposals,
                           label=_l("Proposals you wrote and supported"), order=30)

* ``exporter(user) -> dict | list`` returns plain JSON data (dates as ISO strings): the
  archive gets ``<name>.json``.
* ``eraser(user, remove_contributions: bool)`` runs just before the account row is deleted,
  in the same transaction (flush, never commit). It deletes or anonymises what the database's
  own ``ON DELETE`` rules would not handle correctly — above all, it keeps every stored counter
  exact (supports, answers, votes, registrations). With ``remove_contributions`` it also
  removes the person's public contributions; without, they stay, shown as written by "a former
  member" (their ``author_id`` becomes NULL when the account row goes).

Erasers run in ``order`` (lowest first); exporters too, for the archive's README.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

EXTENSION = "civic_personal_data"


@dataclass(frozen=True)
class PersonalData:
    name: str
    exporter: Callable[[Any], Any]
    eraser: Callable[[Any, bool], None]
    label: Any
    order: int


def register_personal_data(app: Flask, name: str, exporter: Callable[[Any], Any],
                           eraser: Callable[[Any, bool], None], *, label: Any = None,
                           order: int = 50) -> None:
    entries: dict[str, PersonalData] = app.extensions.setdefault(EXTENSION, {})
    if name in entries:
        raise ValueError(f"personal data {name!r} is already registered")
    entries[name] = PersonalData(name, exporter, eraser, label or name, order)


def contributors(app: Flask | None = None) -> list[PersonalData]:
    app = app or current_app
    return sorted(app.extensions.get(EXTENSION, {}).values(), key=lambda p: (p.order, p.name))
