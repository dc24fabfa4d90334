"""The checks themselves catch what they are meant to catch (so a green audit means something)."""

from __future__ import annotations

import pytest

from civic.pages.contract import CONTRACT
from tests.browser import harness
from tests.browser.journeys import JourneyFailure, KeyboardDriver

BASE = "http://127.0.0.1:5999"


def _t(url, size, **kw):
    return harness.Transfer(url=url, status=200, encoded_bytes=size, finished=True, **kw)


def test_budget_flags_weight_request_count_other_origins_and_failures():
    budget = CONTRACT.budget
    fine = [_t(f"{BASE}/", 9000), _t(f"{BASE}/assets/civic.1.css", 3000)]
    assert harness.budget_problems(fine, BASE, budget) == []
    heavy = [_t(f"{BASE}/", budget.max_bytes + 1)]
    assert "over the budget" in harness.budget_problems(heavy, BASE, budget)[0]
    many = [_t(f"{BASE}/{n}", 10) for n in range(budget.max_requests + 1)]
    assert f"{budget.max_requests + 1} requests" in harness.budget_problems(many, BASE, budget)[0]
    foreign = fine + [_t("https://fonts.example.com/font.woff2", 10)]
    assert "other origins: https://fonts.example.com" in harness.budget_problems(foreign, BASE, budget)[0]
    failed = [harness.Transfer(url=f"{BASE}/x", failed="net::ERR_ABORTED", finished=True)]
    assert "request failed" in harness.budget_problems(failed, BASE, budget)[0]


def test_delivery_flags_uncompressed_text_and_uncached_assets():
    budget = CONTRACT.budget
    good = [
        _t(f"{BASE}/", 900, mime="text/html", headers={"content-encoding": "br"}),
        _t(f"{BASE}/assets/civic.1.css", 900, mime="text/css",
           headers={"content-encoding": "gzip", "cache-control": budget.asset_cache_control}),
        _t(f"{BASE}/assets/favicon.1.svg", 200, mime="image/svg+xml",
           headers={"content-length": "200", "cache-control": budget.asset_cache_control}),
    ]
    assert harness.delivery_problems(good, budget, 500) == []
    plain = [_t(f"{BASE}/", 9000, mime="text/html", headers={"content-length": "9000"})]
    assert "Content-Encoding is None" in harness.delivery_problems(plain, budget, 500)[0]
    zstd = [_t(f"{BASE}/", 900, mime="text/html", headers={"content-encoding": "zstd"})]
    assert "'zstd'" in harness.delivery_problems(zstd, budget, 500)[0]
    uncached = [_t(f"{BASE}/assets/civic.1.js", 100, mime="text/javascript",
                   headers={"content-length": "100", "cache-control": "no-cache"})]
    assert "Cache-Control is 'no-cache'" in harness.delivery_problems(uncached, budget, 500)[0]


@pytest.fixture
def blank_page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_in_page_checks_catch_problems(blank_page):
    page = blank_page
    page.set_content(
        """<!doctype html><html lang="en"><head><title>t</title></head><body><main>
        <h1>Checks</h1>
        <img src="data:," id="no-alt"><img src="data:," alt="">
        <svg id="unnamed" width="10" height="10"></svg>
        <svg aria-hidden="true" width="10" height="10"></svg>
        <svg role="img" aria-label="A named chart" width="10" height="10"></svg>
        <a href="/a">Read more</a> <a href="/b">Read more about the market hall</a>
        <div id="wide" style="width: 2000px">wide</div>
        </main></body></html>"""
    )
    missing = harness.missing_text_alternatives(page)
    assert len(missing) == 2 and 'id="no-alt"' in missing[0] and 'id="unnamed"' in missing[1]
    assert harness.vague_links(page, CONTRACT.vague_link_texts["en"]) == ["Read more"]
    page.set_viewport_size({"width": 320, "height": 600})
    overflow = harness.horizontal_overflow(page)
    assert overflow and overflow["scrollWidth"] > 320 and any("div#wide" in c for c in overflow["culprits"])
    violations = harness.run_axe(page, CONTRACT.axe_tags)
    report = harness.format_violations(violations)
    assert "[image-alt] (critical)" in report and "at #no-alt" in report


def _keyboard(page, body: str) -> KeyboardDriver:
    page.set_content(
        "<!doctype html><html lang='en'><head><title>k</title><style>"
        ":focus-visible { outline: 3px solid black; } .bare:focus { outline: none; }"
        "</style></head><body>" + body + "</body></html>"
    )
    return KeyboardDriver(page, env=None)


SKIP = "<a class='skip-link' href='#main'>Skip to main content</a>"


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<main id='main' tabindex='-1'><a href='/x'>x</a></main>", "not the skip link"),
        (SKIP + "<main id='main' tabindex='-1'><a class='bare' href='/x'>x</a></main>", "not visible"),
        (SKIP + "<main id='main' tabindex='-1'><a href='/x'>x</a><a href='/y' tabindex='1'>y</a></main>",
         "not the skip link"),
        (SKIP + "<main id='main' tabindex='-1'><a href='/x'>x</a></main><a href='/z' tabindex='0'"
         " id='late'>z</a><div><a href='/w'>w</a></div>", None),
        (SKIP + "<main id='nope'><a href='/x'>x</a></main>", "not to <main id=main>"),
    ],
)
def test_keyboard_walk_catches_problems(blank_page, body, message):
    driver = _keyboard(blank_page, body)
    if message is None:
        driver.audit_page_keyboard()  # a sound page passes
        return
    with pytest.raises(JourneyFailure, match=message):
        driver.audit_page_keyboard()


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_keyboard_walk_catches_a_focus_trap(blank_page):
    driver = _keyboard(
        blank_page,
        SKIP + "<main id='main' tabindex='-1'><a href='/x' id='x'>x</a><a href='/y' id='y'>y</a></main>"
        "<script>document.getElementById('y').addEventListener('keydown', e => {"
        " if (e.key === 'Tab' && !e.shiftKey) { e.preventDefault(); document.getElementById('x').focus(); } });"
        "</script>",
    )
    with pytest.raises(JourneyFailure, match="trapped"):
        driver.audit_page_keyboard()
