"""No personal data in logs: email addresses, IP addresses and emailed-link tokens are masked.

``install_redaction()`` wraps the logging module's record factory, so every record made by any
logger (Civic's, Flask's, Werkzeug's, gunicorn's) is cleaned when it is created — its message,
its arguments and the text of an exception attached to it — before any handler sees it.
``RedactingFilter`` does the same for a handler one adds by hand.
"""

from __future__ import annotations

import logging
import re
from typing import Any

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
IPV4_RE = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])")
IPV6_RE = re.compile(r"(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Za-z:])")
#: Signed tokens in emailed links (itsdangerous: base64 payload . timestamp . signature) carry
#: the email address in readable base64: mask any long token-looking path segment.
TOKEN_RE = re.compile(r"(?<=/)[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{20,}")

_MARK = "_civic_redacted"


def redact(text: str) -> str:
    text = TOKEN_RE.sub("[token]", text)
    text = EMAIL_RE.sub("[email]", text)
    text = IPV4_RE.sub("[ip]", text)
    return IPV6_RE.sub(_ipv6, text)


def _ipv6(match: re.Match) -> str:
    found = match.group(0)
    looks_like_address = ("::" in found or found.count(":") == 7) and any(
        c not in ":" for c in found
    )
    return "[ip]" if looks_like_address else found


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    return value


def clean_record(record: logging.LogRecord) -> logging.LogRecord:
    if getattr(record, _MARK, False):
        return record
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if isinstance(record.args, dict):
        record.args = {k: _clean(v) for k, v in record.args.items()}
    elif isinstance(record.args, tuple):
        record.args = tuple(_clean(v) for v in record.args)
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    setattr(record, _MARK, True)
    return record


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        clean_record(record)
        return True


_installed = False


def install_redaction() -> None:
    """Clean every log record from now on (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        return clean_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True
