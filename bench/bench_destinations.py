"""Benchmark: 5,000 plays queued once for Last.fm and for ListenBrainz, drained
by both deliveries at once, each on its own thread as Mopidy runs them.

The fake Last.fm enforces 5 requests per second (error 29 above that); the fake
ListenBrainz 30 requests per 10 s with its X-RateLimit-* headers (429 above
that); both answer 50 ms late, over HTTPS on 127.0.0.1. The store's counts are
polled until neither destination has a play pending or in flight. Prints, per
destination, requests made (expect N/50 to Last.fm, N/1000 to ListenBrainz),
other requests (Last.fm: its first imports of loved tracks and play counts,
after the scrobbles; ListenBrainz: the token check and a listing), plays
delivered, duplicates and rate-limit errors (expect 0), the wall time until it
was drained and its ratio to the floor (Last.fm: N/50 requests at 5/s;
ListenBrainz: N/1000 requests x latency); then the total wall time, until both
threads stopped, and the peak RSS (the fake servers included: they run in
this process).
With --lastfm-alone, only Last.fm's delivery runs: the same numbers without
the ListenBrainz thread beside it.
Usage: python bench/bench_destinations.py [BACKLOG] [--lastfm-alone]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import pathlib
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Collection
from typing import Protocol

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from harness import lastfm_delivery, print_table

from mopidy_mtscrobble.delivery.listenbrainz import ListenBrainzDelivery
from mopidy_mtscrobble.delivery.listenbrainz.link import make_client
from mopidy_mtscrobble.destinations import ListenBrainzDestination
from mopidy_mtscrobble.listenbrainz import ListenBrainzClient
from mopidy_mtscrobble.store import NewScrobble, Store
from tests.fakes.lastfm import FakeLastfm
from tests.fakes.listenbrainz import FakeListenBrainz

DEFAULT_BACKLOG = 5_000
LATENCY_S = 0.05
LASTFM_REQUESTS_PER_S = 5
SCROBBLES_PER_REQUEST = 50
LISTENS_PER_IMPORT = 1000
LB_RATE_LIMIT = 30  # requests per window: brainzutils' default
LB_RATE_WINDOW_S = 10
LASTFM, LISTENBRAINZ = "lastfm", "lb"
USER = "bench"
POLL_S = 0.01
DRAIN_TIMEOUT_S = 600.0


class Worker(Protocol):
    def start(self) -> None: ...
    def stop(self, timeout_s: float = 5.0) -> None: ...


@dataclasses.dataclass
class Result:
    """What one destination got: for its column of the table."""

    requests: int
    other_requests: int
    delivered: int
    duplicates: int
    limited: int
    drained_s: float
    floor_s: float


def queue_plays(folder: pathlib.Path, backlog: int, names: Collection[str]) -> None:
    """The backlog, each play queued once for all `names` (as the frontend does)."""
    store = Store.open(folder, time.time())
    start = int(time.time()) - 10 * 86_400
    for i in range(backlog):
        scrobble = NewScrobble(
            artist=f"Artist {i % 300}",
            track=f"Track {i}",
            timestamp=start + i * 60,
            album="Album",
        )
        store.plays.enqueue(scrobble, names, time.time())
    store.close()


def listenbrainz_delivery(
    server: FakeListenBrainz, folder: pathlib.Path
) -> ListenBrainzDelivery:
    """The real worker and client, trusting the fake's certificate authority."""
    destination = ListenBrainzDestination(
        LISTENBRAINZ, server.add_user(USER), server.base_url
    )

    def client(
        destination: ListenBrainzDestination, proxy: str | None = None
    ) -> ListenBrainzClient:
        return make_client(destination, proxy, verify=server.client_context())

    return ListenBrainzDelivery(destination, folder, client_factory=client)


def wait_drained(
    folder: pathlib.Path, names: Collection[str], began: float
) -> dict[str, float]:
    """Seconds from `began` until each destination had nothing pending or in
    flight (its counts polled every POLL_S on a store connection of our own)."""
    store = Store.open(folder, time.time())
    drained: dict[str, float] = {}
    try:
        while len(drained) < len(names):
            for name in names:
                counts = store.queue_to(name).counts()
                now = time.perf_counter()
                if name not in drained and counts["pending"] + counts["in_flight"] == 0:
                    drained[name] = now - began
            if now - began > DRAIN_TIMEOUT_S:
                raise TimeoutError(f"not drained after {DRAIN_TIMEOUT_S:.0f} s")
            time.sleep(POLL_S)
    finally:
        store.close()
    return drained


def lastfm_result(server: FakeLastfm, backlog: int, drained_s: float) -> Result:
    requests = len(server.requests_for("track.scrobble"))
    delivered = len(server.scrobbles_of(USER))
    unique = len({(s["timestamp"], s["track"]) for s in server.scrobbles})
    return Result(
        requests=requests,
        other_requests=len(server.requests) - requests,
        delivered=delivered,
        duplicates=delivered - unique,
        limited=sum(1 for r in server.requests if r.outcome == "error 29"),
        drained_s=drained_s,
        floor_s=math.ceil(backlog / SCROBBLES_PER_REQUEST) / LASTFM_REQUESTS_PER_S,
    )


def listenbrainz_result(
    server: FakeListenBrainz, backlog: int, drained_s: float
) -> Result:
    submits = server.requests_for("submit-listens")
    # Every listen the server accepted, as sent: the fake itself keeps one of
    # identical listens, so duplicates are counted in what was sent.
    sent = [x for r in submits if r.status == 200 for x in r.json()["payload"]]
    unique = {(x["listened_at"], x["track_metadata"]["track_name"]) for x in sent}
    return Result(
        requests=len(submits),
        other_requests=len(server.requests) - len(submits),
        delivered=len(server.listens_of(USER)),
        duplicates=len(sent) - len(unique),
        limited=sum(1 for r in server.requests if r.status == 429),
        drained_s=drained_s,
        floor_s=math.ceil(backlog / LISTENS_PER_IMPORT) * LATENCY_S,
    )


def run(backlog: int, with_listenbrainz: bool) -> int:
    lastfm = FakeLastfm()
    lastfm.latency_s = LATENCY_S
    # Last.fm's daily limit (about 2,800) would stop a 5,000 backlog for a day.
    lastfm.daily_limit = backlog
    listenbrainz = FakeListenBrainz(
        rate_limit=LB_RATE_LIMIT, rate_window_s=LB_RATE_WINDOW_S, latency_s=LATENCY_S
    )
    names = (LASTFM, LISTENBRAINZ) if with_listenbrainz else (LASTFM,)
    lastfm.start()
    listenbrainz.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = pathlib.Path(tmp)
            queue_plays(folder, backlog, names)
            workers: list[Worker] = [lastfm_delivery(lastfm, folder, USER)]
            if with_listenbrainz:
                workers.append(listenbrainz_delivery(listenbrainz, folder))
            began = time.perf_counter()
            for worker in workers:
                worker.start()
            try:
                drained = wait_drained(folder, names, began)
            finally:
                for worker in workers:
                    worker.stop()
            total_s = time.perf_counter() - began
    finally:
        listenbrainz.stop()
        lastfm.stop()

    makers: dict[str, Callable[[], Result]] = {
        LASTFM: lambda: lastfm_result(lastfm, backlog, drained[LASTFM]),
        LISTENBRAINZ: lambda: listenbrainz_result(
            listenbrainz, backlog, drained[LISTENBRAINZ]
        ),
    }
    results = [makers[name]() for name in names]
    print_table(
        f"Draining {backlog:,} plays queued for {len(names)} destination(s), "
        f"each delivery on its own thread ({LATENCY_S * 1000:.0f} ms latency)",
        table(backlog, results, total_s),
        ("Last.fm", "ListenBrainz")[: len(names)],
    )
    ok = all(
        r.delivered == backlog and r.duplicates == 0 and r.limited == 0 for r in results
    )
    return 0 if ok else 1


def table(backlog: int, results: list[Result], total_s: float) -> list[tuple[str, ...]]:
    def row(name: str, cell: Callable[[Result], str]) -> tuple[str, ...]:
        return (name, *(cell(r) for r in results))

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return [
        row("plays queued", lambda r: f"{backlog:,}"),
        row("requests made (submits)", lambda r: f"{r.requests}"),
        row("other requests", lambda r: f"{r.other_requests}"),
        row("plays delivered", lambda r: f"{r.delivered:,}"),
        row("duplicates", lambda r: f"{r.duplicates}"),
        row("errors 29 / 429s seen", lambda r: f"{r.limited}"),
        row("wall time until drained", lambda r: f"{r.drained_s:.2f} s"),
        row("floor", lambda r: f"{r.floor_s:.2f} s"),
        row("ratio to floor", lambda r: f"{r.drained_s / r.floor_s:.2f}"),
        ("total wall time", f"{total_s:.2f} s"),
        ("peak RSS (whole process)", f"{peak_mb:.0f} MB"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backlog", type=int, nargs="?", default=DEFAULT_BACKLOG)
    parser.add_argument("--lastfm-alone", action="store_true")
    args = parser.parse_args()
    return run(args.backlog, with_listenbrainz=not args.lastfm_alone)


if __name__ == "__main__":
    sys.exit(main())
