"""Benchmark: the listening history with 1,000,000 plays.

Export of every play as CSV and as JSON lines to a file, through the code
`mopidy mtscrobble export` runs (`history_export.export`): at least 100,000
rows/s, with flat memory (peak RSS grows by at most 30 MiB over the export).
Then the time to record a play kept out (`History.record`) and to queue a
play with its history row (`Plays.enqueue`) with the 1,000,000 rows there:
median and p99 over 1,000 of each (p99 at most 50 ms: the frontend's actor
waits on it).
Usage: python bench/bench_history.py [PLAYS]
"""

from __future__ import annotations

import itertools
import pathlib
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from harness import print_table

from mopidy_mtscrobble.destinations import LASTFM
from mopidy_mtscrobble.history_export import CSV, JSONL, export
from mopidy_mtscrobble.store import HistoryPlay, NewScrobble, Store

DEFAULT_PLAYS = 1_000_000
MIN_ROWS_PER_S = 100_000
MAX_RSS_GROWTH_MIB = 30
MAX_RECORD_P99_MS = 50.0
# Opening the database off the start path (the backend, the web app, a command).
MAX_OPEN_S = 0.05
RECORDS = 1_000
START_S = 1_500_000_000
SEED_BATCH = 50_000
KIB_PER_MIB = 1024


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / KIB_PER_MIB


def plays(count: int) -> Iterator[tuple[object, ...]]:
    """Plays as a listener's years give them: a play every 3 minutes or so,
    a thousand artists, most sent, some kept out by a rule."""
    for n in range(count):
        artist = f"Artist {n % 1000}"
        excluded = n % 50 == 0
        yield (
            START_S + n * 180, artist, f"Song {n % 9973}", f"Album {n % 3001}",
            artist, 200 + n % 120, 180, f"local:track:{n % 50_000}",
            "excluded" if excluded else "queued",
            'exclude_artists "kids*"' if excluded else None,
            None if excluded else "sent",
        )  # fmt: skip


def seed(store: Store, count: int) -> None:
    sql = """
    INSERT INTO history (played_at, artist, track, album, album_artist,
        duration_s, heard_s, uri, outcome, reason, left_queue)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    """
    rows = plays(count)
    for _ in range(0, count, SEED_BATCH):
        with store.db.write() as db:
            db.executemany(sql, itertools.islice(rows, SEED_BATCH))


def time_export(
    store: Store, fmt: str, folder: pathlib.Path
) -> tuple[int, float, float]:
    """Rows exported, wall and CPU seconds (the machine may be shared)."""
    with (folder / f"history.{fmt}").open("w", encoding="utf-8", newline="") as out:
        started, cpu = time.perf_counter(), time.process_time()
        rows = export(store, fmt, 0, out)
        return rows, time.perf_counter() - started, time.process_time() - cpu


def time_open(folder: pathlib.Path, repair: bool) -> float:
    """The best of three opens and closes of the database (another connection
    has it open, as the frontend does while the backend, web and CLI open it)."""
    took = []
    for _ in range(3):
        started = time.perf_counter()
        Store.open(folder, time.time(), repair=repair).close()
        took.append(time.perf_counter() - started)
    return min(took)


def verdict(met: bool) -> str:
    return "ok" if met else "MISSED"


def percentiles_ms(took: list[float]) -> tuple[float, float]:
    ordered = sorted(took)
    p99 = ordered[max(0, len(ordered) * 99 // 100 - 1)]
    return statistics.median(ordered) * 1000, p99 * 1000


def time_records(store: Store, base_s: int) -> list[float]:
    took = []
    for n in range(RECORDS):
        play = HistoryPlay(
            base_s + n, "Kids Band", f"Wheels {n}", heard_s=200,
            outcome="excluded", reason='exclude_artists "kids*"',
        )  # fmt: skip
        started = time.perf_counter()
        store.history.record(play)
        took.append(time.perf_counter() - started)
    return took


def time_enqueues(store: Store, base_s: int) -> list[float]:
    took = []
    for n in range(RECORDS):
        scrobble = NewScrobble("Artist", f"Queued {n}", base_s + n, duration_s=200)
        started = time.perf_counter()
        store.plays.enqueue(scrobble, (LASTFM,), base_s + n, heard_s=180)
        took.append(time.perf_counter() - started)
    return took


def run(count: int = DEFAULT_PLAYS) -> int:
    rows: list[tuple[str, ...]] = []
    ok = True
    with tempfile.TemporaryDirectory() as name:
        folder = pathlib.Path(name)
        store = Store.open(folder, time.time())
        try:
            started = time.perf_counter()
            seed(store, count)
            rows.append(("seed (executemany)", f"{count:,} plays",
                         f"{time.perf_counter() - started:.1f} s"))  # fmt: skip
            store.db.checkpoint()
            size = sum(p.stat().st_size for p in folder.glob("*.db*"))
            rows.append(("database on disk", f"{size / 2**20:.0f} MiB"))
            for fmt in (CSV, JSONL):
                before = peak_rss_mib()
                exported, took, cpu_s = time_export(store, fmt, folder)
                after = peak_rss_mib()
                rate = exported / took
                growth = after - before
                fast = exported == count and rate >= MIN_ROWS_PER_S
                flat = growth <= MAX_RSS_GROWTH_MIB
                ok = ok and fast and flat
                done = f"{exported:,} rows in {took:.1f} s ({cpu_s:.1f} s CPU)"
                rows.append((f"export {fmt}", done,
                             f"{rate:,.0f} rows/s", f">= {MIN_ROWS_PER_S:,}",
                             verdict(fast)))  # fmt: skip
                rss = f"{before:.1f} -> {after:.1f} MiB"
                limit = f"<= {MAX_RSS_GROWTH_MIB} MiB"
                rows.append((f"  peak RSS ({fmt})", rss, f"+{growth:.1f} MiB",
                             limit, verdict(flat)))  # fmt: skip
            for label, repair in (
                ("open at Mopidy's start (checked)", True),
                ("open by any other opener", False),
            ):
                took = time_open(folder, repair)
                fine = repair or took <= MAX_OPEN_S
                ok = ok and fine
                rows.append((label, f"{took * 1000:.1f} ms", "",
                             "" if repair else f"<= {MAX_OPEN_S * 1000:g} ms",
                             "" if repair else verdict(fine)))  # fmt: skip
            end_s = START_S + count * 180
            for label, took_s in (
                ("record a kept-out play", time_records(store, end_s)),
                ("queue a play + history", time_enqueues(store, end_s + RECORDS)),
            ):
                median, p99 = percentiles_ms(took_s)
                fine = p99 <= MAX_RECORD_P99_MS
                ok = ok and fine
                rows.append((label, f"median {median:.2f} ms", f"p99 {p99:.2f} ms",
                             f"p99 <= {MAX_RECORD_P99_MS:g} ms",
                             verdict(fine)))  # fmt: skip
        finally:
            store.close()
    print_table(
        f"The listening history with {count:,} plays",
        rows,
        ("result", "rate", "target", "verdict"),
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run(*(int(a) for a in sys.argv[1:2])))
