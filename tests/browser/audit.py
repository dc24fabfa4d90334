"""Audit pages against the contract (civic/pages/contract.py) in a real browser.

For each page: find the least-privileged role that sees it, then

* axe-core in every contract language (violations of the contract's tags);
* the first POST form in ``<main>`` sent empty (no browser validation), then axe again with the
  error summary showing;
* the raw HTML of every visit kept for ONE Nu Html Checker run at the end;
* on a cold cache: bytes, requests, other origins, compression and asset caching;
* the narrow viewport (left-to-right and right-to-left) and text zoom without sideways scroll;
* colour contrast in dark mode with reduced motion;
* text alternatives of images and SVGs, and vague link texts in each language.
"""

from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass, field

from civic.pages.contract import CONTRACT
from tests.browser import harness
from tests.browser.resolvers import (
    MAX_CANDIDATES,
    SESSION_SETUP,
    NotAPage,
    PageRule,
    ResolverContext,
    UnresolvedParameter,
    resolve_urls,
)

CATEGORIES = (
    "reach",
    "axe",
    "failed-submission",
    "html",
    "budget",
    "delivery",
    "reflow",
    "dark-mode",
    "text-alternatives",
    "link-text",
)

#: Pages outside the URL map that every visitor can meet: (test id, path, expected status).
EXTRA_PAGES = [("errors.not_found", "/this-page-does-not-exist-audit", 404)]

WIDE = {"width": 1280, "height": 800}

CANARY_HTML = (
    '<!DOCTYPE html><html lang="en"><head><title>canary</title></head>'
    '<body><p id="same" id="same">duplicate attribute</p></body></html>'
)

_FIND_FORM_JS = """() => {
    const textual = 'input:not([type]), input[type=text], input[type=email], input[type=password],' +
        ' input[type=search], input[type=url], input[type=tel], input[type=number],' +
        ' input[type=date], input[type=datetime-local], input[type=time], textarea';
    for (const form of document.querySelectorAll('main form')) {
        if ((form.getAttribute('method') || 'get').toLowerCase() !== 'post') continue;
        const fields = form.querySelectorAll(textual);
        if (!fields.length) continue;
        form.setAttribute('data-audit-form', '1');
        form.noValidate = true;
        for (const el of fields) { el.value = ''; }
        for (const el of form.querySelectorAll('input[type=checkbox], input[type=radio]')) { el.checked = false; }
        const required = !!form.querySelector('[required], [aria-required=true]');
        return {required, action: form.getAttribute('action') || ''};
    }
    return null;
}"""


@dataclass
class Variant:
    """One concrete URL of a page rule, with what the audit found."""

    test_id: str
    rule: str
    url: str | None = None
    role: str | None = None
    skipped: str | None = None
    problems: dict[str, list[str]] = field(default_factory=lambda: {c: [] for c in CATEGORIES})
    html_files: list[tuple[str, str]] = field(default_factory=list)
    transferred_bytes: int = 0
    requests: int = 0

    def add(self, category: str, message: str) -> None:
        self.problems[category].append(message)

    @property
    def label(self) -> str:
        return f"{self.url} (as {self.role})" if self.url else self.rule


class Auditor:
    def __init__(self, env, browser, workdir: str, contract=CONTRACT, languages=None):
        self.env = env
        self.browser = browser
        self.workdir = workdir
        self.contract = contract
        self.languages = tuple(languages or contract.languages)
        self._contexts: dict[tuple, tuple] = {}
        self._clients: dict[str, object] = {}
        self._html_count = 0
        self.min_compress = int(env.app.config.get("COMPRESS_MIN_SIZE", 500))
        os.makedirs(workdir, exist_ok=True)

    # ---- browser contexts: one per (role, language), reused for every page ------------------

    def page(self, role: str, lang: str = "en", extra: dict | None = None):
        """The (context, page, network recorder) used to audit pages as ``role`` in ``lang``
        (``extra``: session values for pages inside a flow, in a context of their own)."""
        key = (role, lang, repr(sorted(extra)) if extra else "")
        if key not in self._contexts:
            context = self.browser.new_context(
                locale=lang,
                viewport=dict(WIDE),
                bypass_csp=True,  # to inject axe-core; the journeys run under the real CSP
            )
            context.set_default_timeout(15_000)
            context.add_init_script(path=harness.AXE_JS)
            context.add_cookies(self.env.cookies_for(role, lang, extra))
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.accept())
            recorder = harness.NetworkRecorder(context, page) if lang == "en" else None
            self._contexts[key] = (context, page, recorder)
        return self._contexts[key]

    def close(self) -> None:
        for context, _page, _rec in self._contexts.values():
            context.close()
        self._contexts.clear()

    # ---- which role sees the page -----------------------------------------------------------

    def _client(self, role: str, extra: dict | None = None):
        key = (role, repr(sorted(extra)) if extra else "")
        if key not in self._clients:
            self._clients[key] = self.env.test_client(role, "en", extra)
        return self._clients[key]

    def audit_rule(self, page_rule: PageRule) -> list[Variant]:
        """Every variant of a page rule; an exception fails this page only, not the audit."""
        try:
            return self._audit_rule(page_rule)
        except NotAPage as exc:
            v = Variant(page_rule.test_id, page_rule.rule)
            v.skipped = str(exc)
            return [v]
        except Exception as exc:  # noqa: BLE001 - reported as this page's failure
            v = Variant(page_rule.test_id, page_rule.rule)
            detail = "".join(traceback.format_exception(exc)[-6:])
            v.add("reach", f"the audit of this page crashed: {exc!r}\n{detail}")
            return [v]

    def _probe(self, role: str, url: str, extra: dict | None):
        response = self._client(role, extra).get(url)
        location = response.headers.get("Location", "")
        return response, f"{role}: {response.status_code}{' -> ' + location if location else ''}"

    def _audit_rule(self, page_rule: PageRule) -> list[Variant]:
        """Find the least-privileged role (then an object's owner) that sees the page, trying
        the candidate objects in turn, and audit every variant as that role."""
        setup = SESSION_SETUP.get(page_rule.endpoint)
        extra = None
        if setup is not None:
            with self.env.app.app_context():
                extra = setup(ResolverContext(env=self.env, viewer=self.env.account("anonymous")))
        statuses: list[str] = []
        redirects_only = True
        owners: list[int] = []
        for role in harness.ROLES:
            for pick in range(MAX_CANDIDATES):
                try:
                    resolution = resolve_urls(self.env, page_rule, self.env.account(role, "en"), pick)
                except UnresolvedParameter as exc:
                    v = Variant(page_rule.test_id, page_rule.rule)
                    v.add("reach", str(exc))
                    return [v]
                if resolution is None:
                    break
                owners += [o for o in resolution.owner_ids if o not in owners]
                response, status = self._probe(role, resolution.urls[0], extra)
                if pick == 0 or response.status_code == 200:
                    statuses.append(status)
                code = response.status_code
                if code >= 500:
                    v = Variant(page_rule.test_id, page_rule.rule, url=resolution.urls[0], role=role)
                    v.add("reach", f"server error {code} for {role} at {resolution.urls[0]}")
                    return [v]
                if code == 200:
                    if response.mimetype != "text/html":
                        v = Variant(page_rule.test_id, page_rule.rule, url=resolution.urls[0], role=role)
                        v.skipped = f"not an HTML page ({response.mimetype})"
                        return [v]
                    return [self.audit_variant(page_rule, role, i, pick, resolution.urls, extra)
                            for i in range(len(resolution.urls))]
                if not (300 <= code < 400) or "/sign-in" in response.headers.get("Location", ""):
                    redirects_only = False
        # Nobody by role: the people who own the objects (authors, organizers...).
        for owner in owners[:MAX_CANDIDATES]:
            role = f"owner:{owner}"
            for pick in range(MAX_CANDIDATES):
                resolution = resolve_urls(self.env, page_rule, self.env.account(role, "en"), pick)
                if resolution is None:
                    break
                if owner not in resolution.owner_ids:
                    continue
                response, status = self._probe(role, resolution.urls[0], extra)
                if response.status_code == 200 and response.mimetype == "text/html":
                    return [self.audit_variant(page_rule, role, i, pick, resolution.urls, extra)
                            for i in range(len(resolution.urls))]
        v = Variant(page_rule.test_id, page_rule.rule)
        if redirects_only and statuses:
            v.skipped = "redirects for every role (" + "; ".join(statuses) + "); its target is audited on its own"
        else:
            v.add(
                "reach",
                "no role (nor the objects' owners) can see this page with any of the candidate objects ("
                + "; ".join(statuses) + "). Add demo data in a visible state, or a resolver in "
                "tests/browser/resolvers.py that picks one.",
            )
        return [v]

    def audit_path(self, path: str, role: str | None = None) -> Variant:
        """One concrete path (``make audit-page``), as ``role`` or the least-privileged that sees it."""
        v = Variant(path, path, url=path)
        statuses = []
        for candidate in [role] if role else harness.ROLES:
            response = self._client(candidate).get(path)
            statuses.append(f"{candidate}: {response.status_code}")
            if response.status_code == 200:
                v.role = candidate
                if response.mimetype != "text/html":
                    v.skipped = f"not an HTML page ({response.mimetype})"
                    return v
                return self._audit(v, {lang: path for lang in self.languages}, 200)
        v.add("reach", "no role sees this page: " + "; ".join(statuses))
        return v

    def audit_extra(self, test_id: str, path: str, expected_status: int) -> Variant:
        return self._audit(Variant(test_id, path, url=path, role="anonymous"), {lang: path for lang in self.languages}, expected_status)

    def audit_variant(self, page_rule: PageRule, role: str, index: int, pick: int,
                      en_urls: list[str], extra: dict | None = None) -> Variant:
        v = Variant(page_rule.test_id, page_rule.rule, url=en_urls[index], role=role)
        urls = {"en": en_urls[index]}
        for lang in self.languages:
            if lang != "en":
                resolution = resolve_urls(self.env, page_rule, self.env.account(role, lang), pick)
                if resolution is None or index >= len(resolution.urls):
                    v.add("reach", f"{lang}: the page's objects changed between languages")
                    return v
                urls[lang] = resolution.urls[index]
        return self._audit(v, urls, 200, extra)

    # ---- the checks ----------------------------------------------------------------------------

    def _save_html(self, v: Variant, label: str, html: str) -> None:
        self._html_count += 1
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", v.test_id)[:60]
        path = os.path.join(self.workdir, f"{self._html_count:04d}-{safe}-{label.replace(' ', '-')}.html")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(html)
        v.html_files.append((label, path))

    def _audit(self, v: Variant, urls: dict[str, str], expected_status: int, extra: dict | None = None) -> Variant:
        """All checks of one page. axe-core runs in every language's page at once (separate
        renderer processes); English goes on with dark mode and a failed submission."""
        started = []
        owner = self.env.account(v.role).user_id if v.role.startswith("owner:") else None
        for lang in self.languages:
            _context, page, recorder = self.page(v.role, lang, extra)
            if owner is not None:
                self.env.set_locale(owner, lang)  # a demo person's own language otherwise
            if recorder:
                recorder.reset()
            response = page.goto(self.env.url(urls[lang]), wait_until="load")
            if response is None or response.status != expected_status:
                status = response.status if response else "nothing"
                v.add("reach", f"{lang}: {urls[lang]} answered {status}, expected {expected_status}")
                continue
            self._save_html(v, lang, response.text())
            vague = harness.vague_links(page, self.contract.vague_link_texts.get(lang, frozenset()))
            if vague:
                v.add("link-text", f"{lang}: links whose text makes no sense out of context: {vague}")
            if lang in ("en", "ar"):
                self._reflow(v, page, lang, zoom=lang == "en")
            if recorder:
                transfers = recorder.settle(page)
                v.transferred_bytes = sum(t.encoded_bytes for t in transfers)
                v.requests = len(transfers)
                for problem in harness.budget_problems(transfers, self.env.base_url, self.contract.budget):
                    v.add("budget", problem)
                for problem in harness.delivery_problems(transfers, self.contract.budget, self.min_compress):
                    v.add("delivery", problem)
                missing = harness.missing_text_alternatives(page)
                if missing:
                    v.add("text-alternatives", "no text alternative: " + "; ".join(missing))
            harness.start_axe(page, self.contract.axe_tags)
            started.append((lang, page))
        for lang, page in started:
            violations = harness.finish_axe(page)
            if violations:
                v.add("axe", f"{lang} ({urls[lang]}):\n" + harness.format_violations(violations))
        if v.problems["reach"]:
            return v
        _context, page, _recorder = self.page(v.role, "en", extra)
        if owner is not None:
            self.env.set_locale(owner, "en")
        self._dark_mode(v, page)
        if expected_status == 200:
            self._failed_submission(v, page)
        return v

    def _dark_mode(self, v: Variant, page) -> None:
        page.emulate_media(color_scheme="dark", reduced_motion="reduce")
        try:
            violations = harness.run_axe(page, rules=["color-contrast"])
        finally:
            page.emulate_media(color_scheme="light", reduced_motion="no-preference")
        if violations:
            v.add("dark-mode", "dark mode, reduced motion:\n" + harness.format_violations(violations))

    def _reflow(self, v: Variant, page, lang: str, zoom: bool) -> None:
        try:
            page.set_viewport_size({"width": self.contract.narrow_viewport_px, "height": 640})
            overflow = harness.horizontal_overflow(page)
            if overflow:
                v.add("reflow", f"{lang} at {self.contract.narrow_viewport_px} px wide scrolls sideways: {overflow}")
            if zoom:
                page.set_viewport_size(dict(WIDE))
                harness.set_text_zoom(page, self.contract.text_zoom_percent)
                overflow = harness.horizontal_overflow(page)
                harness.set_text_zoom(page, 100)
                if overflow:
                    v.add("reflow", f"{lang} with text zoomed to {self.contract.text_zoom_percent}% scrolls sideways: {overflow}")
        finally:
            page.set_viewport_size(dict(WIDE))

    def _failed_submission(self, v: Variant, page) -> None:
        form = page.evaluate(_FIND_FORM_JS)
        if form is None:
            return
        submit = page.locator(
            "form[data-audit-form] button[type=submit], form[data-audit-form] input[type=submit],"
            " form[data-audit-form] button:not([type])"
        ).first
        if submit.count() == 0:
            v.add("failed-submission", f"the form posting to {form['action']!r} has no submit button")
            return
        with page.expect_navigation(wait_until="load") as navigation:
            submit.click()
        response = navigation.value
        if response is None or response.status >= 500:
            v.add("failed-submission", f"sending the form empty gave {response.status if response else 'nothing'}")
            return
        self._save_html(v, "en after failed submission", response.text())
        has_summary = page.locator(".error-summary").count() > 0
        if form["required"] and not has_summary:
            v.add(
                "failed-submission",
                f"the form posting to {form['action']!r} was sent empty but no error summary "
                "(macro error_summary in macros/forms.html) is shown",
            )
        violations = harness.run_axe(page, self.contract.axe_tags)
        if violations:
            v.add("failed-submission", "axe after a failed submission:\n" + harness.format_violations(violations))

    # ---- one Nu Html Checker run for everything --------------------------------------------

    def validate_html(self, variants: list[Variant]) -> None:
        files = [(v, label, path) for v in variants for label, path in v.html_files]
        # A canary with a known error proves the checker really ran on these files.
        canary = os.path.join(self.workdir, "canary-invalid.html")
        with open(canary, "w", encoding="utf-8") as fh:
            fh.write(CANARY_HTML)
        errors = harness.run_vnu([canary] + [path for _v, _label, path in files])
        if not errors.get(canary):
            raise RuntimeError(f"the Nu Html Checker found no error in {canary}: it did not really run")
        for v, label, path in files:
            messages = errors.get(path, [])
            if messages:
                v.add("html", f"{label} ({os.path.basename(path)}):\n" + harness.format_vnu(messages))


def report(variants: list[Variant], categories=CATEGORIES) -> str:
    """A readable report of the problems in ``categories``."""
    lines = []
    for v in variants:
        if v.skipped:
            continue
        for category in categories:
            for message in v.problems[category]:
                lines.append(f"[{category}] {v.label}: {message}")
    return "\n".join(lines)
