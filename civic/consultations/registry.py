"""Extension points other capabilities use without touching this package's templates.

Consultation page sections
--------------------------
The consultation page is a list of sections (text, documents, questions, report…). A
capability adds its own from its ``register(app)``::

    from civic.consultations.registry import PageSection, register_page_section

    register_page_section(app, PageSection(
        key="proposals", order=40, title=_l("Proposals"),
        template="proposals/_consultation_section.html",
        loader=load_proposals_for,          # (consultations, user) -> {consultation_id: data}
    ))

``loader`` receives a *list* of consultations and must return its data for all of them in a
bounded number of queries (one ``IN (...)`` query, never one per consultation); the page calls
it with a one-item list. The template is included with ``consultation``, ``section`` and
``data`` (that consultation's value, ``None`` when the loader had nothing) in its context and
must start with an ``<h2 id="{{ section.key }}">`` heading. ``visible(user, consultation,
data)`` may hide the section (for example when it has nothing to show).

Participants
------------
``participants_of(consultation)`` is everyone who took part. Answering questions is built in;
proposals and comments add their own source::

    register_participant_source(app, lambda consultation_id: select(Comment.author_id).where(...))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Select, select, union

PAGE_SECTIONS = "civic_consultation_page_sections"
PARTICIPANT_SOURCES = "civic_consultation_participant_sources"

Loader = Callable[[list, Any], dict[int, Any]]


@dataclass(frozen=True)
class PageSection:
    key: str
    order: int
    title: Any
    template: str
    loader: Loader | None = None
    visible: Callable[[Any, Any, Any], bool] | None = None


@dataclass
class LoadedSection:
    section: PageSection
    data: Any

    @property
    def key(self) -> str:
        return self.section.key

    @property
    def title(self) -> str:
        return str(self.section.title)

    @property
    def template(self) -> str:
        return self.section.template


def register_page_section(app: Flask, section: PageSection) -> None:
    sections = app.extensions.setdefault(PAGE_SECTIONS, {})
    sections[section.key] = section


def page_sections(app: Flask | None = None) -> list[PageSection]:
    app = app or current_app
    return sorted(app.extensions.get(PAGE_SECTIONS, {}).values(), key=lambda s: (s.order, s.key))


def load_page_sections(consultation, user) -> list[LoadedSection]:
    """Every registered section with its data for ``consultation``, in page order."""
    out: list[LoadedSection] = []
    for section in page_sections():
        data = None
        if section.loader is not None:
            data = section.loader([consultation], user).get(consultation.id)
        if section.visible is not None and not section.visible(user, consultation, data):
            continue
        out.append(LoadedSection(section, data))
    return out


# ---- participants -------------------------------------------------------------------------

ParticipantSource = Callable[[int], Select]


def register_participant_source(app: Flask, source: ParticipantSource) -> None:
    """``source(consultation_id)`` returns a SELECT of one column: user ids."""
    app.extensions.setdefault(PARTICIPANT_SOURCES, []).append(source)


def participants_query(consultation_id: int) -> Select | None:
    sources = current_app.extensions.get(PARTICIPANT_SOURCES, [])
    selects = [source(consultation_id) for source in sources]
    if not selects:
        return None
    if len(selects) == 1:
        return selects[0]
    u = union(*selects).subquery()
    return select(u.c[0])


def participants_of(consultation) -> set[int]:
    """Ids of everyone who took part in ``consultation`` (one query)."""
    from civic.extensions import db

    query = participants_query(consultation.id)
    if query is None:
        return set()
    return {row[0] for row in db.session.execute(query) if row[0] is not None}
