"""The one package that talks to Last.fm, Libre.fm or a compatible server.

`client` has the calls, `answers` reads and classifies what comes back,
`adapter` is the one place that uses pylast's private API.
"""

from __future__ import annotations

import logging

from .adapter import USER_AGENT, httpx
from .answers import DAILY_LIMIT_CODE, IGNORED_REASONS, ItemResult, read_answer
from .client import (
    MAX_BATCH,
    LastfmClient,
    Page,
    PastPlay,
    PlaysPage,
    RecentTrack,
    Session,
    SongItem,
    server_of,
)

__all__ = [
    "DAILY_LIMIT_CODE", "IGNORED_REASONS", "MAX_BATCH", "USER_AGENT", "ItemResult",
    "LastfmClient", "Page", "PastPlay", "PlaysPage", "RecentTrack", "Session",
    "SongItem", "read_answer", "server_of",
]  # fmt: skip

# pylast logs whole answers at DEBUG, and auth answers hold the session key.
logging.getLogger("pylast").setLevel(logging.WARNING)
for _name in (httpx.__name__, httpx.__name__.replace("httpx", "httpcore")):
    logging.getLogger(_name).setLevel(logging.WARNING)
