"""Saved corrections in a running Mopidy: the frontend reads them at each play
it queues (no restart), and applying one to waiting plays spares those in
flight."""

from __future__ import annotations

from mopidy_mtscrobble.store import Store

from .support import frontend_harness
from .support.frontend_harness import START_WALL, rows

harness = frontend_harness.harness  # the fixture: a real Mopidy core, a fake clock


TO_BAND = {"match_artist": "artist", "artist": "The Band", "album": "LP"}


def corrections_store(tmp_path):
    return Store.open(tmp_path / "mtscrobble", START_WALL)


def play_song(player, uri="dummy:song"):
    player.play(uri)
    player.advance(200)
    player.stop()


def test_a_correction_made_while_mopidy_runs_counts_for_the_next_play(
    harness, tmp_path
):
    player = harness()
    play_song(player)
    store = corrections_store(tmp_path)
    store.corrections.add(TO_BAND, START_WALL)
    store.close()
    play_song(player)
    first, second = rows(tmp_path)
    assert (first["artist"], first["album"]) == ("Artist", "Album")
    assert (second["artist"], second["album"]) == ("The Band", "LP")
    assert (second["heard_artist"], second["heard_album"]) == ("Artist", "Album")


def test_applied_to_waiting_a_correction_changes_pending_plays_not_in_flight_ones(
    harness, tmp_path
):
    player = harness()
    play_song(player)
    play_song(player, "dummy:other")
    in_flight, pending = (row["id"] for row in rows(tmp_path))
    store = corrections_store(tmp_path)
    store.queue.mark_in_flight([in_flight], START_WALL + 500)
    made = store.corrections.add(TO_BAND, START_WALL + 500)
    assert store.corrections.apply_to_waiting(made.id) == 1
    store.close()
    sent = {row["id"]: (row["artist"], row["track"]) for row in rows(tmp_path)}
    assert sent == {in_flight: ("Artist", "Song"), pending: ("The Band", "Other")}
