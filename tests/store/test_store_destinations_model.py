"""Random sequences of queuing, marking and resending for three destinations,
against a model: a play is never lost, never has two states at one
destination, and what is done at one destination never changes another's."""

from __future__ import annotations

import collections
import pathlib
import shutil
import tempfile

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from mopidy_mtscrobble.store import STATES, NewScrobble, Store

NOW = 1_700_000_000
DESTINATIONS = ("lastfm", "listenbrainz", "maloja")
TRACKS = ("A", "B", "C")
TIMESTAMPS = (NOW - 300, NOW - 200, NOW - 100)
WAITING = ("pending", "in_flight")

destinations = st.sampled_from(DESTINATIONS)
play_ids = st.lists(st.integers(min_value=1, max_value=12), max_size=4)


class QueueModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.mkdtemp()
        self.store = Store.open(pathlib.Path(self.folder), NOW)
        self.plays: dict[tuple[int, str], int] = {}  # (timestamp, track): id
        self.states: dict[tuple[int, str], str] = {}  # (play id, destination)

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.folder)

    @rule(
        track=st.sampled_from(TRACKS),
        timestamp=st.sampled_from(TIMESTAMPS),
        to=st.sets(destinations),
        distinct=st.booleans(),
    )
    def enqueue(self, track, timestamp, to, distinct):
        key = (timestamp, track)
        while distinct and key in self.plays:
            key = (key[0] + 1, track)
        scrobble = NewScrobble(artist="Artist", track=track, timestamp=timestamp)
        play_id = self.store.plays.enqueue(scrobble, sorted(to), NOW, distinct)
        if key in self.plays:
            assert play_id == self.plays[key]
        else:
            assert play_id not in self.plays.values()
            self.plays[key] = play_id
        for name in to:
            self.states.setdefault((play_id, name), "pending")

    @rule(to=destinations, since=st.sampled_from(TIMESTAMPS))
    def resend(self, to, since):
        def expect():
            for (timestamp, _track), play_id in self.plays.items():
                if timestamp >= since:
                    self.states.setdefault((play_id, to), "pending")

        created = self.at_one_destination(
            to, lambda: self.store.plays.resend(to, since, NOW), expect
        )
        assert created == sum(
            1
            for (timestamp, _t), i in self.plays.items()
            if timestamp >= since and (i, to) not in self.before
        )

    @rule(at=destinations, ids=play_ids)
    def mark_in_flight(self, at, ids):
        queue = self.store.queue_to(at)
        self.at_one_destination(
            at,
            lambda: queue.mark_in_flight(ids, NOW),
            lambda: self.move(at, ids, ("pending",), "in_flight"),
        )

    @rule(at=destinations, ids=play_ids)
    def mark_sent(self, at, ids):
        queue = self.store.queue_to(at)
        self.at_one_destination(
            at,
            lambda: queue.mark_sent(ids, NOW),
            lambda: self.move(at, ids, WAITING, "sent"),
        )

    @rule(at=destinations, ids=play_ids)
    def mark_rejected(self, at, ids):
        queue = self.store.queue_to(at)
        self.at_one_destination(
            at,
            lambda: [queue.mark_rejected(i, "refused") for i in ids],
            lambda: self.move(at, ids, WAITING, "rejected"),
        )

    @rule(at=destinations, ids=play_ids, count=st.booleans())
    def retry_later(self, at, ids, count):
        queue = self.store.queue_to(at)
        self.at_one_destination(
            at,
            lambda: queue.retry_later(ids, "busy", None, count),
            lambda: self.move(at, ids, WAITING, "pending"),
        )

    @rule(
        at=destinations,
        state=st.sampled_from(WAITING),
        before=st.sampled_from(TIMESTAMPS),
    )
    def expire(self, at, state, before):
        old = [i for (t, _track), i in self.plays.items() if t < before]
        queue = self.store.queue_to(at)
        expired = self.at_one_destination(
            at,
            lambda: queue.reject_older_than(before, "too old", state),
            lambda: self.move(at, old, (state,), "rejected"),
        )
        assert expired == sorted(i for i in old if self.before.get((i, at)) == state)

    @rule(at=destinations, limit=st.integers(min_value=1, max_value=5))
    def due(self, at, limit):
        pending = sorted(
            (t, i)
            for (t, _track), i in self.plays.items()
            if self.states.get((i, at)) == "pending"
        )
        due = self.store.queue_to(at).due(NOW, limit)
        assert [e.id for e in due] == [i for _t, i in pending[:limit]]

    def at_one_destination(self, name, change, expect):
        """Do `change` at destination `name` and what the model `expect`s of
        it; every other destination's states stay as they were."""
        self.before = dict(self.states)
        others = [e for e in self.stored() if e[1] != name]
        result = change()
        expect()
        assert [e for e in self.stored() if e[1] != name] == others
        return result

    def move(self, at, ids, sources, target):
        for play_id in ids:
            if self.states.get((play_id, at)) in sources:
                self.states[(play_id, at)] = target

    def stored(self):
        entries = self.store.plays.listing(None, STATES, 10_000)
        return sorted((e.id, e.destination, e.state) for e in entries)

    @invariant()
    def each_play_has_at_most_one_state_per_destination(self):
        pairs = collections.Counter((i, name) for i, name, _ in self.stored())
        assert all(count == 1 for count in pairs.values())

    @invariant()
    def no_play_is_lost(self):
        assert self.store.plays.play_count() == len(self.plays)
        for (timestamp, track), play_id in self.plays.items():
            for entry in self.store.plays.destinations_of(play_id).values():
                assert (entry.timestamp, entry.track) == (timestamp, track)

    @invariant()
    def every_state_is_the_models(self):
        model = sorted((i, name, state) for (i, name), state in self.states.items())
        assert self.stored() == model


QueueModel.TestCase.settings = settings(
    max_examples=60, stateful_step_count=25, deadline=None
)
test_queue_model = QueueModel.TestCase
