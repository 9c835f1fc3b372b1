"""Matching keeps only what it still needs: a bounded number of search answers
(songs come ordered by artist, so each artist is still asked once) and none
once the run is over. A real Mopidy core with a searching test backend."""

from __future__ import annotations

import pykka
import pytest
from mopidy import core

from mopidy_mtscrobble.favorites import MAX_CACHED_SEARCHES, Matcher
from mopidy_mtscrobble.kinds import LOVED
from mopidy_mtscrobble.library import Library
from mopidy_mtscrobble.matching import key_parts
from mopidy_mtscrobble.store import SongEntry, Store

from .fakes.library_backends import SearchingBackend
from .fakes.player import FakeClock, TestAudio
from .support.builders import model_track
from .support.frontend_harness import config_for

NOW = 1_700_000_000.0
ARTISTS = MAX_CACHED_SEARCHES + 44  # more artists than answers kept
SONGS_PER_ARTIST = 3


@pytest.fixture
def library(tmp_path):
    config = config_for(tmp_path, favorites_uri_schemes=("local",))
    audio = TestAudio.start().proxy()
    tracks = [
        model_track(
            uri=f"local:track:{a}-{s}", name=f"Song {s}", artists=(f"Band {a}",)
        )
        for a in range(ARTISTS)
        for s in range(SONGS_PER_ARTIST)
    ]
    backend = SearchingBackend.start(config=config, audio=audio, tracks=tracks)
    core_proxy = core.Core.start(
        config=config, mixer=None, backends=[backend.proxy()], audio=audio
    ).proxy()
    yield core_proxy, backend.proxy().library
    pykka.ActorRegistry.stop_all()


def test_each_artist_is_searched_once_with_a_bounded_cache(tmp_path, library):
    core_proxy, backend = library
    store = Store.open(tmp_path, NOW)
    store.jobs.start(LOVED, "alice", NOW)
    loved = [
        (f"Band {a}", f"Song {s}")
        for s in range(SONGS_PER_ARTIST)  # not in artist order: the store sorts
        for a in range(ARTISTS)
    ]
    entries = [SongEntry(a, t, int(NOW), *key_parts(a, t)) for a, t in loved]
    store.jobs.save_page(LOVED, 1, 1, len(entries), entries)
    store.jobs.finish(LOVED, NOW)
    store.close()
    matcher = Matcher(tmp_path, Library(core_proxy), ("local",), clock=FakeClock(NOW))

    counts = matcher.run_once()["loved"]

    assert (counts["matched"], counts["missing"]) == (len(loved), 0)
    assert backend.calls.get()["search"] == ARTISTS
    assert matcher.last_index is not None
    assert matcher.last_index.searches == ARTISTS  # the counts outlive the run
    assert matcher.last_index.cached_searches == 0  # the answers do not
