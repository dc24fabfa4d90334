"""Every page of the URL map, audited in a real browser against the contract.

The pages come from ``app.url_map`` (tests/browser/resolvers.py), so a page added by any
package is audited without anyone listing it here. What is checked, and the numbers, come from
``civic/pages/contract.py`` — the same structure the accessibility statement shows.
"""

from __future__ import annotations

import pytest

from civic import create_app
from tests.browser.audit import EXTRA_PAGES, report
from tests.browser.resolvers import page_rules

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _page_ids() -> list[str]:
    app = create_app({"CIVIC_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    ids = sorted({rule.test_id for rule in page_rules(app)})
    return ids + [test_id for test_id, _path, _status in EXTRA_PAGES]


PAGE_IDS = _page_ids()


def _variants(page_audit, page_id):
    variants = page_audit[page_id]
    audited = [v for v in variants if not v.skipped]
    if not audited:
        pytest.skip(f"{page_id}: " + "; ".join(v.skipped for v in variants))
    return audited


def _assert_no(page_audit, page_id, *categories):
    variants = _variants(page_audit, page_id)
    problems = report(variants, ("reach", *categories))
    assert not problems, f"{page_id}:\n{problems}"


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_page_passes_axe_in_every_language(page_audit, page_id):
    _assert_no(page_audit, page_id, "axe")


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_page_after_failed_submission_shows_errors_accessibly(page_audit, page_id):
    _assert_no(page_audit, page_id, "failed-submission")


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_page_html_is_valid(page_audit, page_id):
    _assert_no(page_audit, page_id, "html")


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_page_fits_the_low_bandwidth_budget(page_audit, page_id):
    _assert_no(page_audit, page_id, "budget", "delivery")


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_page_reflows_at_narrow_width_and_zoomed_text(page_audit, page_id):
    _assert_no(page_audit, page_id, "reflow")


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_page_keeps_contrast_in_dark_mode(page_audit, page_id):
    _assert_no(page_audit, page_id, "dark-mode")


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_page_images_and_links_make_sense(page_audit, page_id):
    _assert_no(page_audit, page_id, "text-alternatives", "link-text")
