"""Delivery to ListenBrainz-compatible destinations (ListenBrainz, Maloja):
one `ListenBrainzDelivery` thread per destination, its `Link` (state, pacing,
rate limit, what a failure means) and its `ListenSender` (batches, exactly
once, checks of lost answers)."""

from __future__ import annotations

from .link import BLOCKED_RECHECK_S, Link, make_client
from .sender import (
    RECHECK_MAX_GAP_S,
    VISIBILITY_FIRST_CHECK_S,
    VISIBILITY_WINDOW_S,
    ListenSender,
    play_of,
)
from .worker import ListenBrainzDelivery, lock_filename, start_listenbrainz

__all__ = [
    "BLOCKED_RECHECK_S", "RECHECK_MAX_GAP_S", "VISIBILITY_FIRST_CHECK_S",
    "VISIBILITY_WINDOW_S", "Link", "ListenBrainzDelivery", "ListenSender",
    "lock_filename", "make_client", "play_of", "start_listenbrainz",
]  # fmt: skip
