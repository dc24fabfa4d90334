"""Votes: once per person and comment, changeable, counters exact; the JSON answer for scripts."""

from __future__ import annotations

from sqlalchemy import func, select

from civic.comments import services
from civic.comments.models import Comment, CommentVote
from civic.comments.targets import make_target
from civic.extensions import db
from tests import factories
from tests.comments.conftest import make_consultation, post


def _counts(comment_id: int) -> tuple[int, int, int]:
    db.session.expire_all()
    c = db.session.get(Comment, comment_id)
    return c.up_count, c.down_count, c.score


def _rows(comment_id: int) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(CommentVote.user_id, CommentVote.value).where(CommentVote.comment_id == comment_id)
        ).all()
    )


def test_votes_are_exact_and_changeable(app, session, department, resident):
    consultation = make_consultation(department)
    comment = post(resident, "consultation", consultation, "Vote on me")
    target = make_target("consultation", consultation)
    people = [factories.UserFactory() for _ in range(4)]
    with app.test_request_context():
        for person in people[:3]:
            assert services.vote(person, comment, target, 1).changed
        services.vote(people[3], comment, target, -1)
        db.session.commit()
        assert _counts(comment.id) == (3, 1, 2)
        # The same vote twice changes nothing.
        again = services.vote(people[0], comment, target, 1)
        assert not again.changed and (again.up, again.down, again.mine) == (3, 1, 1)
        # Changing a vote moves it from one counter to the other.
        changed = services.vote(people[0], comment, target, -1)
        assert changed.changed and (changed.up, changed.down) == (2, 2)
        # Taking it back removes it; taking back nothing changes nothing.
        services.vote(people[1], comment, target, 0)
        assert not services.vote(people[1], comment, target, 0).changed
        db.session.commit()
    assert _counts(comment.id) == (1, 2, -1)
    assert _rows(comment.id) == {people[0].id: -1, people[2].id: 1, people[3].id: -1}
    assert db.session.execute(select(func.count()).select_from(CommentVote)).scalar_one() == 3


def test_voting_through_the_page_without_script(client, login, session, department, resident, verified_resident):
    consultation = make_consultation(department)
    comment = post(resident, "consultation", consultation, "Vote on me")
    login(verified_resident)
    back = f"/consultations/{consultation.id}?cpage=1#comment-{comment.id}"
    response = client.post(f"/comments/{comment.id}/vote", data={"value": "up", "next": back})
    assert response.status_code == 302 and response.headers["Location"] == back
    assert _counts(comment.id) == (1, 0, 1)
    html = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    start = html.index(f'action="/comments/{comment.id}/vote"')
    form = html[start:start + 1200]
    # The pressed button now takes the vote back.
    assert 'value="none" data-vote="up" aria-pressed="true"' in form
    assert 'value="down" data-vote="down" aria-pressed="false"' in form
    client.post(f"/comments/{comment.id}/vote", data={"value": "none"})
    assert _counts(comment.id) == (0, 0, 0)
    # Nonsense values and foreign "next" addresses are refused.
    response = client.post(f"/comments/{comment.id}/vote", data={"value": "lots", "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]
    assert _counts(comment.id) == (0, 0, 0)


def test_voting_with_script_gets_json_and_a_fragment(client, login, session, department, resident, verified_resident):
    consultation = make_consultation(department)
    comment = post(resident, "consultation", consultation, "Vote on me")
    login(verified_resident)
    response = client.post(f"/comments/{comment.id}/vote", data={"value": "down"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert (data["ok"], data["up"], data["down"], data["mine"]) == (True, 0, 1, -1)
    assert "Votes up: 0; votes down: 1." in data["message"]
    assert f'data-votes="{comment.id}"' in data["html"]
    assert 'data-vote="down" aria-pressed="true"' in data["html"]
    # Refusals come back as JSON too (no voting on one's own comment).
    login(resident)
    refused = client.post(f"/comments/{comment.id}/vote", data={"value": "up"},
                          headers={"Accept": "application/json"})
    assert refused.status_code == 403 and refused.get_json()["ok"] is False
    assert _counts(comment.id) == (0, 1, -1)


def test_most_upvoted_order(client, session, department, resident):
    consultation = make_consultation(department)
    target = make_target("consultation", consultation)
    a = post(resident, "consultation", consultation, "Alpha comment")
    b = post(resident, "consultation", consultation, "Bravo comment")
    c = post(resident, "consultation", consultation, "Charlie comment")
    voters = [factories.UserFactory() for _ in range(3)]
    with client.application.test_request_context():
        for v in voters:
            services.vote(v, b, target, 1)
        services.vote(voters[0], c, target, 1)
        services.vote(voters[1], a, target, -1)
        db.session.commit()
    html = client.get(f"/consultations/{consultation.id}?sort=top").get_data(as_text=True)
    order = sorted(("Alpha", "Bravo", "Charlie"), key=lambda word: html.index(f"{word} comment"))
    assert order == ["Bravo", "Charlie", "Alpha"]
    html = client.get(f"/consultations/{consultation.id}?sort=newest").get_data(as_text=True)
    assert html.index("Charlie comment") < html.index("Alpha comment")
