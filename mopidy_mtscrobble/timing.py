"""Clocks and timers, injectable so that tests decide what time it is."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def wall(self) -> float:
        """UTC unix time in seconds."""

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps; for measuring durations."""


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Scheduler(Protocol):
    def call_later(self, delay_s: float, callback: Callable[[], None]) -> Cancellable:
        """Call `callback` (from another thread) after `delay_s` seconds."""


class SystemClock:
    def wall(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class ThreadingScheduler:
    def call_later(self, delay_s: float, callback: Callable[[], None]) -> Cancellable:
        timer = threading.Timer(delay_s, callback)
        timer.daemon = True
        timer.start()
        return timer
