"""When the next request may go: the backoff after failures, early tries, and
a TCP probe that ends the wait when the network is back. All in monotonic
time: a step of the wall clock changes none of these waits."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

from ..backoff import Backoff
from ..timing import Clock

logger = logging.getLogger(__name__)

# After a network-level failure (refused, reset, DNS, timeout): how often to
# try a plain TCP connection, to send at once when the network is back.
PROBE_INTERVAL_S = 30.0
# A new play may start a try before the backoff ends, but not sooner than
# this after the last request: an outage costs few requests.
EARLY_TRY_MIN_GAP_S = 60.0


class Pacing:
    def __init__(
        self,
        clock: Clock,
        rng: random.Random,
        probe: Callable[[], bool],
        network_name: str,
    ) -> None:
        self.clock = clock
        self.backoff = Backoff(rng)
        self._probe = probe
        self._network_name = network_name
        self.retry_at = 0.0  # nothing is sent before this
        self.probe_at: float | None = None
        self._last_attempt_at = float("-inf")
        self._early_try = False
        self._slowed_down = False  # the server asked to slow down: no early try

    def attempt(self) -> None:
        """A request is about to be made."""
        self._last_attempt_at = self.clock.monotonic()

    def due(self) -> bool:
        return self.clock.monotonic() >= self.retry_at

    def backing_off(self) -> float | None:
        """Seconds still to wait before the next request, or None to go on.

        After a network-level failure a TCP connection is tried now and then:
        when it works, the wait ends at once.
        """
        mono = self.clock.monotonic()
        if mono >= self.retry_at:
            return None
        if self.probe_at is not None and mono >= self.probe_at:
            if self._probe():
                logger.info("%s can be reached again: sending now", self._network_name)
                self.retry_at = mono
                self.probe_at = None
                return None
            self.probe_at = mono + PROBE_INTERVAL_S
        return self.wait()

    def wait(self) -> float:
        """Seconds until the backoff ends or the next probe."""
        mono = self.clock.monotonic()
        wait = max(0.0, self.retry_at - mono)
        if self.probe_at is not None:
            wait = min(wait, max(0.0, self.probe_at - mono))
        return wait

    def try_early(self) -> None:
        """Try before the backoff ends, unless a request went out just now.

        If this try fails too, the wait is as long as the last one was: an
        early try never makes the backoff grow.
        """
        mono = self.clock.monotonic()
        if self._slowed_down or mono >= self.retry_at:
            return
        if mono - self._last_attempt_at < EARLY_TRY_MIN_GAP_S:
            return
        self.retry_at = mono
        self._early_try = True

    def now(self) -> None:
        """Asked to send now: every wait ends."""
        self.retry_at = 0.0
        self.probe_at = None
        self.backoff.reset()

    def succeeded(self) -> None:
        self.now()
        self._early_try = False
        self._slowed_down = False

    def slow_down(self, seconds: float) -> None:
        """The server asked to slow down: nothing for a while, no early try."""
        self.retry_at = self.clock.monotonic() + seconds
        self._early_try, self._slowed_down = False, True

    def failed(self, network_level: bool) -> float:
        """A try failed: the seconds to wait (an early one does not make it grow)."""
        early, self._early_try = self._early_try, False
        self._slowed_down = False
        delay = self.backoff.failed(escalate=not early)
        mono = self.clock.monotonic()
        self.retry_at = mono + delay
        self.probe_at = None
        if network_level and delay > PROBE_INTERVAL_S:
            self.probe_at = mono + PROBE_INTERVAL_S
        return delay
