"""The store's plays and their delivery state at each destination."""

from __future__ import annotations

import sqlite3

import pytest

from mopidy_mtscrobble.destinations import LASTFM
from mopidy_mtscrobble.errors import StorageError
from mopidy_mtscrobble.matching import key_parts
from mopidy_mtscrobble.store import DB_FILENAME, STATES, NewScrobble, Store

NOW = 1_700_000_000
DAY = 86_400
OTHER = "listenbrainz"
THIRD = "maloja"
EVERY = (LASTFM, OTHER, THIRD)


def play(track="Title", timestamp=NOW - 300, **extra) -> NewScrobble:
    return NewScrobble(artist="Artist", track=track, timestamp=timestamp, **extra)


@pytest.fixture
def store(tmp_path):
    opened = Store.open(tmp_path, NOW)
    yield opened
    opened.close()


def queue_plays(store, count, destinations=EVERY, start=NOW - 3600):
    return [
        store.plays.enqueue(play(f"Track {i}", start + i * 60), destinations, NOW)
        for i in range(count)
    ]


def states(store, destination):
    entries = store.queue_to(destination).by_states(STATES, 1000)
    return {e.id: e.state for e in entries}


# Queuing.


def test_a_play_is_one_row_pending_for_each_destination_given(store):
    play_id = store.plays.enqueue(play(), (LASTFM, OTHER), NOW)
    assert store.plays.play_count() == 1
    found = store.plays.destinations_of(play_id)
    assert sorted(found) == [LASTFM, OTHER]
    for name, entry in found.items():
        assert (entry.destination, entry.state, entry.attempts) == (name, "pending", 0)
        assert (entry.queued_at, entry.created_at) == (NOW, NOW)
        assert (entry.in_flight_at, entry.sent_at, entry.last_error) == (None,) * 3
    assert store.queue_to(THIRD).get(play_id) is None


def test_the_play_and_its_states_are_committed_together_when_enqueue_returns(
    store, tmp_path
):
    play_id = store.plays.enqueue(play(), (LASTFM, OTHER), NOW)
    other = sqlite3.connect(tmp_path / DB_FILENAME)
    rows = other.execute("SELECT play_id, destination, state FROM deliveries")
    assert sorted(rows) == [(play_id, LASTFM, "pending"), (play_id, OTHER, "pending")]
    other.close()


def test_a_play_is_not_kept_when_one_of_its_states_cannot_be(store):
    with pytest.raises(StorageError, match="CHECK constraint"):
        store.plays.enqueue(play(), (LASTFM, ""), NOW)
    assert store.plays.play_count() == 0
    assert store.queue.counts()["pending"] == 0


def test_queuing_a_play_again_adds_only_the_destinations_it_lacked(store):
    play_id = store.plays.enqueue(play(), (LASTFM,), NOW)
    store.queue.mark_sent([play_id], NOW)
    assert store.plays.enqueue(play(), (LASTFM, OTHER), NOW + 5) == play_id
    found = store.plays.destinations_of(play_id)
    assert (found[LASTFM].state, found[OTHER].state) == ("sent", "pending")
    assert found[OTHER].queued_at == NOW + 5


def test_a_play_queued_for_no_destination_is_kept_without_states(store):
    play_id = store.plays.enqueue(play(), (), NOW)
    assert store.plays.play_count() == 1
    assert store.plays.destinations_of(play_id) == {}


def test_a_destination_has_at_most_one_state_per_play(store, tmp_path):
    play_id = store.plays.enqueue(play(), (LASTFM,), NOW)
    db = sqlite3.connect(tmp_path / DB_FILENAME)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        db.execute(
            "INSERT INTO deliveries (play_id, destination, play_timestamp, queued_at)"
            " VALUES (?, ?, 0, 0)",
            (play_id, LASTFM),
        )
    db.close()


def test_a_destination_queue_can_queue_for_itself_alone(store):
    play_id = store.queue_to(OTHER).enqueue(play(), NOW)
    assert list(store.plays.destinations_of(play_id)) == [OTHER]


# Resending to a destination added later.


def test_resend_queues_the_plays_since_a_date_that_the_destination_lacks(store):
    old, recent, newest = (
        store.plays.enqueue(play("Old", NOW - 10 * DAY), (LASTFM,), NOW),
        store.plays.enqueue(play("Recent", NOW - 2 * DAY), (LASTFM,), NOW),
        store.plays.enqueue(play("Newest", NOW - 60), (LASTFM, OTHER), NOW),
    )
    store.queue_to(OTHER).mark_rejected(newest, "refused")
    assert store.plays.resend(OTHER, NOW - 3 * DAY, NOW + 1) == 1
    assert states(store, OTHER) == {recent: "pending", newest: "rejected"}
    assert store.queue_to(OTHER).get(recent).queued_at == NOW + 1
    assert store.queue_to(OTHER).get(old) is None
    assert store.plays.resend(OTHER, NOW - 3 * DAY, NOW + 2) == 0
    assert states(store, LASTFM) == dict.fromkeys((old, recent, newest), "pending")


def test_resend_to_a_new_destination_starts_its_queue(store):
    ids = queue_plays(store, 3, (LASTFM,))
    assert store.plays.resend(THIRD, 0, NOW) == 3
    assert [e.id for e in store.queue_to(THIRD).due(NOW, 10)] == ids


# One destination's queue.


def test_due_is_the_destinations_pending_entries_oldest_first(store):
    ids = queue_plays(store, 4)
    store.queue.mark_in_flight([ids[0]], NOW)
    store.queue.retry_later([ids[1]], "busy", NOW + 60, count=True)
    assert [e.id for e in store.queue.due(NOW, 10)] == [ids[2], ids[3]]
    assert [e.id for e in store.queue.due(NOW, 1)] == [ids[2]]
    assert [e.id for e in store.queue.due(NOW + 60, 10)] == ids[1:]
    assert [e.id for e in store.queue_to(OTHER).due(NOW, 10)] == ids


def test_marking_in_flight_keeps_the_time_and_touches_only_pending_entries(store):
    ids = queue_plays(store, 2)
    store.queue.mark_rejected(ids[1], "refused")
    store.queue.mark_in_flight(ids, NOW + 7)
    entry = store.queue.get(ids[0])
    assert (entry.state, entry.in_flight_at) == ("in_flight", NOW + 7)
    assert store.queue.get(ids[1]).state == "rejected"
    assert [e.id for e in store.queue.in_flight()] == [ids[0]]
    assert store.queue_to(OTHER).in_flight() == []


def test_sent_entries_keep_their_time_and_lose_their_error(store):
    [play_id] = queue_plays(store, 1)
    queue = store.queue_to(OTHER)
    queue.mark_in_flight([play_id], NOW)
    queue.note_failed_attempt([play_id], "timed out", NOW + 30)
    queue.mark_sent([play_id], NOW + 40)
    entry = queue.get(play_id)
    assert (entry.state, entry.sent_at, entry.last_error) == ("sent", NOW + 40, None)
    assert (entry.attempts, entry.next_attempt_at) == (1, None)


@pytest.mark.parametrize(
    ("destination", "counted"), [(LASTFM, 1), (OTHER, None)], ids=["lastfm", "other"]
)
def test_only_the_lastfm_destination_counts_plays(store, destination, counted):
    [play_id] = queue_plays(store, 1)
    store.queue_to(destination).mark_sent([play_id], NOW, ("local",))
    store.queue_to(destination).mark_sent([play_id], NOW + 1, ("local",))
    keys = key_parts("Artist", "Track 0")
    assert store.songs.playcount_for("nowhere:", keys) == counted


def test_a_rejection_keeps_its_reason_and_ends_the_entry(store):
    [play_id] = queue_plays(store, 1)
    store.queue.mark_rejected(play_id, "artist ignored (code 1)")
    store.queue.mark_sent([play_id], NOW)
    store.queue.retry_later([play_id], None, None, count=True)
    entry = store.queue.get(play_id)
    assert (entry.state, entry.last_error) == ("rejected", "artist ignored (code 1)")


@pytest.mark.parametrize(("count", "attempts"), [(True, 1), (False, 0)])
def test_back_to_pending_counts_an_attempt_only_when_asked(store, count, attempts):
    [play_id] = queue_plays(store, 1)
    store.queue.mark_in_flight([play_id], NOW)
    store.queue.retry_later([play_id], "daily limit", NOW + 3600, count=count)
    entry = store.queue.get(play_id)
    assert (entry.state, entry.attempts) == ("pending", attempts)
    assert (entry.last_error, entry.next_attempt_at) == ("daily limit", NOW + 3600)
    assert store.queue.next_due_at() == NOW + 3600
    assert store.queue_to(OTHER).next_due_at() == 0
    assert store.queue_to(THIRD).next_due_at() == 0


def test_a_failed_attempt_of_unknown_outcome_stays_in_flight(store):
    [play_id] = queue_plays(store, 1)
    store.queue.mark_in_flight([play_id], NOW)
    store.queue.note_failed_attempt([play_id], "connection reset", NOW + 30)
    entry = store.queue.get(play_id)
    assert (entry.state, entry.attempts, entry.last_error) == (
        "in_flight", 1, "connection reset",
    )  # fmt: skip


def test_counts_sent_and_waiting_are_each_destinations_own(store):
    ids = queue_plays(store, 4, start=NOW - 3 * DAY)
    store.queue.mark_sent(ids[:2], NOW)
    store.queue_to(OTHER).mark_rejected(ids[3], "refused")
    assert store.queue.counts() == {
        "pending": 2, "in_flight": 0, "sent": 2, "rejected": 0, "held": 0,
    }  # fmt: skip
    assert store.plays.counts_by_destination() == {
        LASTFM: {"pending": 2, "in_flight": 0, "sent": 2, "rejected": 0},
        THIRD: {"pending": 4, "in_flight": 0, "sent": 0, "rejected": 0},
        OTHER: {"pending": 3, "in_flight": 0, "sent": 0, "rejected": 1},
    }
    assert store.queue.count_sent_since(NOW) == 2
    assert store.queue_to(OTHER).count_sent_since(0) == 0
    assert store.queue.count_waiting_older_than(NOW) == 2
    assert store.queue_to(OTHER).count_waiting_older_than(NOW) == 3
    assert store.queue.oldest_waiting().id == ids[2]
    assert store.queue_to(OTHER).oldest_waiting().id == ids[0]
    assert [e.id for e in store.queue.sent_between(0, NOW)] == ids[:2]
    assert store.queue_to(OTHER).sent_between(0, NOW) == []


def test_expiry_rejects_only_that_destinations_old_entries(store):
    ids = queue_plays(store, 3, start=NOW - 20 * DAY)
    store.queue.mark_in_flight([ids[0]], NOW)
    cutoff = NOW - 20 * DAY + 90  # after the first two plays
    assert store.queue.reject_older_than(cutoff, "too old") == [ids[1]]
    assert store.queue.reject_older_than(cutoff, "lost", "in_flight") == [ids[0]]
    assert states(store, LASTFM) == {
        ids[0]: "rejected", ids[1]: "rejected", ids[2]: "pending",
    }  # fmt: skip
    assert states(store, OTHER) == dict.fromkeys(ids, "pending")


def test_recent_lists_the_destinations_entries_newest_first(store):
    ids = queue_plays(store, 3)
    assert [e.id for e in store.queue.recent(2)] == [ids[2], ids[1]]


# Across destinations.


def test_listing_filters_by_destination_and_state_and_pages(store):
    ids = queue_plays(store, 3, (LASTFM, OTHER))
    store.queue.mark_rejected(ids[0], "refused")
    waiting = ("pending", "in_flight")
    listed = store.plays.listing(None, waiting, 10)
    assert [(e.id, e.destination) for e in listed] == [
        (ids[0], OTHER), (ids[1], LASTFM), (ids[1], OTHER),
        (ids[2], LASTFM), (ids[2], OTHER),
    ]  # fmt: skip
    page = store.plays.listing(None, waiting, 2, offset=2)
    assert [(e.id, e.destination) for e in page] == [(ids[1], OTHER), (ids[2], LASTFM)]
    assert [e.id for e in store.plays.listing(LASTFM, ("rejected",), 10)] == [ids[0]]
    assert [e.id for e in store.plays.listing(OTHER, waiting, 10)] == ids
    assert [e.id for e in store.queue.by_states(waiting, 1, offset=1)] == [ids[2]]


def test_history_is_forgotten_once_every_destination_sent_it_long_ago(store):
    both, half, rejected, unsent = queue_plays(store, 4, (LASTFM, OTHER))
    long_ago = NOW - 91 * DAY
    store.queue.mark_sent([both, half, rejected], long_ago)
    store.queue_to(OTHER).mark_sent([both], long_ago)
    store.queue_to(OTHER).mark_sent([half], NOW - DAY)
    store.queue_to(OTHER).mark_rejected(rejected, "refused")
    store.plays.enqueue(play("Queued for none"), (), long_ago)
    assert store.plays.prune_history(90, NOW) == 2
    assert store.plays.destinations_of(both) == {}
    assert store.queue.get(half).state == "sent"
    store.plays.enqueue(play("Queued for none lately"), (), NOW)
    assert store.plays.play_count() == 4
    assert store.plays.prune_history(1, NOW + 2 * DAY) == 2
    assert store.plays.play_count() == 2
    assert sorted(store.plays.destinations_of(rejected)) == [LASTFM, OTHER]
    assert [e.id for e in store.plays.listing(None, ("pending",), 10)] == [
        unsent, unsent,
    ]  # fmt: skip


def test_retry_times_are_cleared_and_shifted_for_every_destination(store):
    [play_id] = queue_plays(store, 1)
    for name in EVERY:
        store.queue_to(name).retry_later([play_id], "busy", NOW + 100, count=False)
    store.shift_retry_times(-50)
    assert {store.queue_to(n).next_due_at() for n in EVERY} == {NOW + 50}
    store.clear_retry_times()
    assert {store.queue_to(n).next_due_at() for n in EVERY} == {0}
