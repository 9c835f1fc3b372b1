"""Play counts: the sync from the fake server, counts kept current, the playlist."""

from __future__ import annotations

import pykka
import pytest
from mopidy import core

from mopidy_mtscrobble.backend import (
    MOST_PLAYED_PLAYLIST_URI,
    MOST_PLAYED_URI,
    MTScrobbleBackend,
)
from mopidy_mtscrobble.favorites import Matcher
from mopidy_mtscrobble.kinds import PLAYCOUNTS
from mopidy_mtscrobble.library import Library
from mopidy_mtscrobble.matching import key_parts
from mopidy_mtscrobble.store import NewScrobble, SongEntry, Store

from ..fakes.lastfm import Fault
from ..fakes.library_backends import SearchingBackend
from ..fakes.player import FakeClock, TestAudio
from ..support.builders import model_track
from ..support.delivery_harness import NOW, run_until_idle
from ..support.frontend_harness import config_for


def top(count):
    return [
        {"artist": f"Artist {i % 13}", "track": f"Song {i}", "playcount": 5000 - i}
        for i in range(count)
    ]


def counted(artist, track, playcount):
    return SongEntry(artist, track, playcount, *key_parts(artist, track))


def pages_asked(lastfm):
    return [int(r.params["page"]) for r in lastfm.requests_for("user.getTopTracks")]


def count_of(store, artist, track):
    return store.songs.playcount_for("nowhere:", key_parts(artist, track))


def synced(make_delivery, lastfm, clock, tracks):
    lastfm.top_tracks["alice"] = tracks
    worker = make_delivery()
    run_until_idle(worker, clock)
    return worker


def test_sync_fetches_every_page_after_the_loved_tracks(
    make_delivery, store, lastfm, clock
):
    synced(make_delivery, lastfm, clock, top(2500))
    assert pages_asked(lastfm) == [1, 2, 3]
    request = lastfm.requests_for("user.getTopTracks")[0]
    assert (request.params["period"], request.params["limit"]) == ("overall", "1000")
    methods = [r.method for r in lastfm.requests if r.method.startswith("user.")]
    assert methods[0] == "user.getLovedTracks"
    assert store.songs.match_counts(PLAYCOUNTS)["total"] == 2500
    assert count_of(store, "Artist 0", "Song 0") == 5000
    assert count_of(store, "Artist 3", "Song 2499") == 2501
    job = store.jobs.get(PLAYCOUNTS)
    assert (job.state, job.pages, job.fetched) == ("matching", 3, 2500)


def test_release_variants_listed_apart_add_up(make_delivery, store, lastfm, clock):
    synced(make_delivery, lastfm, clock, [
        {"artist": "Queen", "track": "Bohemian Rhapsody", "playcount": 40},
        {"artist": "Queen", "track": "Bohemian Rhapsody - Remastered 2011",
         "playcount": 2},
        {"artist": "Queen", "track": "Bohemian Rhapsody (Live Aid)", "playcount": 7},
    ])  # fmt: skip
    assert count_of(store, "Queen", "Bohemian Rhapsody") == 42
    assert count_of(store, "Queen", "Bohemian Rhapsody (Live)") == 7


def test_sync_stopped_midway_resumes_from_the_next_page(
    make_delivery, store, lastfm, clock
):
    lastfm.top_tracks["alice"] = top(2500)
    worker = make_delivery()
    while store.jobs.get(PLAYCOUNTS) is None or store.jobs.get(PLAYCOUNTS).page < 1:
        worker.step()
    worker.close()  # Mopidy stops after page 1
    resumed = make_delivery(user=None)
    assert resumed.importing("playcounts")
    run_until_idle(resumed, clock)
    assert pages_asked(lastfm) == [1, 2, 3]
    assert store.songs.match_counts(PLAYCOUNTS)["total"] == 2500


def test_a_new_sync_replaces_the_numbers(make_delivery, store, lastfm, clock):
    worker = synced(make_delivery, lastfm, clock, top(3))
    lastfm.top_tracks["alice"] = [
        {"artist": "Artist 0", "track": "Song 0", "playcount": 1},
    ]
    assert worker.start_import("playcounts")
    run_until_idle(worker, clock)
    assert count_of(store, "Artist 0", "Song 0") == 1
    assert count_of(store, "Artist 1", "Song 1") is None


def test_only_scrobbles_the_server_accepts_add_to_the_counts(
    make_delivery, store, lastfm, clock
):
    worker = synced(make_delivery, lastfm, clock, [
        {"artist": "Artist 0", "track": "Song 0", "playcount": 5},
    ])  # fmt: skip
    accepted = store.queue.enqueue(
        NewScrobble("Artist 0", "Song 0 (Remastered)", int(NOW) - 60,
                    uri="local:track:0"),
        NOW,
    )  # fmt: skip
    too_old = store.queue.enqueue(
        NewScrobble("Artist 0", "Song 0", int(NOW) - 15 * 86_400), NOW
    )
    new_song = store.queue.enqueue(
        NewScrobble("Newcomer", "First", int(NOW) - 30, uri="local:track:new",
                    duration_s=200),
        NOW,
    )  # fmt: skip
    worker.queue_changed()
    run_until_idle(worker, clock)
    assert [store.queue.get(i).state for i in (accepted, too_old, new_song)] == [
        "sent", "rejected", "sent",
    ]  # fmt: skip
    assert count_of(store, "Artist 0", "Song 0") == 6
    assert count_of(store, "Newcomer", "First") == 1
    # The played local track is the new song's match at once.
    assert store.songs.playcount_for("local:track:new", ("", "", "")) == 1
    lastfm.inject(Fault("reset", count=10))
    queued = store.queue.enqueue(NewScrobble("Artist 0", "Song 0", int(NOW) - 20), NOW)
    worker.queue_changed()
    worker.step()
    assert store.queue.get(queued).state != "sent"
    assert count_of(store, "Artist 0", "Song 0") == 6


def test_radio_plays_count_but_the_station_is_not_a_match(store):
    scrobble = store.queue.enqueue(
        NewScrobble("DJ", "Tune", int(NOW), uri="http://radio.example/stream",
                    chosen_by_user=False),
        NOW,
    )  # fmt: skip
    store.queue.mark_in_flight([scrobble], NOW)
    store.queue.mark_sent([scrobble], NOW, ("local", "file", "http"))
    assert count_of(store, "DJ", "Tune") == 1
    assert store.songs.most_played(10) == []


LOCAL = [
    model_track(uri=f"local:track:{i}", name=f"Song {i}", artists=(f"Artist {i}",))
    for i in range(5)
]


@pytest.fixture
def mopidy(tmp_path):
    config = config_for(tmp_path, favorites_uri_schemes=("local",), most_played_size=3)
    audio = TestAudio.start().proxy()
    backends = [
        SearchingBackend.start(config=config, audio=audio, tracks=LOCAL).proxy(),
        MTScrobbleBackend.start(config=config, audio=audio).proxy(),
    ]
    yield core.Core.start(config=config, mixer=None, backends=backends,
                          audio=audio).proxy()  # fmt: skip
    pykka.ActorRegistry.stop_all()


def test_most_played_playlist_lists_the_top_local_tracks_in_order(tmp_path, mopidy):
    data_dir = tmp_path / "mtscrobble"
    data_dir.mkdir()
    store = Store.open(data_dir, NOW)
    store.jobs.start(PLAYCOUNTS, "alice", NOW)
    counts = {0: 3, 1: 50, 2: 7, 3: 20, 4: 1}
    entries = [counted(f"Artist {i}", f"Song {i}", n) for i, n in counts.items()]
    store.jobs.save_page(
        PLAYCOUNTS, 1, 1, 6, [*entries, counted("Nobody", "Here", 999)]
    )
    store.jobs.finish(PLAYCOUNTS, NOW)
    results = Matcher(data_dir, Library(mopidy), ("local",),
                      clock=FakeClock(NOW)).run_once()  # fmt: skip
    assert results["playcounts"]["matched"] == 5
    assert store.jobs.get(PLAYCOUNTS).state == "done"
    playlist = mopidy.playlists.lookup(MOST_PLAYED_PLAYLIST_URI).get()
    assert playlist.name == "Most played on Last.fm"
    assert [t.uri for t in playlist.tracks] == [
        "local:track:1", "local:track:3", "local:track:2",
    ]  # fmt: skip
    refs = mopidy.library.browse(MOST_PLAYED_URI).get()
    assert [r.uri for r in refs] == [t.uri for t in playlist.tracks]
    assert store.songs.playcount_for("local:track:3", ("", "", "")) == 20
