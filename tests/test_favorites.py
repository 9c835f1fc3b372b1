"""Loved songs matched to local tracks and shown through a real Mopidy core."""

from __future__ import annotations

import logging

import pykka
import pytest
from mopidy import core

from mopidy_mtscrobble.backend import (
    LOVED_URI,
    MISSING_URI,
    PLAYLIST_URI,
    ROOT_URI,
    MTScrobbleBackend,
)
from mopidy_mtscrobble.destinations import LASTFM
from mopidy_mtscrobble.frontend import MTScrobbleFrontend
from mopidy_mtscrobble.kinds import LOVED
from mopidy_mtscrobble.library import find_track
from mopidy_mtscrobble.matching import key_parts
from mopidy_mtscrobble.store import Store

from .fakes.library_backends import BrowsingBackend, SearchingBackend
from .fakes.player import FakeClock, TestAudio
from .support.builders import model_track
from .support.favorites_harness import NOW, import_loved, match, playlist_uris
from .support.frontend_harness import RecordingDelivery, config_for

OTHER_RECORDING = "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"

LOCAL_TRACKS = [
    model_track(uri="local:track:halo", name="Halo", artists=("Beyoncé",)),
    model_track(uri="local:track:halo-live", name="Halo (Live)", artists=("Beyoncé",)),
    model_track(
        uri="local:track:ny",
        name="New Year's Day - 2008 Remaster",
        artists=("U2",),
    ),
    model_track(uri="local:track:police", name="Next to You", artists=("Police, The",)),
    model_track(
        uri="local:track:other",
        name="Other",
        artists=("Somebody",),
        musicbrainz_id=OTHER_RECORDING,
    ),
    model_track(uri="local:track:untagged", name=None, artists=()),
]
FILE_TRACKS = [
    model_track(
        uri="file:///music/chaos.ogg", name="Chaos", artists=("Herbert Gronemeyer",)
    ),
    model_track(uri="file:///music/halo.ogg", name="Halo", artists=("Beyonce",)),
]


@pytest.fixture
def config(tmp_path):
    return config_for(tmp_path, favorites_uri_schemes=("local", "file"))


@pytest.fixture
def mopidy(config):
    """A Mopidy core with a searching `local`, a browsing `file` and our backend."""
    audio = TestAudio.start().proxy()
    backends = [
        SearchingBackend.start(config=config, audio=audio, tracks=LOCAL_TRACKS).proxy(),
        BrowsingBackend.start(config=config, audio=audio, tracks=FILE_TRACKS).proxy(),
        MTScrobbleBackend.start(config=config, audio=audio).proxy(),
    ]
    core_proxy = core.Core.start(
        config=config, mixer=None, backends=backends, audio=audio
    ).proxy()
    yield core_proxy
    pykka.ActorRegistry.stop_all()


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "mtscrobble"
    path.mkdir(exist_ok=True)
    return path


def test_loved_songs_match_local_tracks_in_any_release_variant(data_dir, mopidy):
    store = import_loved(data_dir)
    counts, _ = match(data_dir, mopidy)
    assert counts["loved"] == {"total": 5, "matched": 4, "missing": 1, "waiting": 0}
    assert playlist_uris(mopidy) == [
        "local:track:halo",  # the live take is another recording
        "local:track:ny",
        "local:track:police",
        "file:///music/chaos.ogg",
    ]
    job = store.jobs.get(LOVED)
    assert (job.state, job.matched, job.unmatched) == ("done", 4, 1)


def test_an_import_of_no_loved_tracks_ends_too(data_dir, mopidy):
    store = import_loved(data_dir, [])
    counts, _ = match(data_dir, mopidy)
    assert counts["loved"] == {"total": 0, "matched": 0, "missing": 0, "waiting": 0}
    assert store.jobs.get(LOVED).state == "done"


def test_every_matching_track_is_kept_the_first_scheme_first(data_dir, mopidy):
    store = import_loved(data_dir, [("Beyoncé", "Halo", NOW)])
    match(data_dir, mopidy)
    [loved] = store.songs.loved_for("local:track:halo", key_parts("Beyoncé", "Halo"))
    assert playlist_uris(mopidy) == ["local:track:halo"]
    for uri in ("local:track:halo", "file:///music/halo.ogg"):  # both matches kept
        assert store.songs.loved_for(uri, ("", "", "")) == [loved]


def test_matching_asks_each_artist_once_and_browses_a_backend_once(data_dir, mopidy):
    loved = [("Beyoncé", f"Song {i}", NOW - i) for i in range(50)]
    import_loved(data_dir, loved)
    _, index = match(data_dir, mopidy)
    assert index.searches == 1  # the name as the library writes it
    assert index.listings == 1
    assert index.scans == 1


def test_not_matched_songs_are_listed_and_reported(data_dir, mopidy, caplog):
    import_loved(data_dir)
    with caplog.at_level(logging.DEBUG, "mopidy_mtscrobble"):
        match(data_dir, mopidy)
    assert "1 not found" in caplog.text
    assert "Loved but not in your library: Die Ärzte - Killing Joke" in caplog.text
    refs = mopidy.library.browse(MISSING_URI).get()
    assert [r.name for r in refs] == ["Die Ärzte - Killing Joke"]
    [track] = mopidy.library.lookup(uris=[refs[0].uri]).get()[refs[0].uri]
    assert track.name == "Killing Joke"


def test_playlist_and_directories_are_visible_through_the_core(data_dir, mopidy):
    import_loved(data_dir)
    match(data_dir, mopidy)
    [ref] = [r for r in mopidy.playlists.as_list().get() if r.uri == PLAYLIST_URI]
    assert ref.name == "Loved on Last.fm"
    items = mopidy.playlists.get_items(PLAYLIST_URI).get()
    assert [i.uri for i in items] == playlist_uris(mopidy)
    roots = mopidy.library.browse(None).get()
    assert any(r.uri == ROOT_URI and r.name == "Last.fm" for r in roots)
    assert [r.name for r in mopidy.library.browse(ROOT_URI).get()] == [
        "Loved tracks",
        "Loved but not in your library",
        "Most played",
    ]
    loved_refs = mopidy.library.browse(LOVED_URI).get()
    assert [r.uri for r in loved_refs] == playlist_uris(mopidy)
    tracks = mopidy.library.lookup(uris=[PLAYLIST_URI]).get()[PLAYLIST_URI]
    assert tracks[0].name == "Halo"


def test_the_playlist_cannot_be_deleted(data_dir, mopidy, caplog):
    # Saving it loves and unloves: see test_loved_edits.
    import_loved(data_dir)
    match(data_dir, mopidy)
    with caplog.at_level(logging.WARNING):
        deleted = mopidy.playlists.delete(PLAYLIST_URI).get()
    assert not deleted
    assert "cannot be deleted" in caplog.text
    assert len(playlist_uris(mopidy)) == 4


@pytest.fixture
def frontend(mopidy, config):
    delivery = RecordingDelivery()
    proxy = MTScrobbleFrontend.start(
        config,
        mopidy,
        clock=FakeClock(NOW),
        delivery=delivery,
        match_library=False,
    ).proxy()
    proxy.settings.get()  # on_start has run
    return proxy, delivery


def find(mopidy, uri=None):
    return find_track(mopidy, uri, ("local",), timeout_s=10)


def test_love_shows_the_track_at_once_and_queues_it(frontend, mopidy, data_dir):
    proxy, delivery = frontend
    result = proxy.love(find(mopidy, "local:track:other")).get()
    assert (result.loved, result.artist, result.track) == (True, "Somebody", "Other")
    assert playlist_uris(mopidy) == ["local:track:other"]
    info = proxy.track_info(find(mopidy, "local:track:other")).get()
    assert (info.loved, info.playcount) == (True, None)
    store = Store.open(data_dir, NOW)
    [action] = store.love_queue_to(LASTFM).due(NOW, 10)
    assert (action.action, action.artist, action.track) == ("love", "Somebody", "Other")
    # Queued for the destinations configured, with the track's recording id:
    assert list(store.loves.destinations_of(action.id)) == [LASTFM]
    assert action.mbid == action.recording == OTHER_RECORDING
    assert delivery.queue_changes == 1


def test_unlove_removes_the_track_at_once_and_queues_it(frontend, mopidy, data_dir):
    import_loved(data_dir)
    match(data_dir, mopidy)
    proxy, _ = frontend
    result = proxy.unlove(find(mopidy, "local:track:ny")).get()
    assert result.loved is False
    assert "local:track:ny" not in playlist_uris(mopidy)
    store = Store.open(data_dir, NOW)
    [action] = store.love_queue_to(LASTFM).due(NOW, 10)
    # The network's own names, not the local tags:
    assert (action.action, action.artist, action.track) == (
        "unlove",
        "U2",
        "New Year\u2019s Day",
    )


def test_finding_the_track_to_love_says_what_is_wrong(mopidy):
    from mopidy_mtscrobble.errors import TrackError

    with pytest.raises(TrackError, match="Nothing is playing") as nothing:
        find(mopidy)
    assert nothing.value.http_status == 409
    with pytest.raises(TrackError, match="No track has the URI") as unknown:
        find(mopidy, "local:track:nope")
    assert unknown.value.http_status == 404
    with pytest.raises(TrackError, match="has no artist or title") as untagged:
        find(mopidy, "local:track:untagged")
    assert untagged.value.http_status == 400
    with pytest.raises(TrackError, match="Only tracks of your library") as other:
        find(mopidy, "http://example.com/stream.mp3")
    assert other.value.http_status == 400
