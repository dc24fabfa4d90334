"""One mail interface.

``send_mail(to, subject, text, html=None)`` queues a message through the job interface, so no
page waits on SMTP.  Backends (``MAIL_BACKEND``):

* ``console`` (development): prints the message and keeps it in the outbox table, which
  administrators read at /admin/outbox;
* ``smtp`` (production): sends through the configured SMTP server;
* ``capture`` (tests): keeps messages in ``app.extensions["civic_mail_outbox"]``.
"""

from __future__ import annotations

import smtplib
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

from civic.core.jobs import enqueue


def send_mail(
    to: str, subject: str, text: str, html: str | None = None, headers: dict | None = None
) -> None:
    """Queue one email. Text is required (plain text is what every client can read)."""
    enqueue("civic.core.mail.deliver", to, subject, text, html, headers or {})


def outbox() -> list[dict]:
    """Messages captured in tests (``MAIL_BACKEND=capture``)."""
    return current_app.extensions.setdefault("civic_mail_outbox", [])


def build_message(to: str, subject: str, text: str, html: str | None, headers: dict) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="civic.localhost")
    for key, value in headers.items():
        msg[key] = value
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def deliver(to: str, subject: str, text: str, html: str | None, headers: dict) -> None:
    """Job: hand one message to the configured backend."""
    backend = current_app.config["MAIL_BACKEND"]
    record = {"to": to, "subject": subject, "text": text, "html": html, "headers": headers}
    if backend == "capture":
        outbox().append(record)
        return
    if backend == "console":
        from civic.extensions import db
        from civic.mail.models import OutboxMessage

        db.session.add(OutboxMessage(recipient=to, subject=subject, body_text=text, body_html=html))
        print(  # noqa: T201 - the console backend's purpose is to print
            f"\n--- email to {to} ---\nSubject: {subject}\n\n{text}\n--- end ---\n",
            file=sys.stderr,
        )
        return
    if backend == "smtp":
        cfg = current_app.config
        msg = build_message(to, subject, text, html, headers)
        with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=30) as smtp:
            if cfg["SMTP_STARTTLS"]:
                smtp.starttls()
            if cfg["SMTP_USERNAME"]:
                smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"] or "")
            smtp.send_message(msg)
        return
    raise RuntimeError(f"unknown MAIL_BACKEND {backend!r}")
