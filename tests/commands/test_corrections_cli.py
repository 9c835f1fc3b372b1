"""`mopidy mtscrobble correct ...`: saved corrections from the command line,
against a real data directory."""

from __future__ import annotations

import time

from mopidy_mtscrobble.store import NewScrobble, Store

from .harness import data_dir, run_command


def correct(tmp_path, *argv):
    return run_command(tmp_path, {}, "correct", *argv)


def stored(tmp_path):
    store = Store.open(data_dir(tmp_path), time.time())
    try:
        return store.corrections.list()
    finally:
        store.close()


def test_add_list_edit_and_delete(tmp_path):
    added = correct(tmp_path, "add", "--artist", "Beatles", "--to-artist",
                    "The Beatles")  # fmt: skip
    assert added.returncode == 0
    assert "#1: artist 'Beatles' -> artist 'The Beatles'" in added.stdout
    assert "plays queued from now on" in added.stdout
    listed = correct(tmp_path, "list")
    assert listed.stdout.strip() == "#1: artist 'Beatles' -> artist 'The Beatles'"
    edited = correct(tmp_path, "edit", "1", "--track", "Help", "--to-track", "Help!")
    assert edited.returncode == 0
    [found] = stored(tmp_path)
    assert (found.match_artist, found.match_track, found.artist, found.track) == (
        "Beatles", "Help", "The Beatles", "Help!",
    )  # fmt: skip
    cleared = correct(tmp_path, "edit", "1", "--track", "")
    assert stored(tmp_path)[0].match_track is None, cleared.stdout
    assert correct(tmp_path, "delete", "1").stdout.strip() == "Deleted correction #1."
    assert "No corrections saved" in correct(tmp_path, "list").stdout


def test_adding_applies_to_waiting_plays_when_asked(tmp_path):
    data_dir(tmp_path).mkdir(parents=True)
    store = Store.open(data_dir(tmp_path), time.time())
    for second in (0, 300):
        play = NewScrobble("Beatles", "Help", int(time.time()) - 1000 + second)
        store.plays.enqueue(play, ["lastfm"], time.time())
    store.close()
    result = correct(tmp_path, "add", "--artist", "beatles", "--to-artist",
                     "The Beatles", "--apply-waiting")  # fmt: skip
    assert "Corrected 2 play(s) still waiting" in result.stdout
    store = Store.open(data_dir(tmp_path), time.time())
    artists = [e.artist for e in store.queue.due(time.time(), 10)]
    store.close()
    assert artists == ["The Beatles", "The Beatles"]


def test_mistakes_end_with_a_message_and_a_failure(tmp_path):
    for argv, message in [
        (("add", "--to-artist", "X"), "Give the artist the correction matches"),
        (("add", "--artist", "X"), "The correction changes nothing"),
        (("edit", "--to-artist", "X"), "give the number of the correction to edit"),
        (("delete", "7"), "There is no correction #7"),
        (("edit", "7", "--to-artist", "X"), "There is no correction #7"),
    ]:
        result = correct(tmp_path, *argv)
        assert result.returncode == 1
        assert result.stdout.startswith("Error: ")
        assert message in result.stdout
    assert stored(tmp_path) == []
