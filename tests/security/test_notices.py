"""The account's address is told about changes to how it signs in."""

from __future__ import annotations

from civic.accounts import services, tokens
from civic.core.jobs import run_ready_jobs
from civic.extensions import db


def test_the_previous_address_is_told_once_the_email_changed(app, resident, outbox):
    old = resident.email
    with app.test_request_context():
        token = tokens.make_token(tokens.CHANGE_EMAIL, resident, n="new.home@example.org")
        services.confirm_email_change(token)
        db.session.commit()
        run_ready_jobs()
    notice = [m for m in outbox if m["to"] == old]
    assert len(notice) == 1 and notice[0]["subject"] == "Your email address was changed"
    assert "new.home@example.org" in notice[0]["text"] and "/password/forgot" in notice[0]["text"]
    assert not [m for m in outbox if m["to"] == "new.home@example.org"]
