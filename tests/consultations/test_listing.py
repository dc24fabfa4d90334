"""Finding consultations: filters, search, sorting, pages, department pages, overdue reports,
the home page and the main navigation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from civic.consultations.models import Area, Topic
from civic.extensions import db
from tests.consultations.conftest import NOW, make_consultation


def titles(page: str) -> list[str]:
    """Consultation titles in the order the listing shows them."""
    return re.findall(r'<h3><a href="/consultations/\d+">(?:<span[^>]*>)?([^<]+)', page)


@pytest.fixture
def taxonomy(session):
    cycling = Topic(slug="cycling", name_translations={"en": "Cycling", "fr": "Vélo"})
    parks = Topic(slug="parks", name_translations={"en": "Parks"})
    north = Area(slug="north", name_translations={"en": "North district"})
    south = Area(slug="south", name_translations={"en": "South district"})
    db.session.add_all([cycling, parks, north, south])
    db.session.commit()
    return {"cycling": cycling, "parks": parks, "north": north, "south": south}


@pytest.fixture
def city(session, department, other_department, taxonomy):
    t = taxonomy
    return {
        "lanes": make_consultation(department, "open", title="River cycle lanes", summary="Safer cycling by the water",
                                   topics=[t["cycling"]], area=t["north"], closes_at=NOW + timedelta(days=3),
                                   opens_at=NOW - timedelta(days=20)),
        "park": make_consultation(other_department, "open", title="A new park", summary="Trees and benches",
                                  topics=[t["parks"]], area=t["south"], closes_at=NOW + timedelta(days=10),
                                  opens_at=NOW - timedelta(days=2)),
        "market": make_consultation(department, "closed", title="Market hours", summary="When should it open?",
                                    area=t["north"]),
        "library": make_consultation(other_department, "concluded", title="Library opening", summary="Sunday opening"),
        "secret": make_consultation(department, "draft", title="Secret draft plan"),
        "soon": make_consultation(department, "scheduled", title="Upcoming bus routes"),
    }


def test_public_listing_hides_drafts_and_scheduled(client, city):
    page = client.get("/consultations/").get_data(as_text=True)
    assert sorted(titles(page)) == sorted(["River cycle lanes", "A new park", "Market hours", "Library opening"])
    assert "4 consultations found" in page


def test_staff_see_their_departments_drafts(client, login, city, staff, other_staff):
    login(staff)
    assert "Secret draft plan" in titles(client.get("/consultations/").get_data(as_text=True))
    assert "Upcoming bus routes" in titles(client.get("/consultations/?state=scheduled").get_data(as_text=True))
    login(other_staff)
    assert "Secret draft plan" not in titles(client.get("/consultations/").get_data(as_text=True))


@pytest.mark.parametrize(
    ("query", "want"),
    [
        ("state=open", {"River cycle lanes", "A new park"}),
        ("state=closed", {"Market hours"}),
        ("state=concluded", {"Library opening"}),
        ("state=draft", set()),
        ("topic={cycling}", {"River cycle lanes"}),
        ("area={north}", {"River cycle lanes", "Market hours"}),
        ("area={north}&state=closed", {"Market hours"}),
        ("department={department}", {"River cycle lanes", "Market hours"}),
        ("q=cycle", {"River cycle lanes"}),
        ("q=benches", {"A new park"}),  # the summary is searched too
        ("q=opening", {"Library opening"}),
        ("q=market+hours", {"Market hours"}),
        ("q=nothing+matches+this", set()),
    ],
)
def test_filters_and_search(client, city, taxonomy, department, query, want):
    query = query.format(cycling=taxonomy["cycling"].id, north=taxonomy["north"].id, department=department.id)
    page = client.get(f"/consultations/?{query}").get_data(as_text=True)
    assert set(titles(page)) == want


def test_search_finds_translations_too(client, department):
    make_consultation(department, "open", title="Cycle lanes", translations={"fr": "Pistes cyclables"})
    assert titles(client.get("/consultations/?q=pistes").get_data(as_text=True)) == ["Cycle lanes"]


def test_sorting(client, city):
    closing = titles(client.get("/consultations/?sort=closing").get_data(as_text=True))
    # Open ones first, the one closing soonest at the top; then the closed ones, latest first.
    assert closing == ["River cycle lanes", "A new park", "Market hours", "Library opening"]
    newest = titles(client.get("/consultations/?sort=newest").get_data(as_text=True))
    assert newest == ["A new park", "River cycle lanes", "Market hours", "Library opening"]


def test_pagination(client, app, department, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)
    for i in range(7):
        make_consultation(department, "open", title=f"Consultation {i}", closes_at=NOW + timedelta(days=i + 1))
    first = client.get("/consultations/").get_data(as_text=True)
    assert titles(first) == ["Consultation 0", "Consultation 1", "Consultation 2"]
    assert "Page 1 of 3" in first and 'rel="next"' in first
    third = client.get("/consultations/?page=3").get_data(as_text=True)
    assert titles(third) == ["Consultation 6"]


def test_department_page(client, city, department):
    page = client.get(f"/consultations/departments/{department.slug}").get_data(as_text=True)
    assert set(titles(page)) == {"River cycle lanes", "Market hours"}
    assert page.count("<h1>") == 1
    assert client.get("/consultations/departments/no-such-department").status_code == 404


def test_overdue_reports(client, department, other_department):
    overdue = make_consultation(department, "closed", title="Late report",
                                opens_at=NOW - timedelta(weeks=20), closes_at=NOW - timedelta(weeks=13))
    make_consultation(department, "closed", title="Still in time", closes_at=NOW - timedelta(weeks=2))
    make_consultation(other_department, "concluded", title="Answered", closes_at=NOW - timedelta(weeks=30),
                      opens_at=NOW - timedelta(weeks=34))
    # A consultation the tick has not closed yet counts too (its closing passed long ago).
    make_consultation(other_department, "open", title="Forgotten", opens_at=NOW - timedelta(weeks=30),
                      closes_at=NOW - timedelta(weeks=14))
    page = client.get("/consultations/overdue-reports").get_data(as_text=True)
    rows = re.findall(r'<th scope="row"><a href="/consultations/\d+">([^<]+)</a>', page)
    assert rows == ["Forgotten", "Late report"]
    assert "<caption>" in page
    assert f"{(NOW - overdue.report_due_at).days}" in page
    detail = client.get(f"/consultations/{overdue.id}").get_data(as_text=True)
    assert "The report is overdue." in detail


def test_home_page_highlights_open_consultations(client, city):
    page = client.get("/").get_data(as_text=True)
    assert "River cycle lanes" in page and "A new park" in page
    assert "Market hours" not in page and "Secret draft plan" not in page


def test_main_navigation_links_consultations(client):
    page = client.get("/").get_data(as_text=True)
    assert '<a href="/consultations/">Consultations</a>' in page
    page = client.get("/consultations/").get_data(as_text=True)
    assert '<a href="/consultations/" aria-current="page">Consultations</a>' in page
