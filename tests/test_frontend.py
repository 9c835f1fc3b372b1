"""The frontend inside a real Mopidy core with a test backend: events in, rows out."""

from __future__ import annotations

import sqlite3

import pykka
import pytest
from mopidy.models import TlTrack

from mopidy_mtscrobble.store import DB_FILENAME, NewScrobble, Store

from .support import frontend_harness
from .support.builders import model_track
from .support.frontend_harness import START_WALL, TRACKS, lock_database, release, rows

harness = frontend_harness.harness  # the fixture: a real Mopidy core, a fake clock


def test_full_play_is_queued_with_its_tags_and_start_time(harness, tmp_path):
    player = harness()
    player.clock.advance(0.4)
    player.play("dummy:song")
    player.advance(200)
    player.stop()
    [row] = rows(tmp_path)
    assert row["artist"] == "Artist"
    assert row["track"] == "Song"
    assert row["album"] == "Album"
    assert row["album_artist"] == "Album Artist"
    assert row["track_number"] == 3
    assert row["duration_s"] == 200
    assert row["uri"] == "dummy:song"
    assert row["chosen_by_user"] == 1
    assert row["timestamp"] == int(START_WALL + 0.4)
    assert row["state"] == "pending"


def test_play_is_committed_by_the_timer_the_moment_it_qualifies(harness, tmp_path):
    player = harness()
    player.play("dummy:song")
    [timer] = player.scheduler.pending()
    assert timer.due - player.clock.monotonic() == pytest.approx(180.05)
    player.advance(179)
    assert player.scheduler.fire_due() == 0
    player.advance(1.1)
    assert player.scheduler.fire_due() == 1
    player.sync()
    assert len(rows(tmp_path)) == 1  # still playing, already queued
    player.advance(19.9)
    player.stop()
    assert len(rows(tmp_path)) == 1
    assert player.delivery.queue_changes == 1


def test_skip_before_the_threshold_is_not_queued(harness, tmp_path):
    player = harness()
    player.play("dummy:song")
    player.advance(170)
    player.play("dummy:other")
    player.stop()
    assert rows(tmp_path) == []


def test_pause_time_is_not_listened_time(harness, tmp_path):
    player = harness()
    player.play("dummy:song")
    player.advance(100)
    player.pause()
    player.advance(1000)
    player.resume()
    player.advance(50)
    player.stop()
    assert rows(tmp_path) == []


def test_forward_seek_does_not_count(harness, tmp_path):
    player = harness()
    player.play("dummy:song")
    player.advance(10)
    player.seek(185_000)
    player.advance(15)
    player.stop()
    assert rows(tmp_path) == []


def test_repeat_gives_a_row_per_play(harness, tmp_path):
    player = harness()
    for _ in range(2):
        player.play("dummy:other")
        player.advance(100)
    player.stop()
    assert [r["track"] for r in rows(tmp_path)] == ["Other", "Other"]
    assert rows(tmp_path)[1]["timestamp"] == rows(tmp_path)[0]["timestamp"] + 100


def test_short_and_nameless_tracks_are_not_queued(harness, tmp_path):
    player = harness()
    for uri in ("dummy:short", "dummy:nameless"):
        player.play(uri)
        player.advance(300)
    player.stop()
    assert rows(tmp_path) == []


def test_excluded_scheme_is_neither_queued_nor_announced(harness, tmp_path):
    player = harness(excluded_uri_schemes=("dummy",))
    player.play("dummy:song")
    player.advance(200)
    player.stop()
    assert rows(tmp_path) == []
    assert player.delivery.now_playing_tracks == []


def test_now_playing_is_handed_to_delivery_and_never_queued(harness, tmp_path):
    player = harness()
    player.play("dummy:song")
    player.advance(5)
    player.stop()
    assert [t.title for t in player.delivery.now_playing_tracks] == ["Song"]
    assert rows(tmp_path) == []


def test_now_playing_off_announces_nothing(harness):
    player = harness(now_playing=False)
    player.play("dummy:song")
    assert player.delivery.now_playing_tracks == []


def test_radio_titles_become_plays_not_chosen_by_user(harness, tmp_path):
    player = harness()
    player.play("radio:station")
    player.announce_title("Band - Song")
    player.advance(61)
    player.announce_title("Station ident")
    player.advance(120)
    player.announce_title("Band - Too Short")
    player.advance(10)
    player.stop()
    [row] = rows(tmp_path)
    assert (row["artist"], row["track"]) == ("Band", "Song")
    assert row["chosen_by_user"] == 0
    assert row["duration_s"] is None
    assert row["uri"] == "radio:station"
    assert [t.title for t in player.delivery.now_playing_tracks] == [
        "Song", "Too Short",
    ]  # fmt: skip


def test_radio_off_queues_no_titles(harness, tmp_path):
    player = harness(scrobble_radio=False)
    player.play("radio:station")
    player.announce_title("Band - Song")
    player.advance(300)
    player.stop()
    assert rows(tmp_path) == []


def test_play_in_progress_at_shutdown_is_judged_and_kept(harness, tmp_path):
    player = harness()
    player.play("dummy:song")
    player.advance(190)
    player.frontend.actor_ref.stop()
    assert len(rows(tmp_path)) == 1


def test_qualified_play_waits_in_memory_while_the_database_is_locked(harness, tmp_path):
    player = harness(store_lock_wait_s=0.05)
    holder = sqlite3.connect(
        tmp_path / "mtscrobble" / DB_FILENAME, isolation_level=None
    )
    holder.execute("BEGIN IMMEDIATE")
    player.play("dummy:other")
    player.advance(100)
    player.stop()
    assert player.frontend.plays_waiting_in_memory().get() == 1
    holder.execute("ROLLBACK")
    holder.close()
    player.advance(31)
    player.play("dummy:song")  # the next event after a pause tries again
    player.advance(5)
    player.stop()
    assert [r["track"] for r in rows(tmp_path)] == ["Other"]


def test_sent_history_older_than_history_days_is_pruned_daily(harness, tmp_path):
    player = harness(history_days=1)
    player.play("dummy:other")
    player.advance(100)
    player.stop()
    db = sqlite3.connect(tmp_path / "mtscrobble" / DB_FILENAME)
    with db:
        db.execute("UPDATE deliveries SET state = 'sent', sent_at = ?", (START_WALL,))
    db.close()
    player.advance(2 * 86_400)
    player.play("dummy:other")
    player.advance(100)
    player.stop()
    assert [r["state"] for r in rows(tmp_path)] == ["pending"]


def test_nothing_is_recorded_when_the_data_dir_is_unusable(harness, tmp_path):
    (tmp_path / "mtscrobble").write_text("in the way")
    player = harness()
    player.play("dummy:other")
    player.advance(100)
    player.stop()
    assert player.frontend.plays_waiting_in_memory().get() == 0


def test_several_artists_are_joined_in_a_stable_order():
    from mopidy_mtscrobble.frontend import track_from_model

    from .support.builders import model_track

    track = track_from_model(
        model_track(
            artists=("Zoe", "Adam"),
            musicbrainz_id="0383dadf-2a4e-4d10-a46a-e9e041da8eb3",
        )
    )
    assert track.artist == "Adam, Zoe"
    assert track.mbid == "0383dadf-2a4e-4d10-a46a-e9e041da8eb3"


def test_the_release_and_artist_ids_are_kept_in_the_artists_order():
    from mopidy.models import Album, Artist, Track

    from mopidy_mtscrobble.frontend import track_from_model

    zoe = "f27ec8db-af05-4f36-916e-3d57f91ecf5e"
    adam = "5b11f4ce-a62d-471e-81fc-a69a8278c7da"
    release = "b84ee12a-09ef-421b-82de-0441a926375b"
    model = Track(
        uri="dummy:x", name="Song", length=200_000,
        artists=[Artist(name="Zoe", musicbrainz_id=zoe),
                 Artist(name="Adam", musicbrainz_id=adam),
                 Artist(name="Nobody", musicbrainz_id="not an id")],
        album=Album(name="Album", musicbrainz_id=release),
    )  # fmt: skip
    track = track_from_model(model)
    assert track.artist == "Adam, Nobody, Zoe"
    assert track.artist_mbids == (adam, zoe)
    assert track.release_mbid == release
    assert track_from_model(Track(uri="dummy:y", name="S")).artist_mbids == ()


# Faults from the world: bad metadata, a database that cannot be written.

BAD_TRACKS = [
    model_track(uri="dummy:bad", name="Caf\udce9 au lait\x00", artists=("B\udcffnd",),
                length_ms=100_000, track_no=2**70),
    model_track(uri="dummy:after", name="After", length_ms=100_000),
    model_track(uri="dummy:controls", name="\x01Tab\there\x1f", artists=("\ufffeX",),
                length_ms=100_000, musicbrainz_id="not an id"),
]  # fmt: skip


def test_text_that_cannot_be_encoded_is_made_valid_and_blocks_nothing(
    harness, tmp_path
):
    player = harness(extra_tracks=BAD_TRACKS)
    for uri in ("dummy:bad", "dummy:after", "dummy:controls"):
        player.play(uri)
        player.advance(100)
    player.stop()
    queued = [(r["artist"], r["track"], r["track_number"]) for r in rows(tmp_path)]
    assert queued == [
        ("B\ufffdnd", "Caf\ufffd au lait", None),
        ("Artist", "After", 3),
        ("\ufffdX", "\ufffdTab\there\ufffd", 3),
    ]
    assert [r["mbid"] for r in rows(tmp_path)] == [None, None, None]
    assert player.frontend.plays_waiting_in_memory().get() == 0


def test_plays_waiting_for_a_locked_database_are_saved_by_a_timer(harness, tmp_path):
    player = harness(store_lock_wait_s=0.05)
    holder = lock_database(tmp_path)
    player.play("dummy:other")
    player.advance(100)
    player.stop()
    assert player.frontend.plays_waiting_in_memory().get() == 1
    assert player.frontend.retry_save_pending().get()
    release(holder)
    player.advance(60)  # no playback event: the timer tries again
    assert player.scheduler.fire_due() >= 1
    player.sync()
    assert [r["track"] for r in rows(tmp_path)] == ["Other"]
    assert player.frontend.plays_waiting_in_memory().get() == 0
    assert player.delivery.queue_changes == 1


def test_plays_that_cannot_be_saved_at_shutdown_are_kept_and_queued_at_the_next_start(
    harness, tmp_path, caplog
):
    player = harness(store_lock_wait_s=0.05)
    holder = lock_database(tmp_path)
    player.play("dummy:other")
    player.advance(100)
    player.play("dummy:song")
    player.advance(190)  # in progress at shutdown, and qualified
    player.frontend.actor_ref.stop()
    release(holder)
    kept = tmp_path / "mtscrobble" / "unsaved-plays.jsonl"
    assert kept.stat().st_mode & 0o777 == 0o600
    assert "kept in" in caplog.text
    assert rows(tmp_path) == []
    pykka.ActorRegistry.stop_all()
    harness()  # Mopidy starts again
    assert [r["track"] for r in rows(tmp_path)] == ["Other", "Song"]
    assert not kept.exists()


def test_kept_plays_survive_a_database_damaged_before_the_next_start(harness, tmp_path):
    player = harness(store_lock_wait_s=0.05)
    holder = lock_database(tmp_path)
    player.play("dummy:other")
    player.advance(100)
    player.stop()
    player.frontend.actor_ref.stop()
    release(holder)
    pykka.ActorRegistry.stop_all()
    path = tmp_path / "mtscrobble" / DB_FILENAME
    path.write_bytes(b"damaged " * 1000)
    harness()  # at the start, and only then, a damaged file is set aside
    assert list(path.parent.glob(f"{DB_FILENAME}.corrupt-*"))
    assert [r["track"] for r in rows(tmp_path)] == ["Other"]


def test_damage_found_while_playing_keeps_the_plays_until_the_next_start(
    harness, tmp_path, caplog
):
    from .store.databases import damage_the_queue_table

    player = harness()
    for _ in range(3):  # enough rows for the table to span several pages
        player.play("dummy:other")
        player.advance(100)
    player.stop()
    store = Store.open(tmp_path / "mtscrobble", START_WALL)
    for i in range(300):
        store.queue.enqueue(NewScrobble("Filler", f"Track {i} " * 20, i), START_WALL)
    store.close()
    damage_the_queue_table(tmp_path / "mtscrobble" / DB_FILENAME)
    player.play("dummy:song")
    player.advance(200)
    player.stop()
    assert player.frontend.plays_waiting_in_memory().get() == 1
    assert "Restart Mopidy" in caplog.text
    player.frontend.actor_ref.stop()
    pykka.ActorRegistry.stop_all()
    harness()  # the next start sets the damaged file aside
    assert list((tmp_path / "mtscrobble").glob(f"{DB_FILENAME}.corrupt-*"))
    assert [r["track"] for r in rows(tmp_path)] == ["Song"]


def test_a_play_is_queued_for_listenbrainz_alone_when_network_is_off(harness, tmp_path):
    from mopidy_mtscrobble.destinations import ListenBrainzDestination

    lb = ListenBrainzDestination("lb", "some-token-0001", "https://lb.example.org")
    player = harness(network="off", api_key=None, api_secret=None, listenbrainz=(lb,))
    player.play("dummy:song")
    player.advance(200)
    player.stop()
    store = Store.open(tmp_path / "mtscrobble", START_WALL)
    try:
        assert store.plays.counts_by_destination().keys() == {"lb"}
        assert store.queue_to("lb").counts()["pending"] == 1
    finally:
        store.close()


def test_a_play_whose_start_mopidy_did_not_announce_is_taken_up_at_its_pause(
    harness, tmp_path
):
    """Mopidy 3.4 loses an event for us when a listener before us raises on it."""
    player = harness()
    tl_track = TlTrack(tlid=1, track=TRACKS[0])
    player.clock.advance(120)
    player.frontend.track_playback_paused(tl_track, 120_000).get()
    player.clock.advance(600)
    player.frontend.track_playback_resumed(tl_track, 120_000).get()
    player.clock.advance(60)
    player.frontend.playback_state_changed("playing", "stopped").get()
    player.frontend.track_playback_ended(tl_track, 180_000).get()
    [row] = rows(tmp_path)
    assert (row["track"], row["timestamp"]) == ("Song", int(START_WALL))


def test_a_track_ended_after_playback_stopped_is_not_queued_twice(harness, tmp_path):
    player = harness()
    player.play("dummy:song")
    player.advance(200)
    player.stop()  # state "stopped" first, then which track ended
    player.frontend.track_playback_ended(
        TlTrack(tlid=1, track=TRACKS[0]), 200_000
    ).get()
    assert [r["track"] for r in rows(tmp_path)] == ["Song"]


def test_a_play_first_seen_resuming_is_announced_as_now_playing(harness):
    player = harness()
    tl_track = TlTrack(tlid=1, track=TRACKS[1])
    player.frontend.track_playback_resumed(tl_track, 10_000).get()
    assert [t.uri for t in player.delivery.now_playing_tracks] == ["dummy:other"]
    assert player.frontend.listening().get()["listened_s"] == 10.0
