"""Translation chores for catalogs: list what is missing, apply translations, fill English.

    python tools/i18n.py todo fr            # JSON of untranslated or fuzzy messages on stdout
    python tools/i18n.py apply fr file.json # {"msgid": "msgstr"} or {"msgid": ["one", "other", ...]}
    python tools/i18n.py english            # the English catalog mirrors the source strings

Run `flask --app wsgi translate update` first so the catalogs know every message.
Messages with a context are keyed "context\\u0004msgid".
"""

from __future__ import annotations

import json
import os
import sys

from babel.messages.pofile import read_po, write_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _path(locale: str) -> str:
    return os.path.join(ROOT, "translations", locale, "LC_MESSAGES", "messages.po")


def _load(locale: str):
    with open(_path(locale), "rb") as fh:
        return read_po(fh, locale=locale)


def _save(catalog, locale: str) -> None:
    with open(_path(locale), "wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, include_previous=False)


def _key(message) -> str:
    mid = message.id[0] if isinstance(message.id, tuple | list) else message.id
    return f"{message.context}\u0004{mid}" if message.context else mid


def todo(locale: str) -> None:
    catalog = _load(locale)
    out = {}
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if message.fuzzy or not all(strings) or (
            isinstance(message.id, tuple | list) and len(strings) < catalog.num_plurals
        ):
            if isinstance(message.id, tuple | list):
                out[_key(message)] = {"plural": message.id[1], "forms": catalog.num_plurals}
            else:
                out[_key(message)] = ""
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


def apply(locale: str, path: str) -> None:
    catalog = _load(locale)
    with open(path, encoding="utf-8") as fh:
        translations = json.load(fh)
    by_key = {_key(m): m for m in catalog if m.id}
    applied = 0
    for key, value in translations.items():
        message = by_key.get(key)
        if message is None or not value:
            continue
        if isinstance(message.id, tuple | list):
            if isinstance(value, str):
                value = [value] * catalog.num_plurals
            message.string = tuple(value)
        else:
            message.string = value
        message.flags.discard("fuzzy")
        applied += 1
    _save(catalog, locale)
    print(f"{locale}: applied {applied} translations")  # noqa: T201


def english() -> None:
    catalog = _load("en")
    for message in catalog:
        if not message.id:
            continue
        message.string = tuple(message.id) if isinstance(message.id, tuple | list) else message.id
        message.flags.discard("fuzzy")
    _save(catalog, "en")


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "todo":
        todo(sys.argv[2])
    elif command == "apply":
        apply(sys.argv[2], sys.argv[3])
    elif command == "english":
        english()
    else:
        raise SystemExit(__doc__)
