"""Fixtures for the browser tests: one live server, one Chromium, one audit of every page.

Chromium missing: every browser test is skipped with a visible reason, unless
``CIVIC_REQUIRE_BROWSER=1`` (CI), where it is a failure.
"""

from __future__ import annotations

import os
import time

import pytest

from tests.browser import harness

ARTIFACTS = os.path.join(os.path.dirname(__file__), "artifacts")


def _require_browser() -> bool:
    return os.environ.get("CIVIC_REQUIRE_BROWSER", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def browser_tools():
    missing = harness.missing_tools()
    if missing:
        message = "browser tests skipped: " + "; ".join(missing)
        if _require_browser():
            pytest.fail("CIVIC_REQUIRE_BROWSER=1 but " + message, pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="session")
def live_env(browser_tools):
    """Civic served on 127.0.0.1 from a thread, on its own migrated database with demo data."""
    env = harness.start_live_server()
    yield env
    env.stop()


@pytest.fixture(scope="session")
def browser(browser_tools):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = harness.launch_browser(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def page_audit(live_env, browser, tmp_path_factory):
    """Every page audited once (all checks), then ONE Nu Html Checker run for all of them."""
    from tests.browser.audit import EXTRA_PAGES, Auditor
    from tests.browser.resolvers import page_rules

    auditor = Auditor(live_env, browser, str(tmp_path_factory.mktemp("audited-html")))
    results: dict[str, list] = {}
    started = time.monotonic()
    try:
        for rule in page_rules(live_env.app):
            results.setdefault(rule.test_id, []).extend(auditor.audit_rule(rule))
        for test_id, path, status in EXTRA_PAGES:
            results[test_id] = [auditor.audit_extra(test_id, path, status)]
        auditor.validate_html([v for variants in results.values() for v in variants])
    finally:
        auditor.close()
    _write_summary(results, time.monotonic() - started)
    return results


def _write_summary(results: dict, seconds: float) -> None:
    """tests/browser/artifacts/page-audit.txt: every page, its role, weight and problems."""
    from tests.browser.audit import report

    os.makedirs(ARTIFACTS, exist_ok=True)
    lines = [f"Audited {sum(len(v) for v in results.values())} page variants in {seconds:.0f} s", ""]
    for test_id, variants in sorted(results.items()):
        for v in variants:
            if v.skipped:
                lines.append(f"SKIP {test_id}: {v.skipped}")
                continue
            problems = sum(len(p) for p in v.problems.values())
            lines.append(
                f"{'FAIL' if problems else 'ok  '} {test_id} {v.url} as {v.role}: "
                f"{v.transferred_bytes / 1024:.1f} KB, {v.requests} requests, {problems} problems"
            )
    lines += ["", report([v for variants in results.values() for v in variants])]
    with open(os.path.join(ARTIFACTS, "page-audit.txt"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


@pytest.fixture
def fresh_context(browser, live_env):
    """``fresh_context(role="anonymous", lang="en", **options)``: a new context, closed after."""
    contexts = []

    def make(role: str = "anonymous", lang: str = "en", **options):
        options.setdefault("locale", lang)
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        context.add_cookies(live_env.cookies_for(role, lang))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
