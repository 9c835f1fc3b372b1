"""Benchmark: 10,000 plays through the frontend actor while delivery is stalled.

Prints events per second, per-event latency (median, p99, max) and the sizes
of the database and its write-ahead log. The frontend must stay responsive
(p99 under 5 ms, the worst under 50 ms) whatever delivery does. The frontend
never copies the write-ahead log into the database (that can take long);
here, as delivery does, another connection does it now and then.
Usage: python bench/bench_frontend.py [PLAYS]
"""

from __future__ import annotations

import pathlib
import sqlite3
import statistics
import sys
import tempfile
import threading
import time

import pykka
from harness import print_table
from mopidy.models import Album, Artist, TlTrack, Track

from mopidy_mtscrobble.frontend import MTScrobbleFrontend
from mopidy_mtscrobble.store import DB_FILENAME, Database

DEFAULT_PLAYS = 10_000
P99_LIMIT_MS = 5.0
MAX_LIMIT_MS = 50.0
CHECKPOINT_EVERY_S = 1.0
TRACK_LENGTH_S = 200


class StalledDelivery:
    """The delivery side stuck (its thread never gets to a round): what the
    frontend tells it only piles up, as the real one's does (the latest track,
    a flag), never waiting."""

    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()
        self.latest = None

    def now_playing(self, track) -> None:
        with self.lock:
            self.calls += 1
            self.latest = track

    def queue_changed(self) -> None:
        with self.lock:
            self.calls += 1


class BenchClock:
    def __init__(self) -> None:
        self.wall_s, self.mono_s = 1_700_000_000.0, 0.0

    def wall(self) -> float:
        return self.wall_s

    def monotonic(self) -> float:
        return self.mono_s

    def advance(self, seconds: float) -> None:
        self.wall_s += seconds
        self.mono_s += seconds


class NoTimers:
    class _Handle:
        def cancel(self) -> None:
            pass

    def call_later(self, delay_s, callback):
        return self._Handle()


def config(data_dir: pathlib.Path) -> dict:
    return {
        "core": {"data_dir": str(data_dir)},
        "mtscrobble": {
            "network": "lastfm", "api_key": "k", "api_secret": "s",
            "scrobble_threshold": 90, "scrobble_cap": 240, "now_playing": True,
            "excluded_uri_schemes": (), "scrobble_radio": True,
            "radio_min_seconds": 60, "history_days": 90,
        },
    }  # fmt: skip


def tl_track(i: int) -> TlTrack:
    track = Track(
        uri=f"local:track:{i}",
        name=f"Title {i}",
        artists=[Artist(name=f"Artist {i % 500}")],
        album=Album(name=f"Album {i % 1000}", artists=[Artist(name="Album Artist")]),
        length=TRACK_LENGTH_S * 1000,
        track_no=i % 12 + 1,
    )
    return TlTrack(tlid=i, track=track)


def run(plays: int) -> int:
    clock = BenchClock()
    with tempfile.TemporaryDirectory() as tmp:
        delivery = StalledDelivery()
        frontend = MTScrobbleFrontend.start(
            config(pathlib.Path(tmp)), None, clock=clock, scheduler=NoTimers(),
            delivery=delivery,
        ).proxy()  # fmt: skip
        frontend.settings.get()
        latencies_ms: list[float] = []
        stop_checkpoints = threading.Event()

        def checkpoints() -> None:
            db = Database.open(pathlib.Path(tmp, "mtscrobble"), clock.wall())
            while not stop_checkpoints.wait(CHECKPOINT_EVERY_S):
                db.checkpoint()
            db.close()

        checkpointer = threading.Thread(target=checkpoints, daemon=True)
        checkpointer.start()

        def send(event: str, **kwargs) -> None:
            start = time.perf_counter()
            frontend.on_event(event, **kwargs).get()
            latencies_ms.append((time.perf_counter() - start) * 1000)

        began = time.perf_counter()
        for i in range(plays):
            item = tl_track(i)
            send("track_playback_started", tl_track=item)
            clock.advance(100)
            send("track_playback_paused", tl_track=item, time_position=100_000)
            clock.advance(30)
            send("track_playback_resumed", tl_track=item, time_position=100_000)
            clock.advance(100)
            send("track_playback_ended", tl_track=item, time_position=200_000)
        elapsed_s = time.perf_counter() - began
        stop_checkpoints.set()
        checkpointer.join()
        db_path = pathlib.Path(tmp, "mtscrobble", DB_FILENAME)
        db = sqlite3.connect(db_path)
        queued = db.execute("SELECT count(*) FROM scrobbles").fetchone()[0]
        db.close()
        db_bytes = db_path.stat().st_size
        wal_bytes = pathlib.Path(f"{db_path}-wal").stat().st_size
        pykka.ActorRegistry.stop_all()

    ordered = sorted(latencies_ms)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    rows = [
        ("plays", f"{plays:,}"),
        ("events", f"{len(latencies_ms):,}"),
        ("scrobbles queued", f"{queued:,}"),
        ("events per second", f"{len(latencies_ms) / elapsed_s:,.0f}"),
        ("latency median", f"{statistics.median(ordered):.3f} ms"),
        ("latency p99", f"{p99:.3f} ms"),
        ("latency max", f"{ordered[-1]:.3f} ms"),
        ("database size", f"{db_bytes / 1024:,.0f} KiB"),
        ("write-ahead log size", f"{wal_bytes / 1024:,.0f} KiB"),
        ("delivery told, never sending", f"{delivery.calls:,} times"),
        ("p99 under 5 ms", "yes" if p99 < P99_LIMIT_MS else "NO"),
        ("worst under 50 ms", "yes" if ordered[-1] < MAX_LIMIT_MS else "NO"),
    ]
    print_table(f"Frontend with delivery stalled ({plays:,} plays)", rows)
    return 0 if p99 < P99_LIMIT_MS and queued == plays else 1


if __name__ == "__main__":
    sys.exit(run(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PLAYS))
