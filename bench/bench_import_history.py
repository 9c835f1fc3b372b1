"""Benchmark: import 100,000 past scrobbles into the listening history.

The fake Last.fm server runs in a process of its own and enforces 5 requests a
second; pages hold 200 scrobbles and each page after the first begins with
the last of the one before (the second a page ends in is asked for again), so
100,000 take 503 pages and the floor is 503 / 5 = 100.6 s. Target: the
import within 1.15 x the floor, every scrobble in the history once, none
queued. Prints pages, wall time, the floor, errors 29
seen, the history's rows and peak memory. Takes about 100 s.
Usage: python bench/bench_import_history.py [SCROBBLES]
"""

from __future__ import annotations

import pathlib
import resource
import sys
import tempfile
import time

import pylast

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from harness import print_table

from mopidy_mtscrobble.delivery import Delivery
from mopidy_mtscrobble.kinds import HISTORY
from mopidy_mtscrobble.lastfm import Session
from mopidy_mtscrobble.lastfm.client import RECENT_TRACKS_PAGE_SIZE
from mopidy_mtscrobble.ratelimit import MAX_REQUESTS
from mopidy_mtscrobble.session import SessionFile
from mopidy_mtscrobble.settings import Settings
from mopidy_mtscrobble.store import Store
from tests.fakes.lastfm_process import LastfmProcess

DEFAULT_SCROBBLES = 100_000
MAX_FLOOR_RATIO = 1.15
GAP_S = 180  # one scrobble every three minutes, back from now
UPLOAD_CHUNK = 10_000
RECENT = "user.getRecentTracks"


def past_scrobbles(count: int, newest: int) -> list[list]:
    return [
        [f"Artist {i % 997}", f"Song {i % 20_011}", f"Album {i % 3001}",
         newest - GAP_S * i]
        for i in range(count)
    ]  # fmt: skip


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def logged_in(server: LastfmProcess, folder: pathlib.Path, user: str) -> Delivery:
    key = server.admin("user", name=user)["session_key"]
    SessionFile(folder, "custom").save(Session(key=key, username=user))
    settings = Settings(
        network="custom",
        api_url=server.url,
        api_key=server.api_key,
        api_secret=server.api_secret,
    )
    worker = Delivery(settings, folder)
    worker.open()
    return worker


def run_until_idle(worker: Delivery) -> None:
    while (delay := worker.step()) is not None:
        time.sleep(delay)


def history_counts(folder: pathlib.Path) -> dict[str, int]:
    store = Store.open(folder, time.time())
    try:
        [row] = store.db.read(
            "SELECT (SELECT count(*) FROM history WHERE origin = 'imported')"
            " AS imported,"
            " (SELECT count(DISTINCT played_at) FROM history) AS times,"
            " (SELECT count(*) FROM plays) AS queued"
        )
        return dict(row)
    finally:
        store.close()


def run(count: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        server = LastfmProcess(folder, rate_limit=MAX_REQUESTS)
        try:
            pylast.SSL_CONTEXT.load_verify_locations(str(server.ca_file))
            plays = past_scrobbles(count, int(time.time()) - 60)
            for start in range(0, count, UPLOAD_CHUNK):
                chunk = plays[start : start + UPLOAD_CHUNK]
                server.admin("past", user="bench", plays=chunk)
            data = folder / "data"
            data.mkdir()
            worker = logged_in(server, data, "bench")
            run_until_idle(worker)  # the automatic imports: loved, play counts
            time.sleep(1.2)  # their requests leave the server's 1 s window
            worker.start_import(HISTORY.name)
            began = time.perf_counter()
            run_until_idle(worker)
            import_s = time.perf_counter() - began
            job = worker.job(HISTORY.name)
            worker.close()
            requests = server.state()["requests"]
        finally:
            server.stop()
        counts = history_counts(data)

    asked = [r for r in requests if r["method"] == RECENT]
    errors_29 = sum(1 for r in requests if r["outcome"] == "error 29")
    # The first page brings 200 scrobbles, every later one 199 new.
    later = max(0, count - RECENT_TRACKS_PAGE_SIZE)
    pages = 1 + -(-later // (RECENT_TRACKS_PAGE_SIZE - 1))
    floor_s = pages / MAX_REQUESTS
    target_s = MAX_FLOOR_RATIO * floor_s
    rows = [
        ("past scrobbles on the server", f"{count:,}"),
        ("pages fetched (200 a page)", f"{len(asked)} (least: {pages})"),
        ("import wall time", f"{import_s:.1f} s"),
        ("floor (pages at 5 requests/s)", f"{floor_s:.1f} s"),
        (f"target ({MAX_FLOOR_RATIO} x floor)", f"{target_s:.1f} s"),
        ("ratio to the floor", f"{import_s / floor_s:.3f}"),
        ("errors 29 seen", f"{errors_29}"),
        ("imported rows in the history", f"{counts['imported']:,}"),
        ("plays queued", f"{counts['queued']}"),
        ("job", f"{job.state if job else None}, {job.page if job else 0} pages"),
        ("peak RSS, process", f"{peak_rss_mib():.0f} MiB"),
    ]
    print_table("Importing past scrobbles into the listening history", rows)
    ok = (
        import_s <= target_s
        and counts["imported"] == count
        and counts["times"] == count
        and counts["queued"] == 0
        and errors_29 == 0
        and job is not None
        and job.state == "done"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SCROBBLES))
