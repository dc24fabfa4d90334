"""Finding proposals: random order per visitor, sorts, filters, search, similar, the Atom feed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

from civic.consultations.models import Area, Topic
from civic.extensions import db
from civic.proposals import services
from civic.proposals.models import ProposalState
from civic.proposals.views import SEED_KEY
from tests import factories
from tests.proposals.conftest import NOW, make_consultation, make_proposal

ATOM = "{http://www.w3.org/2005/Atom}"


def _ids(page_html: str) -> list[int]:
    """Proposal ids in the order the cards show them."""
    cards = re.findall(r'<li class="card proposal-card">\s*<h\d[^>]*><a href="/proposals/(\d+)"', page_html)
    return [int(i) for i in cards]


def _visitor(app, seed: int | None = None):
    client = app.test_client()
    if seed is not None:
        with client.session_transaction() as sess:
            sess[SEED_KEY] = seed
    return client


def test_random_order_is_stable_for_a_visitor_and_differs_between_visitors(frozen, app, department, resident):
    consultation = make_consultation(department)
    created = [make_proposal(consultation, resident, title=f"Idea number {i}").id for i in range(25)]
    url = f"/consultations/{consultation.id}/proposals"

    first = _visitor(app)
    page1 = _ids(first.get(url).get_data(as_text=True))
    with first.session_transaction() as sess:
        assert isinstance(sess[SEED_KEY], int)  # kept in the visitor's session
    page2 = _ids(first.get(url + "?page=2").get_data(as_text=True))
    assert len(page1) == 20 and len(page2) == 5
    assert sorted(page1 + page2) == sorted(created)  # every proposal once across pages
    assert _ids(first.get(url).get_data(as_text=True)) == page1  # same order when coming back
    assert page1 + page2 != sorted(created) and page1 + page2 != sorted(created, reverse=True)

    a = _ids(_visitor(app, 12345).get(url).get_data(as_text=True))
    b = _ids(_visitor(app, 987654321).get(url).get_data(as_text=True))
    assert a != b
    assert a == _ids(_visitor(app, 12345).get(url).get_data(as_text=True))


def _longest_consecutive_run(order: list[int]) -> int:
    best = current = 1
    for before, after in zip(order, order[1:], strict=False):
        current = current + 1 if after == before + 1 else 1
        best = max(best, current)
    return best


def test_random_order_does_not_favour_early_posters(frozen, app, department, resident):
    """Consecutive ids (proposals posted one after another) end up scattered."""
    consultation = make_consultation(department)
    for i in range(40):
        make_proposal(consultation, resident, title=f"Idea number {i}")
    url = f"/consultations/{consultation.id}/proposals"
    orders = []
    for seed in (1, 2, 3, 12345, 987654321, 2_000_000_000):
        visitor = _visitor(app, seed)
        order = _ids(visitor.get(url).get_data(as_text=True)) + _ids(visitor.get(url + "?page=2").get_data(as_text=True))
        assert len(order) == 40
        assert _longest_consecutive_run(order) <= 4, (seed, order)
        orders.append(tuple(order))
    assert len(set(orders)) == len(orders)  # every seed its own order
    firsts = {order[0] for order in orders}
    assert len(firsts) > 1


def test_sorts(frozen, client, department, resident):
    consultation = make_consultation(department)
    old = make_proposal(consultation, resident, title="Old", support_count=5, comment_count=0, published_at=NOW - timedelta(days=3))
    mid = make_proposal(consultation, resident, title="Mid", support_count=1, comment_count=7, published_at=NOW - timedelta(days=2))
    new = make_proposal(consultation, resident, title="New", support_count=3, comment_count=2, published_at=NOW - timedelta(days=1))
    url = f"/consultations/{consultation.id}/proposals?sort="
    assert _ids(client.get(url + "supported").get_data(as_text=True)) == [old.id, new.id, mid.id]
    assert _ids(client.get(url + "newest").get_data(as_text=True)) == [new.id, mid.id, old.id]
    assert _ids(client.get(url + "commented").get_data(as_text=True)) == [mid.id, new.id, old.id]


def test_filters(frozen, client, login, department, resident):
    consultation = make_consultation(department)
    trees = Topic(slug="trees", name_translations={"en": "Trees"})
    north = Area(slug="north", name_translations={"en": "North"})
    db.session.add_all([trees, north])
    db.session.commit()
    other = factories.UserFactory()
    mine = make_proposal(consultation, resident, title="Mine about trees", topic=trees)
    in_north = make_proposal(consultation, other, title="Benches up north", area=north)
    accepted = make_proposal(consultation, other, ProposalState.ACCEPTED, title="Accepted lights")
    supported = make_proposal(consultation, other, title="Supported fountain")
    make_proposal(consultation, resident, ProposalState.DRAFT, title="Secret draft")
    services.support(resident, services.get_proposal(supported.id), services.settings_for(consultation.id))
    db.session.commit()
    base = f"/consultations/{consultation.id}/proposals?sort=newest"

    def ids(query: str) -> set[int]:
        return set(_ids(client.get(base + query).get_data(as_text=True)))

    assert ids("") == {mine.id, in_north.id, accepted.id, supported.id}  # never drafts
    assert ids(f"&topic={trees.id}") == {mine.id}
    assert ids(f"&area={north.id}") == {in_north.id}
    assert ids("&state=accepted") == {accepted.id}
    assert ids("&state=draft") == ids("")  # drafts cannot be asked for
    assert ids("&q=fountain") == {supported.id}
    assert ids("&q=benches+north") == {in_north.id}
    assert ids("&mine=1") == ids("")  # "mine" means nothing to visitors
    login(resident)
    assert ids("&mine=1") == {mine.id}
    assert ids("&supported=1") == {supported.id}
    page = client.get(base + "&supported=1").get_data(as_text=True)
    assert "You support it" in page and "1 proposal" in page


def test_city_wide_listing_hides_proposals_of_unpublished_consultations(frozen, client, department, resident):
    visible = make_proposal(make_consultation(department, "open"), resident, title="Visible idea")
    closed = make_proposal(make_consultation(department, "closed"), resident, title="Closed idea")
    hidden = make_proposal(make_consultation(department, "draft"), resident, title="Hidden idea")
    page = client.get("/proposals?sort=newest").get_data(as_text=True)
    assert set(_ids(page)) == {visible.id, closed.id}
    assert hidden.id not in _ids(page)
    assert "Consultation: Greener streets" in page


def test_similar_proposals(frozen, department, resident):
    consultation = make_consultation(department)
    elsewhere = make_consultation(department, title="Elsewhere")
    other = factories.UserFactory()
    close = make_proposal(consultation, other, title="Plant trees along the river", body="Shade for walkers.")
    closer = make_proposal(consultation, other, title="Trees and benches along the river", body="Shade and rest.", support_count=4)
    make_proposal(consultation, other, title="Repair the swimming pool", body="The roof leaks.")
    make_proposal(consultation, other, ProposalState.WITHDRAWN, title="Trees along the river again")
    make_proposal(elsewhere, other, title="Trees along the river", body="Same words, other consultation.")
    found = services.similar_proposals(consultation.id, "More trees along the river", "Walkers need shade")
    # Most words in common first: five for ``close``, four for ``closer``.
    assert [p.id for p in found] == [close.id, closer.id]
    assert services.similar_proposals(consultation.id, "Library opening hours", "Sundays please") == []
    assert services.similar_proposals(consultation.id, "the and for", "") == []  # only stop words


def test_significant_words():
    assert services.significant_words("The trees, the TREES and les arbres à l'école") == [
        "trees", "arbres", "école"
    ]
    assert services.significant_words("أشجار في ساحة السوق") == ["أشجار", "ساحة", "السوق"]


def test_atom_feed(frozen, client, department, resident):
    consultation = make_consultation(department)
    first = make_proposal(consultation, resident, title="First & <best> idea", body="**Shade**", published_at=NOW - timedelta(days=2))
    second = make_proposal(consultation, resident, title="Second idea", language="fr", published_at=NOW - timedelta(days=1))
    make_proposal(consultation, resident, ProposalState.DRAFT, title="Draft idea")
    response = client.get(f"/consultations/{consultation.id}/proposals/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)  # noqa: S314 - our own feed, in a test
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}id").text and root.find(f"{ATOM}updated").text
    assert root.find(f"{ATOM}title").text == "Proposals: Greener streets"
    assert root.find(f"{ATOM}link[@rel='self']").get("href").endswith("/feed.atom")
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Second idea", "First & <best> idea"]
    assert entries[0].get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    for entry, proposal in zip(entries, (second, first), strict=True):
        assert entry.find(f"{ATOM}id").text.endswith(f"/proposals/{proposal.id}")
        assert entry.find(f"{ATOM}link").get("href") == entry.find(f"{ATOM}id").text
        assert entry.find(f"{ATOM}author/{ATOM}name").text == resident.display_name
        assert entry.find(f"{ATOM}updated").text.startswith(str(proposal.published_at.date()))
    content = entries[1].find(f"{ATOM}content")
    assert content.get("type") == "html" and content.text == "<p><strong>Shade</strong></p>"


def test_feed_of_a_hidden_consultation_is_not_found(frozen, client, department):
    consultation = make_consultation(department, "draft")
    assert client.get(f"/consultations/{consultation.id}/proposals/feed.atom").status_code == 404
