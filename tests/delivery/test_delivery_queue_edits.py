"""The editable queue as the delivery workers see it (Last.fm and ListenBrainz,
against their fake servers, in fake time): a held play is sent nowhere until
released, then once; an edited one only with its last names; a deleted one
never."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from mopidy_mtscrobble import queue_edits
from mopidy_mtscrobble.delivery.connection import HELD_POLL_S
from mopidy_mtscrobble.destinations import LASTFM
from mopidy_mtscrobble.store import NewScrobble

from ..support.delivery_harness import NOW


@dataclasses.dataclass
class Destination:
    """One delivery worker and what its fake server received, as (artist, track)."""

    name: str
    worker: object
    received: Callable[[], list[tuple[str, str]]]
    server: object
    round: Callable[[], float | None]  # one round, as the thread runs it
    clock: object

    def run(self) -> None:
        until_idle(self.round, self.clock)

    def outage(self) -> Callable[[], None]:
        """Stop the server; returns what starts it again on the same port."""
        port = self.server.port
        self.server.stop()
        return lambda: self.server.start(port)


def lastfm_destination(request) -> Destination:
    lastfm, clock = request.getfixturevalue("lastfm"), request.getfixturevalue("clock")
    worker = request.getfixturevalue("make_delivery")()

    def received() -> list[tuple[str, str]]:
        return [(s["artist"], s["track"]) for s in lastfm.scrobbles_of("alice")]

    return Destination(
        LASTFM, worker, server=lastfm, received=received,
        round=worker.step, clock=clock,
    )  # fmt: skip


def listenbrainz_destination(request) -> Destination:
    fake, clock = (
        request.getfixturevalue("listenbrainz"),
        request.getfixturevalue("clock"),
    )
    worker = request.getfixturevalue("make_lb_delivery")()

    def received() -> list[tuple[str, str]]:
        listens = fake.listens_of("alice")
        meta = [x["track_metadata"] for x in listens]
        return [(m["artist_name"], m["track_name"]) for m in meta]

    return Destination(
        "lb", worker, server=fake, received=received,
        round=worker.run_round, clock=clock,
    )  # fmt: skip


def until_idle(round_: Callable[[], float | None], clock, max_rounds=100) -> None:
    """Rounds, the clock moved by the delays asked, until delivery waits for
    nothing but a wake-up or a release (see HELD_POLL_S)."""
    for _ in range(max_rounds):
        delay = round_()
        if delay is None or delay >= HELD_POLL_S - 1:
            return
        clock.advance(delay)
    raise AssertionError("delivery never became idle")


@pytest.fixture(params=["lastfm", "listenbrainz"])
def destination(request) -> Destination:
    make = {"lastfm": lastfm_destination, "listenbrainz": listenbrainz_destination}
    return make[request.param](request)


def queued(store, destination: Destination, count: int) -> list[int]:
    """`count` plays, a minute apart, queued for `destination` only."""
    start = int(NOW) - 3600
    scrobbles = [
        NewScrobble(artist="Artist", track=f"Track {n}", timestamp=start + n * 60)
        for n in range(count)
    ]
    return [store.plays.enqueue(s, (destination.name,), NOW) for s in scrobbles]


def state(store, destination: Destination, play_id: int) -> str:
    return store.queue_to(destination.name).get(play_id).state


def test_a_held_play_is_sent_nowhere_and_once_after_release(store, destination):
    held, _other = queued(store, destination, 2)
    store.editing.hold(held)
    destination.run()
    assert destination.received() == [("Artist", "Track 1")]
    assert state(store, destination, held) == "pending"
    destination.run()  # idle again: still nothing
    assert destination.received() == [("Artist", "Track 1")]
    store.editing.release(held)
    destination.run()
    destination.run()
    assert sorted(destination.received()) == [
        ("Artist", "Track 0"),
        ("Artist", "Track 1"),
    ]
    assert state(store, destination, held) == "sent"


def test_a_play_held_while_its_destination_is_down_waits_for_its_release(
    store, destination
):
    [play_id] = queued(store, destination, 1)
    back = destination.outage()
    destination.worker.step()  # tried, failed: pending again, backing off
    assert state(store, destination, play_id) == "pending"
    store.editing.hold(play_id)
    back()
    destination.run()
    assert destination.received() == []
    store.editing.release(play_id)
    destination.run()
    assert destination.received() == [("Artist", "Track 0")]


def test_a_play_edited_while_pending_is_sent_with_its_new_names_only(
    store, destination
):
    [play_id] = queued(store, destination, 1)
    back = destination.outage()
    destination.worker.step()
    queue_edits.edit(store, play_id, {"artist": "First Try"})
    queue_edits.edit(store, play_id, {"artist": "Right Artist", "track": "Right Title"})
    back()
    destination.run()
    assert destination.received() == [("Right Artist", "Right Title")]
    assert state(store, destination, play_id) == "sent"


def test_a_deleted_play_is_never_sent(store, destination):
    deleted, kept = queued(store, destination, 2)
    back = destination.outage()
    destination.worker.step()
    store.editing.delete(deleted)
    back()
    destination.run()
    assert destination.received() == [("Artist", "Track 1")]
    assert store.editing.get(deleted) is None
    assert state(store, destination, kept) == "sent"


def test_a_release_from_another_process_is_noticed_within_a_minute(
    store, destination, clock
):
    [play_id] = queued(store, destination, 1)
    store.editing.hold(play_id)
    destination.run()
    store.editing.release(play_id)  # as the CLI does: nothing wakes delivery
    delay = destination.round()
    assert delay is not None
    assert delay <= HELD_POLL_S
    clock.advance(delay)
    destination.run()
    assert destination.received() == [("Artist", "Track 0")]


def test_delivery_without_held_plays_waits_for_a_wake_up(store, destination):
    queued(store, destination, 1)
    destination.run()
    assert destination.round() is None
