"""Benchmark: import 10,000 loved tracks and match them against a 50,000-track library.

The import runs against the fake Last.fm server in a process of its own (5
requests per second enforced, 1,000 tracks a page). The library is a test
backend in a real Mopidy core that keeps its tracks in an SQLite file with an
FTS3 index and answers search by artist, lookup and browse from it, as
Mopidy-Local does: this process holds what a Mopidy running Mopidy-Local
would. Prints pages fetched, wall times, searches made (and requests per
10,000 loved tracks) and memory: the resident size before the import (Python,
Mopidy, GStreamer, the library backend) and its peak during import and
matching, at most MAX_PEAK_RSS_MIB. Matching must ask the library once per
artist (as the library spells it, or as written and folded), never once per
track. `--trace` runs it again under tracemalloc and prints what the import
and the matching allocate (the peak, and the top lines still held at the end).
Usage: python bench/bench_loved.py [--trace] [LOVED] [LIBRARY]
"""

from __future__ import annotations

import pathlib
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator

import pykka
import pylast
from mopidy import core

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from harness import print_table

from mopidy_mtscrobble.delivery import Delivery
from mopidy_mtscrobble.favorites import Matcher
from mopidy_mtscrobble.lastfm import Session
from mopidy_mtscrobble.library import Library
from mopidy_mtscrobble.session import SessionFile
from mopidy_mtscrobble.settings import Settings
from mopidy_mtscrobble.store import Store
from tests.fakes import sqlite_library
from tests.fakes.lastfm_process import LastfmProcess
from tests.fakes.sqlite_library import SqliteBackend

MAX_PEAK_RSS_MIB = 150
TOP_ALLOCATIONS = 12
DEFAULT_LOVED = 10_000
DEFAULT_LIBRARY = 50_000
TRACKS_PER_ARTIST = 10
IN_LIBRARY_PERCENT = 80
RELEASE_VARIANTS = ("", " (Remastered)", " - 2011 Remaster", " (Radio Edit)")


def library_rows(count: int) -> Iterator[sqlite_library.Row]:
    for i in range(count):
        yield (
            f"local:track:{i}",
            f"Song {i}{RELEASE_VARIANTS[i % len(RELEASE_VARIANTS)]}",
            f"Artist {i // TRACKS_PER_ARTIST}",
            f"Album {i // TRACKS_PER_ARTIST}",
            200_000,
        )


def loved_tracks(count: int, library: int) -> list[tuple[str, str, int]]:
    """Every fifth loved song is one this library does not have."""
    now = int(time.time())
    step = max(1, library // count)
    loved = []
    for n in range(count):
        if n % 100 < IN_LIBRARY_PERCENT:
            i = (n * step) % library
            loved.append((f"Artist {i // TRACKS_PER_ARTIST}", f"Song {i}", now - n))
        else:
            loved.append((f"Elsewhere {n % 500}", f"Unknown {n}", now - n))
    return loved


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    """The resident size now (the peak only ever grows)."""
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def delivery(server: LastfmProcess, folder: pathlib.Path, user: str) -> Delivery:
    """An opened Delivery in `folder`, with a session of `user` on `server`."""
    pylast.SSL_CONTEXT.load_verify_locations(str(server.ca_file))
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


def run(loved_count: int, library_size: int, trace: bool = False) -> int:
    loved = loved_tracks(loved_count, library_size)
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        (folder / "lastfm").mkdir()
        server = LastfmProcess(folder / "lastfm")
        server.admin("loved", user="bench", tracks=loved)
        library_db = folder / "library.db"
        sqlite_library.create(library_db, library_rows(library_size))
        backend = SqliteBackend.start(config={}, audio=None, path=library_db)
        core_proxy = core.Core.start(
            config={"core": {"max_tracklist_length": 100}},
            mixer=None,
            backends=[backend.proxy()],
            audio=None,
        ).proxy()
        baseline = rss_mib()
        if trace:
            tracemalloc.start(8)
            before = tracemalloc.take_snapshot()

        worker = delivery(server, folder, "bench")
        began = time.perf_counter()
        while (delay := worker.step()) is not None:
            time.sleep(delay)
        import_s = time.perf_counter() - began
        worker.close()
        after_import = rss_mib()
        if trace:
            imported = tracemalloc.take_snapshot()
            print_allocations("the import", before, imported)

        matcher = Matcher(folder, Library(core_proxy), ("local",))
        began = time.perf_counter()
        counts = matcher.run_once()["loved"]
        match_s = time.perf_counter() - began
        after_match = rss_mib()
        if trace:
            print_allocations("matching", imported, tracemalloc.take_snapshot())
            tracemalloc.stop()
        calls = dict(backend.proxy().library.calls.get())
        index = matcher.last_index
        peak = peak_rss_mib()
        pykka.ActorRegistry.stop_all()
        store = Store.open(folder, time.time())
        playlist = len(store.songs.loved_playlist())
        store.close()
        requests = server.state()["requests"]
        server.stop()

    pages = sum(1 for r in requests if r["method"] == "user.getLovedTracks")
    errors_29 = sum(1 for r in requests if r["outcome"] == "error 29")
    artists = len({a for a, _, _ in loved})
    rows = [
        ("loved tracks on the server", f"{loved_count:,}"),
        ("pages fetched (1,000 a page)", f"{pages}"),
        ("import wall time", f"{import_s:.1f} s"),
        ("errors 29 seen", f"{errors_29}"),
        ("local library", f"{library_size:,} tracks"),
        ("matched / not found", f"{counts['matched']:,} / {counts['missing']:,}"),
        ("playlist length", f"{playlist:,}"),
        ("distinct loved artists", f"{artists:,}"),
        ("library searches", f"{calls['search']:,}"),
        ("  of them by title", f"{index.title_searches if index else 0:,}"),
        ("artist listings (get_distinct)", f"{calls['get_distinct']:,}"),
        (
            "library requests per 10,000 loved",
            f"{(calls['search'] + calls['get_distinct']) * 10_000 / loved_count:,.0f}",
        ),
        ("matching wall time", f"{match_s:.1f} s"),
        ("RSS before the import (baseline)", f"{baseline:.0f} MiB"),
        ("RSS after the import", f"{after_import:.0f} MiB"),
        ("RSS after matching", f"{after_match:.0f} MiB"),
        ("peak RSS, process", f"{peak:.0f} MiB (at most {MAX_PEAK_RSS_MIB} MiB)"),
        ("peak RSS growth over the baseline", f"{peak - baseline:.0f} MiB"),
    ]
    print_table("Importing loved tracks and matching them to a local library", rows)
    expected_matches = loved_count * IN_LIBRARY_PERCENT // 100
    ok = (
        counts["matched"] == expected_matches
        and calls["search"] <= 2 * artists
        and pages == -(-loved_count // 1000)
        and (trace or peak <= MAX_PEAK_RSS_MIB)
    )
    return 0 if ok else 1


def print_allocations(
    step: str, before: tracemalloc.Snapshot, after: tracemalloc.Snapshot
) -> None:
    """The traced peak of a step, and the lines holding the most after it."""
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    print(f"\n{step}: traced peak {peak / 2**20:.1f} MiB; held after it, by line:")
    for stat in after.compare_to(before, "lineno")[:TOP_ALLOCATIONS]:
        frame = stat.traceback[0]
        print(
            f"  {stat.size_diff / 2**20:7.2f} MiB {stat.count_diff:+8d} blocks  "
            f"{frame.filename.rsplit('/', 2)[-2:]}:{frame.lineno}"
        )


if __name__ == "__main__":
    args = sys.argv[1:]
    trace = "--trace" in args
    sizes = [int(a) for a in args if a != "--trace"][:2]
    sizes += [DEFAULT_LOVED, DEFAULT_LIBRARY][len(sizes) :]
    sys.exit(run(*sizes, trace=trace))
