"""The store's loves and unloves and their delivery state at each destination."""

from __future__ import annotations

import sqlite3

import pytest

from mopidy_mtscrobble.destinations import LASTFM
from mopidy_mtscrobble.matching import key_parts
from mopidy_mtscrobble.store import DB_FILENAME, LocalMatch, Store

from .databases import build_database_at_version

NOW = 1_700_000_000
OTHER = "listenbrainz"
EVERY = (LASTFM, OTHER)
RECORDING = "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"
FOUND = "0f5e4a5d-1d4c-4c0c-9a47-ffbd6c5a9f3b"
LOVES_VERSION = 3  # the first with love_actions


@pytest.fixture
def store(tmp_path):
    opened = Store.open(tmp_path, NOW)
    yield opened
    opened.close()


def love(store, track="Title", destinations=EVERY, mbid=None, now=NOW):
    store.loves.love("Artist", track, LocalMatch(f"local:{track}"), destinations,
                     now, mbid)  # fmt: skip
    return max(a.id for a in store.loves.listing(("pending",), 1000))


def states(store, action_id):
    return {n: a.state for n, a in store.loves.destinations_of(action_id).items()}


def test_a_love_is_queued_for_each_destination_configured_then(store):
    first = love(store, "One", destinations=(LASTFM,))
    second = love(store, "Two", destinations=EVERY)
    assert states(store, first) == {LASTFM: "pending"}
    assert states(store, second) == {LASTFM: "pending", OTHER: "pending"}
    assert [a.id for a in store.love_queue_to(OTHER).due(NOW, 10)] == [second]


def test_an_unlove_is_queued_for_each_name_and_destination(store):
    loved = store.songs.loved_for("local:x", key_parts("Artist", "Title"))
    store.loves.unlove(loved, ("Artist", "Title"), EVERY, NOW, RECORDING)
    [action] = store.love_queue_to(OTHER).due(NOW, 10)
    assert (action.action, action.artist, action.track) == ("unlove", "Artist", "Title")
    assert action.mbid == action.recording == RECORDING
    assert states(store, action.id) == {LASTFM: "pending", OTHER: "pending"}


def test_each_destination_has_its_own_state(store):
    action_id = love(store)
    store.love_queue_to(LASTFM).mark_sent(action_id, NOW + 1)
    assert states(store, action_id) == {LASTFM: "sent", OTHER: "pending"}
    assert store.love_queue_to(LASTFM).due(NOW + 1, 10) == []
    assert store.love_queue_to(LASTFM).next_due_at() is None
    assert store.love_queue_to(OTHER).next_due_at() == 0
    store.love_queue_to(OTHER).mark_rejected(action_id, "invalid recording")
    assert store.love_queue_to(OTHER).refused()[0].last_error == "invalid recording"
    assert store.love_queue_to(LASTFM).refused() == []
    assert store.love_queue_to(LASTFM).get(action_id).sent_at == NOW + 1


def test_retry_later_waits_and_counts_the_attempt(store):
    action_id = love(store)
    queue = store.love_queue_to(OTHER)
    queue.retry_later(action_id, "HTTP 503", NOW + 60)
    assert queue.due(NOW + 59, 10) == []
    assert queue.next_due_at() == NOW + 60
    [action] = queue.due(NOW + 60, 10)
    assert (action.attempts, action.last_error) == (1, "HTTP 503")
    assert store.love_queue_to(LASTFM).get(action_id).attempts == 0


def test_a_recording_found_is_kept_for_its_destination(store):
    action_id = love(store)
    store.love_queue_to(OTHER).keep_recording(action_id, FOUND)
    assert store.love_queue_to(OTHER).get(action_id).recording == FOUND
    assert store.love_queue_to(LASTFM).get(action_id).recording is None


def test_the_tracks_own_recording_id_comes_first(store):
    action_id = love(store, mbid=RECORDING)
    store.love_queue_to(OTHER).keep_recording(action_id, FOUND)
    assert store.love_queue_to(OTHER).get(action_id).recording == RECORDING


def test_not_identified_is_said_once_and_listed_with_its_reason(store):
    action_id = love(store)
    queue = store.love_queue_to(OTHER)
    assert queue.mark_unidentified(action_id, "no recording found") is True
    assert queue.mark_unidentified(action_id, "no recording found") is False
    assert queue.due(NOW, 10) == []
    [action] = store.loves.listing(("rejected", "unidentified"), 10)
    assert (action.destination, action.state, action.last_error) == (
        OTHER, "unidentified", "no recording found",
    )  # fmt: skip
    assert queue.unidentified() == [action]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (LASTFM, {"pending": 1, "sent": 1, "rejected": 0, "unidentified": 0}),
        (OTHER, {"pending": 0, "sent": 1, "rejected": 0, "unidentified": 1}),
    ],
)
def test_counts_are_per_destination(store, name, expected):
    first, second = love(store, "One"), love(store, "Two")
    store.love_queue_to(LASTFM).mark_sent(first, NOW)
    store.love_queue_to(OTHER).mark_sent(first, NOW)
    store.love_queue_to(OTHER).mark_unidentified(second, "no recording found")
    assert store.love_queue_to(name).counts() == expected
    assert store.loves.counts() == {
        "pending": 1, "sent": 2, "rejected": 0, "unidentified": 1,
    }  # fmt: skip


def test_retry_times_are_cleared_and_shifted_for_every_destination(store):
    action_id = love(store)
    for name in EVERY:
        store.love_queue_to(name).retry_later(action_id, "down", NOW + 100)
    store.shift_retry_times(50)
    assert {store.love_queue_to(n).next_due_at() for n in EVERY} == {NOW + 150}
    store.clear_retry_times()
    assert {store.love_queue_to(n).next_due_at() for n in EVERY} == {0}


def test_a_state_once_final_is_not_changed_by_a_late_answer(store):
    action_id = love(store)
    queue = store.love_queue_to(OTHER)
    queue.mark_sent(action_id, NOW)
    queue.retry_later(action_id, "late", NOW + 10)
    queue.mark_rejected(action_id, "late")
    assert not queue.mark_unidentified(action_id, "late")
    assert (queue.get(action_id).state, queue.get(action_id).attempts) == ("sent", 0)


OLD_ACTIONS = [
    # id, action, track, state, attempts, last_error, next_attempt_at, sent_at
    (1, "love", "Waiting", "pending", 2, "timed out", 5000, None),
    (2, "unlove", "Landed", "sent", 0, None, None, 3500),
    (3, "love", "Refused", "rejected", 0, "Invalid parameters", None, None),
]


# Schema 6 gave each love action a state per destination: older ones had one.
PER_DESTINATION_VERSION = 6


@pytest.mark.parametrize("version", range(LOVES_VERSION, PER_DESTINATION_VERSION))
def test_upgrade_keeps_every_love_action_in_its_state_for_lastfm(tmp_path, version):
    build_database_at_version(tmp_path / DB_FILENAME, version)
    db = sqlite3.connect(tmp_path / DB_FILENAME)
    with db:
        db.executemany(
            "INSERT INTO love_actions (id, action, artist, track, state, attempts, "
            "last_error, next_attempt_at, created_at, sent_at) VALUES "
            "(?, ?, 'Artist', ?, ?, ?, ?, ?, 900, ?)",
            OLD_ACTIONS,
        )
    db.close()
    opened = Store.open(tmp_path, NOW)
    try:
        queue = opened.love_queue_to(LASTFM)
        for row in OLD_ACTIONS:
            action = queue.get(row[0])
            assert (
                action.id, action.action, action.track, action.state,
                action.attempts, action.last_error, action.next_attempt_at,
                action.sent_at,
            ) == row  # fmt: skip
            assert (action.artist, action.created_at, action.queued_at) == (
                "Artist", 900, 900,
            )  # fmt: skip
            assert (action.mbid, action.recording_mbid) == (None, None)
            assert list(opened.loves.destinations_of(row[0])) == [LASTFM]
        # Nothing is sent again: only the waiting one is due.
        assert [a.id for a in queue.due(NOW, 10)] == [1]
        # New actions go on from the old ones' ids.
        assert love(opened, "New") == len(OLD_ACTIONS) + 1
    finally:
        opened.close()
