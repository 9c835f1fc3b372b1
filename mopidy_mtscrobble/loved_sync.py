"""The rules of the two-way sync of loved tracks: pure, times passed in.

When a love made here and an unlove made on the server (or the reverse)
disagree, the later action wins:
- a love or unlove made here and still waiting to be sent is newer than
  anything the server lists, so it wins (as with an import);
- a love the server lists with a date later than our last unlove of that
  song wins (loved again elsewhere); an earlier one loses (we unloved it after);
- a song loved here that the whole list no longer holds was unloved
  elsewhere after our love reached the server, so it goes, unless our love
  still waits to be sent or was made while the list was being read.
"""

from __future__ import annotations

import dataclasses

# Last.fm asks for polite use (about 5 requests a second, no polling): a check
# more often than this gains nothing a user would notice.
MIN_SYNC_INTERVAL_MINUTES = 15
# Unloves made elsewhere only show in the whole list: read at most this often.
FULL_COMPARISON_INTERVAL_S = 86_400


@dataclasses.dataclass(frozen=True)
class OurAction:
    """The latest love or unlove of a song made here (for the Last.fm network)."""

    action: str  # "love" or "unlove"
    created_at: int
    pending: bool  # not sent yet


def take_server_love(loved_at: int | None, ours: OurAction | None) -> bool:
    """Whether a love the server lists is taken here."""
    if ours is None or ours.action == "love":
        return True
    if ours.pending:
        return False  # our unlove waits to be sent: newer than their list
    return loved_at is not None and loved_at > ours.created_at


def keep_local_love(
    loved_at: int | None, ours: OurAction | None, compared_from: int
) -> bool:
    """Whether a song loved here stays although the server's whole list
    (read from `compared_from`) does not hold it."""
    if ours is not None and ours.pending and ours.action == "love":
        return True
    return loved_at is not None and loved_at >= compared_from


def full_comparison_due(compared_at: int | None, now_s: float) -> bool:
    return compared_at is None or now_s - compared_at >= FULL_COMPARISON_INTERVAL_S


def next_check_at(checked_at: int | None, interval_minutes: int) -> int | None:
    """When the next check is due (None: the sync is off)."""
    if not interval_minutes:
        return None
    return (checked_at or 0) + interval_minutes * 60
