"""Private mode: its durations, its state in the database, its upgrade."""

from __future__ import annotations

import datetime
import sqlite3

import pytest

from mopidy_mtscrobble.listening import Play, Track
from mopidy_mtscrobble.private import DurationError, PrivateState, pause_until
from mopidy_mtscrobble.private_gate import PrivateGate
from mopidy_mtscrobble.store import DB_FILENAME, Store

from .store.databases import build_database_at_version

BERLIN_WINTER = datetime.timezone(datetime.timedelta(hours=1))
# 2026-01-15 13:30 UTC = 14:30 in UTC+1
NOW = datetime.datetime(2026, 1, 15, 13, 30, tzinfo=datetime.UTC).timestamp()


@pytest.mark.parametrize(
    ("duration", "until"),
    [
        ("30m", NOW + 1800),
        ("1h", NOW + 3600),
        ("today", datetime.datetime(2026, 1, 16, tzinfo=BERLIN_WINTER).timestamp()),
        ("forever", None),
    ],
)
def test_each_duration_ends_when_it_says(duration, until):
    assert pause_until(duration, NOW, BERLIN_WINTER) == until


def test_the_end_of_the_day_is_the_local_midnight_not_utcs():
    late = datetime.datetime(2026, 1, 15, 23, 30, tzinfo=datetime.UTC).timestamp()
    # 00:30 on the 16th in UTC+1: the day ends at the next midnight there.
    end = pause_until("today", late, BERLIN_WINTER)
    assert end == datetime.datetime(2026, 1, 17, tzinfo=BERLIN_WINTER).timestamp()


def test_an_unknown_duration_says_which_ones_exist():
    with pytest.raises(DurationError, match="30m, 1h, today, forever"):
        pause_until("2h", NOW)


def test_a_pause_is_active_until_it_ends_and_says_when_in_local_time():
    state = PrivateState(paused=True, until_s=NOW + 3600)
    assert state.active(NOW + 3599)
    assert not state.active(NOW + 3600)
    assert state.until_text(BERLIN_WINTER) == "until 15:30"
    assert PrivateState(paused=True).until_text() == "until resumed"


def test_skip_keeps_out_only_the_play_in_progress_when_it_was_asked():
    state = PrivateState(skip_at=NOW)
    assert state.skips(started_at=NOW - 100, now_s=NOW + 50)
    assert not state.skips(started_at=NOW + 1, now_s=NOW + 50)


def test_the_store_keeps_private_mode_across_connections(tmp_path):
    store = Store.open(tmp_path, NOW)
    assert store.private.get() == PrivateState()
    store.private.pause(NOW + 1800, NOW)
    store.private.skip(NOW + 5)
    store.close()
    again = Store.open(tmp_path, NOW)
    assert again.private.get() == PrivateState(True, NOW + 1800, NOW + 5)
    assert again.private.resume(NOW + 10) == PrivateState(False, None, NOW + 5)
    assert again.private.pause(None, NOW + 20).active(NOW + 10**9)
    again.close()


def test_an_upgrade_from_8_keeps_the_plays_and_starts_with_private_mode_off(tmp_path):
    build_database_at_version(tmp_path / DB_FILENAME, 8)
    old = sqlite3.connect(tmp_path / DB_FILENAME)
    with old:
        old.execute(
            "INSERT INTO plays (id, artist, track, timestamp, created_at, sent_track)"
            " VALUES (1, 'A', 'T (Remastered)', 1000, 1100, 'T')"
        )
        old.execute(
            "INSERT INTO deliveries (play_id, destination, play_timestamp, queued_at)"
            " VALUES (1, 'lastfm', 1000, 1100)"
        )
    old.close()
    store = Store.open(tmp_path, NOW)
    [kept] = store.queue.recent(10)
    assert (kept.artist, kept.track, kept.state) == ("A", "T", "pending")
    assert store.private.get() == PrivateState()
    store.close()


def test_the_gate_says_why_a_play_is_kept_out_in_the_time_zone_given(tmp_path):
    store = Store.open(tmp_path, NOW)
    gate = PrivateGate(lambda: store, BERLIN_WINTER)
    play = Play(track=Track(uri="x:1", artist="A", title="T"), started_at=int(NOW))
    assert gate.why(play, NOW) is None
    store.private.pause(NOW + 3600, NOW)
    assert gate.why(play, NOW) == "until 15:30"
    assert gate.why(play, NOW + 3600) is None
    store.private.skip(NOW + 10)
    assert gate.why(play, NOW + 3600) == "skipped"
    store.close()


def test_the_gate_keeps_nothing_out_without_a_database():
    play = Play(track=Track(uri="x:1", artist="A", title="T"), started_at=int(NOW))
    assert PrivateGate(lambda: None).keeps_out(play, NOW) is False


def test_a_database_that_cannot_be_read_keeps_nothing_out(tmp_path, caplog):
    store = Store.open(tmp_path, NOW)
    store.close()  # as if it failed after opening
    play = Play(track=Track(uri="x:1", artist="A", title="T"), started_at=int(NOW))
    assert PrivateGate(lambda: store).keeps_out(play, NOW) is False
    assert "Cannot read private mode, scrobbling as usual" in caplog.text
