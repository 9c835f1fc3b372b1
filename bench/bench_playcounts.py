"""Benchmark: sync the play counts of 60,000 distinct tracks from the fake Last.fm.

The server enforces 5 requests per second (error 29 above that) and holds
60,000 tracks in user.getTopTracks, 1,000 a page: 60 pages, so the floor is 12 s.
Prints requests made, wall time and its ratio to the floor, errors 29 seen.
Usage: python bench/bench_playcounts.py [TRACKS]
"""

from __future__ import annotations

import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from harness import logged_in_delivery, print_table

from mopidy_mtscrobble.kinds import PLAYCOUNTS
from mopidy_mtscrobble.lastfm.client import SONGS_PAGE_SIZE
from mopidy_mtscrobble.store import Store
from tests.fakes.lastfm import FakeLastfm
from tests.fakes.lastfm.server import RATE_LIMIT_REQUESTS

DEFAULT_TRACKS = 60_000


def run(count: int) -> int:
    server = FakeLastfm().start()
    server.top_tracks["bench"] = [
        {"artist": f"Artist {i % 4000}", "track": f"Song {i}", "playcount": count - i}
        for i in range(count)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        worker = logged_in_delivery(server, folder, "bench")
        began = time.perf_counter()
        while (delay := worker.step()) is not None:
            time.sleep(delay)
        elapsed = time.perf_counter() - began
        worker.close()
        store = Store.open(folder, time.time())
        stored = store.songs.match_counts(PLAYCOUNTS)["total"]
        store.close()
    server.stop()

    pages = len(server.requests_for("user.getTopTracks"))
    requests = len(server.requests)
    errors_29 = sum(1 for r in server.requests if r.outcome == "error 29")
    floor_s = -(-count // SONGS_PAGE_SIZE) / RATE_LIMIT_REQUESTS
    rows = [
        ("distinct tracks on the server", f"{count:,}"),
        ("songs stored", f"{stored:,}"),
        ("user.getTopTracks requests", f"{pages}"),
        ("requests in all", f"{requests} (with user.getLovedTracks)"),
        ("wall time", f"{elapsed:.1f} s"),
        ("floor (pages / 5 per s)", f"{floor_s:.1f} s"),
        ("ratio to floor", f"{elapsed / floor_s:.2f}"),
        ("errors 29 seen", f"{errors_29}"),
    ]
    print_table(
        "Syncing play counts from the fake Last.fm (5 requests/s enforced)", rows
    )
    return 0 if stored == count and errors_29 == 0 else 1


if __name__ == "__main__":
    sys.exit(run(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_TRACKS))
