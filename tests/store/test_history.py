"""The listening history in the store: kept with the queue, apart from it,
upgraded from every older schema, pruned by its own number of days."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mopidy import config

from mopidy_mtscrobble import queue_edits
from mopidy_mtscrobble.destinations import LASTFM
from mopidy_mtscrobble.settings import Settings, build_schema
from mopidy_mtscrobble.store import (
    DB_FILENAME,
    SCHEMA_VERSION,
    Cursor,
    HistoryPlay,
    ImportedPlay,
    Store,
)

from .databases import NOW, build_database_at_version, scrobble

DAY_S = 86_400
PLAYS_VERSION = 5  # plays and deliveries; before, one table of scrobbles
HISTORY_VERSION = 14
# id, track, timestamp, state, sent_at; what the history says of each
OLD_QUEUE = [
    (1, "Waiting", 1000, "pending", None, "queued"),
    (2, "Flying", 2000, "in_flight", None, "queued"),
    (3, "Landed", 3000, "sent", 3500, "sent"),
    (4, "Refused", 4000, "rejected", None, "rejected"),
]


@pytest.fixture
def store(tmp_path):
    opened = Store.open(tmp_path, NOW)
    yield opened
    opened.close()


def outcomes(store):
    return [(e.track, e.outcome) for e in store.history.page(0, None, 100)]


def kept_out(played_at=int(NOW) - 100, outcome="excluded", **values):
    return HistoryPlay(
        played_at=played_at,
        artist=values.pop("artist", "Kids Band"),
        track=values.pop("track", "Wheels"),
        outcome=outcome,
        reason=values.pop("reason", 'exclude_artists "kids*"'),
        **values,
    )


def seed_old_queue(path, version):
    """The queue as a database of `version` kept it."""
    db = sqlite3.connect(path)
    with db:
        for play_id, track, timestamp, state, sent_at, _ in OLD_QUEUE:
            if version < PLAYS_VERSION:
                db.execute(
                    "INSERT INTO scrobbles (id, artist, track, timestamp, state, "
                    "created_at, sent_at) VALUES (?, 'Artist', ?, ?, ?, 900, ?)",
                    (play_id, track, timestamp, state, sent_at),
                )
                continue
            db.execute(
                "INSERT INTO plays (id, artist, track, timestamp, created_at) "
                "VALUES (?, 'Artist', ?, ?, 900)",
                (play_id, track, timestamp),
            )
            db.execute(
                "INSERT INTO deliveries (play_id, destination, play_timestamp, "
                "state, queued_at, sent_at) VALUES (?, ?, ?, ?, 900, ?)",
                (play_id, LASTFM, timestamp, state, sent_at),
            )
    db.close()


@pytest.mark.parametrize("version", range(1, HISTORY_VERSION))
def test_an_upgrade_starts_the_history_with_every_play_of_the_queue(tmp_path, version):
    build_database_at_version(tmp_path / DB_FILENAME, version)
    seed_old_queue(tmp_path / DB_FILENAME, version)
    opened = Store.open(tmp_path, NOW)
    try:
        assert opened.plays.play_count() == len(OLD_QUEUE)
        assert outcomes(opened) == [(row[1], row[5]) for row in OLD_QUEUE]
        assert [e.played_at for e in opened.history.page(0, None, 100)] == [
            row[2] for row in OLD_QUEUE
        ]
    finally:
        opened.close()


def test_the_schema_is_the_one_with_the_history():
    assert SCHEMA_VERSION >= HISTORY_VERSION


def test_a_queued_play_is_in_the_history_with_the_names_it_is_sent_with(store):
    play_id = store.plays.enqueue(
        scrobble(sent_artist="Sent Artist", sent_album=""), (LASTFM,), NOW, heard_s=190
    )
    [entry] = store.history.page(0, None, 10)
    assert (entry.artist, entry.track, entry.album) == ("Sent Artist", "Title", None)
    assert (entry.heard_s, entry.duration_s, entry.outcome) == (190, 200, "queued")
    store.history.set_heard_of_play(play_id, 200)
    assert store.history.page(0, None, 10)[0].heard_s == 200


def test_queuing_the_same_play_again_keeps_one_history_row(store):
    store.plays.enqueue(scrobble(), (LASTFM,), NOW)
    store.plays.enqueue(scrobble(), (LASTFM,), NOW)
    assert store.history.count() == 1


def test_a_play_pruned_once_sent_stays_in_the_history_as_sent(store):
    play_id = store.plays.enqueue(scrobble(), (LASTFM,), NOW)
    store.queue.mark_in_flight([play_id], NOW)
    store.queue.mark_sent([play_id], NOW)
    assert outcomes(store) == [("Title", "sent")]
    assert store.plays.prune_history(1, NOW + 2 * DAY_S) == 1
    assert store.plays.play_count() == 0
    [entry] = store.history.page(0, None, 10)
    assert entry.outcome == "sent"
    row = store.db.read("SELECT play_id, left_queue FROM history")[0]
    assert (row["play_id"], row["left_queue"]) == (None, "sent")


def test_a_play_deleted_from_the_queue_stays_in_the_history_as_deleted(store):
    play_id = store.plays.enqueue(scrobble(), (LASTFM,), NOW)
    store.editing.delete(play_id)
    assert outcomes(store) == [("Title", "deleted")]
    row = store.db.read("SELECT play_id, left_queue FROM history")[0]
    assert (row["play_id"], row["left_queue"]) == (None, "deleted")


def test_a_play_rejected_by_one_destination_is_rejected(store):
    play_id = store.plays.enqueue(scrobble(), (LASTFM, "lb"), NOW)
    store.queue.mark_rejected(play_id, "ignored")
    assert outcomes(store) == [("Title", "rejected")]


def test_a_play_sent_to_one_destination_of_two_is_still_queued(store):
    play_id = store.plays.enqueue(scrobble(), (LASTFM, "lb"), NOW)
    store.queue.mark_sent([play_id], NOW)
    assert outcomes(store) == [("Title", "queued")]


def test_plays_kept_out_are_recorded_with_why(store):
    row_id = store.history.record(kept_out(heard_s=100))
    assert row_id is not None
    store.history.set_heard(row_id, 200)
    [entry] = store.history.page(0, None, 10)
    assert (entry.outcome, entry.reason, entry.heard_s) == (
        "excluded", 'exclude_artists "kids*"', 200,
    )  # fmt: skip
    assert store.history.record(kept_out()) is None  # the same play again


def test_keep_days_forgets_old_plays_but_never_one_the_queue_has(store):
    old = int(NOW) - 40 * DAY_S
    store.history.record(kept_out(played_at=old, track="Old"))
    store.history.record(kept_out(played_at=int(NOW) - DAY_S, track="New"))
    store.plays.enqueue(scrobble(timestamp=old, track="Waiting"), (LASTFM,), NOW)
    assert store.history.prune(0, NOW) == 0  # 0: forever
    assert store.history.prune(30, NOW) == 1
    assert sorted(t for t, _ in outcomes(store)) == ["New", "Waiting"]


def test_history_days_never_prunes_the_history(store):
    play_id = store.plays.enqueue(scrobble(), (LASTFM,), NOW - 100 * DAY_S)
    store.queue.mark_sent([play_id], NOW - 99 * DAY_S)
    assert store.plays.prune_history(90, NOW) == 1
    assert outcomes(store) == [("Title", "sent")]


def test_a_history_row_that_cannot_be_written_never_costs_the_queued_play(
    store, tmp_path
):
    db = sqlite3.connect(tmp_path / DB_FILENAME)
    with db:
        db.execute(
            "CREATE TRIGGER no_history BEFORE INSERT ON history "
            "BEGIN SELECT RAISE(ABORT, 'history refused'); END"
        )
    db.close()
    play_id = store.plays.enqueue(scrobble(), (LASTFM,), NOW)
    assert store.queue.get(play_id).state == "pending"
    assert store.history.count() == 0


@settings(max_examples=30, deadline=None)
@given(
    played_at=st.lists(st.integers(0, 20), min_size=0, max_size=40),
    page_size=st.integers(1, 7),
    since=st.integers(0, 21),
)
def test_pages_give_every_play_since_once_in_order(
    tmp_path_factory, played_at, page_size, since
):
    opened = Store.open(tmp_path_factory.mktemp("pages"), NOW)
    try:
        for number, at in enumerate(played_at):
            opened.history.record(kept_out(played_at=at, track=f"T{number}"))
        seen, after = [], None
        while page := opened.history.page(since, after, page_size):
            seen += page
            after = (page[-1].played_at, page[-1].id)
        expected = sorted(
            (at, f"T{n}") for n, at in enumerate(played_at) if at >= since
        )
        assert sorted((e.played_at, e.track) for e in seen) == expected
        assert [(e.played_at, e.id) for e in seen] == sorted(
            (e.played_at, e.id) for e in seen
        )
    finally:
        opened.close()


@pytest.mark.parametrize(("value", "days"), [("0", 0), ("", 0), ("365", 365)])
def test_keep_days_are_read_as_whole_days_0_for_forever(value, days):
    schema = build_schema("mtscrobble", config.ConfigSchema("mtscrobble"))
    section = {"history_keep_days": schema["history_keep_days"].deserialize(value)}
    assert Settings.from_config(section).history_keep_days == days


@pytest.mark.parametrize("value", ["-1", "a year", "1.5"])
def test_wrong_keep_days_are_refused_saying_what_to_write(value):
    schema = build_schema("mtscrobble", config.ConfigSchema("mtscrobble"))
    with pytest.raises(ValueError, match=r"0 \(keep forever\) or more, not"):
        schema["history_keep_days"].deserialize(value)


def history_names(store):
    rows = store.db.read(
        "SELECT artist, track, album, heard_artist, heard_track, heard_album "
        "FROM history ORDER BY id"
    )
    return [tuple(r) for r in rows]


def test_an_edit_of_a_queued_play_is_what_its_history_row_says(store):
    play_id = store.plays.enqueue(scrobble(), (LASTFM,), NOW)
    queue_edits.edit(store, play_id, {"artist": "Right Artist", "album": "LP"})
    [entry] = store.history.page(0, None, 10)
    assert (entry.artist, entry.track, entry.album) == ("Right Artist", "Title", "LP")
    # What was heard is kept beside it.
    heard = store.db.read("SELECT heard_artist, heard_track, heard_album FROM history")
    assert tuple(heard[0]) == ("Artist", None, "Album")
    # The charts count what was sent.
    assert [e.names for e in store.charts.top("chart_artists", "all")] == [
        ("Right Artist",)
    ]
    queue_edits.edit(store, play_id, {"artist": "Artist", "album": "Album"})
    assert history_names(store) == [("Artist", "Title", "Album", None, None, None)]


def test_a_correction_applied_to_waiting_plays_is_in_their_history(store):
    play_id = store.plays.enqueue(scrobble(artist="Band"), (LASTFM,), NOW)
    made = store.corrections.add(
        {"match_artist": "Band", "match_track": None, "match_album": None}
        | {"artist": "The Band"},
        NOW,
    )
    assert store.corrections.apply_to_waiting(made.id) == 1
    assert store.plays.destinations_of(play_id)
    assert history_names(store)[0][:1] == ("The Band",)
    assert history_names(store)[0][3] == "Band"


def test_an_edited_play_imported_back_from_the_server_is_not_added_again(store):
    play_id = store.plays.enqueue(scrobble(), (LASTFM,), NOW)
    queue_edits.edit(store, play_id, {"track": "Right Title"})
    store.queue.mark_in_flight([play_id], NOW)
    store.queue.mark_sent([play_id], NOW)
    played_at = store.history.page(0, None, 10)[0].played_at
    imports = store.history_import
    imports.start("alice", NOW)
    back = ImportedPlay("Artist", "Right Title", "Album", played_at)
    result = imports.save_page([back], Cursor(played_at - 1), 0, 0, NOW)
    assert (result.added, result.skipped) == (0, 1)
    assert store.history.count() == 1


def test_an_upgrade_brings_the_rows_of_plays_edited_before_up_to_date(tmp_path):
    path = tmp_path / DB_FILENAME
    build_database_at_version(path, 19)
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO plays (artist, track, timestamp, created_at, sent_artist) "
        "VALUES ('Heard', 'Song', ?, ?, 'Edited')",
        (int(NOW) - 60, int(NOW)),
    )
    play_id = db.execute("SELECT max(id) FROM plays").fetchone()[0]
    db.execute(
        "INSERT INTO history (played_at, artist, track, play_id) VALUES (?, ?, ?, ?)",
        (int(NOW) - 60, "Heard", "Song", play_id),
    )
    db.commit()
    db.close()
    store = Store.open(tmp_path, NOW)
    try:
        [row] = [r for r in history_names(store) if r[1] == "Song"]
        assert (row[0], row[3]) == ("Edited", "Heard")
    finally:
        store.close()
