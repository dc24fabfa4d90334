"""Journeys: tasks a person completes end to end, written once and run twice.

* ``NoScriptDriver`` — JavaScript disabled: links are followed and forms sent as a browser
  without scripts does (pointer clicks, like a basic phone browser);
* ``KeyboardDriver`` — JavaScript on, the real Content-Security-Policy, and the keyboard
  alone: Tab / Shift+Tab to reach things, Enter for links, Space for buttons and boxes. On
  every new page it walks the whole tab order: the skip link comes first and moves focus to
  ``<main>``, focus is always visible, the order follows the page, Shift+Tab walks back, and
  focus is never trapped. After a failed submission focus must land on the error summary.

Add a journey in a few lines::

    @journey("comment")
    def comment(j: Journey) -> None:
        j.sign_in(j.new_person())
        j.open("/consultations")
        j.follow("Rebuild the market hall")
        j.fill("Your comment", "More trees, please.")
        j.submit("Publish the comment")
        j.expect_text("More trees, please.")

and list its id and label in ``CONTRACT.journeys`` (civic/pages/contract.py): the statement
shows it and a test fails until both exist. The UI is driven in English, by visible names.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from tests.browser import harness

JOURNEYS: dict[str, Callable[[Journey], None]] = {}

MAX_TAB_STOPS = 250


def journey(journey_id: str):
    """Register a journey under the id used in ``CONTRACT.journeys``."""

    def decorator(fn):
        JOURNEYS[journey_id] = fn
        return fn

    return decorator


def _label(text: str) -> re.Pattern:
    """A field label: the text, optionally followed by more (like "(required)")."""
    return re.compile(r"^\s*" + re.escape(text) + r"(\s|$)")


class JourneyFailure(AssertionError):
    pass


# ---- drivers ----------------------------------------------------------------------------------


class Driver:
    """How a person operates the page. Subclasses decide how to reach and use elements."""

    name = "driver"

    def __init__(self, page, env):
        self.page = page
        self.env = env
        self.steps: list[str] = []

    def fail(self, message: str):
        trail = "\n".join(f"  {n + 1}. {s}" for n, s in enumerate(self.steps[-12:]))
        raise JourneyFailure(f"[{self.name}] {message}\n  at {self.page.url}\n  steps so far:\n{trail}")

    def _check_response(self, response, allow_error: bool = False) -> None:
        if response is None:
            return
        if response.status >= 500 or (response.status >= 400 and not allow_error):
            self.fail(f"the server answered {response.status} for {response.url}")

    def navigated(self) -> None:
        """Called after every page load."""

    def open(self, path: str) -> None:
        self.steps.append(f"open {path}")
        self._check_response(self.page.goto(self.env.url(path), wait_until="load"))
        self.navigated()

    def _one(self, locator, what: str):
        count = locator.count()
        if count == 0:
            self.fail(f"there is no {what} on this page")
        if count > 1:
            locator = locator.first
        return locator

    def link(self, name: str):
        return self._one(self.page.get_by_role("link", name=name, exact=True), f"link “{name}”")

    def button(self, name: str):
        return self._one(self.page.get_by_role("button", name=name, exact=True), f"button “{name}”")

    def field(self, label: str):
        return self._one(self.page.get_by_label(_label(label)), f"field labelled “{label}”")


class NoScriptDriver(Driver):
    name = "without JavaScript"
    context_options = {"java_script_enabled": False}

    def _activate(self, locator) -> None:
        with self.page.expect_navigation(wait_until="load") as navigation:
            locator.click()
        self._check_response(navigation.value, allow_error=True)
        self.navigated()

    def follow(self, name: str) -> None:
        self.steps.append(f"follow the link “{name}”")
        self._activate(self.link(name))

    def fill(self, label: str, value: str) -> None:
        self.steps.append(f"type into “{label}”")
        self.field(label).fill(value)

    def check(self, label: str) -> None:
        self.steps.append(f"tick “{label}”")
        self.field(label).check()

    def choose(self, label: str) -> None:
        self.steps.append(f"choose “{label}”")
        self.field(label).check()

    def select(self, label: str, option: str) -> None:
        self.steps.append(f"select “{option}” in “{label}”")
        self.field(label).select_option(label=option)

    def press(self, name: str) -> None:
        self.steps.append(f"press the button “{name}”")
        self._activate(self.button(name))

    def after_failed_submission(self) -> None:
        if self.page.locator(".error-summary").count() == 0:
            self.fail("a form sent with mistakes shows no error summary")


class KeyboardDriver(Driver):
    name = "keyboard only"
    context_options = {"java_script_enabled": True}

    def __init__(self, page, env):
        super().__init__(page, env)
        self.audited_paths: set[str] = set()
        self.console_problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console_problems.append(f"script error: {error}"))

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or message.type == "error":
            self.console_problems.append(f"{message.type}: {text}")

    # -- focus helpers --
    def focus_state(self) -> dict:
        return self.page.evaluate(harness.FOCUS_STATE_JS)

    def _tab(self, backwards: bool = False) -> dict:
        self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
        state = self.focus_state()
        if not state["body"] and not state["visible"]:
            self.fail(
                f"keyboard focus is not visible on {harness.describe_focus(state)} "
                f"(outline: {state['outline']}, box-shadow: {state['shadow']})"
            )
        return state

    def tab_to(self, locator, what: str) -> None:
        """Tab (or Shift+Tab, when the target comes earlier) until ``locator`` has focus."""
        direction = locator.evaluate(
            """el => {
                const a = document.activeElement;
                if (!a || a === document.body || a === el) return 'forward';
                return (a.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_PRECEDING) ? 'backward' : 'forward';
            }"""
        )
        seen_body = 0
        for _ in range(MAX_TAB_STOPS):
            if locator.evaluate("el => el === document.activeElement"):
                return
            state = self._tab(backwards=direction == "backward")
            if state["body"]:
                seen_body += 1
                if seen_body > 1:
                    break
        self.fail(f"{what} cannot be reached with Tab / Shift+Tab")

    def audit_page_keyboard(self) -> None:
        """Walk the whole tab order of a freshly loaded page, forwards and back."""
        first = self._tab()
        if first["body"] or "skip-link" not in first["cls"].split() or first["href"] != "#main":
            self.fail(f"the first Tab stop is {harness.describe_focus(first)}, not the skip link to #main")
        self.page.evaluate("() => { window.__civicStops = [document.activeElement]; }")
        while True:
            state = self._tab()
            if state["body"]:
                break  # focus left the page after its last stop
            step = self.page.evaluate(
                """() => {
                    const el = document.activeElement, stops = window.__civicStops;
                    if (el === stops[0]) return 'wrapped';
                    if (stops.includes(el)) return 'repeat';
                    const prev = stops[stops.length - 1];
                    stops.push(el);
                    return (prev.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_PRECEDING) ? 'back' : 'ok';
                }"""
            )
            if step == "wrapped":
                break
            if step == "repeat":
                self.fail(f"focus is trapped: {harness.describe_focus(state)} came back before the end of the page")
            if step == "back":
                self.fail(
                    f"the tab order jumps backwards to {harness.describe_focus(state)} "
                    "(positive tabindex or CSS reordering?)"
                )
            if self.page.evaluate("() => window.__civicStops.length") > MAX_TAB_STOPS:
                self.fail(f"more than {MAX_TAB_STOPS} Tab stops without reaching the end: focus is trapped")
        # Shift+Tab from the last stop walks the same stops backwards.
        expected = self.page.evaluate(
            """() => {
                const stops = window.__civicStops;
                stops[stops.length - 1].focus();
                return stops.slice(-4, -1).reverse().map(e => e.outerHTML.slice(0, 100));
            }"""
        )
        walked = []
        for _ in expected:
            self._tab(backwards=True)
            walked.append(self.page.evaluate("() => (document.activeElement || document.body).outerHTML.slice(0, 100)"))
        if walked != expected:
            self.fail(f"Shift+Tab does not walk the tab order backwards: {walked} instead of {expected}")
        # The skip link moves focus to <main>, and Tab goes on from there.
        skip = self.page.locator("a.skip-link")
        self.tab_to(skip, "the skip link")
        self.page.keyboard.press("Enter")
        landed = self.page.evaluate("() => document.activeElement && document.activeElement.id")
        if landed != "main":
            self.fail(f"activating the skip link moved focus to {landed!r}, not to <main id=main>")
        state = self._tab()
        inside = self.page.evaluate(
            "() => !!document.activeElement.closest('main, footer') || document.activeElement === document.body"
        )
        if not inside:
            self.fail(f"after the skip link, Tab goes to {harness.describe_focus(state)}, outside the main content")

    def navigated(self) -> None:
        path = urlsplit(self.page.url).path
        if path not in self.audited_paths:
            self.audited_paths.add(path)
            self.steps.append(f"walk the tab order of {path}")
            self.audit_page_keyboard()

    def _activate(self, locator, what: str, key: str) -> None:
        self.tab_to(locator, what)
        with self.page.expect_navigation(wait_until="load") as navigation:
            self.page.keyboard.press(key)
        self._check_response(navigation.value, allow_error=True)
        if self.page.locator(".error-summary").count():
            return  # a failed submission: focus is checked by after_failed_submission
        self.navigated()

    def follow(self, name: str) -> None:
        self.steps.append(f"Tab to the link “{name}” and press Enter")
        self._activate(self.link(name), f"the link “{name}”", "Enter")

    def fill(self, label: str, value: str) -> None:
        self.steps.append(f"Tab to “{label}” and type")
        field = self.field(label)
        self.tab_to(field, f"the field “{label}”")
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Delete")
        self.page.keyboard.type(value)

    def check(self, label: str) -> None:
        self.steps.append(f"Tab to “{label}” and press Space")
        box = self.field(label)
        self.tab_to(box, f"the box “{label}”")
        if not box.is_checked():
            self.page.keyboard.press("Space")

    def choose(self, label: str) -> None:
        self.steps.append(f"choose “{label}” with the arrow keys")
        radio = self.field(label)
        group = radio.get_attribute("name")
        first = self.page.locator(f'input[type=radio][name="{group}"]').first
        self.tab_to(first, f"the choices of “{label}”")
        for _ in range(50):
            if radio.is_checked():
                return
            self.page.keyboard.press("ArrowDown")
        self.fail(f"“{label}” cannot be chosen with the arrow keys")

    def select(self, label: str, option: str) -> None:
        self.steps.append(f"select “{option}” in “{label}” with the arrow keys")
        field = self.field(label)
        self.tab_to(field, f"the list “{label}”")
        options = field.evaluate("el => Array.from(el.options).map(o => o.label.trim())")
        if option not in options:
            self.fail(f"“{label}” has no option “{option}”")
        for _ in range(len(options) + 1):
            current = field.evaluate("el => el.options[el.selectedIndex].label.trim()")
            if current == option:
                return
            before = options.index(current)
            self.page.keyboard.press("ArrowDown" if options.index(option) > before else "ArrowUp")
        self.fail(f"“{option}” cannot be selected with the arrow keys")

    def press(self, name: str) -> None:
        self.steps.append(f"Tab to the button “{name}” and press Space")
        self._activate(self.button(name), f"the button “{name}”", "Space")

    def after_failed_submission(self) -> None:
        summary = self.page.locator(".error-summary")
        if summary.count() == 0:
            self.fail("a form sent with mistakes shows no error summary")
        if not summary.first.evaluate("el => el === document.activeElement"):
            state = self.focus_state()
            self.fail(f"after a failed submission focus is on {harness.describe_focus(state)}, not on the error summary")
        # From the summary, Tab goes to its first link (when errors belong to fields).
        first_link = summary.first.locator("a[href^='#']")
        if first_link.count():
            state = self._tab()
            if not first_link.first.evaluate("el => el === document.activeElement"):
                self.fail(f"Tab from the error summary goes to {harness.describe_focus(state)}, not to its first error link")

    def problems(self) -> list[str]:
        return list(self.console_problems)


DRIVERS = {"no-js": NoScriptDriver, "keyboard": KeyboardDriver}


# ---- what a journey can do --------------------------------------------------------------------


class Journey:
    """The steps of a journey, the same for every driver."""

    def __init__(self, driver: Driver, env):
        self.driver = driver
        self.env = env
        self.page = driver.page

    # navigation and forms
    def open(self, path: str) -> None:
        self.driver.open(path)

    def follow(self, link_name: str) -> None:
        self.driver.follow(link_name)

    def fill(self, label: str, value: str) -> None:
        self.driver.fill(label, value)

    def check(self, label: str) -> None:
        self.driver.check(label)

    def choose(self, label: str) -> None:
        self.driver.choose(label)

    def select(self, label: str, option: str) -> None:
        self.driver.select(label, option)

    def submit(self, button: str, expect_errors: bool = False) -> None:
        """Press a form's button. ``expect_errors``: the form is wrong on purpose."""
        self.driver.press(button)
        has_errors = self.page.locator(".error-summary").count() > 0
        if expect_errors:
            self.driver.after_failed_submission()
        elif has_errors:
            errors = self.page.locator(".error-summary").inner_text()
            self.driver.fail(f"the form was refused: {' '.join(errors.split())}")

    # expectations
    def expect_heading(self, text: str) -> None:
        heading = self.page.locator("h1")
        actual = heading.first.inner_text().strip() if heading.count() else "(no h1)"
        if not re.search(re.escape(text), actual, re.IGNORECASE):
            self.driver.fail(f"expected a page titled “{text}”, found “{actual}”")

    def expect_text(self, text: str) -> None:
        if text not in self.page.locator("main").inner_text():
            self.driver.fail(f"expected “{text}” on the page")

    def expect_language(self, code: str) -> None:
        lang = self.page.locator("html").get_attribute("lang")
        if lang != code:
            self.driver.fail(f"expected the page in {code!r}, it is in {lang!r}")

    def expect_signed_in(self, yes: bool = True) -> None:
        signed_in = self.page.get_by_role("button", name="Sign out", exact=True).count() > 0
        if signed_in != yes:
            self.driver.fail("expected to be signed in" if yes else "expected to be signed out")

    # people and mail
    def new_person(self, role: str = "resident") -> tuple[str, str]:
        """A fresh account only this journey uses: (email, password)."""
        return self.env.new_person(role)

    def sign_in(self, person: tuple[str, str]) -> None:
        email, password = person
        self.open("/")
        self.follow("Sign in")
        self.fill("Email address", email)
        self.fill("Password", password)
        self.submit("Sign in")
        self.expect_signed_in()

    def emailed_link(self, to: str, containing: str = "") -> str:
        """The path of the last link mailed to ``to`` (the app captures mail in tests)."""
        for message in reversed(self.env.outbox):
            if message["to"] != to:
                continue
            for url in re.findall(r"https?://[^\s<>\"')]+", message["text"]):
                parts = urlsplit(url)
                if containing in parts.path:
                    return parts.path + (f"?{parts.query}" if parts.query else "")
        self.driver.fail(f"no email with a link{' to ' + containing if containing else ''} was sent to {to}")
        return ""

    def find(self, model_path: str, allowed, person: tuple[str, str] | None = None, limit: int = 400,
             options: tuple = ()):
        """The id of the first ``model`` row for which ``allowed(user, row)`` is true, where
        ``user`` is ``person``'s account (so a journey starts from an object it may use).
        ``options``: loader options for relationships the check reads (``selectinload``)."""
        import importlib

        from sqlalchemy import select

        from civic.accounts.models import User
        from civic.extensions import db

        module, _, name = model_path.rpartition(".")
        model = getattr(importlib.import_module(module), name)
        with self.env.app.app_context():
            user = None
            if person is not None:
                user = db.session.execute(select(User).where(User.email == person[0])).scalar_one()
            stmt = select(model).options(*options).order_by(model.id).limit(limit)
            for row in db.session.execute(stmt).scalars():
                if allowed(user, row):
                    return row.id
        self.driver.fail(f"no {name} in the demo data suits this journey")
        return None

    def url_for(self, endpoint: str, **values) -> str:
        from flask import url_for

        with self.env.app.test_request_context(base_url=self.env.base_url):
            return url_for(endpoint, **values)

    @staticmethod
    def unique(prefix: str) -> str:
        return f"{prefix}-{secrets.token_hex(3)}"


# ---- the journeys ---------------------------------------------------------------------------


@journey("register")
def register(j: Journey) -> None:
    email = f"{j.unique('newcomer')}@example.org"
    password = "a long walk by the river 42"
    j.open("/")
    j.follow("Create an account")
    j.submit("Create my account", expect_errors=True)
    j.fill("Email address", email)
    j.fill("Display name", "Nadia Newcomer")
    j.fill("Password", password)
    j.fill("Confirm password", password)
    j.submit("Create my account")
    j.open(j.emailed_link(email, "confirm"))
    j.expect_heading("Confirm your email address")
    j.submit("Confirm my email address")
    j.expect_text("your email address is confirmed")
    j.fill("Email address", email)
    j.fill("Password", password)
    j.submit("Sign in")
    j.expect_signed_in()


@journey("sign-in")
def sign_in(j: Journey) -> None:
    email, password = j.new_person()
    j.open("/")
    j.follow("Sign in")
    j.fill("Email address", email)
    j.fill("Password", "not the password")
    j.submit("Sign in", expect_errors=True)
    j.fill("Password", password)
    j.submit("Sign in")
    j.expect_signed_in()


@journey("switch-language")
def switch_language(j: Journey) -> None:
    j.open("/")
    j.submit("Français")
    j.expect_language("fr")
    j.submit("العربية")
    j.expect_language("ar")
    if j.page.locator("html").get_attribute("dir") != "rtl":
        j.driver.fail("Arabic pages must be right-to-left")
    j.submit("English")
    j.expect_language("en")


@journey("sign-out")
def sign_out(j: Journey) -> None:
    j.sign_in(j.new_person())
    j.submit("Sign out")
    j.expect_signed_in(False)


@journey("report-barrier")
def report_barrier(j: Journey) -> None:
    j.open("/")
    j.follow("Accessibility")
    j.expect_heading("Accessibility statement")
    j.submit("Send the report", expect_errors=True)
    j.fill("Address of the page", "/register")
    j.fill("What stopped you?", "The password rules are not read aloud.")
    j.submit("Send the report")
    j.expect_heading("your report was received")


@journey("register-meeting")
def register_meeting(j: Journey) -> None:
    from civic.meetings.permissions import can_register

    person = j.new_person()
    meeting_id = j.find(
        "civic.meetings.models.Meeting",
        lambda user, meeting: can_register(user, meeting) and not meeting.is_full,
        person,
    )
    j.sign_in(person)
    j.open(j.url_for("meetings.show", meeting_id=meeting_id))
    j.follow("Register for this meeting")
    j.submit("Register")
    j.expect_text("You have a place")


@journey("support-proposal")
def support_proposal(j: Journey) -> None:
    from civic.proposals.permissions import can_support
    from civic.proposals.services import settings_map

    def supportable(user, proposal):
        return can_support(user, proposal, settings_map([proposal.consultation_id])[proposal.consultation_id])

    from sqlalchemy.orm import selectinload

    from civic.proposals.models import Proposal

    person = j.new_person()
    proposal_id = j.find(
        "civic.proposals.models.Proposal", supportable, person, options=(selectinload(Proposal.consultation),)
    )
    j.sign_in(person)
    j.open(j.url_for("proposals.view", proposal_id=proposal_id))
    j.submit("Support this proposal")
    j.expect_text("You support this proposal")
