"""Proposals written and supports given.

* Supports are removed and each supported proposal's ``support_count`` goes down by one
  (the person's own support budgets go with the account).
* Proposals stay by default, signed "a former member" (``author_id`` becomes NULL). When
  the person chooses to remove their contributions, drafts and published proposals are
  deleted: the consultation's ``published_count`` goes down, supporters get their support
  back in their budget (as on withdrawal), and what hangs on the proposal (supports,
  official answers, comments, follows, notifications) goes with it.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from civic.core import jobs
from civic.extensions import db
from civic.privacy.domains import enum_value, iso
from civic.proposals.models import Proposal, ProposalSettings, ProposalState, Support, SupportBudget
from civic.proposals.services import IMAGE_REMOVE_JOB


def export(user) -> dict:
    written = db.session.execute(
        select(Proposal).where(Proposal.author_id == user.id).order_by(Proposal.created_at, Proposal.id)
    ).scalars()
    supports = db.session.execute(
        select(Support.proposal_id, Support.created_at, Proposal.title)
        .join(Proposal, Proposal.id == Support.proposal_id)
        .where(Support.user_id == user.id)
        .order_by(Support.created_at)
    ).all()
    return {
        "proposals": [
            {
                "id": p.id,
                "consultation_id": p.consultation_id,
                "state": enum_value(p.state),
                "title": p.title,
                "body": p.body,
                "place": p.place,
                "language": p.language,
                "image_description": p.image_alt,
                "created_at": iso(p.created_at),
                "published_at": iso(p.published_at),
                "supports": p.support_count,
                "comments": p.comment_count,
            }
            for p in written
        ],
        "supports": [
            {"proposal_id": pid, "proposal": title, "supported_at": iso(at)} for pid, at, title in supports
        ],
    }


def _remove_supports(user) -> None:
    supported = list(
        db.session.execute(
            select(Support.proposal_id).where(Support.user_id == user.id).order_by(Support.proposal_id)
        ).scalars()
    )
    if not supported:
        return
    db.session.execute(
        update(Proposal)
        .where(Proposal.id.in_(supported))
        .values(support_count=Proposal.support_count - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(Support).where(Support.user_id == user.id).execution_options(synchronize_session=False)
    )


def _remove_proposals(user) -> None:
    written = list(
        db.session.execute(
            select(Proposal.id, Proposal.consultation_id, Proposal.state, Proposal.image_name)
            .where(Proposal.author_id == user.id)
            .order_by(Proposal.id)
        ).all()
    )
    for pid, consultation_id, state, image in written:
        if state != ProposalState.DRAFT:
            if state != ProposalState.WITHDRAWN:  # withdrawal already gave supports back
                supporters = select(Support.user_id).where(Support.proposal_id == pid)
                db.session.execute(
                    update(SupportBudget)
                    .where(
                        SupportBudget.consultation_id == consultation_id,
                        SupportBudget.user_id.in_(supporters),
                        SupportBudget.used > 0,
                    )
                    .values(used=SupportBudget.used - 1)
                    .execution_options(synchronize_session=False)
                )
            db.session.execute(
                update(ProposalSettings)
                .where(ProposalSettings.consultation_id == consultation_id)
                .values(published_count=ProposalSettings.published_count - 1)
                .execution_options(synchronize_session=False)
            )
        db.session.execute(
            delete(Proposal).where(Proposal.id == pid).execution_options(synchronize_session=False)
        )
        if image:
            jobs.enqueue(IMAGE_REMOVE_JOB, image)


def erase(user, remove_contributions: bool) -> None:
    _remove_supports(user)
    if remove_contributions:
        _remove_proposals(user)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Proposal | ProposalSettings):
            db.session.expire(obj)
