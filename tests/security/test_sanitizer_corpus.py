"""Every payload of the corpus through every rendering path of the one sanitizer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from civic.core.sanitize import markdown_text, plain_text, rich_text
from tests.security.corpus import executable_markup, payloads


def test_corpus_is_large_and_varied():
    items = payloads()
    assert len(items) >= 300
    joined = "\n".join(items).lower()
    for family in ("<script", "onerror", "javascript:", "<svg", "](javascript", "&#", "%3c", "data:text/html"):
        assert family in joined, family


def test_finder_detects_what_it_must():
    assert executable_markup('<img src=x onerror="x()">')
    assert executable_markup('<a href="javascript:x()">a</a>')
    assert executable_markup("<script>x()</script>")
    assert not executable_markup('<p><a href="https://example.org" rel="nofollow">ok</a></p>')


@pytest.mark.parametrize("render", [markdown_text, rich_text], ids=["markdown", "rich"])
def test_no_payload_survives_sanitizing(render):
    failures = []
    for payload in payloads():
        problems = executable_markup(str(render(payload)))
        if problems:
            failures.append((payload, problems))
    assert not failures, failures[:10]


def test_escaped_plain_text_is_inert():
    for payload in payloads():
        assert not executable_markup(str(escape(plain_text(payload))))
        assert not executable_markup(str(escape(payload)))


_pieces = st.sampled_from(
    ["<", ">", "\"", "'", "=", "/", "script", "img", "svg", "onerror", "onload", "javascript:",
     "&#106;", "&#x6A;", "(", ")", "[", "]", "!", "`", "*", "_", "\n", " ", "\t", "x", "src",
     "href", "data:", "%3C", "\\", "<!--", "-->", "<![CDATA[", "]]>"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=40).map("".join))
def test_generated_input_never_renders_executable_markup(text):
    assert not executable_markup(str(markdown_text(text)))
    assert not executable_markup(str(rich_text(text)))
