"""The cross-site scripting corpus shared by the hostile-input tests."""

from __future__ import annotations

import functools
import os
import re
from html.parser import HTMLParser

PATH = os.path.join(os.path.dirname(__file__), "xss_payloads.txt")


@functools.cache
def payloads() -> tuple[str, ...]:
    with open(PATH, encoding="ascii") as fh:
        return tuple(
            line.rstrip("\n").encode("ascii").decode("unicode_escape")
            for line in fh
            if line.strip() and not line.startswith("#")
        )


_DANGEROUS_URL = re.compile(r"^\s*(javascript|vbscript|data):", re.I)
_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc", "background", "poster"}


class _Finder(HTMLParser):
    def __init__(self, allowed_scripts: set[str]):
        super().__init__(convert_charrefs=True)
        self.allowed_scripts = allowed_scripts
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if not any(src.startswith(a) for a in self.allowed_scripts):
                self.problems.append(f"<script src={src!r}>")
        if tag in {"iframe", "object", "embed", "base", "svg", "math", "style", "link"}:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            if name in _URL_ATTRS and value and _DANGEROUS_URL.match(value):
                self.problems.append(f"{tag} {name}={value[:40]!r}")
            if name == "style" and value and ("expression(" in value or "javascript:" in value):
                self.problems.append(f"{tag} style={value[:40]!r}")


def executable_markup(html: str, allowed_scripts: tuple[str, ...] = ("/assets/",)) -> list[str]:
    """What in ``html`` could run script: script tags not ours, event handlers, js URLs…"""
    finder = _Finder(set(allowed_scripts))
    finder.feed(html)
    finder.close()
    return finder.problems
