"""The queue issues a bounded number of queries however long it is."""

from __future__ import annotations

from civic.comments import services as comments
from civic.comments.targets import make_target
from civic.extensions import db
from tests import factories
from tests.moderation.conftest import make_meeting, make_proposal, post, report


def _fill(world, reporters, author, staff, n: int) -> None:
    """``n`` entries of each kind (comments with earlier versions, proposals, meetings,
    profiles), each reported twice."""
    target = make_target("consultation", world.consultation)
    for i in range(n):
        c = post(author, world.consultation, f"Remark {i} about the plan.")
        comments.edit_comment(author, c, target, f"Remark {i}, edited.", language="en")
        db.session.commit()
        p = make_proposal(world.consultation, author, title=f"Idea {i}")
        m = make_meeting(world.consultation.department, staff, consultation=world.consultation)
        person = factories.UserFactory()
        for r in reporters[:2]:
            report(r, "comment", c, "spam", "Advertising.")
            report(r, "proposal", p, "off_topic")
            report(r, "meeting", m, "misinformation")
            report(r, "user", person, "spam")


def _queries(client, count_queries, path="/moderation/"):
    with count_queries() as q:
        response = client.get(path)
    assert response.status_code == 200
    return q.count


def test_queue_queries_do_not_grow_with_the_number_of_entries(client, login, world, reporters, author, staff, moderator, count_queries):
    _fill(world, reporters, author, staff, 1)
    login(moderator)
    few = _queries(client, count_queries)
    _fill(world, reporters, author, staff, 4)
    many = _queries(client, count_queries)
    assert many == few
    assert many <= 25


def test_case_page_queries_are_bounded(client, login, world, reporters, author, staff, moderator, count_queries):
    _fill(world, reporters, author, staff, 1)
    from tests.moderation.conftest import case_of

    report(reporters[0], "comment", world.comment, "spam", "First.")
    login(moderator)
    few = _queries(client, count_queries, f"/moderation/cases/{case_of('comment', world.comment).id}")
    report(reporters[2], "comment", world.comment, "spam", "More.")
    assert _queries(client, count_queries, f"/moderation/cases/{case_of('comment', world.comment).id}") == few
