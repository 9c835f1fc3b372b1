"""Benchmark: what an outage costs, and how soon the queue goes out after it.

In simulated time (the delivery's clock and the fake server's are the same
fake clock), a play every 4 minutes during outages of 1 minute, 1 hour and
1 day, of two kinds: the network down (connections refused) and the server
failing (HTTP 503 to everything). Prints, per outage: requests made while it
lasted (1 hour: target at most 30), checks of uncertain scrobbles
(getRecentTracks), and the time from the world being well again to the last
play being accepted (targets: network 60 s, server errors 5 minutes).
Usage: python bench/bench_recovery.py
"""

from __future__ import annotations

import functools
import pathlib
import random
import sys
import tempfile

import pylast

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from harness import print_table

from mopidy_mtscrobble.delivery import Delivery
from mopidy_mtscrobble.lastfm import LastfmClient, Session
from mopidy_mtscrobble.listening import Track
from mopidy_mtscrobble.ratelimit import RateLimiter
from mopidy_mtscrobble.session import SessionFile
from mopidy_mtscrobble.settings import Settings
from mopidy_mtscrobble.store import NewScrobble, Store
from tests.fakes.lastfm import FakeLastfm, Fault
from tests.fakes.player import FakeClock

START = 1_700_000_000.0
PLAY_EVERY_S = 240
OUTAGES_S = {"1 minute": 60, "1 hour": 3600, "1 day": 86_400}


class CountingLimiter(RateLimiter):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock=clock.monotonic, sleep=clock.advance)
        self.requests = 0

    def acquire(self) -> None:
        super().acquire()
        self.requests += 1


def run(kind: str, outage_s: int) -> tuple[int, int, float]:
    """(requests during the outage, checks, seconds from healthy to all sent)."""
    clock = FakeClock(START)
    server = FakeLastfm(clock=clock.wall).start()
    server.rate_clock = clock.monotonic
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        pylast.SSL_CONTEXT.load_verify_locations(server.ca_file(folder / "ca.pem"))
        key = server.add_user("alice")
        SessionFile(folder, "custom").save(Session(key=key, username="alice"))
        settings = Settings(
            network="custom",
            api_url=server.url,
            api_key=server.api_key,
            api_secret=server.api_secret,
        )
        limiter = CountingLimiter(clock)
        worker = Delivery(
            settings,
            folder,
            clock=clock,
            rng=random.Random(1),
            client_factory=functools.partial(LastfmClient, limiter=limiter),
        )
        worker.open()
        store = Store.open(folder, START)
        port = server.port
        if kind == "network":
            server.stop()
        else:
            server.fault_source = lambda method: Fault("http", status=503)
        plays = 0
        end = clock.monotonic() + outage_s
        next_play = clock.monotonic()
        wake = clock.monotonic()
        while clock.monotonic() < end:
            now = clock.monotonic()
            if now >= next_play:
                worker.now_playing(
                    Track("x:1", "Artist", f"Song {plays}", length_ms=230_000)
                )
                store.queue.enqueue(
                    NewScrobble("Artist", f"Song {plays}", int(clock.wall())), START
                )
                worker.queue_changed()
                plays += 1
                next_play += PLAY_EVERY_S
            if now >= wake or worker.consume_wake():
                delay = worker.run_round()
                wake = clock.monotonic() + (delay if delay is not None else 1e9)
            clock.advance(max(0.0, min(wake, next_play, end) - clock.monotonic()))
        during = limiter.requests
        if kind == "network":
            server.start(port)
        else:
            server.fault_source = None
        healthy_at = clock.monotonic()
        while store.queue.counts()["sent"] < plays:
            delay = worker.run_round()
            clock.advance(delay if delay else 0.5)
        recovered_s = clock.monotonic() - healthy_at
        checks = len(server.requests_for("user.getRecentTracks"))
        store.close()
        worker.close()
    server.stop()
    return during, checks, recovered_s


def main() -> None:
    rows = []
    for kind in ("network", "server"):
        for label, seconds in OUTAGES_S.items():
            during, checks, recovered = run(kind, seconds)
            rows.append(
                (
                    f"{'network down' if kind == 'network' else 'HTTP 503'}, {label}",
                    f"{during:>4} requests, {checks} checks, sent {recovered:5.1f} s "
                    "after it ended",
                )
            )
    print_table(
        "Outages with a play every 4 minutes (simulated time; targets: 1 hour "
        "<= 30 requests, sent <= 60 s after the network, <= 300 s after the server)",
        rows,
    )


if __name__ == "__main__":
    main()
