"""`mopidy mtscrobble queue edit|hold|release|delete ID` and what the queue
listing shows of them."""

from __future__ import annotations

import re
import time

import pytest

from mopidy_mtscrobble.commands.queue_edits import change_entry
from mopidy_mtscrobble.store import Store

from .harness import data_dir, enqueue, run_command, server, settings_for

__all__ = ["server"]  # the fake Last.fm, for the listing

NO_SETTINGS: dict[str, str] = {}  # changes read the database only


def reopen(tmp_path) -> Store:
    return Store.open(data_dir(tmp_path), time.time())


def run(tmp_path, *argv):
    return run_command(tmp_path, NO_SETTINGS, "mtscrobble", "queue", *argv)


def test_edit_changes_the_names_sent_and_says_how(tmp_path):
    enqueue(tmp_path, "Song (2011 Remaster)")[0].close()
    result = run(tmp_path, "edit", "1", "--track", "Song", "--album-artist", "Band")
    assert result.returncode == 0
    assert "Scrobble #1 will be sent as Artist - Song." in result.stdout
    store = reopen(tmp_path)
    entry = store.queue.get(1)
    store.close()
    assert (entry.track, entry.album_artist, entry.heard_track) == (
        "Song", "Band", "Song (2011 Remaster)",
    )  # fmt: skip


def test_edit_without_names_says_which_options_there_are(tmp_path):
    enqueue(tmp_path, "Song")[0].close()
    result = run(tmp_path, "edit", "1")
    assert result.returncode == 1
    assert "--artist, --track, --album, --album-artist" in result.stdout


@pytest.mark.parametrize("action", ["edit", "hold", "delete"])
def test_an_entry_in_flight_is_refused_with_what_to_do(tmp_path, action):
    store, ids = enqueue(tmp_path, "Song")
    store.queue.mark_in_flight(ids, time.time())
    store.close()
    result = run(tmp_path, action, "1", "--artist", "X", "--yes")
    assert result.returncode == 1
    assert "being sent to lastfm right now. Wait until it is sent" in result.stdout


def test_hold_and_release_keep_an_entry_from_delivery_and_give_it_back(tmp_path):
    enqueue(tmp_path, "Song")[0].close()
    assert "is held" in run(tmp_path, "hold", "1").stdout
    store = reopen(tmp_path)
    assert store.queue.due(time.time(), 10) == []
    store.close()
    assert "is released" in run(tmp_path, "release", "1").stdout
    store = reopen(tmp_path)
    assert [e.id for e in store.queue.due(time.time(), 10)] == [1]
    store.close()


def test_delete_without_a_terminal_needs_yes(tmp_path):
    enqueue(tmp_path, "Song")[0].close()
    refused = run(tmp_path, "delete", "1")
    assert refused.returncode == 1
    assert "add --yes" in refused.stdout
    assert run(tmp_path, "delete", "1", "--yes").returncode == 0
    store = reopen(tmp_path)
    assert store.editing.get(1) is None
    store.close()


@pytest.mark.parametrize(
    ("answer", "deleted"), [("y", True), ("", False), ("no", False)]
)
def test_delete_on_a_terminal_asks_first(tmp_path, capsys, answer, deleted):
    enqueue(tmp_path, "Song")[0].close()
    asked = []

    def ask(question: str) -> str:
        asked.append(question)
        return answer

    args = argparse_namespace(action="delete", id=1, yes=False)
    config = {"core": {"data_dir": str(tmp_path / "data")}}
    code = change_entry(config, args, ask=ask, interactive=lambda: True)
    assert asked == ["Delete scrobble #1 for good? [y/N] "]
    assert code == (0 if deleted else 1)
    store = reopen(tmp_path)
    assert (store.editing.get(1) is None) == deleted
    store.close()


def test_the_listing_shows_held_entries_and_the_names_heard(tmp_path, server):
    enqueue(tmp_path, "Song (Remaster)", "Other")[0].close()
    run(tmp_path, "edit", "1", "--track", "Song")
    run(tmp_path, "hold", "2")
    result = run_command(tmp_path, settings_for(server), "mtscrobble", "queue")
    assert re.search(r"#1 .*Artist - Song  \[heard as Artist - Song \(Remaster\)\]",
                     result.stdout)  # fmt: skip
    assert re.search(r"#2 .*Artist - Other  \[held\]", result.stdout)


def argparse_namespace(**values):
    import argparse

    return argparse.Namespace(**values)
