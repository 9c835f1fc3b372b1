"""One limit on request rate, shared by every call this process makes to the server."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable

MAX_REQUESTS = 5
WINDOW_S = 1.0
# Requests can bunch up on their way; keep clear of the server's own window.
WINDOW_MARGIN_S = 0.1


class RateLimiter:
    """At most MAX_REQUESTS request starts in any window of WINDOW_S (+ margin)."""

    def __init__(
        self,
        max_requests: int = MAX_REQUESTS,
        window_s: float = WINDOW_S + WINDOW_MARGIN_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._max = max_requests
        self._window_s = window_s
        self._clock = clock
        self._sleep = sleep
        self._starts: collections.deque[float] = collections.deque(maxlen=max_requests)
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until one more request may start, then count it."""
        with self._lock:
            while True:
                now = self._clock()
                wait = self._paused_until - now
                if len(self._starts) == self._max:
                    wait = max(wait, self._starts[0] + self._window_s - now)
                if wait <= 0:
                    break
                self._sleep(wait)
            self._starts.append(now)

    def paused_for(self) -> float:
        """Seconds until requests may start again after a pause (0: none)."""
        with self._lock:
            return max(0.0, self._paused_until - self._clock())

    def pause(self, seconds: float) -> None:
        """After the server said 'slow down': no request at all for a while."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


SHARED = RateLimiter()
