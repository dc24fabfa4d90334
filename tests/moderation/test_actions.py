"""Moderators' actions, one at a time and in bulk, and the statement of reasons that hidden
content keeps in its place."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civic.accounts.models import AccountStatus, UserSession
from civic.comments.models import CommentState
from civic.core.errors import Conflict, InvalidInput
from civic.extensions import db
from civic.moderation import services
from civic.moderation.models import CaseState, ModerationAction
from civic.moderation.states import ModerationState
from civic.notifications.models import Notification, NotificationKind
from civic.proposals.models import ProposalSettings
from tests import factories
from tests.conftest import sign_in
from tests.moderation.conftest import act, case_of, make_consultation, post, report


def _notifications(user, kind):
    return list(
        db.session.execute(
            select(Notification).where(Notification.recipient_id == user.id, Notification.kind == kind)
        ).scalars()
    )


def test_hidden_comment_keeps_its_place_with_the_reason(client, login, world, reporters, moderator, resident, author):
    report(reporters[0], "comment", world.comment, "offensive_or_hateful")
    act(moderator, case_of("comment", world.comment), "hide", reason="It insults the staff.", rule="respect")
    db.session.refresh(world.comment)
    assert world.comment.state == CommentState.HIDDEN
    login(resident)
    page = client.get(f"/consultations/{world.consultation.id}")
    assert b"Hidden by moderation: It insults the staff." in page.data
    assert b"The plan forgets the north bank entirely." not in page.data
    # The author is told the reason and the rule, with the way to appeal.
    [note] = _notifications(author, NotificationKind.MODERATION_DECISION)
    assert note.params["reason"] == "It insults the staff." and note.params["rule"] == "respect"
    login(author)
    statement = client.get(f"/moderation/decisions/{case_of('comment', world.comment).id}")
    assert b"Respect people" in statement.data and b"Send my appeal" in statement.data


def test_hidden_proposal_and_meeting_description_show_the_reason(client, login, world, reporters, moderator, resident):
    report(reporters[0], "proposal", world.proposal, "off_topic")
    act(moderator, case_of("proposal", world.proposal), "hide", reason="Not about this consultation.", rule="on_topic")
    report(reporters[0], "meeting", world.meeting, "misinformation")
    act(moderator, case_of("meeting", world.meeting), "hide", reason="The address is false.", rule="honesty")
    db.session.expire_all()
    assert db.session.get(ProposalSettings, world.consultation.id).published_count == 0
    login(resident)
    page = client.get(f"/proposals/{world.proposal.id}")
    assert page.status_code == 200
    assert b"Hidden by moderation." in page.data and b"Not about this consultation." in page.data
    assert b"Plant a row of lime trees" not in page.data
    assert b"More trees on Rue Haute" not in page.data  # the title too
    assert b"Stay on topic" in page.data
    listing = client.get(f"/consultations/{world.consultation.id}/proposals")
    assert b"More trees on Rue Haute" not in listing.data
    meeting = client.get(f"/meetings/{world.meeting.id}")
    assert b"The address is false." in meeting.data
    assert b"Come and talk about the cycle lanes." not in meeting.data
    login(moderator)
    assert b"Plant a row of lime trees" in client.get(f"/proposals/{world.proposal.id}").data


def test_hide_needs_a_reason_and_a_rule(world, reporters, moderator):
    report(reporters[0], "comment", world.comment)
    case = case_of("comment", world.comment)
    with pytest.raises(InvalidInput) as exc:
        services.act(moderator, case, "hide", reason="", rule="respect")
    assert exc.value.field == "reason"
    with pytest.raises(InvalidInput) as exc:
        services.act(moderator, case, "hide", reason="Rude.")
    assert exc.value.field == "rule"


def test_dismissing_releases_content_held_by_reports(world, reporters, moderator):
    for r in reporters[:3]:
        report(r, "comment", world.comment)
    db.session.refresh(world.comment)
    assert world.comment.state == CommentState.HELD
    act(moderator, case_of("comment", world.comment), "dismiss")
    db.session.refresh(world.comment)
    assert world.comment.state == CommentState.VISIBLE
    case = case_of("comment", world.comment)
    assert case.state == CaseState.DECIDED and case.decision == ModerationAction.DISMISS
    # A new report after the decision opens a new entry.
    report(reporters[3], "comment", world.comment)
    assert case_of("comment", world.comment).id != case.id


def test_restore_after_hiding(world, reporters, moderator, author):
    report(reporters[0], "proposal", world.proposal)
    case = case_of("proposal", world.proposal)
    act(moderator, case, "hide", reason="Spam.", rule="no_spam")
    with pytest.raises(Conflict):
        services.act(moderator, case, "approve")
    db.session.rollback()
    act(moderator, case_of("proposal", world.proposal), "restore")
    db.session.refresh(world.proposal)
    assert world.proposal.moderation_state == ModerationState.VISIBLE
    assert db.session.get(ProposalSettings, world.consultation.id).published_count == 1


def test_warning_sends_the_text_to_the_author(world, reporters, staff, author):
    report(reporters[0], "comment", world.comment)
    act(staff, case_of("comment", world.comment), "warn", message="Please keep to the subject.")
    [note] = _notifications(author, NotificationKind.MODERATION_DECISION)
    assert note.params["action"] == "warn" and note.params["message"] == "Please keep to the subject."
    # A warning on content does not decide the entry: it stays in the queue.
    assert case_of("comment", world.comment).state == CaseState.PENDING


def test_suspension_and_ban_go_through_account_status(client, world, reporters, admin, author):
    report(reporters[0], "user", author, "spam")
    report(reporters[1], "comment", world.comment, "spam")
    sign_in(client, author)  # a session the suspension must end
    with pytest.raises(InvalidInput):
        services.act(admin, case_of("user", author), "suspend", reason="Spam.", rule="no_spam", days=2)
    act(admin, case_of("user", author), "suspend", reason="Spam.", rule="no_spam", days=7)
    db.session.refresh(author)
    assert author.status == AccountStatus.SUSPENDED
    assert author.suspended_until is not None
    assert db.session.execute(select(func.count()).select_from(UserSession).where(UserSession.user_id == author.id)).scalar_one() == 0
    assert case_of("user", author).state == CaseState.DECIDED
    act(admin, case_of("comment", world.comment), "ban", reason="Spam again.", rule="no_spam")
    db.session.refresh(author)
    assert author.status == AccountStatus.BANNED


def test_bulk_actions_apply_to_each_selected_entry_and_skip_the_others(
    client, login, world, reporters, staff, department, other_department, author
):
    elsewhere = make_consultation(other_department, title="Elsewhere")
    comments = [post(author, world.consultation, f"Remark number {i}.") for i in range(3)]
    foreign = post(author, elsewhere, "A remark in another department.")
    for c in [*comments, foreign]:
        report(reporters[0], "comment", c, "spam")
    ids = [case_of("comment", c).id for c in [*comments, foreign]]
    login(staff)
    response = client.post(
        "/moderation/",
        data={"case_ids": ids, "action": "hide", "reason": "Advertising.", "rule": "no_spam"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    for c in comments:
        assert db.session.get(type(c), c.id).state == CommentState.HIDDEN
    assert db.session.get(type(foreign), foreign.id).state == CommentState.VISIBLE
    # The entry outside the staff member's department was left alone, and they were told.
    page = client.get("/moderation/?state=decided")
    assert page.status_code == 200
    result = services.act_bulk(staff, [ids[-1]], "hide", reason="x", rule="no_spam")
    assert result.done == [] and len(result.skipped) == 1
    db.session.rollback()


def test_bulk_form_problems_keep_the_selection(client, login, world, reporters, moderator):
    report(reporters[0], "comment", world.comment)
    case = case_of("comment", world.comment)
    login(moderator)
    response = client.post("/moderation/", data={"case_ids": [case.id], "action": "hide", "reason": ""})
    assert response.status_code == 400
    assert b"There is a problem" in response.data
    assert f'value="{case.id}" id="select-{case.id}" checked'.encode() in response.data
    nothing = client.post("/moderation/", data={"action": "dismiss"})
    assert nothing.status_code == 400 and b"Select at least one entry" in nothing.data


def test_queue_filters_and_order(world, reporters, moderator, author):
    second = post(author, world.consultation, "Second remark.")
    report(reporters[0], "comment", world.comment, "spam")
    for r in reporters[:2]:
        report(r, "comment", second, "off_topic")
    report(reporters[0], "proposal", world.proposal, "misinformation")

    def ids(**kw):
        return [c.id for c in db.session.execute(
            services.queue_query(moderator, services.QueueFilters(**kw))).scalars()]

    assert ids()[0] == case_of("comment", second).id  # most reported first
    assert ids(kind="proposal") == [case_of("proposal", world.proposal).id]
    from civic.moderation.models import ReportReason

    assert ids(reason=ReportReason.SPAM) == [case_of("comment", world.comment).id]
    assert ids(consultation_id=world.other_consultation.id) == []
    assert len(ids(sort="oldest")) == 3
    assert ids(state="decided") == []


def test_staff_sees_only_their_departments_entries(world, reporters, staff, other_staff, author):
    report(reporters[0], "comment", world.comment)
    other_comment = post(author, world.other_consultation, "Elsewhere.")
    report(reporters[0], "comment", other_comment)
    staff_ids = [c.id for c in db.session.execute(services.queue_query(staff, services.QueueFilters())).scalars()]
    assert staff_ids == [case_of("comment", world.comment).id]
    other_ids = [c.id for c in db.session.execute(services.queue_query(other_staff, services.QueueFilters())).scalars()]
    assert other_ids == [case_of("comment", other_comment).id]


def test_case_page_shows_history_revisions_and_author_record(client, login, world, reporters, moderator, author):
    from civic.comments import services as comments
    from civic.comments.targets import make_target

    comments.edit_comment(author, world.comment, make_target("consultation", world.consultation),
                          "An edited, harsher remark.", language="en")
    db.session.commit()
    earlier = post(author, world.consultation, "An earlier offence.")
    report(reporters[1], "comment", earlier)
    act(moderator, case_of("comment", earlier), "hide", reason="Rude.", rule="respect")
    report(reporters[0], "comment", world.comment, "offensive_or_hateful", "Harsh words.")
    login(moderator)
    page = client.get(f"/moderation/cases/{case_of('comment', world.comment).id}")
    assert page.status_code == 200
    assert b"The plan forgets the north bank entirely." in page.data  # the earlier version
    assert b"Hidden: 1" in page.data  # the author's moderation history
    assert b"Harsh words." in page.data
    queue = client.get("/moderation/")
    assert b"1 earlier version" in queue.data


def test_reports_from_a_deleted_account_stay_counted(world, reporters, moderator):
    gone = factories.UserFactory()
    report(gone, "comment", world.comment)
    db.session.delete(gone)
    db.session.commit()
    assert case_of("comment", world.comment).report_count == 1


def test_authors_see_warnings_and_decisions_but_never_dismissed_reports(client, login, world, reporters, moderator, author):
    report(reporters[0], "comment", world.comment, "spam")
    act(moderator, case_of("comment", world.comment), "warn", message="Please keep to the subject.")
    report(reporters[0], "proposal", world.proposal, "spam")
    dismissed = case_of("proposal", world.proposal)
    act(moderator, dismissed, "dismiss")
    login(author)
    warned = client.get(f"/moderation/decisions/{case_of('comment', world.comment).id}")
    assert warned.status_code == 200
    assert b"Warning: Please keep to the subject." in warned.data
    assert b"Only a decision that hides content can be appealed." in warned.data
    assert client.get(f"/moderation/decisions/{dismissed.id}").status_code == 404
    mine = client.get("/moderation/decisions")
    assert f"/moderation/decisions/{case_of('comment', world.comment).id}".encode() in mine.data
    assert f"/moderation/decisions/{dismissed.id}".encode() not in mine.data
    assert b"Author warned" in mine.data
