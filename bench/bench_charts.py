"""Benchmark: the listening charts over 1,000,000 plays.

The history holds 1,000,000 plays over 5 years of 5,000 artists and 50,000
tracks, chosen with Zipf-like popularity (a track's weight 1/rank; its artist
and album as popular as it). They are inserted as the history's writer does,
row by row, so the chart triggers run for each. Then each chart query (plays
per day, totals and top 10 artists, tracks and albums for each period) must
take at most 100 ms and the page's data call (everything at once) at most
200 ms, also on the first call of a new day (the windows slide by a day). The
first read after the upgrade fills the moving windows once: its time is shown.
Times are the median of RUNS calls.
Usage: python bench/bench_charts.py [PLAYS]
"""

from __future__ import annotations

import datetime
import itertools
import pathlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from harness import print_table

from mopidy_mtscrobble.store import Store
from mopidy_mtscrobble.store.charts import CHARTS, PERIODS, window_starts
from tests.support.history_rows import INSERT, play_row

DEFAULT_PLAYS = 1_000_000
YEARS = 5
ARTISTS = 5_000
TRACKS = 50_000
TRACKS_PER_ALBUM = 5
BATCH = 10_000
RUNS = 5
SEED = 20
MAX_QUERY_MS = 100.0
MAX_PAGE_MS = 200.0
NOW = datetime.datetime(2026, 11, 26, 18, 0, tzinfo=datetime.UTC).timestamp()
TZ = datetime.UTC
DAY_S = 86_400


def plays(count: int) -> list[dict[str, object]]:
    """`count` plays over YEARS years, oldest first."""
    rng = random.Random(SEED)
    weights = list(itertools.accumulate(1 / rank for rank in range(1, TRACKS + 1)))
    chosen = rng.choices(range(TRACKS), cum_weights=weights, k=count)
    span_s = YEARS * 365 * DAY_S
    times = sorted(rng.randrange(int(NOW) - span_s, int(NOW)) for _ in range(count))
    rows = []
    for played_at, track in zip(times, chosen, strict=True):
        artist = track * ARTISTS // TRACKS
        heard = None if rng.random() < 0.2 else rng.randrange(30, 300)
        rows.append(
            play_row(
                played_at,
                f"Artist {artist}",
                f"Track {track}",
                album=f"Album {track // TRACKS_PER_ALBUM}",
                album_artist=f"Artist {artist}",
                duration_s=240,
                heard_s=heard,
                outcome="imported" if heard is None else "queued",
            )
        )
    return rows


def timed_ms(call: Callable[[], object], runs: int = RUNS) -> float:
    """The median time of `runs` calls, in milliseconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def add_one(store: Store, n: int) -> None:
    """A play as the history's writer adds one: a transaction of its own."""
    with store.db.write() as db:
        db.execute(
            INSERT, play_row(int(NOW) - n, "Artist 1", "Track 10", album="Album 2")
        )


def main(count: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(pathlib.Path(folder), NOW)
        try:
            return measure(store, count)
        finally:
            store.close()


def measure(store: Store, count: int) -> int:
    rows = plays(count)
    started = time.perf_counter()
    for first in range(0, len(rows), BATCH):
        with store.db.write() as db:
            db.executemany(INSERT, rows[first : first + BATCH])
    insert_s = time.perf_counter() - started
    charts = store.charts

    started = time.perf_counter()
    charts.move_windows(window_starts(NOW, TZ))
    fill_s = time.perf_counter() - started

    queries: list[tuple[str, float]] = [
        ("plays per day (30 days)", timed_ms(lambda: charts.daily(NOW, TZ)))
    ]
    for period, _, _ in PERIODS:
        for table in CHARTS:
            name = f"top {table.removeprefix('chart_')} {period}"
            queries.append((name, timed_ms(lambda t=table, p=period: charts.top(t, p))))
        queries.append(
            (
                f"totals and top lists {period}",
                timed_ms(lambda p=period: charts.period(p)),
            )
        )
    page_ms = timed_ms(lambda: charts.page(NOW, TZ))
    # The first call of each new day slides the windows by a day.
    days = iter(range(1, RUNS + 1))
    next_day_ms = timed_ms(lambda: charts.page(NOW + next(days) * DAY_S, TZ))

    added = iter(range(RUNS))
    add_ms = timed_ms(lambda: add_one(store, next(added)))

    missed = [name for name, ms in queries if ms > MAX_QUERY_MS]
    missed += ["page"] if max(page_ms, next_day_ms) > MAX_PAGE_MS else []
    table = [
        ("plays in the history", f"{count:,}"),
        (
            "insert, chart triggers on",
            f"{insert_s:.1f} s ({count / insert_s:,.0f} plays/s)",
        ),
        (
            "first read after the upgrade (fills 7d/30d/12m once)",
            f"{fill_s * 1000:.0f} ms",
        ),
        *(
            (f"{name} (<= {MAX_QUERY_MS:.0f} ms)", f"{ms:.1f} ms")
            for name, ms in queries
        ),
        (f"page data call (<= {MAX_PAGE_MS:.0f} ms)", f"{page_ms:.1f} ms"),
        (
            f"page data call, a new day (<= {MAX_PAGE_MS:.0f} ms)",
            f"{next_day_ms:.1f} ms",
        ),
        ("one play added, its own transaction (no target)", f"{add_ms:.1f} ms"),
    ]
    print_table(f"Listening charts over {count:,} plays (median of {RUNS})", table)
    if missed:
        print(f"\nMISSED: {', '.join(missed)}")
        return 1
    print("\nAll targets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PLAYS))
