"""Benchmark: rematch a 50,000-track library after 500 new tracks arrived.

10,000 loved songs are matched against the library (the import's search), the
first rematch records every library track as seen, then 500 tracks are added
(400 of them loved songs missing so far) and the library is rematched: it must
look up only the new tracks, search nothing, and take at most 5 s. Then 500
tracks are retitled in place (same URIs, some of them matched to loved songs):
the rematch must look up only those, match them again, and take at most 5 s
with the search of the songs they leave. The library
is a test backend in a real Mopidy core that searches, browses and looks up,
like Mopidy-Local.
Usage: python bench/bench_rematch.py [LIBRARY] [NEW]
"""

from __future__ import annotations

import pathlib
import sys
import tempfile
import time

import pykka
from mopidy import core

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from harness import print_table

from mopidy_mtscrobble.favorites import Matcher
from mopidy_mtscrobble.kinds import LOVED
from mopidy_mtscrobble.library import Library
from mopidy_mtscrobble.matching import key_parts
from mopidy_mtscrobble.store import SongEntry, Store
from tests.fakes.library_backends import SearchingBackend
from tests.support.builders import model_track

DEFAULT_LIBRARY = 50_000
DEFAULT_NEW = 500
LOVED_SONGS = 10_000
RETAG_STEP = 7  # every 7th library track is retitled, some of them loved
NEW_LOVED_PERCENT = 80  # of the new tracks, this many were loved songs missing
TRACKS_PER_ARTIST = 10
MAX_REMATCH_S = 5.0


def track(i: int, prefix: str = "") -> object:
    return model_track(
        uri=f"local:track:{prefix}{i}",
        name=f"{prefix}Song {i}",
        artists=(f"{prefix}Artist {i // TRACKS_PER_ARTIST}",),
        album=f"Album {i // TRACKS_PER_ARTIST}",
    )


def loved_songs(library: int, new: int) -> list[tuple[str, str]]:
    """Loved songs: most in the library, some among the tracks to come."""
    coming = new * NEW_LOVED_PERCENT // 100
    step = max(1, library // (LOVED_SONGS - coming))
    present = [
        (f"Artist {i // TRACKS_PER_ARTIST}", f"Song {i}")
        for i in range(0, library, step)
    ][: LOVED_SONGS - coming]
    later = [
        (f"New Artist {i // TRACKS_PER_ARTIST}", f"New Song {i}") for i in range(coming)
    ]
    return present + later


def run(library_size: int, new_count: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        store = Store.open(folder, time.time())
        loved = loved_songs(library_size, new_count)
        store.jobs.start(LOVED, "bench", time.time())
        entries = [SongEntry(a, t, 0, *key_parts(a, t)) for a, t in loved]
        store.jobs.save_page(LOVED, 1, 1, len(entries), entries)
        store.jobs.finish(LOVED, time.time())
        store.close()

        backend = SearchingBackend.start(
            config={}, audio=None, tracks=[track(i) for i in range(library_size)]
        )
        library = backend.proxy().library
        core_proxy = core.Core.start(
            config={"core": {"max_tracklist_length": 100}},
            mixer=None,
            backends=[backend.proxy()],
            audio=None,
        ).proxy()
        matcher = Matcher(folder, Library(core_proxy), ("local",))
        began = time.perf_counter()
        matcher.run_once()
        match_s = time.perf_counter() - began
        began = time.perf_counter()
        first = matcher.rematch_once()
        first_s = time.perf_counter() - began

        library.add([track(i, "New ") for i in range(new_count)]).get()
        calls = dict(library.calls.get())
        began = time.perf_counter()
        result = matcher.rematch_once()
        waiting = matcher.run_once()
        rematch_s = time.perf_counter() - began
        after = dict(library.calls.get())
        store = Store.open(folder, time.time())
        counts = store.songs.match_counts(LOVED)
        store.close()

        retag = [RETAG_STEP * k for k in range(new_count)]
        library.remove([f"local:track:{i}" for i in retag]).get()
        library.add(
            [
                model_track(
                    uri=f"local:track:{i}",
                    name=f"Other {i}",
                    artists=(f"Artist {i // TRACKS_PER_ARTIST}",),
                )
                for i in retag
            ]
        ).get()
        before_retag = dict(library.calls.get())
        began = time.perf_counter()
        retagged = matcher.rematch_once()
        matcher.run_once()
        retag_s = time.perf_counter() - began
        after_retag = dict(library.calls.get())
        restarted = Matcher(folder, Library(core_proxy), ("local",))
        began = time.perf_counter()
        full = restarted.rematch_once()  # a run's first: every track looked up
        full_s = time.perf_counter() - began
        pykka.ActorRegistry.stop_all()
        store = Store.open(folder, time.time())
        retag_counts = store.songs.match_counts(LOVED)
        store.close()

    searches = after["search"] - calls.get("search", 0)
    lookups = after["lookup"] - calls.get("lookup", 0)
    retag_lookups = after_retag["lookup"] - before_retag["lookup"]
    retag_searches = after_retag["search"] - before_retag["search"]
    loved_set = set(loved)
    retagged_loved = sum(
        1
        for i in retag
        if (f"Artist {i // TRACKS_PER_ARTIST}", f"Song {i}") in loved_set
    )
    rows = [
        ("local library", f"{library_size:,} tracks"),
        ("loved songs", f"{len(loved):,}"),
        ("first match (search) wall time", f"{match_s:.1f} s"),
        ("first rematch: tracks recorded", f"{first.new:,}"),
        ("first rematch wall time", f"{first_s:.1f} s"),
        ("new tracks", f"{new_count:,}"),
        ("rematch: tracks looked up", f"{lookups:,}"),
        ("rematch: library searches", f"{searches:,}"),
        ("rematch: matches made", f"{result.matches_made:,}"),
        ("rematch wall time", f"{rematch_s:.2f} s (at most {MAX_REMATCH_S:.0f} s)"),
        ("matched / not found after", f"{counts['matched']:,} / {counts['missing']:,}"),
        ("retitled tracks (same URIs)", f"{len(retag):,}"),
        ("rematch: tracks looked up", f"{retag_lookups:,}"),
        ("rematch: tracks retagged", f"{retagged.retagged:,}"),
        ("rematch: matches dropped", f"{retagged.matches_dropped:,}"),
        ("search of the songs left", f"{retag_searches:,} searches"),
        (
            "rematch + search wall time",
            f"{retag_s:.2f} s (at most {MAX_REMATCH_S:.0f} s)",
        ),
        (
            "matched / not found after",
            f"{retag_counts['matched']:,} / {retag_counts['missing']:,}",
        ),
        ("startup rematch (all looked up)", f"{full.retagged:,} retagged"),
        ("startup rematch wall time", f"{full_s:.1f} s (no target)"),
    ]
    print_table("Rematching a library after new tracks arrived", rows)
    ok = (
        rematch_s <= MAX_REMATCH_S
        and lookups == new_count
        and searches == 0
        and not waiting
        and result.matches_made == new_count * NEW_LOVED_PERCENT // 100
        and counts["missing"] == 0
        and retag_s <= MAX_REMATCH_S
        and retag_lookups == len(retag)
        and retagged.retagged == len(retag)
        and retagged.matches_dropped == retagged_loved
        and retag_counts["missing"] == retagged_loved
        and full.retagged == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:3]]
    sizes += [DEFAULT_LIBRARY, DEFAULT_NEW][len(sizes) :]
    sys.exit(run(*sizes))
