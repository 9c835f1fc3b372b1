"""Heard time in the frontend comes from Mopidy's playback position: a stream
or track stalled to buffer (Mopidy still "playing", the position standing
still) is not heard. A real Mopidy core, a test audio actor, fake time."""

from __future__ import annotations

import sqlite3

import pytest

from mopidy_mtscrobble.store import DB_FILENAME

from .support import frontend_harness
from .support.frontend_harness import rows

harness = frontend_harness.harness  # the fixture: a real Mopidy core, a fake clock


def heard_in_history(tmp_path):
    db = sqlite3.connect(tmp_path / "mtscrobble" / DB_FILENAME)
    found = db.execute("SELECT track, heard_s FROM history ORDER BY id").fetchall()
    db.close()
    return found


def test_a_radio_title_that_stalled_is_judged_on_what_played(harness, tmp_path):
    player = harness()  # a title needs 60 s
    player.play("radio:station")
    player.announce_title("Band - Song")
    player.advance(40)
    player.stall(30)
    # The timer, 60 s after the title began, finds 40 s heard: not yet.
    assert player.scheduler.fire_due() == 1
    player.sync()
    assert rows(tmp_path) == []
    player.advance(10)
    player.announce_title("Band - Next")  # the first title: 50 s heard
    assert rows(tmp_path) == []
    player.advance(61)
    assert player.scheduler.fire_due() == 1
    player.sync()
    assert [row["track"] for row in rows(tmp_path)] == ["Next"]


def test_a_track_stalled_and_stopped_short_of_the_threshold_is_not_queued(
    harness, tmp_path
):
    player = harness()
    player.play("dummy:song")  # 200 s: needs 180 s
    player.advance(150)
    player.stall(40)
    assert player.scheduler.fire_due() == 1  # 180 s passed, 150 s heard
    player.advance(20)
    player.stop()  # 170 s heard
    assert rows(tmp_path) == []


def test_a_track_that_stalled_qualifies_once_it_has_played_enough(harness, tmp_path):
    player = harness()
    player.play("dummy:song")
    player.advance(100)
    player.stall(60)
    player.advance(79)
    assert player.scheduler.fire_due() == 1  # 179 s heard
    player.sync()
    assert rows(tmp_path) == []
    [timer] = player.scheduler.pending()
    assert timer.due - player.clock.monotonic() == pytest.approx(1.05)
    player.advance(2)
    assert player.scheduler.fire_due() == 1
    player.advance(19)
    player.stop()
    assert [row["track"] for row in rows(tmp_path)] == ["Song"]
    assert heard_in_history(tmp_path) == [("Song", 200)]
