"""What gets sent: a play is stored as heard, and queued with the names its
sending steps give it."""

from __future__ import annotations

import dataclasses
import sqlite3

from mopidy_mtscrobble import sending
from mopidy_mtscrobble.sending import Names, Sending
from mopidy_mtscrobble.store import DB_FILENAME, NewScrobble, Store

NOW = 1_700_000_000


def heard(**changes) -> NewScrobble:
    values = {"artist": "Band", "track": "Song - 2011 Remaster", "timestamp": NOW,
              "album": "Album (Deluxe)", "album_artist": "Band"}  # fmt: skip
    values.update(changes)
    return NewScrobble(**values)


def renamed(names, scrobble, store):
    return dataclasses.replace(names, track="Song", album=None)


def test_a_play_is_stored_as_heard_and_queued_as_sent(tmp_path):
    store = Store.open(tmp_path, NOW)
    shaped = Sending([renamed]).apply(heard(), store)
    play_id = store.plays.enqueue(shaped, ["lastfm"], NOW)
    [entry] = store.queue.due(NOW, 10)
    store.close()
    assert (entry.id, entry.artist, entry.track, entry.album) == (
        play_id, "Band", "Song", None,
    )  # fmt: skip
    assert (entry.heard_track, entry.heard_album) == (
        "Song - 2011 Remaster", "Album (Deluxe)",
    )  # fmt: skip
    db = sqlite3.connect(tmp_path / DB_FILENAME)
    row = db.execute(
        "SELECT track, sent_track, album, sent_album FROM plays"
    ).fetchone()
    db.close()
    assert row == ("Song - 2011 Remaster", "Song", "Album (Deluxe)", "")


def test_names_left_as_heard_are_not_stored_twice():
    scrobble = Sending([lambda names, s, store: names]).apply(heard(), None)
    assert scrobble == heard()
    assert sending.sent(scrobble) == sending.heard(scrobble)


def test_steps_run_in_order_each_on_what_the_one_before_left():
    def first(names, s, store):
        return dataclasses.replace(names, artist=names.artist + " 1")

    def second(names, s, store):
        return dataclasses.replace(names, artist=names.artist + " 2")

    scrobble = Sending([first, second]).apply(heard(), None)
    assert sending.sent(scrobble) == Names("Band 1 2", heard().track,
                                           "Album (Deluxe)", "Band")  # fmt: skip


def test_names_change_only_while_no_destination_has_the_play_in_flight_or_sent(
    tmp_path,
):
    store = Store.open(tmp_path, NOW)
    play_id = store.plays.enqueue(heard(), ["lastfm", "lb"], NOW)
    names = Names("Band", "Song", None, "Band")
    columns = sending.sent_columns(sending.heard(heard()), names)
    assert store.plays.set_sent_names(play_id, columns)
    assert [(e.track, e.album) for e in store.queue.due(NOW, 10)] == [("Song", None)]
    store.queue_to("lb").mark_in_flight([play_id], NOW)
    undo = sending.sent_columns(sending.heard(heard()), sending.heard(heard()))
    assert not store.plays.set_sent_names(play_id, undo)
    assert not store.plays.set_sent_names(play_id + 1, undo)
    assert store.queue.get(play_id).track == "Song"
    store.close()
