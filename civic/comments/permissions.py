"""Who may do what with comments. Plain functions, used by views, services and templates.

When a discussion is open:

* consultations and their sections: while the consultation is open; after it closes only when
  its staff chose "keep the discussion open" (``DiscussionSettings``);
* proposals: like their consultation's discussion, and never once withdrawn;
* meetings: from the announcement until ``COMMENT_MEETING_DAYS_AFTER`` days (14 by default)
  after the meeting ends; never for a cancelled meeting.

Functions taking ``settings`` want the consultation's ``DiscussionSettings`` or None (the
defaults); ``now`` defaults to the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from civic.comments.models import CommentState
from civic.consultations.models import ConsultationState
from civic.consultations.permissions import can_edit as can_edit_consultation
from civic.consultations.permissions import can_view as can_view_consultation
from civic.core.permissions import is_moderator, is_participant, is_signed_in
from civic.core.time import utcnow
from civic.meetings.models import MeetingState
from civic.proposals.models import ProposalState

#: Comments on a meeting stay open this many days after it ends (``COMMENT_MEETING_DAYS_AFTER``).
DEFAULT_MEETING_DAYS_AFTER = 14


def is_author(user, comment) -> bool:
    return is_signed_in(user) and comment.author_id is not None and comment.author_id == user.id


# ---- discussions --------------------------------------------------------------------------


def can_read(user, target) -> bool:
    """Reading a discussion: whoever may see the commented item."""
    if target.kind in ("consultation", "section"):
        return target.consultation is not None and can_view_consultation(user, target.consultation)
    if target.kind == "proposal":
        return (
            target.obj.state != ProposalState.DRAFT
            and target.consultation is not None
            and can_view_consultation(user, target.consultation)
        )
    return True  # meetings are public


def meeting_discussion_closes_at(meeting) -> datetime:
    days = current_app.config.get("COMMENT_MEETING_DAYS_AFTER", DEFAULT_MEETING_DAYS_AFTER)
    return meeting.ends_at + timedelta(days=days)


def consultation_discussion_open(consultation, settings, now: datetime | None = None) -> bool:
    state = consultation.effective_state(now or utcnow())
    if state == ConsultationState.OPEN:
        return True
    keep = settings is not None and settings.keep_open_after_close
    return keep and state in (ConsultationState.CLOSED, ConsultationState.CONCLUDED)


def discussion_open(target, settings, now: datetime | None = None) -> bool:
    """Whether new comments, replies, edits and votes are accepted."""
    now = now or utcnow()
    if target.kind in ("consultation", "section"):
        return target.consultation is not None and consultation_discussion_open(target.consultation, settings, now)
    if target.kind == "proposal":
        if target.obj.state in (ProposalState.DRAFT, ProposalState.WITHDRAWN):
            return False
        return target.consultation is not None and consultation_discussion_open(target.consultation, settings, now)
    meeting = target.obj
    if meeting.state == MeetingState.CANCELLED:
        return False
    return now < meeting_discussion_closes_at(meeting)


def can_comment(user, target, settings, now: datetime | None = None) -> bool:
    """Signed in with an account in good standing, on an open discussion one may read."""
    return is_participant(user) and can_read(user, target) and discussion_open(target, settings, now)


def can_manage_settings(user, consultation) -> bool:
    """The consultation's department staff and administrators."""
    return can_edit_consultation(user, consultation)


# ---- one comment --------------------------------------------------------------------------


def can_reply(user, comment, target, settings, now: datetime | None = None) -> bool:
    return comment.state == CommentState.VISIBLE and can_comment(user, target, settings, now)


def can_edit(user, comment, target, settings, now: datetime | None = None) -> bool:
    """Authors, while the discussion is open and the comment visible."""
    return (
        is_author(user, comment)
        and comment.state == CommentState.VISIBLE
        and can_comment(user, target, settings, now)
    )


def can_delete(user, comment) -> bool:
    """Authors may always take back what they wrote (not a comment moderation hid)."""
    return is_author(user, comment) and comment.state in (CommentState.VISIBLE, CommentState.HELD)


def can_vote(user, comment, target, settings, now: datetime | None = None) -> bool:
    """Participants, once per comment (changeable), not on their own comments."""
    return (
        comment.state == CommentState.VISIBLE
        and not is_author(user, comment)
        and can_comment(user, target, settings, now)
    )


def can_see_history(user, comment=None) -> bool:
    """Earlier versions and moderation details: moderators (administrators included)."""
    return is_moderator(user)


def can_moderate(user, comment=None) -> bool:
    """Site moderators, and department staff for their department's discussions; never on
    one's own comment (the rules are civic.moderation's)."""
    if comment is None:
        return is_moderator(user)
    from civic.moderation.permissions import can_moderate_comment

    return can_moderate_comment(user, comment)


def can_read_held(user, comment) -> bool:
    """A held comment's text: its author and moderators."""
    return is_author(user, comment) or is_moderator(user)
