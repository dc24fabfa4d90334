"""The public transparency report, on crafted data with a frozen clock: reports by reason,
actions by type, the share of appeals upheld and the median time from report to decision
(months in the city's time zone, Europe/Paris in the tests)."""

from __future__ import annotations

from datetime import UTC, datetime

from civic.extensions import db
from civic.moderation import services
from civic.moderation.models import ModerationAction, ReportReason
from tests import factories
from tests.moderation.conftest import case_of, post, report


def at(clock, *args):
    clock.move_to(datetime(*args, tzinfo=UTC))


def _craft(clock, world, reporters, moderator, admin, author):
    second = post(author, world.consultation, "A remark with a phone number.")
    target = factories.UserFactory(display_name="Shop Advert")
    # February (Paris): one report on a profile, decided on 1 March.
    at(clock, 2026, 2, 27, 10, 0)
    report(reporters[0], "user", target, "spam")
    # 23:30 UTC on 28 February is already 1 March in Paris: a March report (never decided).
    at(clock, 2026, 2, 28, 23, 30)
    report(reporters[1], "comment", second, "personal_data")
    at(clock, 2026, 3, 1, 10, 0)
    services.act(moderator, case_of("user", target), "warn", message="No advertising, please.")
    db.session.commit()  # 48 h after its report
    at(clock, 2026, 3, 2, 10, 0)
    report(reporters[0], "comment", world.comment, "spam")
    at(clock, 2026, 3, 2, 12, 0)
    report(reporters[1], "comment", world.comment, "spam")
    at(clock, 2026, 3, 3, 10, 0)
    report(reporters[2], "proposal", world.proposal, "off_topic")
    at(clock, 2026, 3, 4, 10, 0)
    services.act(moderator, case_of("comment", world.comment), "hide", reason="Spam.", rule="no_spam")
    db.session.commit()  # 48 h and 46 h after its two reports
    at(clock, 2026, 3, 4, 16, 0)
    services.act(moderator, case_of("proposal", world.proposal), "hide", reason="Off topic.", rule="on_topic")
    db.session.commit()  # 30 h
    at(clock, 2026, 3, 5, 0, 0)
    report(reporters[3], "meeting", world.meeting, "misinformation")
    at(clock, 2026, 3, 5, 2, 0)
    services.act(moderator, case_of("meeting", world.meeting), "dismiss")
    db.session.commit()  # 2 h
    at(clock, 2026, 3, 5, 9, 0)
    services.appeal(author, case_of("comment", world.comment), "It was not spam.")
    services.appeal(author, case_of("proposal", world.proposal), "It is on topic.")
    db.session.commit()
    at(clock, 2026, 3, 6, 9, 0)
    services.decide_appeal(admin, services.get_case(case_of("comment", world.comment).id), False, "It was spam.")
    at(clock, 2026, 3, 7, 9, 0)
    services.decide_appeal(admin, services.get_case(case_of("proposal", world.proposal).id), True, "Fair point.")
    db.session.commit()
    at(clock, 2026, 3, 10, 12, 0)


def test_month_numbers_and_median(clock, world, reporters, moderator, admin, author):
    _craft(clock, world, reporters, moderator, admin, author)
    march = services.transparency(2026, 3, "Europe/Paris")
    assert march.reports_by_reason[ReportReason.SPAM] == 2
    assert march.reports_by_reason[ReportReason.OFF_TOPIC] == 1
    assert march.reports_by_reason[ReportReason.MISINFORMATION] == 1
    assert march.reports_by_reason[ReportReason.PERSONAL_DATA] == 1
    assert march.reports_total == 5
    assert march.actions_by_type[ModerationAction.HIDE] == 2
    assert march.actions_by_type[ModerationAction.DISMISS] == 1
    assert march.actions_by_type[ModerationAction.WARN] == 1
    assert march.actions_by_type[ModerationAction.APPEAL_UPHELD] == 1
    assert march.actions_by_type[ModerationAction.APPEAL_REJECTED] == 1
    assert march.actions_by_type[ModerationAction.BAN] == 0
    assert (march.appeals_upheld, march.appeals_decided) == (1, 2)
    assert march.upheld_share == 0.5
    # Decided in March: 48 h (profile), 48 h and 46 h (comment), 30 h (proposal), 2 h
    # (meeting). Sorted 2, 30, 46, 48, 48: the median is 46 h.
    assert march.decided_reports == 5
    assert march.median_hours == 46
    february = services.transparency(2026, 2, "Europe/Paris")
    assert february.reports_total == 1 and february.reports_by_reason[ReportReason.SPAM] == 1
    assert february.median_hours is None and february.upheld_share is None


def test_even_number_of_decisions_takes_the_mean_of_the_middle_two(clock, world, reporters, moderator):
    at(clock, 2026, 3, 2, 0, 0)
    report(reporters[0], "comment", world.comment, "spam")
    report(reporters[1], "proposal", world.proposal, "spam")
    at(clock, 2026, 3, 2, 1, 0)
    services.act(moderator, case_of("comment", world.comment), "dismiss")
    db.session.commit()
    at(clock, 2026, 3, 2, 4, 0)
    services.act(moderator, case_of("proposal", world.proposal), "dismiss")
    db.session.commit()
    assert services.transparency(2026, 3, "Europe/Paris").median_hours == 2.5


def test_public_page_shows_the_month_without_personal_data(client, clock, world, reporters, moderator, admin, author):
    _craft(clock, world, reporters, moderator, admin, author)
    page = client.get("/moderation/transparency?month=2026-03")
    assert page.status_code == 200
    html = page.data.decode()
    assert 'data-reason="spam">2<' in html
    assert 'data-total="reports">5<' in html
    assert 'data-action="hide">2<' in html
    assert 'data-appeals="1/2"' in html
    assert 'data-median-hours="46.00"' in html
    for private in (author.display_name, moderator.display_name, "It was not spam.", "Spam."):
        assert private not in html
    # A month in the future falls back to the current one; the footer links the report.
    assert client.get("/moderation/transparency?month=2099-01").status_code == 200
    assert b'href="/moderation/transparency"' in client.get("/").data
