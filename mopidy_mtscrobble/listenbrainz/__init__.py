"""The one package that talks to ListenBrainz, or to a server with its API (Maloja).

`listens` builds a listen from a `Play` (pure), `sizes` keeps listens and
imports within the server's byte rules (pure), `client` has the calls, and
`answers` reads and classifies what comes back. Nothing here sleeps, retries
or keeps a queue: delivery does.
"""

from __future__ import annotations

import logging

from .answers import RateLimit, read_answer
from .client import (
    DEFAULT_BASE_URL,
    USER_AGENT,
    Done,
    ListenBrainzClient,
    ListensPage,
    Match,
    SeenListen,
    Timeouts,
    TokenCheck,
)
from .listens import Play, listen_of, playing_now_of
from .sizes import MAX_IMPORT_LISTENS, MAX_LISTEN_BYTES, batches, fitted

__all__ = [
    "DEFAULT_BASE_URL", "MAX_IMPORT_LISTENS", "MAX_LISTEN_BYTES", "USER_AGENT",
    "Done", "ListenBrainzClient", "ListensPage", "Match", "Play", "RateLimit",
    "SeenListen", "Timeouts", "TokenCheck", "batches", "fitted", "listen_of",
    "playing_now_of", "read_answer",
]  # fmt: skip

# httpx logs every request at INFO and httpcore its steps at DEBUG.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)
