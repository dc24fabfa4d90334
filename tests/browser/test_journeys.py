"""The contract's journeys, end to end in Chromium: without JavaScript, and by keyboard alone."""

from __future__ import annotations

import pytest

from civic.pages.contract import CONTRACT
from tests.browser.journeys import DRIVERS, JOURNEYS, Journey

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_every_journey_of_the_statement_is_tested_and_the_other_way_round():
    listed, implemented = set(CONTRACT.journey_ids()), set(JOURNEYS)
    assert listed - implemented == set(), (
        f"journeys listed in civic/pages/contract.py without a test: {sorted(listed - implemented)}; "
        "add them to tests/browser/journeys.py"
    )
    assert implemented - listed == set(), (
        f"journeys tested but missing from the accessibility statement: {sorted(implemented - listed)}; "
        "add them to CONTRACT.journeys in civic/pages/contract.py"
    )


@pytest.mark.parametrize("mode", sorted(DRIVERS))
@pytest.mark.parametrize("journey_id", CONTRACT.journey_ids())
def test_journey(browser, live_env, journey_id, mode):
    if journey_id not in JOURNEYS:
        pytest.fail(f"no implementation for the journey {journey_id!r} in tests/browser/journeys.py")
    driver_cls = DRIVERS[mode]
    context = browser.new_context(locale="en", **driver_cls.context_options)
    context.set_default_timeout(15_000)
    try:
        driver = driver_cls(context.new_page(), live_env)
        JOURNEYS[journey_id](Journey(driver, live_env))
        problems = driver.problems() if hasattr(driver, "problems") else []
        assert not problems, f"{journey_id} ({mode}): the browser reported problems: {problems}"
    finally:
        context.close()
