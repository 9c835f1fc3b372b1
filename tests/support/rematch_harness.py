"""The rematch tests' world: a data directory with loved songs (`data_dir`), a
library in a Mopidy core (`library`), a matcher after its startup work, and the
matches it made."""

from __future__ import annotations

import pykka
import pytest
from mopidy import core

from mopidy_mtscrobble.favorites import Matcher
from mopidy_mtscrobble.kinds import LOVED
from mopidy_mtscrobble.library import Library
from mopidy_mtscrobble.matching import key_parts
from mopidy_mtscrobble.store import SongEntry, Store

from ..fakes.library_backends import SearchingBackend
from ..fakes.player import FakeClock, TestAudio
from .builders import model_track
from .frontend_harness import config_for

NOW = 1_700_000_000.0
LIBRARY = [
    model_track(uri=f"local:track:{i}", name=f"Song {i}", artists=(f"Artist {i}",))
    for i in range(20)
]
LOVED_SONGS = [("Artist 1", "Song 1"), ("Artist 2", "Song 2"), ("Sigur Ros", "Later")]


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "mtscrobble"
    path.mkdir()
    store = Store.open(path, NOW)
    store.jobs.start(LOVED, "alice", NOW)
    entries = [SongEntry(a, t, int(NOW), *key_parts(a, t)) for a, t in LOVED_SONGS]
    store.jobs.save_page(LOVED, 1, 1, len(entries), entries)
    store.jobs.finish(LOVED, NOW)
    store.close()
    return path


@pytest.fixture
def library(tmp_path):
    config = config_for(tmp_path, favorites_uri_schemes=("local",))
    audio = TestAudio.start().proxy()
    backend = SearchingBackend.start(config=config, audio=audio, tracks=LIBRARY)
    core_proxy = core.Core.start(
        config=config, mixer=None, backends=[backend.proxy()], audio=audio
    ).proxy()
    yield core_proxy, backend.proxy().library
    pykka.ActorRegistry.stop_all()


def matches(data_dir):
    store = Store.open(data_dir, NOW)
    try:
        rows = store.db.read(
            "SELECT l.track, m.uri FROM loved l JOIN loved_matches m "
            "ON m.loved_id = l.id ORDER BY l.track"
        )
        return {(r[0], r[1]) for r in rows}, store.songs.match_counts(LOVED)
    finally:
        store.close()


def started(data_dir, library):
    """A matcher after its startup work: the first rematch, then the search."""
    core_proxy, _ = library
    matcher = Matcher(data_dir, Library(core_proxy), ("local",), clock=FakeClock(NOW))
    matcher.rematch_once()
    matcher.run_once()
    return matcher
