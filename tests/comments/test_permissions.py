"""Who may comment, reply, edit, delete, vote and read the history, in every role, on an open
consultation, a closed one and a closed one whose discussion was kept open — through HTTP,
with the clock frozen (see conftest)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civic.comments import permissions
from civic.comments.models import Comment, CommentState
from civic.comments.services import settings_of
from civic.comments.targets import make_target
from civic.extensions import db
from tests import factories
from tests.comments.conftest import make_consultation, post

ROLES = ("anonymous", "resident", "verified", "suspended", "author", "moderator", "staff", "admin")
STATES = ("open", "closed", "kept-open")
PARTICIPANTS = {"resident", "verified", "author", "moderator", "staff", "admin"}
OPEN = {"open", "kept-open"}


def expected(action: str, role: str, state: str) -> bool:
    if action in ("comment", "reply"):
        return role in PARTICIPANTS and state in OPEN
    if action == "edit":
        return role == "author" and state in OPEN
    if action == "delete":
        return role == "author"  # authors may always take back what they wrote
    if action == "vote":
        return role in PARTICIPANTS - {"author"} and state in OPEN
    if action == "history":
        return role in ("moderator", "admin")
    raise AssertionError(action)


def _actor(role, author, request):
    if role == "anonymous":
        return None
    if role == "author":
        return author
    fixture = {"resident": "resident", "verified": "verified_resident", "suspended": "suspended_resident",
               "moderator": "moderator", "staff": "staff", "admin": "admin"}[role]
    return request.getfixturevalue(fixture)


def _count(consultation) -> int:
    return db.session.execute(
        select(func.count()).select_from(Comment).where(Comment.consultation_id == consultation.id)
    ).scalar_one()


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_permissions_matrix(request, client, session, login, department, state, role):
    consultation = make_consultation(department, "open")
    author = factories.UserFactory(display_name="Comment Author")
    comment = post(author, "consultation", consultation, "What about the trees?", position="in_favour")
    if state != "open":  # the comment was written while open; then the consultation closed
        closed = make_consultation(department, state)
        consultation.state, consultation.opens_at, consultation.closes_at = closed.state, closed.opens_at, closed.closes_at
        if state == "kept-open":
            from civic.comments.models import DiscussionSettings

            db.session.add(DiscussionSettings(consultation_id=consultation.id, keep_open_after_close=True))
        db.session.commit()
    actor = _actor(role, author, request)
    if actor is not None:
        login(actor)

    # The permission functions say the same as the expectations…
    target = make_target("consultation", consultation)
    settings = settings_of(target)
    from civic.core.permissions import AnonymousUser

    who = actor or AnonymousUser()
    assert permissions.can_comment(who, target, settings) is expected("comment", role, state)
    assert permissions.can_reply(who, comment, target, settings) is expected("reply", role, state)
    assert permissions.can_edit(who, comment, target, settings) is expected("edit", role, state)
    assert permissions.can_delete(who, comment) is expected("delete", role, state)
    assert permissions.can_vote(who, comment, target, settings) is expected("vote", role, state)
    assert permissions.can_see_history(who, comment) is expected("history", role, state)

    # … and so do the pages.
    history = client.get(f"/comments/{comment.id}/history")
    if expected("history", role, state):
        assert history.status_code == 200
        assert "What about the trees?" in history.get_data(as_text=True)
    else:
        assert history.status_code in (302, 403)
        assert history.status_code == 302 or actor is not None

    client.post(f"/comments/{comment.id}/vote", data={"value": "up"})
    db.session.expire_all()
    assert (db.session.get(Comment, comment.id).up_count == 1) is expected("vote", role, state)

    client.post(f"/comments/{comment.id}/edit", data={"body": "What about the lime trees?", "language": "en",
                                                       "position": "in_favour"})
    db.session.expire_all()
    edited = db.session.get(Comment, comment.id).body == "What about the lime trees?"
    assert edited is expected("edit", role, state)

    before = _count(consultation)
    client.post(f"/discussions/consultations/{consultation.id}/comments",
                data={"body": "A reply", "language": "en", "parent_id": str(comment.id)})
    assert (_count(consultation) == before + 1) is expected("reply", role, state)

    before = _count(consultation)
    response = client.post(f"/discussions/consultations/{consultation.id}/comments",
                           data={"body": "A new comment", "language": "en"})
    assert (_count(consultation) == before + 1) is expected("comment", role, state)
    if actor is None:
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    elif role == "suspended":
        assert response.status_code == 403

    client.post(f"/comments/{comment.id}/delete")
    db.session.expire_all()
    deleted = db.session.get(Comment, comment.id).state == CommentState.DELETED
    assert deleted is expected("delete", role, state)


def test_the_page_offers_only_what_the_viewer_may_do(client, session, login, department, resident, verified_resident):
    consultation = make_consultation(department, "open")
    mine = post(resident, "consultation", consultation, "Mine")
    theirs = post(verified_resident, "consultation", consultation, "Theirs")
    login(resident)
    html = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert f'href="/comments/{mine.id}/edit"' in html
    assert f'href="/comments/{mine.id}/delete"' in html
    assert f'href="/comments/{theirs.id}/edit"' not in html
    assert f'action="/comments/{theirs.id}/vote"' in html
    assert f'action="/comments/{mine.id}/vote"' not in html  # not on one's own comment
    assert f"/comments/{mine.id}/history" not in html
    assert 'id="new-comment"' in html


def test_closed_discussion_shows_no_forms(client, session, login, department, resident):
    consultation = make_consultation(department, "closed")
    login(resident)
    html = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "Comments are closed" in html
    assert "data-comment-form" not in html
    # Posting anyway is refused with a message, and nothing is saved.
    response = client.post(f"/discussions/consultations/{consultation.id}/comments",
                           data={"body": "Late", "language": "en"}, follow_redirects=True)
    assert "This discussion is closed." in response.get_data(as_text=True)
    assert _count(consultation) == 0


def test_drafts_and_their_discussions_stay_hidden(client, session, login, department, resident, staff):
    draft = make_consultation(department, "draft")
    assert client.post(f"/discussions/consultations/{draft.id}/comments",
                       data={"body": "x", "language": "en"}).status_code == 404
    login(resident)
    assert client.get(f"/discussions/consultations/{draft.id}/settings").status_code == 403


def test_staff_keep_the_discussion_open_after_closing(client, session, login, department, staff, resident):
    consultation = make_consultation(department, "closed")
    login(resident)
    assert client.get(f"/discussions/consultations/{consultation.id}/settings").status_code == 403
    login(staff)
    assert client.get(f"/discussions/consultations/{consultation.id}/settings").status_code == 200
    response = client.post(f"/discussions/consultations/{consultation.id}/settings",
                           data={"keep_open_after_close": "y"})
    assert response.status_code == 302
    login(resident)
    client.post(f"/discussions/consultations/{consultation.id}/comments", data={"body": "Still open", "language": "en"})
    assert _count(consultation) == 1


def test_meeting_discussion_closes_some_days_after_the_meeting(app, clock, session, department, resident):
    from datetime import timedelta

    from tests.comments.conftest import NOW, make_meeting

    meeting = make_meeting(department, starts_in=timedelta(days=1), hours=2)
    target = make_target("meeting", meeting)
    assert permissions.can_comment(resident, target, None)
    days = app.config["COMMENT_MEETING_DAYS_AFTER"]
    clock.move_to(NOW + timedelta(days=1, hours=2) + timedelta(days=days) - timedelta(minutes=1))
    assert permissions.can_comment(resident, target, None)
    clock.move_to(NOW + timedelta(days=1, hours=2) + timedelta(days=days))
    assert not permissions.can_comment(resident, target, None)


def test_cancelled_meetings_and_withdrawn_proposals_take_no_comments(session, department, resident):
    from civic.meetings.models import MeetingState
    from civic.proposals.models import ProposalState
    from tests.comments.conftest import make_meeting, make_proposal

    meeting = make_meeting(department, state=MeetingState.CANCELLED)
    assert not permissions.can_comment(resident, make_target("meeting", meeting), None)
    consultation = make_consultation(department, "open")
    withdrawn = make_proposal(consultation, resident, state=ProposalState.WITHDRAWN)
    published = make_proposal(consultation, resident)
    assert not permissions.can_comment(resident, make_target("proposal", withdrawn), None)
    assert permissions.can_comment(resident, make_target("proposal", published), None)
