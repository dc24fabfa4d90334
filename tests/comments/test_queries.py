"""A page of comments (authors, positions, votes and the viewer's own votes, mentions) costs the
same number of queries whatever the size of the thread."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civic.comments import discussion as discussions
from civic.comments import services
from civic.comments.targets import make_target
from civic.extensions import db
from tests import factories
from tests.comments.conftest import NOW, make_consultation, make_proposal, make_section, post

#: The loader: settings, tally, count, roots, replies, mentions, the viewer's votes.
LOADER_QUERIES = 7


def _fill(clock, kind, obj, people, roots: int, replies_each: int, votes_each: int):
    target = make_target(kind, obj)
    for i in range(roots):
        clock.move_to(NOW + timedelta(minutes=i))
        author = people[i % len(people)]
        root = post(author, target, None, f"Root {i} for @{people[(i + 1) % len(people)].display_name}",
                    position="in_favour" if target.positions_enabled and i % 2 else None, commit=False)
        parent = root
        for j in range(replies_each):
            parent = post(people[(i + j + 1) % len(people)], target, None, f"Reply {j}", parent=parent, commit=False)
        for voter in people[:votes_each]:
            if voter.id != root.author_id:
                services.vote(voter, root, target, 1 if voter.id % 2 else -1)
    db.session.commit()


def _load(target, viewer, count_queries):
    db.session.expire_all()
    # What the host page has loaded already: the commented item, its consultation, the viewer.
    _ = (target.obj.id, target.consultation.state if target.consultation else None, viewer.status)
    with count_queries() as q:
        d = discussions.load(target, viewer, sort="top", page=1)
        html = "".join(str(d.body_html(c)) for c in d.by_id.values())
        for c in d.by_id.values():  # everything a template touches
            _ = (c.author.display_name if c.author else None, c.position, d.my_vote(c), c.up_count, d.can_edit(c))
    return q.count, len(d.by_id), html


@pytest.mark.parametrize("kind", ["consultation", "proposal", "section"])
def test_loading_a_page_of_comments_is_bounded(app, clock, session, department, count_queries, kind):
    people = [factories.UserFactory(display_name=f"Person Q{i}") for i in range(6)]
    viewer = people[0]
    small = make_consultation(department, title="Small")
    big = make_consultation(department, title="Big")
    objects = {}
    for name, consultation in (("small", small), ("big", big)):
        if kind == "proposal":
            objects[name] = make_proposal(consultation, people[1])
        elif kind == "section":
            objects[name] = make_section(consultation)
        else:
            objects[name] = consultation
    with app.test_request_context():
        _fill(clock, kind, objects["small"], people, roots=1, replies_each=0, votes_each=0)
        _fill(clock, kind, objects["big"], people, roots=25, replies_each=5, votes_each=6)
        few, few_comments, _ = _load(make_target(kind, objects["small"]), viewer, count_queries)
        many, many_comments, html = _load(make_target(kind, objects["big"]), viewer, count_queries)
    assert few_comments == 1 and many_comments == 20 * 6  # a page of 20 threads of 6
    assert 'class="mention"' in html
    assert few == many <= LOADER_QUERIES


def test_the_whole_page_costs_the_same_with_few_or_many_comments(app, client, login, clock, session, department,
                                                                 count_queries):
    people = [factories.UserFactory(display_name=f"Person P{i}") for i in range(6)]
    small = make_consultation(department, title="Small")
    big = make_consultation(department, title="Big")
    small_proposal = make_proposal(small, people[1])
    big_proposal = make_proposal(big, people[1])
    with app.test_request_context():
        _fill(clock, "proposal", small_proposal, people, roots=1, replies_each=1, votes_each=1)
        _fill(clock, "proposal", big_proposal, people, roots=30, replies_each=4, votes_each=6)
        _fill(clock, "consultation", small, people, roots=1, replies_each=1, votes_each=1)
        _fill(clock, "consultation", big, people, roots=30, replies_each=4, votes_each=6)
    login(people[0])

    def cost(url):
        client.get(url)  # warm caches (templates, the notifications counter row)
        with count_queries() as q:
            assert client.get(url).status_code == 200
        return q.count

    assert cost(f"/proposals/{small_proposal.id}") == cost(f"/proposals/{big_proposal.id}")
    assert cost(f"/consultations/{small.id}") == cost(f"/consultations/{big.id}")
