from hypothesis import given, settings
from hypothesis import strategies as st

from civic.core.sanitize import clean_input, markdown_text, plain_text, rich_text

DANGEROUS = ("<script", "javascript:", "onerror", "onload", "<iframe", "<svg", "<img", "<object", "<style")


def _assert_inert(html: str) -> None:
    lowered = html.lower()
    for marker in DANGEROUS:
        assert marker not in lowered, (marker, html)


def test_markdown_subset_renders_and_links_are_ugc():
    html = str(markdown_text("Hello *world*\n\n- one\n- two\n\n> quoted\n\n[site](https://example.org)"))
    assert "<em>world</em>" in html
    assert "<li>one</li>" in html
    assert "<blockquote>" in html
    assert 'rel="nofollow ugc noopener"' in html
    assert 'href="https://example.org"' in html


def test_markdown_escapes_raw_html_and_drops_images_and_scripts():
    html = str(markdown_text('<script>alert(1)</script> ![x](https://e.org/x.png) [a](javascript:alert(1))'))
    _assert_inert(html)
    assert "&lt;script&gt;" in html


def test_rich_text_keeps_structure_and_removes_danger():
    html = str(rich_text('<h2>Title</h2><table><tr><th scope="col">A</th></tr></table>'
                         '<p onclick="x()">Hi <a href="javascript:alert(1)">x</a></p><script>bad()</script>'))
    assert "<h2>Title</h2>" in html and "<th scope=\"col\">A</th>" in html
    _assert_inert(html)
    assert "onclick" not in html


def test_clean_input_removes_nul_and_control_characters():
    assert clean_input("a\x00b\x07c\r\nd") == "abc\nd"


def test_plain_text_strips_tags():
    assert plain_text("<b>bold</b> & more") == "bold &amp; more"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>\"'=/:;&#()[]*`!- \nabcjavscriptonerrorimgsvg")), max_size=120))
def test_markdown_never_returns_executable_markup(text):
    _assert_inert(str(markdown_text(text)))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_rich_text_never_returns_scripts_for_any_text(text):
    html = str(rich_text(text + "<script>x</script><img src=x onerror=y>"))
    _assert_inert(html)
