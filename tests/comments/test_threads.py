"""Threads, positions, stored counters, editing, deleting and the moderation services."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civic.comments import services
from civic.comments.models import (
    MAX_DEPTH,
    Comment,
    CommentPosition,
    CommentRevision,
    CommentState,
    CommentTally,
)
from civic.comments.targets import make_target
from civic.consultations.models import ConsultationSection
from civic.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from civic.extensions import db
from civic.proposals.models import Proposal
from tests import factories
from tests.comments.conftest import (
    make_consultation,
    make_meeting,
    make_proposal,
    make_section,
    post,
)


def _tally(**key) -> CommentTally:
    db.session.expire_all()
    return db.session.execute(select(CommentTally).filter_by(**key)).scalar_one()


def _visible(**key) -> int:
    return db.session.execute(
        select(func.count()).select_from(Comment).filter_by(state=CommentState.VISIBLE, **key)
    ).scalar_one()


def test_replies_nest_to_depth_three_then_attach_beside(session, department, resident, verified_resident):
    consultation = make_consultation(department)
    chain = [post(resident, "consultation", consultation, "Level 0")]
    for level in range(1, 6):
        author = verified_resident if level % 2 else resident
        chain.append(post(author, "consultation", consultation, f"Level {level}", parent=chain[-1]))
    depths = [c.depth for c in chain]
    assert depths == [0, 1, 2, 3, 3, 3]
    root = chain[0]
    assert all(c.root_id == root.id for c in chain[1:])
    assert chain[3].parent_id == chain[2].id
    # Deeper replies hang from the depth-2 comment, beside the one they answer.
    assert chain[4].parent_id == chain[2].id and chain[4].reply_to_id == chain[3].id
    assert chain[5].parent_id == chain[2].id and chain[5].reply_to_id == chain[4].id
    assert max(depths) == MAX_DEPTH


def test_capped_reply_says_whom_it_answers(client, session, department, resident, verified_resident):
    consultation = make_consultation(department)
    a = post(resident, "consultation", consultation, "Zero")
    b = post(verified_resident, "consultation", consultation, "One", parent=a)
    c = post(resident, "consultation", consultation, "Two", parent=b)
    d = post(verified_resident, "consultation", consultation, "Three", parent=c)
    e = post(resident, "consultation", consultation, "Four", parent=d)
    html = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    start = html.index(f'id="comment-{e.id}"')
    assert f'<a href="#comment-{d.id}">in reply to Kwame Mensah</a>' in html[start:start + 1500]


def test_a_reply_stays_in_its_parents_discussion(app, session, department, resident, verified_resident):
    consultation = make_consultation(department)
    section = make_section(consultation)
    on_section = post(resident, "section", section, "About article 1")
    # Replying from the consultation page (whose discussion includes the sections').
    reply = post(verified_resident, "consultation", consultation, "Agreed", parent=on_section)
    assert reply.section_id == section.id and reply.consultation_id == consultation.id
    db.session.expire_all()
    assert db.session.get(ConsultationSection, section.id).comment_count == 2
    assert _tally(consultation_id=consultation.id).comment_count == 2
    other = make_consultation(department, title="Another one")
    with app.test_request_context(), pytest.raises(NotFound):
        post(verified_resident, "consultation", other, "Wrong place", parent=on_section)


def test_positions_are_counted_on_consultations_and_proposals(session, department, resident, verified_resident,
                                                              moderator):
    consultation = make_consultation(department)
    proposal = make_proposal(consultation, resident)
    people = [resident, verified_resident, moderator, factories.UserFactory(), factories.UserFactory()]
    choices = ["in_favour", "in_favour", "against", "neutral", None]
    for person, position in zip(people, choices, strict=True):
        post(person, "consultation", consultation, "On the consultation", position=position)
        post(person, "proposal", proposal, "On the proposal", position=position)
    tally = _tally(consultation_id=consultation.id)
    assert (tally.comment_count, tally.in_favour_count, tally.against_count, tally.neutral_count) == (5, 2, 1, 1)
    tally = _tally(proposal_id=proposal.id)
    assert (tally.comment_count, tally.in_favour_count, tally.against_count, tally.neutral_count) == (5, 2, 1, 1)
    assert db.session.get(Proposal, proposal.id).comment_count == 5


def test_positions_only_on_top_level_comments_of_consultations_and_proposals(session, department, resident):
    consultation = make_consultation(department)
    section = make_section(consultation)
    meeting = make_meeting(department)
    top = post(resident, "consultation", consultation, "Top", position="against")
    reply = post(resident, "consultation", consultation, "Reply", parent=top, position="against")
    on_section = post(resident, "section", section, "Section", position="against")
    on_meeting = post(resident, "meeting", meeting, "Meeting", position="against")
    assert top.position == CommentPosition.AGAINST
    assert reply.position is None and on_section.position is None and on_meeting.position is None
    assert _tally(consultation_id=consultation.id).against_count == 1


def test_the_page_shows_the_stored_position_counts(client, session, department, resident, verified_resident):
    consultation = make_consultation(department)
    proposal = make_proposal(consultation, resident)
    post(resident, "proposal", proposal, "Yes!", position="in_favour")
    post(verified_resident, "proposal", proposal, "No.", position="against")
    post(factories.UserFactory(), "proposal", proposal, "Hmm.", position="against")
    html = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "In favour: 1" in html and "Against: 2" in html and "Neutral: 0" in html
    assert "3 comments" in html


def test_counters_follow_every_change_of_state(app, session, department, resident, moderator):
    consultation = make_consultation(department)
    section = make_section(consultation)
    proposal = make_proposal(consultation, resident)
    meeting = make_meeting(department)
    comments = {
        "consultation": post(resident, "consultation", consultation, "c", position="in_favour"),
        "section": post(resident, "section", section, "s"),
        "proposal": post(resident, "proposal", proposal, "p", position="neutral"),
        "meeting": post(resident, "meeting", meeting, "m"),
    }

    def counts():
        db.session.expire_all()
        return (
            _tally(consultation_id=consultation.id).comment_count,
            db.session.get(ConsultationSection, section.id).comment_count,
            db.session.get(Proposal, proposal.id).comment_count,
            _tally(proposal_id=proposal.id).neutral_count,
            _tally(meeting_id=meeting.id).comment_count,
            _tally(consultation_id=consultation.id).in_favour_count,
        )

    assert counts() == (2, 1, 1, 1, 1, 1)
    with app.test_request_context():
        services.hold(comments["section"], moderator, "Checking a link")
        services.hide(comments["proposal"], moderator, "Personal attack")
        services.hold(comments["consultation"], moderator, "Checking")
        db.session.commit()
        assert counts() == (0, 0, 0, 0, 1, 0)
        services.hide(comments["section"], moderator, "Spam")  # held → hidden: still not counted
        services.restore(comments["proposal"], moderator)
        services.restore(comments["consultation"], moderator)
        db.session.commit()
        assert counts() == (1, 0, 1, 1, 1, 1)
        services.delete_comment(resident, comments["meeting"])
        services.delete_comment(resident, db.session.get(Comment, comments["consultation"].id))
        db.session.commit()
        assert counts() == (0, 0, 1, 1, 0, 0)
        # Every stored counter equals a fresh count of visible comments.
        assert _tally(consultation_id=consultation.id).comment_count == _visible(consultation_id=consultation.id)
        assert db.session.get(Proposal, proposal.id).comment_count == _visible(proposal_id=proposal.id)
        with pytest.raises(Conflict):
            services.restore(db.session.get(Comment, comments["meeting"].id), moderator)
        db.session.rollback()


def test_moderation_services_need_a_moderator_and_a_reason(app, session, department, resident, verified_resident,
                                                           moderator):
    consultation = make_consultation(department)
    comment = post(resident, "consultation", consultation, "Something")
    with app.test_request_context():
        with pytest.raises(PermissionDenied):
            services.hide(comment, verified_resident, "Not mine to judge")
        with pytest.raises(InvalidInput):
            services.hide(comment, moderator, "   ")
        hidden = services.hide(comment, moderator, "Insults")
        db.session.commit()
        assert hidden.state == CommentState.HIDDEN and hidden.moderation_reason == "Insults"
        assert hidden.moderated_by_id == moderator.id


def test_hidden_and_held_comments_keep_their_place(client, login, session, department, resident, verified_resident,
                                                   moderator, app):
    consultation = make_consultation(department)
    hidden = post(resident, "consultation", consultation, "Rude words here")
    held = post(resident, "consultation", consultation, "Waiting words here")
    post(verified_resident, "consultation", consultation, "A reply that stays", parent=hidden)
    with app.test_request_context():
        services.hide(hidden, moderator, "Insults <b>not allowed</b>")
        services.hold(held, moderator, "Checking")
        db.session.commit()
    html = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert f'id="comment-{hidden.id}"' in html and f'id="comment-{held.id}"' in html
    assert "Hidden by moderation: Insults &lt;b&gt;not allowed&lt;/b&gt;" in html
    assert "Rude words here" not in html and "Waiting words here" not in html
    assert "held for review by the moderators" in html
    assert "A reply that stays" in html
    login(resident)  # the author reads their held comment
    assert "Waiting words here" in client.get(f"/consultations/{consultation.id}").get_data(as_text=True)


def test_editing_keeps_earlier_versions(client, login, session, department, resident, moderator, clock):
    from datetime import timedelta

    from tests.comments.conftest import NOW

    consultation = make_consultation(department)
    comment = post(resident, "consultation", consultation, "First version", position="in_favour")
    login(resident)
    clock.move_to(NOW + timedelta(minutes=5))
    assert client.get(f"/comments/{comment.id}/edit").status_code == 200
    client.post(f"/comments/{comment.id}/edit",
                data={"body": "Second version", "language": "en", "position": "against"})
    clock.move_to(NOW + timedelta(minutes=9))
    client.post(f"/comments/{comment.id}/edit",
                data={"body": "Third version", "language": "fr", "position": "against"})
    db.session.expire_all()
    comment = db.session.get(Comment, comment.id)
    assert comment.body == "Third version" and comment.language == "fr"
    assert comment.edited_at == NOW + timedelta(minutes=9)
    revisions = services.revisions_of(comment)
    assert [(r.body, r.position, r.written_at) for r in revisions] == [
        ("Second version", CommentPosition.AGAINST, NOW + timedelta(minutes=5)),
        ("First version", CommentPosition.IN_FAVOUR, NOW),
    ]
    tally = _tally(consultation_id=consultation.id)
    assert (tally.in_favour_count, tally.against_count) == (0, 1)
    # Readers see "edited" with the time; the body is marked with its language.
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert 'edited <time datetime="2026-03-10T12:09:00+00:00">' in page
    assert '<div class="comment-body" lang="fr" dir="ltr"><p>Third version</p></div>' in page
    # Moderators read the history; the author does not.
    assert client.get(f"/comments/{comment.id}/history").status_code == 403
    login(moderator)
    history = client.get(f"/comments/{comment.id}/history").get_data(as_text=True)
    assert "First version" in history and "Second version" in history and "Third version" in history


def test_saving_unchanged_text_makes_no_revision(app, session, department, resident):
    consultation = make_consultation(department)
    comment = post(resident, "consultation", consultation, "Same")
    target = make_target("consultation", consultation)
    with app.test_request_context():
        assert services.edit_comment(resident, comment, target, "Same", language="en") is False
    assert db.session.execute(select(func.count()).select_from(CommentRevision)).scalar_one() == 0
    assert comment.edited_at is None


def test_deleting_keeps_the_place_and_the_replies(client, login, session, department, resident, verified_resident):
    consultation = make_consultation(department)
    comment = post(resident, "consultation", consultation, "I said something")
    reply = post(verified_resident, "consultation", consultation, "And I answered", parent=comment)
    login(resident)
    page = client.get(f"/comments/{comment.id}/delete")
    assert page.status_code == 200 and "Delete your comment?" in page.get_data(as_text=True)
    assert client.post(f"/comments/{comment.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).state == CommentState.DELETED
    assert db.session.get(Comment, reply.id).state == CommentState.VISIBLE
    html = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "This comment was deleted by its author." in html
    assert "I said something" not in html
    assert "And I answered" in html
    assert _tally(consultation_id=consultation.id).comment_count == 1
    # Nobody replies to a deleted comment.
    login(verified_resident)
    client.post(f"/discussions/consultations/{consultation.id}/comments",
                data={"body": "Too late", "language": "en", "parent_id": str(comment.id)})
    assert _visible(consultation_id=consultation.id) == 1


def test_body_length_and_language_are_checked(app, session, department, resident):
    consultation = make_consultation(department)
    target = make_target("consultation", consultation)
    limit = app.config["COMMENT_MAX_LENGTH"]
    with app.test_request_context():
        with pytest.raises(InvalidInput) as too_long:
            services.post_comment(resident, target, "x" * (limit + 1), language="en")
        assert too_long.value.field == "body"
        with pytest.raises(InvalidInput) as bad_language:
            services.post_comment(resident, target, "Hello", language="xx")
        assert bad_language.value.field == "language"
        comment = services.post_comment(resident, target, "x" * limit, language="ar")
        assert comment.language == "ar"


def test_a_too_long_comment_comes_back_with_the_text_kept(client, login, session, department, resident, app):
    consultation = make_consultation(department)
    login(resident)
    text = "é" * (app.config["COMMENT_MAX_LENGTH"] + 5)
    response = client.post(f"/discussions/consultations/{consultation.id}/comments",
                           data={"body": text, "language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and "shorten it to 2,000 characters" in html
    assert text in html
    assert html.count("<h1") == 1
