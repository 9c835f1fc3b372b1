"""Loved songs imported into a store and matched to the tracks of a Mopidy
core's library, and the playlist of those matched."""

from __future__ import annotations

from mopidy_mtscrobble.backend import PLAYLIST_URI
from mopidy_mtscrobble.favorites import Matcher
from mopidy_mtscrobble.kinds import LOVED
from mopidy_mtscrobble.library import Library
from mopidy_mtscrobble.matching import key_parts
from mopidy_mtscrobble.store import SongEntry, Store

from ..fakes.player import FakeClock

NOW = 1_700_000_000.0
LOVED_SONGS = [
    ("Beyoncé", "Halo", NOW - 10),
    ("U2", "New Year\u2019s Day", NOW - 20),
    ("The Police", "Next To You", NOW - 30),
    ("Herbert Grönemeyer", "Chaos", NOW - 40),
    ("Die Ärzte", "Killing Joke", NOW - 50),
]


def import_loved(data_dir, loved=LOVED_SONGS):
    store = Store.open(data_dir, NOW)
    store.jobs.start(LOVED, "alice", NOW)
    store.jobs.save_page(
        LOVED,
        1,
        1,
        len(loved),
        [SongEntry(a, t, int(at), *key_parts(a, t)) for a, t, at in loved],
    )
    store.jobs.finish(LOVED, NOW)
    return store


def match(data_dir, mopidy, schemes=("local", "file")):
    matcher = Matcher(data_dir, Library(mopidy), schemes, clock=FakeClock(NOW))
    counts = matcher.run_once()
    return counts, matcher.last_index


def playlist_uris(mopidy):
    return [t.uri for t in mopidy.playlists.lookup(PLAYLIST_URI).get().tracks]
