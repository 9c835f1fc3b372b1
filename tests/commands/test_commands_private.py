"""`mopidy mtscrobble pause|resume|skip`: private mode, in the database."""

from __future__ import annotations

import time

import pytest

from mopidy_mtscrobble.store import Store

from .harness import data_dir, run_command

SETTINGS = {"network": "lastfm", "api_key": "k", "api_secret": "s"}


def stored(tmp_path):
    store = Store.open(data_dir(tmp_path), time.time())
    try:
        return store.private.get()
    finally:
        store.close()


@pytest.mark.parametrize(("duration", "minutes"), [("30m", 30), ("1h", 60)])
def test_pause_for_a_while_says_until_when(tmp_path, duration, minutes):
    before = time.time()
    result = run_command(tmp_path, SETTINGS, "mtscrobble", "pause", duration)
    assert result.returncode == 0
    assert "Private mode: not scrobbling until " in result.stdout
    assert "mopidy mtscrobble resume" in result.stdout
    state = stored(tmp_path)
    assert state.paused
    assert before + minutes * 60 <= state.until_s <= time.time() + minutes * 60


def test_pause_without_a_duration_uses_private_default(tmp_path):
    settings = {**SETTINGS, "private_default": "forever"}
    result = run_command(tmp_path, settings, "mtscrobble", "pause")
    assert "not scrobbling until resumed" in result.stdout
    assert stored(tmp_path).paused
    assert stored(tmp_path).until_s is None


def test_pause_today_ends_at_the_next_local_midnight(tmp_path):
    run_command(tmp_path, SETTINGS, "mtscrobble", "pause", "today")
    end = time.localtime(stored(tmp_path).until_s)
    assert (end.tm_hour, end.tm_min, end.tm_sec) == (0, 0, 0)


def test_resume_ends_private_mode(tmp_path):
    run_command(tmp_path, SETTINGS, "mtscrobble", "pause", "forever")
    result = run_command(tmp_path, SETTINGS, "mtscrobble", "resume")
    assert result.returncode == 0
    assert "Private mode is off: plays are scrobbled." in result.stdout
    assert not stored(tmp_path).active(time.time())


def test_skip_marks_the_play_in_progress_now(tmp_path):
    before = time.time()
    result = run_command(tmp_path, SETTINGS, "mtscrobble", "skip")
    assert result.returncode == 0
    assert "will not be scrobbled" in result.stdout
    state = stored(tmp_path)
    assert before <= state.skip_at <= time.time()
    assert not state.paused


def test_an_unknown_duration_is_refused_with_the_choices(tmp_path):
    with pytest.raises(SystemExit):
        run_command(tmp_path, SETTINGS, "mtscrobble", "pause", "2h")
