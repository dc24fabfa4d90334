"""The demo city stays usable: its administrators and moderators have the documented key."""

from __future__ import annotations

import random

from civic.accounts.two_factor import code_at, use_totp
from civic.core.time import utcnow
from civic.demo import DEMO_TOTP_SECRET, DemoContext, _demo_code, build_people
from civic.extensions import db


def test_demo_staff_roles_use_the_documented_key(session, clock):
    ctx = DemoContext(rng=random.Random(1))
    build_people(ctx)
    db.session.commit()
    required = [u for u in ctx.users.values() if u.needs_two_factor]
    assert {u.email.split("@")[0] for u in required} >= {"admin", "moderator"}
    for user in required:
        assert user.has_two_factor and user.totp_secret == DEMO_TOTP_SECRET
    assert not any(u.has_two_factor for u in ctx.users.values() if not u.needs_two_factor)
    assert _demo_code() == code_at(DEMO_TOTP_SECRET, utcnow())
    assert use_totp(ctx.users["admin"], _demo_code())
