"""Text and numbers from Mopidy, made valid before they are kept or sent. Pure.

Backends hand over whatever their sources hold: a file name that is not
UTF-8 becomes lone surrogates (Mopidy-File names an untagged track after its
file), tags can hold NULs and control characters, numbers can be absurd.
None of that can be stored in SQLite, signed for Last.fm or written in XML,
so it is made valid here, at the frontend's boundary, once.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

REPLACEMENT = "\ufffd"
# Lone surrogates, and what XML 1.0 cannot carry: C0 controls other than tab,
# newline and carriage return, and the noncharacters U+FFFE and U+FFFF.
_INVALID = re.compile("[\ud800-\udfff\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAX_TRACK_NUMBER = 2**31 - 1
MAX_LENGTH_MS = 2**40  # about 35 years: anything longer is not a track length


_SURROGATES = re.compile("[\ud800-\udfff]")


def encodable(text: str) -> str:
    """The text with lone surrogates replaced: what UTF-8 (and SQLite) can take."""
    return _SURROGATES.sub(REPLACEMENT, text)


def clean_text(value: Any) -> str | None:
    """Valid text, stripped; None if nothing is left."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    text = _INVALID.sub(REPLACEMENT, text.replace("\x00", "")).strip()
    return text or None


def clean_int(value: Any, maximum: int) -> int | None:
    """A whole number from 0 to `maximum`, or None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= maximum else None


def clean_mbid(value: Any) -> str | None:
    """A MusicBrainz id (a str in Mopidy 3, a UUID in Mopidy 4), or None."""
    if not value:
        return None
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        return None
