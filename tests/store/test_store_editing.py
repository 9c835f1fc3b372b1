"""The editable queue: edits, holds and deletes against every delivery state,
and held plays left out of everything that picks what to send."""

from __future__ import annotations

import logging

import pytest

from mopidy_mtscrobble import queue_edits
from mopidy_mtscrobble.destinations import LASTFM
from mopidy_mtscrobble.errors import RequestRefused
from mopidy_mtscrobble.store import EntryRefused, NewScrobble, Store

NOW = 1_700_000_000
OTHER = "listenbrainz"
BOTH = (LASTFM, OTHER)


def play(track="Title", timestamp=NOW - 300) -> NewScrobble:
    return NewScrobble(artist="Artist", track=track, timestamp=timestamp, album="Album")


@pytest.fixture
def store(tmp_path):
    opened = Store.open(tmp_path, NOW)
    yield opened
    opened.close()


def in_state(store, state, destination=LASTFM, destinations=BOTH) -> int:
    """A play queued for `destinations`, in `state` at `destination`."""
    play_id = store.plays.enqueue(play(f"Track {state}"), destinations, NOW)
    queue = store.queue_to(destination)
    if state in ("in_flight", "sent", "rejected"):
        queue.mark_in_flight([play_id], NOW)
    if state == "sent":
        queue.mark_sent([play_id], NOW)
    if state == "rejected":
        queue.mark_rejected(play_id, "refused")
    return play_id


# What may change in which state: (state at one destination, edit/delete ok, hold ok).
RULES = [
    ("pending", True, True),
    ("rejected", True, True),
    ("in_flight", False, False),
    ("sent", False, True),
]


@pytest.mark.parametrize(("state", "changeable", "holdable"), RULES)
def test_edits_and_deletes_only_while_no_destination_has_it_in_flight_or_sent(
    store, state, changeable, holdable
):
    play_id = in_state(store, state)
    if changeable:
        queue_edits.edit(store, play_id, {"artist": "New Artist"})
        assert store.queue_to(OTHER).get(play_id).artist == "New Artist"
        store.editing.delete(play_id)
        assert store.editing.get(play_id) is None
        assert store.plays.destinations_of(play_id) == {}
        return
    with pytest.raises(EntryRefused) as edit_refused:
        queue_edits.edit(store, play_id, {"artist": "New Artist"})
    with pytest.raises(EntryRefused) as delete_refused:
        store.editing.delete(play_id)
    for refused in (edit_refused.value, delete_refused.value):
        assert refused.http_status == 409
        expected = "wait until it is sent" if state == "in_flight" else "sent already"
        assert expected in str(refused).lower()
    assert store.queue_to(OTHER).get(play_id).artist == "Artist"
    assert store.editing.get(play_id) is not None


@pytest.mark.parametrize(("state", "changeable", "holdable"), RULES)
def test_a_play_is_held_unless_a_destination_has_it_in_flight(
    store, state, changeable, holdable
):
    play_id = in_state(store, state)
    if holdable:
        store.editing.hold(play_id)
        assert store.editing.get(play_id).held
        store.editing.release(play_id)
        assert not store.editing.get(play_id).held
    else:
        with pytest.raises(EntryRefused, match="being sent to lastfm right now"):
            store.editing.hold(play_id)
        assert not store.editing.get(play_id).held


@pytest.mark.parametrize("change", ["edit", "hold", "release", "delete"])
def test_an_unknown_entry_is_refused_as_not_found(store, change):
    if change == "edit":
        with pytest.raises(EntryRefused) as refused:
            queue_edits.edit(store, 99, {"track": "X"})
    else:
        with pytest.raises(EntryRefused) as refused:
            getattr(store.editing, change)(99)
    assert refused.value.http_status == 404
    assert "no scrobble #99" in str(refused.value)


@pytest.mark.parametrize("destination", BOTH)
def test_a_held_play_is_not_due_counted_pending_nor_timed(store, destination):
    held, waiting = (store.plays.enqueue(play(t), BOTH, NOW) for t in ("A", "B"))
    store.editing.hold(held)
    queue = store.queue_to(destination)
    assert [e.id for e in queue.due(NOW, 10)] == [waiting]
    assert queue.counts()["pending"] == 1
    assert queue.counts()["held"] == 1
    queue.mark_in_flight([waiting], NOW)
    assert queue.next_due_at() is None
    store.editing.release(held)
    assert queue.next_due_at() == 0
    assert [e.id for e in queue.due(NOW, 10)] == [held]


def test_a_play_held_after_it_was_picked_is_not_marked_in_flight(store):
    held, other = (store.plays.enqueue(play(t), BOTH, NOW) for t in ("A", "B"))
    queue = store.queue
    picked = queue.due(NOW, 10)
    store.editing.hold(held)
    marked = queue.mark_in_flight([e.id for e in picked], NOW)
    assert [e.id for e in marked] == [other]
    assert queue.get(held).state == "pending"


def test_a_play_edited_after_it_was_picked_is_marked_with_its_new_names(store):
    play_id = store.plays.enqueue(play(), BOTH, NOW)
    picked = store.queue.due(NOW, 10)
    queue_edits.edit(store, play_id, {"track": "Better Title", "album": ""})
    [marked] = store.queue.mark_in_flight([e.id for e in picked], NOW)
    assert (picked[0].track, marked.track) == ("Title", "Better Title")
    assert marked.album is None


def test_a_play_deleted_after_it_was_picked_is_not_marked(store):
    play_id = store.plays.enqueue(play(), BOTH, NOW)
    picked = store.queue.due(NOW, 10)
    store.editing.delete(play_id)
    assert store.queue.mark_in_flight([e.id for e in picked], NOW) == []


def test_an_edit_keeps_the_heard_names_and_logs_old_and_new(store, caplog):
    play_id = store.plays.enqueue(play(), BOTH, NOW)
    with caplog.at_level(logging.INFO):
        entry = queue_edits.edit(
            store, play_id, {"artist": " The  Band ", "album": None}
        )
    assert (entry.artist, entry.track, entry.album) == ("The Band", "Title", None)
    assert (entry.heard_artist, entry.heard_album) == ("Artist", "Album")
    assert entry.edited
    assert (
        f"Edited scrobble #{play_id}: Artist - Title [Album] → The Band - Title"
        in caplog.text
    )
    back = queue_edits.edit(store, play_id, {"artist": "Artist", "album": "Album"})
    assert not back.edited


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"artist": "  "}, "needs its artist"),
        ({"track": ""}, "needs its track"),
        ({"genre": "Rock"}, "Unknown name"),
        ({"album": "x" * 2000}, "too long"),
    ],
)
def test_an_edit_with_names_not_valid_is_refused_and_changes_nothing(
    store, changes, message
):
    play_id = store.plays.enqueue(play(), BOTH, NOW)
    with pytest.raises(RequestRefused, match=message) as refused:
        queue_edits.edit(store, play_id, changes)
    assert refused.value.http_status == 400
    assert not store.editing.get(play_id).edited


def test_the_listing_pages_the_plays_still_waiting_somewhere(store):
    ids = [
        store.plays.enqueue(play(f"T{i}", NOW - 900 + i), BOTH, NOW) for i in range(5)
    ]
    for name in BOTH:
        store.queue_to(name).mark_in_flight([ids[0]], NOW)
        store.queue_to(name).mark_sent([ids[0]], NOW)
    store.queue_to(LASTFM).mark_in_flight([ids[1]], NOW)
    store.queue_to(LASTFM).mark_sent([ids[1]], NOW)
    store.editing.hold(ids[2])
    assert store.editing.count() == 4
    first = store.editing.entries(limit=2)
    assert [e.id for e in first] == ids[1:3]
    assert first[0].states == {LASTFM: "sent", OTHER: "pending"}
    assert first[1].held
    assert [e.id for e in store.editing.entries(limit=2, offset=2)] == ids[3:5]


def test_two_edits_of_different_names_at_once_both_hold(store, monkeypatch):
    # The page edits the album while the CLI's edit of the artist lands
    # between the page's read and its write: compare and set, then again.
    play_id = in_state(store, "pending")
    read = store.editing.require
    meanwhile = []

    def read_then_the_cli_edits(entry_id):
        entry = read(entry_id)
        if not meanwhile:
            meanwhile.append(None)  # once: the CLI's own read is not disturbed
            meanwhile[0] = queue_edits.edit(store, entry_id, {"artist": "CLI"})
        return entry

    monkeypatch.setattr(store.editing, "require", read_then_the_cli_edits)
    edited = queue_edits.edit(store, play_id, {"album": "Page"})
    assert (meanwhile[0].artist, meanwhile[0].album) == ("CLI", "Album")
    assert (edited.artist, edited.album) == ("CLI", "Page")
    assert store.queue_to(LASTFM).get(play_id).artist == "CLI"
    assert store.queue_to(LASTFM).get(play_id).album == "Page"


def test_an_entry_that_keeps_changing_is_refused_with_try_again(store, monkeypatch):
    play_id = in_state(store, "pending")
    read, count = store.editing.require, []

    def read_then_another_edit(entry_id):
        entry = read(entry_id)
        count.append(1)
        store.plays.set_sent_names(entry_id, {"sent_track": f"Other {len(count)}"})
        return entry

    monkeypatch.setattr(store.editing, "require", read_then_another_edit)
    with pytest.raises(EntryRefused) as refused:
        queue_edits.edit(store, play_id, {"album": "Page"})
    assert refused.value.http_status == 409
    assert "try again" in str(refused.value)
    assert len(count) == queue_edits.EDIT_ATTEMPTS
