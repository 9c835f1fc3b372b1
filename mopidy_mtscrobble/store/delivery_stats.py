"""Numbers about every destination's queue and the listening history, read in
a few aggregate queries for the health check and /mtscrobble/metrics."""

from __future__ import annotations

import dataclasses

from .database import Database
from .queue import NOT_HELD


@dataclasses.dataclass(frozen=True)
class QueueStats:
    """One destination's queue: entries per state ("held": pending, of a held
    play), when its oldest waiting entry was queued, and when one was last sent."""

    counts: dict[str, int]
    oldest_waiting_queued_at: int | None
    last_sent_at: int | None


class DeliveryStats:
    def __init__(self, db: Database) -> None:
        self._db = db

    COUNTS = f"""
    SELECT destination,
        CASE WHEN state = 'pending' AND NOT {NOT_HELD} THEN 'held' ELSE state END,
        count(*)
    FROM deliveries GROUP BY 1, 2
    """  # noqa: S608 - constants only
    # Waiting: pending or in flight, of plays not held (those are sent nowhere).
    OLDEST_WAITING = f"""
    SELECT destination, min(queued_at) FROM deliveries
    WHERE state IN ('pending', 'in_flight') AND {NOT_HELD}
    GROUP BY destination
    """  # noqa: S608 - constants only
    LAST_SENT = "SELECT destination, max(sent_at) FROM deliveries GROUP BY destination"

    def queues(self) -> dict[str, QueueStats]:
        """Every destination that has entries, by its name."""
        counts: dict[str, dict[str, int]] = {}
        for name, state, count in self._db.read(self.COUNTS):
            counts.setdefault(name, {})[state] = count
        oldest: dict[str, int] = {
            r[0]: r[1] for r in self._db.read(self.OLDEST_WAITING)
        }
        sent: dict[str, int] = {r[0]: r[1] for r in self._db.read(self.LAST_SENT)}
        return {
            name: QueueStats(counts[name], oldest.get(name), sent.get(name))
            for name in counts
        }

    # Kept by triggers on history (schema 19): a few rows at any history size.
    HISTORY = "SELECT origin, outcome, plays FROM history_counts WHERE plays > 0"

    def history_outcomes(self) -> dict[tuple[str, str], int]:
        """Plays in the listening history by (origin, outcome)."""
        return {(o, c): n for o, c, n in self._db.read(self.HISTORY)}
