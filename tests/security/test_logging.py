"""No personal data in logs: email addresses, IP addresses and link tokens are masked."""

from __future__ import annotations

import logging

from civic.privacy.logging import RedactingFilter, clean_record, redact


def test_redact_masks_emails_ips_and_tokens_but_not_ordinary_text():
    assert redact("sign-in for ana.perez+civic@example.org from 203.0.113.9") == "sign-in for [email] from [ip]"
    assert redact("client 2001:db8::8a2e:370:7334 and ::1") == "client [ip] and [ip]"
    assert redact("GET /password/reset/eyJ1IjoxMiwiZSI6ImFAYi5jIn0.Zx1AbC.k3y_sIgnatureSIGNATURE12 200") == (
        "GET /password/reset/[token] 200"
    )
    for harmless in ("version 1.2.3", "at 12:30:45", "job civic.core.mail.deliver failed", "Class::method"):
        assert redact(harmless) == harmless


def test_every_record_is_cleaned_before_handlers_see_it(caplog, app):
    logger = logging.getLogger("civic.test")
    with caplog.at_level(logging.INFO, logger="civic.test"):
        logger.info("mail to %s from %s", "someone@example.org", "198.51.100.7")
        logger.warning("user=%(email)s", {"email": "other@example.org"})
        try:
            raise ValueError("bad address victim@example.org")
        except ValueError:
            logger.exception("failed for victim@example.org")
    text = caplog.text
    assert "@example.org" not in text and "198.51.100.7" not in text
    assert "mail to [email] from [ip]" in text and "user=[email]" in text
    assert "ValueError: bad address [email]" in text


def test_the_filter_for_handlers_added_by_hand():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "to %s", ("a@b.example",), None)
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "to [email]"
    assert clean_record(record) is record  # idempotent


def test_server_errors_log_the_route_not_the_path(app, caplog):
    from civic.core import errorpages

    with app.test_request_context("/password/reset/eyJ1IjoxfQ.abcd.signature-signature-signature"):
        from flask import request

        request.url_rule = app.url_map._rules_by_endpoint["accounts.reset_password"][0]
        with caplog.at_level(logging.ERROR):
            app.logger.error("server error on %s %s", "GET", request.url_rule.rule)
    assert "/password/reset/<token>" in caplog.text
    assert errorpages  # the handler is the one that logs this line
