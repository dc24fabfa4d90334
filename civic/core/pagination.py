"""Pagination: every list is paged; counts come from one query, rows from another."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select, func, select

from civic.extensions import db


@dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.per_page else 1

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(arg: str = "page") -> int:
    try:
        value = int(request.args.get(arg, "1"))
    except (TypeError, ValueError):
        return 1
    return min(max(value, 1), 100_000)


def paginate(stmt: Select, number: int, per_page: int = 20, total: int | None = None, scalars: bool = True) -> Page:
    """Run ``stmt`` for one page. Pass ``total`` when a stored counter already knows it."""
    if total is None:
        total = db.session.execute(
            select(func.count()).select_from(stmt.order_by(None).subquery())
        ).scalar_one()
    result = db.session.execute(stmt.limit(per_page).offset((number - 1) * per_page))
    items = list(result.scalars().unique() if scalars else result.all())
    return Page(items=items, number=number, per_page=per_page, total=total)
