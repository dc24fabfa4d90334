"""Mentions: ``@Display Name`` in a comment notifies that person.

Display names may contain spaces ("@Amaia Etxeberria") and several people may share one. The
text after each ``@`` is matched against display names (exact match, so the indexed
``user.display_name`` column answers in one query); the longest name wins. When one name
belongs to several people, the author chooses which one they meant (``AmbiguousMentions``).

Rendering turns ``@name`` (as it was written) into a link to the mentioned person's profile,
in text only (never inside a link or code) and after the Markdown was sanitized.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field

from flask import url_for
from markupsafe import Markup, escape
from sqlalchemy import select

from civic.accounts.models import AccountStatus, User
from civic.core.errors import InvalidInput
from civic.extensions import db

#: At most this many different people can be mentioned in one comment.
MAX_MENTIONS = 10
#: Names are matched up to this many words after the ``@``.
MAX_NAME_WORDS = 6
NAME_MAX = 80

_AT = re.compile(r"(?:^|(?<=[\s(\[{\"'«“‘>]))@(?=\S)")
_WORD = re.compile(r"\S+")
_TRAILING = ".,;:!?)]}»”’\"'"

MENTIONABLE = (AccountStatus.ACTIVE, AccountStatus.PENDING, AccountStatus.SUSPENDED)


@dataclass
class Choice:
    """A name several people share: who they are, to choose from."""

    name: str
    candidates: list[User] = field(default_factory=list)

    @property
    def key(self) -> str:
        return choice_key(self.name)


class AmbiguousMentions(InvalidInput):
    """Some ``@names`` belong to several people; ``choices`` lists them."""

    def __init__(self, message: str, choices: list[Choice]):
        super().__init__(message, field="body")
        self.choices = choices


def choice_key(name: str) -> str:
    """A form field name for the chooser of ``name`` (stable, safe in HTML ids)."""
    return "mention-" + hashlib.sha256(name.encode()).hexdigest()[:12]


def _candidate_names(text: str) -> list[list[str]]:
    """For each ``@``: the names it could start, shortest first (1 … MAX_NAME_WORDS words)."""
    out = []
    for match in _AT.finditer(text):
        rest = text[match.end() : match.end() + NAME_MAX + 20].split("\n", 1)[0]
        words = _WORD.findall(rest)[:MAX_NAME_WORDS]
        names = []
        for n in range(1, len(words) + 1):
            name = " ".join(words[:n])
            if len(name) > NAME_MAX:
                break
            names.append(name)
            stripped = name.rstrip(_TRAILING)
            if stripped and stripped != name:
                names.append(stripped)
        if names:
            out.append(names)
    return out


def find(text: str) -> dict[str, list[User]]:
    """``{name as written: [people with that display name]}`` for each ``@name`` in ``text``.

    One query whatever the number of ``@``. Names are matched exactly (case included); the
    longest name that exists wins at each ``@``.
    """
    groups = _candidate_names(text or "")
    wanted = sorted({name for names in groups for name in names})
    if not wanted:
        return {}
    people: dict[str, list[User]] = defaultdict(list)
    for user in db.session.execute(
        select(User)
        .where(User.display_name.in_(wanted), User.status.in_(MENTIONABLE))
        .order_by(User.created_at, User.id)
    ).scalars():
        people[user.display_name].append(user)
    found: dict[str, list[User]] = {}
    for names in groups:
        best = None
        for name in names:
            if name in people and (best is None or len(name) > len(best)):
                best = name
        if best is not None:
            found[best] = people[best]
    return found


def resolve(text: str, choices: dict[str, str] | None, message: str) -> dict[str, int]:
    """``{name: user id}`` of the people ``text`` mentions.

    ``choices`` maps a chooser key (``choice_key(name)``) to the chosen user id, or ``"0"``
    for "none of them". Raises ``AmbiguousMentions`` while a shared name has no choice.
    """
    choices = choices or {}
    resolved: dict[str, int] = {}
    pending: list[Choice] = []
    for name, people in find(text).items():
        if len(people) == 1:
            resolved[name] = people[0].id
            continue
        picked = choices.get(choice_key(name))
        ids = {p.id for p in people}
        if picked == "0":
            continue
        try:
            picked_id = int(picked) if picked is not None else None
        except ValueError:
            picked_id = None
        if picked_id in ids:
            resolved[name] = picked_id
        else:
            pending.append(Choice(name, people))
    if pending:
        raise AmbiguousMentions(message, pending)
    # Keep the first MAX_MENTIONS different people.
    out: dict[str, int] = {}
    seen: set[int] = set()
    for name, user_id in resolved.items():
        if user_id in seen:
            continue
        if len(seen) >= MAX_MENTIONS:
            break
        seen.add(user_id)
        out[name] = user_id
    return out


# ---- rendering ---------------------------------------------------------------------------

_TAG = re.compile(r"(<[^>]*>)")


def _as_in_html(name: str) -> str:
    """A name as the sanitizer writes it in text (only ``&``, ``<`` and ``>`` escaped)."""
    return name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link_mentions(html: Markup, mentions: list[tuple[str, int]]) -> Markup:
    """Turn ``@name`` into a link to the profile, in text outside links and code."""
    if not mentions:
        return html
    by_name = {}
    for name, user_id in sorted(mentions, key=lambda m: -len(m[0])):
        by_name.setdefault(_as_in_html(name), user_id)
    pattern = re.compile(
        r"(?:^|(?<=[\s(\[{\"'«“‘]))@("
        + "|".join(re.escape(n) for n in by_name)
        + r")(?![\w-])"
    )
    parts = _TAG.split(str(html))
    skip = 0  # inside <a> or <code>
    out = []
    for part in parts:
        if part.startswith("<"):
            tag = part[1:].lstrip("/").split(None, 1)[0].rstrip(">").lower() if len(part) > 2 else ""
            if tag in ("a", "code"):
                skip += -1 if part.startswith("</") else 1
                skip = max(skip, 0)
            out.append(part)
            continue
        if skip:
            out.append(part)
            continue

        def repl(match: re.Match) -> str:
            user_id = by_name[match.group(1)]
            href = escape(url_for("accounts.profile", user_id=user_id))
            return f'<a class="mention" href="{href}">@{match.group(1)}</a>'

        out.append(pattern.sub(repl, part))
    return Markup("".join(out))  # noqa: S704 - sanitized HTML with escaped names added
