"""Benchmark: the two-way sync's periodic check of an unchanged loved list.

10,000 loved tracks on the fake Last.fm server (5 requests per second
enforced); the import and the first (full) sync run, then the clock skips
ahead one interval at a time and each periodic check's requests are counted.
Target: at most 2 requests per check of an unchanged list.
Usage: python bench/bench_sync.py [LOVED] [CHECKS]
"""

from __future__ import annotations

import dataclasses
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from harness import lastfm_delivery, print_table

from mopidy_mtscrobble.delivery import Delivery
from tests.fakes.lastfm import FakeLastfm

DEFAULT_LOVED = 10_000
DEFAULT_CHECKS = 5
INTERVAL_MINUTES = 180
TARGET_REQUESTS = 2


class SkippingClock:
    """Real time, but it can skip ahead (to the next check), both clocks and
    the server's together, so nothing looks like a clock set wrong."""

    def __init__(self) -> None:
        self.skipped_s = 0.0

    def wall(self) -> float:
        return time.time() + self.skipped_s

    def monotonic(self) -> float:
        return time.monotonic() + self.skipped_s


def until_idle(worker: Delivery) -> None:
    """Rounds until the next one is not wanted at once (the next check)."""
    while (delay := worker.step()) is not None and delay < 1.0:
        time.sleep(delay)


def run(loved_count: int, checks: int) -> int:
    server = FakeLastfm().start()
    now = int(time.time())
    server.add_loved(
        "bench",
        [(f"Artist {n % 997}", f"Song {n}", now - n) for n in range(loved_count)],
    )
    with tempfile.TemporaryDirectory() as tmp:
        made = lastfm_delivery(server, pathlib.Path(tmp), "bench")
        clock = SkippingClock()
        server.clock = clock.wall
        settings = dataclasses.replace(
            made.settings, loved_sync_interval=INTERVAL_MINUTES
        )
        worker = Delivery(settings, pathlib.Path(tmp), clock=clock)
        worker.open()
        began = time.perf_counter()
        until_idle(worker)
        first_s = time.perf_counter() - began
        first = len(server.requests_for("user.getLovedTracks"))
        per_check = []
        for _ in range(checks):
            before = len(server.requests_for("user.getLovedTracks"))
            clock.skipped_s += INTERVAL_MINUTES * 60
            until_idle(worker)
            per_check.append(len(server.requests_for("user.getLovedTracks")) - before)
        worker.close()
    server.stop()
    print_table(
        f"Two-way sync of {loved_count:,} loved tracks, checked every "
        f"{INTERVAL_MINUTES} minutes",
        [
            ("import + first full comparison: requests", str(first)),
            ("import + first full comparison: seconds", f"{first_s:.1f}"),
            ("periodic checks of the unchanged list", str(checks)),
            ("requests per check (max)", str(max(per_check))),
            ("requests per check (target)", f"<= {TARGET_REQUESTS}"),
        ],
    )
    return 0 if max(per_check) <= TARGET_REQUESTS else 1


def main() -> int:
    loved = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_LOVED
    checks = int(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_CHECKS
    return run(loved, checks)


if __name__ == "__main__":
    sys.exit(main())
