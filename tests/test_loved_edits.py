"""Editing the "Loved on Last.fm" playlist through a real Mopidy core, as any
client does (MPD's playlistadd/playlistdelete, Iris, JSON-RPC all end in
core.playlists.save): adding loves, removing unloves, anything else is refused.
"""

from __future__ import annotations

import json
import logging
import sqlite3

import pykka
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mopidy import core
from mopidy.models import Playlist, Track

try:
    from mopidy.models import model_json_decoder  # Mopidy 3
except ImportError:  # Mopidy 4 decodes with pydantic
    model_json_decoder = None

from mopidy_mtscrobble.backend import (
    MOST_PLAYED_PLAYLIST_URI,
    PLAYLIST_URI,
    SEARCH_URI,
    MTScrobbleBackend,
)
from mopidy_mtscrobble.frontend import MTScrobbleFrontend
from mopidy_mtscrobble.loved_edits import edits
from mopidy_mtscrobble.settings import Settings
from mopidy_mtscrobble.store import DB_FILENAME

from .fakes.library_backends import SearchingBackend
from .fakes.player import FakeClock, ManualScheduler, TestAudio
from .support.builders import model_track
from .support.frontend_harness import START_WALL, RecordingDelivery, config_for

TRACKS = [
    model_track(uri="local:track:1", name="Song", artists=("Singer",)),
    model_track(uri="local:track:2", name="Other", artists=("Band",)),
    model_track(uri="local:track:nameless", name=None, artists=()),
]


@pytest.fixture
def mopidy(tmp_path):
    """A core with a local library and our backend, and our frontend."""
    config = config_for(tmp_path, favorites_uri_schemes=("local",))
    audio = TestAudio.start().proxy()
    backends = [
        SearchingBackend.start(config=config, audio=audio, tracks=TRACKS),
        MTScrobbleBackend.start(config=config, audio=audio),
    ]
    core_proxy = core.Core.start(
        config=config, mixer=None, backends=[b.proxy() for b in backends], audio=audio
    ).proxy()
    clock = FakeClock(START_WALL)
    frontend = MTScrobbleFrontend.start(
        config,
        core_proxy,
        clock=clock,
        scheduler=ManualScheduler(clock),
        delivery=RecordingDelivery(),
        match_library=False,
    ).proxy()
    frontend.settings.get()  # on_start has run
    yield core_proxy
    pykka.ActorRegistry.stop_all()


def love_queue(tmp_path):
    db = sqlite3.connect(tmp_path / "mtscrobble" / DB_FILENAME)
    rows = db.execute(
        "SELECT action, artist, track, destination, state FROM love_queue ORDER BY id"
    ).fetchall()
    db.close()
    return rows


def loved(core_proxy):
    return core_proxy.playlists.lookup(PLAYLIST_URI).get()


def applied() -> None:
    """Until our backend has applied the saves made so far (on its thread)."""
    [ref] = pykka.ActorRegistry.get_by_class(MTScrobbleBackend)
    assert ref.proxy().edits.get().wait(10)


def save(core_proxy, playlist, *uris):
    tracks = [*playlist.tracks, *(Track(uri=u) for u in uris)]
    saved = core_proxy.playlists.save(playlist.replace(tracks=tracks)).get()
    applied()
    return saved


DESTINATIONS = Settings().destinations


def as_sent_over_json_rpc(playlist, *uris):
    """The playlist with `uris` added, decoded as Mopidy's JSON-RPC decodes
    what a client (Iris, a script) sends."""
    body = {
        "__model__": "Playlist",
        "uri": playlist.uri,
        "name": playlist.name,
        "tracks": [
            {"__model__": "Track", "uri": uri}
            for uri in [*(t.uri for t in playlist.tracks), *uris]
        ],
    }
    if hasattr(Playlist, "model_validate"):  # Mopidy 4: pydantic
        return Playlist.model_validate(body)
    return json.loads(json.dumps(body), object_hook=model_json_decoder)


def test_a_save_a_json_rpc_client_sent_is_answered_as_saved(mopidy, tmp_path):
    """Mopidy 4's `replace` cannot take tracks a JSON-RPC client sent (their
    "__model__" comes back as an unknown field): the save failed, after
    Mopidy had spent seconds logging it while its core waited."""
    sent = as_sent_over_json_rpc(loved(mopidy), "local:track:1", "local:track:2")
    saved = mopidy.playlists.save(sent).get()
    applied()
    assert saved is not None
    assert [t.uri for t in saved.tracks] == ["local:track:1", "local:track:2"]
    assert saved.name == "Loved on Last.fm"
    assert {t.uri for t in loved(mopidy).tracks} == {"local:track:1", "local:track:2"}


def test_a_track_added_is_loved_and_queued_for_each_destination(mopidy, tmp_path):
    saved = save(mopidy, loved(mopidy), "local:track:1")
    assert [t.uri for t in saved.tracks] == ["local:track:1"]
    assert [t.uri for t in loved(mopidy).tracks] == ["local:track:1"]
    assert love_queue(tmp_path) == [
        ("love", "Singer", "Song", name, "pending") for name in DESTINATIONS
    ]


def test_a_track_removed_is_unloved(mopidy, tmp_path):
    save(mopidy, loved(mopidy), "local:track:1", "local:track:2")
    playlist = loved(mopidy)
    kept = [t for t in playlist.tracks if t.uri != "local:track:1"]
    saved = mopidy.playlists.save(playlist.replace(tracks=kept)).get()
    applied()
    assert [t.uri for t in saved.tracks] == ["local:track:2"]
    assert love_queue(tmp_path)[-len(DESTINATIONS) :] == [
        ("unlove", "Singer", "Song", name, "pending") for name in DESTINATIONS
    ]


def test_saving_it_unchanged_or_renamed_changes_nothing(mopidy, tmp_path):
    save(mopidy, loved(mopidy), "local:track:1")
    before = love_queue(tmp_path)
    renamed = mopidy.playlists.save(loved(mopidy).replace(name="Mine")).get()
    assert renamed == loved(mopidy)
    assert renamed.name == "Loved on Last.fm"
    assert love_queue(tmp_path) == before


@pytest.mark.parametrize(
    ("uri", "said", "at_once"),
    [
        ("http://radio.example/stream", "is not a track of your library", True),
        ("local:track:nameless", "has no artist or title", False),
        (
            "local:track:unknown",
            "has no artist or title (or is not in the library)",
            False,
        ),
    ],
)
def test_a_stream_or_a_nameless_track_is_refused_and_nothing_changes(
    mopidy, tmp_path, caplog, uri, said, at_once
):
    # A stream is refused by the save itself; a track is known nameless only
    # once looked up, after the save answered: then nothing of it is applied.
    caplog.set_level(logging.WARNING, logger="mopidy_mtscrobble")
    saved = save(mopidy, loved(mopidy), "local:track:2", uri)
    assert (saved is None) is at_once
    assert loved(mopidy).tracks == ()
    assert love_queue(tmp_path) == []
    [record] = [r for r in caplog.records if said in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "Not loved, the playlist is left as it was" in record.getMessage()


def test_most_played_refuses_a_save_and_says_why(mopidy, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="mopidy_mtscrobble")
    playlist = mopidy.playlists.lookup(MOST_PLAYED_PLAYLIST_URI).get()
    assert save(mopidy, playlist, "local:track:1") is None
    assert love_queue(tmp_path) == []
    assert "'Most played on Last.fm' was not changed" in caplog.text
    assert "cannot be edited" in caplog.text


def test_our_playlists_cannot_be_deleted_or_created_again(mopidy, caplog):
    caplog.set_level(logging.WARNING, logger="mopidy_mtscrobble")
    assert mopidy.playlists.delete(PLAYLIST_URI).get() is False
    assert "'Loved on Last.fm' cannot be deleted" in caplog.text
    assert mopidy.playlists.create("Loved on Last.fm", "mtscrobble").get() is None
    assert "ours exists already" in caplog.text
    assert loved(mopidy) is not None


def test_search_answers_an_empty_result_and_logs_no_error(mopidy, caplog):
    caplog.set_level(logging.WARNING)
    results = mopidy.library.search({"any": ["Song"]}).get()
    ours = [r for r in results if r.uri == SEARCH_URI]
    assert [(r.tracks, r.albums, r.artists) for r in ours] == [((), (), ())]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


URIS = st.lists(st.sampled_from("abcdefgh"), max_size=8)


@given(URIS, URIS)
def test_edits_are_exactly_what_was_added_and_removed(current, saved):
    found = edits(current, saved)
    assert set(found.added) == set(saved) - set(current)
    assert set(found.removed) == set(current) - set(saved)
    assert len(found.added) == len(set(found.added))
    assert len(found.removed) == len(set(found.removed))
