"""Benchmark: drain a backlog of 5,000 scrobbles against the fake Last.fm server.

The server enforces 5 requests per second (error 29 above that) and adds 50 ms of
latency to every answer. Prints requests made (expect 100), wall time and its
ratio to the floor of N/250 s, and errors 29 seen (expect 0).
Usage: python bench/bench_delivery.py [BACKLOG]
"""

from __future__ import annotations

import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from harness import logged_in_delivery, print_table

from mopidy_mtscrobble.store import NewScrobble, Store
from tests.fakes.lastfm import FakeLastfm

DEFAULT_BACKLOG = 5_000
LATENCY_S = 0.05
SCROBBLES_PER_SECOND_FLOOR = 250  # 5 requests/s x 50 scrobbles


def run(backlog: int) -> int:
    server = FakeLastfm()
    server.latency_s = LATENCY_S
    # Last.fm's daily limit (about 2,800) would stop a 5,000 backlog for a day.
    server.daily_limit = backlog
    server.start()
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        store = Store.open(folder, time.time())
        start = int(time.time()) - 10 * 86_400
        for i in range(backlog):
            scrobble = NewScrobble(
                artist=f"Artist {i % 300}",
                track=f"Track {i}",
                timestamp=start + i * 60,
                album="Album",
            )
            store.queue.enqueue(scrobble, time.time())
        store.close()
        worker = logged_in_delivery(server, folder, "bench")
        began = time.perf_counter()
        while (delay := worker.step()) is not None:
            time.sleep(delay)
        elapsed = time.perf_counter() - began
        worker.close()
    server.stop()

    requests = server.requests_for("track.scrobble")
    errors_29 = sum(1 for r in server.requests if r.outcome == "error 29")
    floor_s = backlog / SCROBBLES_PER_SECOND_FLOOR
    delivered = len(server.scrobbles_of("bench"))
    duplicates = delivered - len(
        {(s["timestamp"], s["track"]) for s in server.scrobbles}
    )
    rows = [
        ("backlog", f"{backlog:,}"),
        ("scrobbles delivered", f"{delivered:,}"),
        ("duplicates", f"{duplicates}"),
        ("requests made", f"{len(requests)}"),
        ("server latency", f"{LATENCY_S * 1000:.0f} ms"),
        ("wall time", f"{elapsed:.1f} s"),
        ("floor (N/250)", f"{floor_s:.1f} s"),
        ("ratio to floor", f"{elapsed / floor_s:.2f}"),
        ("errors 29 seen", f"{errors_29}"),
    ]
    print_table(
        "Draining a backlog against the fake Last.fm (5 requests/s enforced)", rows
    )
    ok = delivered == backlog and duplicates == 0 and errors_29 == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_BACKLOG))
