"""The listening history through a real Mopidy core: every qualified play,
queued or kept out, with how long it was heard."""

from __future__ import annotations

import sqlite3

import pykka

from mopidy_mtscrobble.store import DB_FILENAME, Store

from .support.builders import model_track
from .support.frontend_harness import (  # noqa: F401 - the fixture
    START_WALL,
    harness,
    lock_database,
    release,
    rows,
)

KIDS = model_track(uri="dummy:kids", name="Wheels", artists=("KIDS Band",))
REMASTERED = model_track(
    uri="dummy:remastered",
    name="Song - 2011 Remaster",
    artists=("Zoe", "Adam"),
    album="Album (Deluxe Edition)",
    album_artists=("Zoe",),
    length_ms=200_000,
)


def history(tmp_path):
    db = sqlite3.connect(tmp_path / "mtscrobble" / DB_FILENAME)
    db.row_factory = sqlite3.Row
    result = [dict(r) for r in db.execute("SELECT * FROM history ORDER BY id")]
    db.close()
    return result


def test_a_queued_play_is_in_the_history_as_queued_heard_to_its_end(
    harness,  # noqa: F811
    tmp_path,
):
    player = harness(extra_tracks=[REMASTERED], artist_credit="first")
    player.play("dummy:remastered")
    player.advance(180.1)
    assert player.scheduler.fire_due() == 1
    player.sync()
    [queued] = history(tmp_path)
    assert queued["heard_s"] == 180  # at qualification
    player.advance(19.9)
    player.stop()
    [row] = history(tmp_path)
    [play] = rows(tmp_path)
    assert (row["artist"], row["track"], row["album"]) == ("Adam", "Song", "Album")
    assert (row["outcome"], row["reason"], row["play_id"]) == (
        "queued",
        None,
        play["id"],
    )
    assert (row["played_at"], row["duration_s"], row["uri"]) == (
        int(START_WALL), 200, "dummy:remastered",
    )  # fmt: skip
    assert row["heard_s"] == 200  # at its end


def test_a_play_kept_out_by_a_rule_is_in_the_history_with_the_rule(
    harness,  # noqa: F811
    tmp_path,
):
    player = harness(extra_tracks=(KIDS,), exclude_artists=("kids*",))
    player.play("dummy:kids")
    player.advance(195)
    player.play("dummy:song")
    player.advance(200)
    player.stop()
    excluded, queued = history(tmp_path)
    assert (excluded["artist"], excluded["track"]) == ("KIDS Band", "Wheels")
    assert (excluded["outcome"], excluded["reason"]) == (
        "excluded", 'exclude_artists "kids*"',
    )  # fmt: skip
    assert (excluded["heard_s"], excluded["play_id"]) == (195, None)
    assert queued["outcome"] == "queued"
    assert [r["track"] for r in rows(tmp_path)] == ["Song"]


def test_an_excluded_play_skipped_before_it_would_qualify_is_not_kept(
    harness,  # noqa: F811
    tmp_path,
):
    player = harness(extra_tracks=(KIDS,), exclude_artists=("kids*",))
    player.play("dummy:kids")
    player.advance(100)
    player.stop()
    assert history(tmp_path) == []


def test_a_play_kept_out_by_private_mode_is_in_the_history_as_private(
    harness,  # noqa: F811
    tmp_path,
):
    player = harness()
    store = Store.open(tmp_path / "mtscrobble", START_WALL)
    store.private.pause(START_WALL + 1800, START_WALL)
    store.close()
    player.play("dummy:song")
    player.advance(180.1)
    assert player.scheduler.fire_due() == 1
    player.sync()
    [at_qualification] = history(tmp_path)
    assert at_qualification["heard_s"] == 180
    player.advance(19.9)
    player.stop()
    [row] = history(tmp_path)
    assert rows(tmp_path) == []
    assert row["outcome"] == "private"
    assert row["reason"].startswith("private mode (until ")
    assert (row["artist"], row["track"], row["heard_s"]) == ("Artist", "Song", 200)


def test_plays_not_heard_long_enough_are_not_in_the_history(
    harness,  # noqa: F811
    tmp_path,
):
    player = harness()
    player.play("dummy:song")
    player.advance(100)
    player.stop()
    assert history(tmp_path) == []


def test_a_history_that_cannot_be_written_never_loses_a_queued_play(
    harness,  # noqa: F811
    tmp_path,
):
    player = harness()
    db = sqlite3.connect(tmp_path / "mtscrobble" / DB_FILENAME)
    with db:
        db.execute(
            "CREATE TRIGGER no_history BEFORE INSERT ON history "
            "BEGIN SELECT RAISE(ABORT, 'history refused'); END"
        )
    db.close()
    player.play("dummy:song")
    player.advance(200)
    player.play("dummy:other")
    player.advance(100)
    player.stop()
    assert [r["track"] for r in rows(tmp_path)] == ["Song", "Other"]
    assert history(tmp_path) == []
    assert player.frontend.plays_waiting_in_memory().get() == 0


def test_a_play_saved_after_it_ended_is_in_the_history_heard_to_its_end(
    harness,  # noqa: F811
    tmp_path,
):
    player = harness(store_lock_wait_s=0.05)
    holder = lock_database(tmp_path)
    player.play("dummy:song")
    player.advance(180.1)
    assert player.scheduler.fire_due() == 1  # qualifies, cannot be saved
    player.advance(19.9)
    player.stop()
    release(holder)
    player.advance(60)
    assert player.scheduler.fire_due() >= 1
    player.sync()
    [row] = history(tmp_path)
    assert (row["track"], row["outcome"], row["heard_s"]) == ("Song", "queued", 200)


def test_plays_kept_in_a_file_at_shutdown_keep_their_heard_time(
    harness,  # noqa: F811
    tmp_path,
):
    player = harness(store_lock_wait_s=0.05)
    holder = lock_database(tmp_path)
    player.play("dummy:other")
    player.advance(100)
    player.stop()
    player.frontend.actor_ref.stop()
    release(holder)
    pykka.ActorRegistry.stop_all()
    harness()  # Mopidy starts again
    [row] = history(tmp_path)
    assert (row["track"], row["heard_s"]) == ("Other", 100)
