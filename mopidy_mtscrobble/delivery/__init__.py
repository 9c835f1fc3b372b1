"""Delivery: drains the queue to the server, in batches, exactly once, never dropping.

`worker.Delivery` runs the parts on a thread of its own: `connection` (the
session, logins, state, backoff, and what a failure means), and one part per
kind of outgoing work: `scrobbles`, `loves`, `imports`, `nowplaying`.
"""

from __future__ import annotations

from .connection import (
    RATE_LIMITED_PAUSE_S,
    REQUEST_ERROR_PAUSE_S,
    SESSION_POLL_S,
    Verdict,
)
from .pacing import EARLY_TRY_MIN_GAP_S, PROBE_INTERVAL_S
from .scrobbles import (
    CHECK_GIVE_UP_FAILURES,
    DAILY_LIMIT_PAUSE_S,
    LISTING_FIRST_LOOK_S,
    LISTING_WINDOW_S,
    MAX_AGE_S,
)
from .states import BLOCKED_STATES, State, Status, describe
from .worker import Delivery

__all__ = [
    "BLOCKED_STATES", "CHECK_GIVE_UP_FAILURES", "DAILY_LIMIT_PAUSE_S",
    "EARLY_TRY_MIN_GAP_S", "LISTING_FIRST_LOOK_S", "LISTING_WINDOW_S", "MAX_AGE_S",
    "PROBE_INTERVAL_S", "RATE_LIMITED_PAUSE_S", "REQUEST_ERROR_PAUSE_S",
    "SESSION_POLL_S", "Delivery", "State", "Status", "Verdict", "describe",
]  # fmt: skip
