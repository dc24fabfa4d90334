"""Civic's accessibility and low-bandwidth contract.

This one data structure is read by two things that must never disagree:

* the accessibility statement (``/accessibility``), which tells people what is checked;
* the browser tests in ``tests/browser``, which check exactly that on every page.

Change a number here and both the statement and the tests follow. A journey listed here must
have an implementation in ``tests/browser/journeys.py`` (a test fails otherwise), and the
other way round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Budget:
    """What one page may cost on a first visit (cold cache)."""

    max_kilobytes: int
    max_requests: int
    other_origin_requests: int
    #: Cache-Control sent for fingerprinted static files (CSS, JS, icons).
    asset_cache_control: str
    #: Content-Encoding values accepted for text responses.
    text_encodings: tuple[str, ...]

    @property
    def max_bytes(self) -> int:
        return self.max_kilobytes * 1024


@dataclass(frozen=True, repr=False)
class Journey:
    """A task completed end to end in a real browser without JavaScript and by keyboard."""

    id: str
    label: object  # lazy translated text


@dataclass(frozen=True)
class Contract:
    standard: str
    level: str
    #: axe-core rule tags run on every page (zero violations allowed).
    axe_tags: tuple[str, ...]
    #: Languages every page is audited in (one right-to-left).
    languages: tuple[str, ...]
    budget: Budget
    #: Narrowest viewport (CSS pixels) a page must fit without horizontal scrolling.
    narrow_viewport_px: int
    #: Text zoom a page must survive without horizontal scrolling.
    text_zoom_percent: int
    journeys: tuple[Journey, ...] = field(repr=False)
    #: Link texts that do not make sense out of context, per language (compared lowercased).
    vague_link_texts: dict[str, frozenset[str]]
    last_reviewed: date
    limitations: tuple[object, ...] = field(repr=False)

    def journey_ids(self) -> list[str]:
        return [j.id for j in self.journeys]


CONTRACT = Contract(
    standard="WCAG 2.2",
    level="AA",
    axe_tags=("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"),
    languages=("en", "fr", "ar"),
    budget=Budget(
        max_kilobytes=50,
        max_requests=6,
        other_origin_requests=0,
        asset_cache_control="public, max-age=31536000, immutable",
        text_encodings=("br", "gzip"),
    ),
    narrow_viewport_px=320,
    text_zoom_percent=200,
    journeys=(
        Journey("register", _l("Create an account and confirm the email address")),
        Journey("sign-in", _l("Sign in")),
        Journey("switch-language", _l("Change the language of the site")),
        Journey("sign-out", _l("Sign out")),
        Journey("report-barrier", _l("Report an accessibility problem")),
        Journey("register-meeting", _l("Register for a public meeting")),
        Journey("support-proposal", _l("Support a proposal")),
    ),
    vague_link_texts={
        "en": frozenset({"click here", "here", "more", "read more", "link", "this", "this page", "details"}),
        "fr": frozenset({"cliquez ici", "ici", "plus", "lire la suite", "en savoir plus", "lien", "suite"}),
        "ar": frozenset({"هنا", "اضغط هنا", "انقر هنا", "المزيد", "اقرأ المزيد", "رابط"}),
    },
    last_reviewed=date(2026, 11, 22),
    limitations=(
        _l(
            "Automated checks find only part of the possible problems. Screen reader use, "
            "plain language and the meaning of images are also reviewed by people, but not "
            "on every change."
        ),
        _l(
            "Texts, pictures and documents published by residents and city departments "
            "(proposals, comments, attached files) may not meet every requirement. If one "
            "of them stops you, tell us with the form below and we will provide it in "
            "another format."
        ),
        _l(
            "Pages are checked in English, French and Arabic. The other languages use the "
            "same pages and styles but are not audited separately."
        ),
    ),
)


def automatic_checks(contract: Contract = CONTRACT) -> list[str]:
    """The checks the browser tests run, described for people (in the current language)."""
    from babel import Locale
    from babel.lists import format_list
    from flask_babel import get_locale, gettext

    reader = get_locale() or Locale("en")
    languages = format_list(
        [Locale.parse(code).get_display_name(reader) for code in contract.languages], locale=reader
    )
    budget = contract.budget
    return [
        gettext(
            "Every page is checked in %(languages)s with axe-core against the %(standard)s "
            "rules of levels A and AA (%(tags)s). No violation is allowed.",
            languages=languages,
            standard=contract.standard,
            tags=", ".join(contract.axe_tags),
        ),
        gettext(
            "Every form is checked again after it was sent with mistakes, while the list of "
            "errors is showing."
        ),
        gettext("The HTML code of every page is checked with the Nu Html Checker. No error is allowed."),
        gettext(
            "On a first visit, a page downloads at most %(kilobytes)s KB in at most "
            "%(requests)s requests, and nothing from any other website.",
            kilobytes=budget.max_kilobytes,
            requests=budget.max_requests,
        ),
        gettext(
            "Text is sent compressed, and styles, scripts and icons are kept by your browser "
            "for a year, so later pages load faster."
        ),
        gettext(
            "Pages fit a screen %(pixels)s pixels wide, and text enlarged to %(zoom)s%%, "
            "without scrolling sideways.",
            pixels=contract.narrow_viewport_px,
            zoom=contract.text_zoom_percent,
        ),
        gettext("Colour contrast is checked again in dark mode with reduced motion."),
        gettext(
            "Every image has a text alternative unless it is only decoration, and no link "
            "text is as vague as “%(example)s”.",
            example=sorted(contract.vague_link_texts.get("en", {"read more"}))[-1],
        ),
        gettext(
            "The tasks below are completed in a real browser without JavaScript, and again "
            "with the keyboard alone. The keyboard focus must always be visible, the first "
            "stop is a link to skip to the main content, the order follows the page, focus "
            "is never trapped, and after a form was sent with mistakes focus moves to the "
            "list of errors."
        ),
    ]
