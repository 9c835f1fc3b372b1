"""The shared rate limit: at most 5 request starts in any window."""

from __future__ import annotations

from mopidy_mtscrobble.ratelimit import RateLimiter


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def starts_of(count: int, limiter: RateLimiter, time: VirtualTime) -> list[float]:
    starts = []
    for _ in range(count):
        limiter.acquire()
        starts.append(time.now)
    return starts


def test_five_requests_start_at_once_the_sixth_waits_for_the_window():
    time = VirtualTime()
    limiter = RateLimiter(5, 1.1, clock=time.clock, sleep=time.sleep)
    starts = starts_of(6, limiter, time)
    assert starts[:5] == [0.0] * 5
    assert starts[5] == 1.1


def test_no_window_ever_holds_more_than_five_starts():
    time = VirtualTime()
    limiter = RateLimiter(5, 1.1, clock=time.clock, sleep=time.sleep)
    starts = starts_of(200, limiter, time)
    for i in range(len(starts) - 5):
        assert starts[i + 5] - starts[i] >= 1.1 - 1e-9


def test_pause_holds_every_request_back():
    time = VirtualTime()
    limiter = RateLimiter(5, 1.1, clock=time.clock, sleep=time.sleep)
    limiter.pause(60)
    limiter.acquire()
    assert time.now == 60
