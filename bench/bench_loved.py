"""Benchmark: import 10,000 loved tracks and match them against a 50,000-track library.

The import runs against the fake Last.fm server (5 requests per second
enforced, 1,000 tracks a page). The library is a test backend in a real Mopidy
core that answers search by artist and lookup, like Mopidy-Local. Prints pages
fetched, wall times, searches made (and requests per 10,000 loved tracks) and
peak memory; matching must ask the library once per artist (as the library
spells it, or as written and folded), never once per track.
Usage: python bench/bench_loved.py [LOVED] [LIBRARY]
"""

from __future__ import annotations

import pathlib
import resource
import sys
import tempfile
import time

import pykka
from mopidy import core

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from harness import logged_in_delivery, print_table

from mopidy_mtscrobble.favorites import Matcher
from mopidy_mtscrobble.library import Library
from mopidy_mtscrobble.store import Store
from tests.builders import model_track
from tests.fake_lastfm import FakeLastfm
from tests.library_backends import SearchingBackend

DEFAULT_LOVED = 10_000
DEFAULT_LIBRARY = 50_000
TRACKS_PER_ARTIST = 10
IN_LIBRARY_PERCENT = 80
RELEASE_VARIANTS = ("", " (Remastered)", " - 2011 Remaster", " (Radio Edit)")


def library_tracks(count: int) -> list:
    return [
        model_track(
            uri=f"local:track:{i}",
            name=f"Song {i}{RELEASE_VARIANTS[i % len(RELEASE_VARIANTS)]}",
            artists=(f"Artist {i // TRACKS_PER_ARTIST}",),
            album=f"Album {i // TRACKS_PER_ARTIST}",
        )
        for i in range(count)
    ]


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


def run(loved_count: int, library_size: int) -> int:
    server = FakeLastfm().start()
    server.add_loved("bench", loved_tracks(loved_count, library_size))
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        worker = logged_in_delivery(server, folder, "bench")
        began = time.perf_counter()
        while (delay := worker.step()) is not None:
            time.sleep(delay)
        import_s = time.perf_counter() - began
        worker.close()

        tracks = library_tracks(library_size)
        backend = SearchingBackend.start(config={}, audio=None, tracks=tracks)
        core_proxy = core.Core.start(
            config={"core": {"max_tracklist_length": 100}},
            mixer=None,
            backends=[backend.proxy()],
            audio=None,
        ).proxy()
        rss_before = peak_rss_mib()
        matcher = Matcher(folder, Library(core_proxy), ("local",))
        began = time.perf_counter()
        counts = matcher.run_once()["loved"]
        match_s = time.perf_counter() - began
        calls = backend.proxy().library.calls.get()
        index = matcher.last_index
        pykka.ActorRegistry.stop_all()
        store = Store.open(folder, time.time())
        playlist = len(store.songs.loved_playlist())
        store.close()
    server.stop()

    pages = len(server.requests_for("user.getLovedTracks"))
    errors_29 = sum(1 for r in server.requests if r.outcome == "error 29")
    artists = len({a for a, _, _ in loved_tracks(loved_count, library_size)})
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
        ("peak RSS, process", f"{peak_rss_mib():.0f} MiB"),
        ("peak RSS growth while matching", f"{peak_rss_mib() - rss_before:.0f} MiB"),
    ]
    print_table("Importing loved tracks and matching them to a local library", rows)
    expected_matches = loved_count * IN_LIBRARY_PERCENT // 100
    ok = (
        counts["matched"] == expected_matches
        and calls["search"] <= 2 * artists
        and pages == -(-loved_count // 1000)
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:3]]
    sizes += [DEFAULT_LOVED, DEFAULT_LIBRARY][len(sizes) :]
    sys.exit(run(*sizes))
