"""Rendering user text is cached per worker (performance): same text, same safe result."""

from __future__ import annotations

from civic.core import sanitize


def test_markdown_rendering_is_cached_and_identical():
    text = "Cached *emphasis* and a [link](https://example.org) <b>not bold</b>"
    first = sanitize.markdown_text(text)
    hits = sanitize._markdown_text.cache_info().hits
    second = sanitize.markdown_text(text)
    assert sanitize._markdown_text.cache_info().hits == hits + 1
    assert second == first and "&lt;b&gt;" in str(second) and 'rel="nofollow ugc noopener"' in str(second)
    assert sanitize.markdown_text(None) == sanitize.markdown_text("") == ""


def test_rich_text_rendering_is_cached_and_still_cleans():
    html = '<h2>Plan</h2><script>alert(1)</script><p onclick="x()">Text</p>'
    first = sanitize.rich_text(html)
    hits = sanitize._rich_text.cache_info().hits
    assert sanitize.rich_text(html) == first
    assert sanitize._rich_text.cache_info().hits == hits + 1
    assert "<script>" not in str(first) and "onclick" not in str(first)


def test_cache_is_bounded():
    assert sanitize._markdown_text.cache_info().maxsize == sanitize.CACHE_SIZE
    assert sanitize._rich_text.cache_info().maxsize is not None
