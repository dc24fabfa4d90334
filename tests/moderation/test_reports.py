"""Reporting: once per item, a reason (details for "other"), real foreign keys, and holding at
the threshold."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from civic.comments.models import CommentState, CommentTally
from civic.core.errors import Conflict, InvalidInput, PermissionDenied
from civic.extensions import db
from civic.moderation import services
from civic.moderation.models import CaseOrigin, CaseState, ModerationReport, ModerationSettings
from civic.moderation.states import ModerationState
from civic.proposals.models import ProposalSettings
from tests.moderation.conftest import case_of, report


def test_a_report_opens_one_queue_entry_with_real_foreign_keys(world, reporters):
    found = report(reporters[0], "comment", world.comment, "offensive_or_hateful", "Insults.")
    assert found.comment_id == world.comment.id
    assert (found.proposal_id, found.meeting_id, found.reported_user_id) == (None, None, None)
    case = case_of("comment", world.comment)
    assert case.state == CaseState.PENDING and case.origin == CaseOrigin.REPORTS
    assert case.report_count == 1
    assert case.author_id == world.comment.author_id
    assert case.department_id == world.consultation.department_id
    assert case.consultation_id == world.consultation.id
    report(reporters[1], "comment", world.comment, "spam")
    assert case_of("comment", world.comment).id == case.id
    db.session.refresh(case)
    assert case.report_count == 2


def test_each_person_reports_an_item_once(world, reporters):
    report(reporters[0], "proposal", world.proposal, "spam")
    with pytest.raises(Conflict):
        services.report(reporters[0], "proposal", world.proposal, "off_topic")
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(ModerationReport)).scalar_one() == 1
    # The database refuses a second row too (unique constraint per reporter and item).
    case = case_of("proposal", world.proposal)
    db.session.add(ModerationReport(case_id=case.id, reporter_id=reporters[0].id,
                                    proposal_id=world.proposal.id, reason="spam", details=""))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_exactly_one_item_per_report_is_enforced_by_the_database(world, reporters):
    report(reporters[0], "comment", world.comment)
    case = case_of("comment", world.comment)
    db.session.add(ModerationReport(case_id=case.id, reporter_id=reporters[1].id, comment_id=world.comment.id,
                                    proposal_id=world.proposal.id, reason="spam", details=""))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_other_needs_details_and_reasons_are_checked(world, reporters):
    with pytest.raises(InvalidInput) as exc:
        services.report(reporters[0], "comment", world.comment, "other", "   ")
    assert exc.value.field == "details"
    with pytest.raises(InvalidInput) as exc:
        services.report(reporters[0], "comment", world.comment, "boring")
    assert exc.value.field == "reason"
    db.session.rollback()
    report(reporters[0], "comment", world.comment, "other", "It copies a newspaper article.")


def test_nobody_reports_their_own_content_or_profile(world, author):
    for kind, item in (("comment", world.comment), ("proposal", world.proposal), ("user", author)):
        with pytest.raises(PermissionDenied):
            services.report(author, kind, item, "spam")


def test_a_comment_is_held_at_the_threshold_and_leaves_the_counters(world, reporters):
    tally = lambda: db.session.execute(  # noqa: E731
        select(CommentTally.comment_count).where(CommentTally.consultation_id == world.consultation.id)
    ).scalar_one()
    assert tally() == 1
    for r in reporters[:2]:
        report(r, "comment", world.comment)
    db.session.refresh(world.comment)
    assert world.comment.state == CommentState.VISIBLE
    report(reporters[2], "comment", world.comment)
    db.session.refresh(world.comment)
    assert world.comment.state == CommentState.HELD
    assert tally() == 0
    # Nobody can report a held comment any more (it is out of sight).
    with pytest.raises(PermissionDenied):
        services.report(reporters[3], "comment", world.comment, "spam")


def test_the_threshold_is_a_site_setting(world, reporters, admin):
    services.update_settings(admin, report_threshold_value=1)
    db.session.commit()
    assert db.session.get(ModerationSettings, 1).report_threshold == 1
    report(reporters[0], "proposal", world.proposal)
    db.session.refresh(world.proposal)
    assert world.proposal.moderation_state == ModerationState.HELD
    # A held proposal is no longer counted among the listed ones.
    assert db.session.get(ProposalSettings, world.consultation.id).published_count == 0


def test_meetings_are_held_at_the_threshold_and_profiles_are_only_queued(world, reporters, author, admin):
    services.update_settings(admin, report_threshold_value=2)
    db.session.commit()
    for r in reporters[:2]:
        report(r, "meeting", world.meeting, "misinformation")
        report(r, "user", author, "spam")
    db.session.refresh(world.meeting)
    assert world.meeting.moderation_state == ModerationState.HELD
    user_case = case_of("user", author)
    assert user_case.report_count == 2 and user_case.state == CaseState.PENDING
    assert user_case.department_id is None


def test_report_page_offers_reasons_and_keeps_input_after_a_problem(client, login, world, reporters):
    login(reporters[0])
    page = client.get(f"/moderation/report/comments/{world.comment.id}")
    assert page.status_code == 200
    assert b"Offensive or hateful" in page.data
    failed = client.post(f"/moderation/report/comments/{world.comment.id}",
                         data={"reason": "other", "details": ""})
    assert failed.status_code == 400
    assert b"There is a problem" in failed.data
    done = client.post(f"/moderation/report/comments/{world.comment.id}",
                       data={"reason": "other", "details": "Copied from elsewhere."})
    assert done.status_code == 302
    again = client.get(f"/moderation/report/comments/{world.comment.id}")
    assert b"already reported" in again.data


def test_report_links_appear_for_people_who_may_report(client, login, world, reporters, author):
    login(reporters[0])
    page = client.get(f"/proposals/{world.proposal.id}")
    assert f"/moderation/report/proposals/{world.proposal.id}".encode() in page.data
    meeting = client.get(f"/meetings/{world.meeting.id}")
    assert f"/moderation/report/meetings/{world.meeting.id}".encode() in meeting.data
    profile = client.get(f"/people/{author.id}")
    assert f"/moderation/report/people/{author.id}".encode() in profile.data
    discussion = client.get(f"/consultations/{world.consultation.id}")
    assert f"/moderation/report/comments/{world.comment.id}".encode() in discussion.data
    login(author)
    own = client.get(f"/proposals/{world.proposal.id}")
    assert f"/moderation/report/proposals/{world.proposal.id}".encode() not in own.data


def test_reports_are_rate_limited(limited_app, session, world, reporters):
    from tests.conftest import sign_in

    client = limited_app.test_client()
    with limited_app.app_context():
        sign_in(client, reporters[0])
    statuses = [
        client.post(f"/moderation/report/comments/{world.comment.id}", data={"reason": "other", "details": ""}).status_code
        for _ in range(3)
    ]
    assert statuses[:2] == [400, 400]
    assert statuses[2] == 429
