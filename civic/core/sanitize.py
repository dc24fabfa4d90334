"""The one place where bleach is called: every piece of user HTML passes through here.

* ``rich_text(html)`` — staff rich text (headings, paragraphs, lists, links, emphasis, tables).
* ``markdown_text(text)`` — residents' small Markdown subset (paragraphs, emphasis, lists,
  links, quotes); raw HTML is escaped, never rendered; no images.
* ``plain_text(text)`` — strip every tag, for titles and previews.

All return ``markupsafe.Markup`` that is safe to place in a template.
"""

from __future__ import annotations

import functools
import re

import bleach
import markdown as md
from bleach.linkifier import Linker
from markupsafe import Markup, escape

ALLOWED_PROTOCOLS = ["http", "https", "mailto"]

RICH_TAGS = [
    "h2", "h3", "h4", "p", "br", "ul", "ol", "li", "a", "em", "strong", "b", "i",
    "blockquote", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "abbr",
    "span",
]
RICH_ATTRIBUTES = {
    "a": ["href", "title", "hreflang", "lang"],
    "th": ["scope", "colspan", "rowspan"],
    "td": ["colspan", "rowspan"],
    "abbr": ["title"],
    "span": ["lang", "dir"],
    "p": ["lang", "dir"],
    "blockquote": ["lang", "dir"],
}

MARKDOWN_TAGS = ["p", "br", "ul", "ol", "li", "a", "em", "strong", "blockquote", "code"]
MARKDOWN_ATTRIBUTES = {"a": ["href", "title"]}

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_input(text: str | None) -> str:
    """Normalise text typed by a person: drop NUL and control characters, unify newlines."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARS.sub("", text)


def _ugc_link_attrs(attrs, new=False):
    href_key = (None, "href")
    href = attrs.get(href_key, "")
    if href and not href.lower().startswith(("http://", "https://", "mailto:")):
        # Relative or odd links are dropped; bleach already removed dangerous schemes.
        attrs.pop(href_key, None)
        return attrs
    attrs[(None, "rel")] = "nofollow ugc noopener"
    return attrs


_linker_ugc = Linker(callbacks=[_ugc_link_attrs], skip_tags=["code"])


#: Rendering is a pure function of the text and costs milliseconds (html5lib parsing): each
#: worker keeps the most recent results (a page of 100 comments is rendered once, then reused).
CACHE_SIZE = 2048


def rich_text(html: str | None) -> Markup:
    """Sanitize staff-authored rich text."""
    return _rich_text(html or "")


@functools.lru_cache(maxsize=CACHE_SIZE // 4)
def _rich_text(html: str) -> Markup:
    cleaned = bleach.clean(
        clean_input(html),
        tags=RICH_TAGS,
        attributes=RICH_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    return Markup(cleaned)  # noqa: S704 - output of bleach


_md = md.Markdown(extensions=[], output_format="html")


def markdown_text(text: str | None) -> Markup:
    """Render residents' Markdown subset safely (links get rel="nofollow ugc noopener")."""
    return _markdown_text(text or "")


@functools.lru_cache(maxsize=CACHE_SIZE)
def _markdown_text(text: str) -> Markup:
    source = clean_input(text)
    # Escape raw HTML first so it is shown as text, never interpreted.
    source = str(escape(source))
    # Markdown would turn our escaped "&gt;" back into nothing special; restore quote markers
    # at line starts so "> quoted" still works.
    source = re.sub(r"(?m)^(\s{0,3})&gt;", r"\1>", source)
    _md.reset()
    html = _md.convert(source)
    cleaned = bleach.clean(
        html,
        tags=MARKDOWN_TAGS,
        attributes=MARKDOWN_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    cleaned = _linker_ugc.linkify(cleaned)
    return Markup(cleaned)  # noqa: S704 - output of bleach


def plain_text(text: str | None) -> str:
    """Remove every tag; the result is text to be escaped by the template."""
    return bleach.clean(clean_input(text), tags=[], attributes={}, strip=True)
