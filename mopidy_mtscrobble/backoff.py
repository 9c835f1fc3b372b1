"""How long to wait after failures: exponential, capped, with jitter. Pure."""

from __future__ import annotations

import random

FIRST_S = 10.0
# Server and network errors: retry at least every 5 minutes (mpdscribble waits
# up to 8, Navidrome 4), so queued plays go out soon after the server is back.
MAX_S = 5 * 60.0
JITTER = 0.2  # a wait is 80 % to 100 % of its nominal length


class Backoff:
    """Counts consecutive failures and says how long to wait after the latest."""

    def __init__(
        self,
        rng: random.Random,
        first_s: float = FIRST_S,
        max_s: float = MAX_S,
    ) -> None:
        self._rng = rng
        self._first_s = first_s
        self._max_s = max_s
        self.failures = 0

    def failed(self, escalate: bool = True) -> float:
        """Seconds to wait now. An early try that failed (escalate=False) waits
        as long as the last scheduled one did, without making later waits longer."""
        if escalate or self.failures == 0:
            self.failures += 1
        nominal = min(self._max_s, self._first_s * 2 ** min(self.failures - 1, 30))
        return float(nominal * self._rng.uniform(1 - JITTER, 1))

    def reset(self) -> None:
        self.failures = 0
