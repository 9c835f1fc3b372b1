"""The scan that ends every test run finds a secret in any log line."""

from __future__ import annotations

import logging

from ..support import secret_scan


def test_a_logged_secret_is_found_and_short_values_are_not_secrets(monkeypatch):
    monkeypatch.setattr(secret_scan, "SECRETS", set())
    monkeypatch.setattr(secret_scan, "TEXTS", [])
    secret_scan.note_secret("pw")  # too short to tell from ordinary text
    secret_scan.note_secret("0123456789abcdef")
    logger = logging.getLogger("test_secret_scan")
    monkeypatch.setattr(logger, "propagate", False)
    handler = secret_scan.Collector()
    logger.addHandler(handler)
    try:
        logger.warning("session %s", "0123456789abcdef")
        logger.warning("nothing to see: pw")
    finally:
        logger.removeHandler(handler)
    assert secret_scan.leaks() == [("0123...", "session 0123456789abcdef")]
    monkeypatch.setattr(
        secret_scan, "TEXTS", []
    )  # nothing of this reaches the real scan
