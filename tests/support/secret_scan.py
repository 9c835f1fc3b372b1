"""Every secret the tests create, and every log text they see, for one final scan."""

from __future__ import annotations

import logging
import threading

MIN_SECRET_LENGTH = 8  # shorter test passwords would match ordinary text

_lock = threading.Lock()
SECRETS: set[str] = set()
TEXTS: list[str] = []


def note_secret(value: str | None) -> None:
    if value and len(value) >= MIN_SECRET_LENGTH:
        with _lock:
            SECRETS.add(value)


def note_text(text: str) -> None:
    with _lock:
        TEXTS.append(text)


class Collector(logging.Handler):
    """Keeps the formatted text of every log record of the test process."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            note_text(self.format(record))
        except Exception:
            note_text(str(record.msg))


def leaks() -> list[tuple[str, str]]:
    """(secret, the start of the text it was found in) for every leak."""
    found = []
    with _lock:
        for text in TEXTS:
            for secret in SECRETS:
                if secret in text:
                    found.append((secret[:4] + "...", text[:200]))
    return found
