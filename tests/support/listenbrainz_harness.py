"""ListenBrainz delivery against the in-process fake ListenBrainz, in the fake
time the fake Last.fm and the store share (see delivery_harness.py).

Fixtures `listenbrainz` and `make_lb_delivery` are registered in conftest.py.
"""

from __future__ import annotations

import random

import pytest

from mopidy_mtscrobble.delivery.listenbrainz import ListenBrainzDelivery
from mopidy_mtscrobble.destinations import ListenBrainzDestination
from mopidy_mtscrobble.listenbrainz import ListenBrainzClient
from mopidy_mtscrobble.store import NewScrobble

from ..fakes.listenbrainz import FakeListenBrainz
from .delivery_harness import NOW


@pytest.fixture
def listenbrainz(clock):
    """The fake ListenBrainz, on the tests' fake clock, without a rate limit."""
    server = FakeListenBrainz(clock=clock.wall, rate_limit=None).start()
    yield server
    server.stop()


def factory(fake, clock):
    def make(destination, proxy=None):
        return ListenBrainzClient(
            destination.token,
            destination.url,
            server_name=destination.display_name,
            verify=fake.client_context(),
            clock=clock.wall,
        )

    return make


@pytest.fixture
def make_lb_delivery(tmp_path, clock, listenbrainz):
    made = []

    def make(
        name="lb", user="alice", token=None, fake=None, url=None, probe=None, **options
    ):
        fake = fake or listenbrainz
        token = token or fake.add_user(user)
        destination = ListenBrainzDestination(name, token, url or fake.base_url)
        worker = ListenBrainzDelivery(
            destination,
            tmp_path,
            clock=clock,
            rng=random.Random(7),
            probe=probe or (lambda target: False),
            mopidy_version="3.4.2",
            **{"client_factory": factory(fake, clock), **options},
        )
        worker.open()
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.close()


def play(store, destinations=("lb",), n=0, at=None, **extra):
    """One qualified play, queued for `destinations` (as the frontend does)."""
    scrobble = NewScrobble(
        artist="Artist", track=f"Track {n}",
        timestamp=int(at if at is not None else NOW - 3600 + n * 10), **extra,
    )  # fmt: skip
    return store.plays.enqueue(scrobble, destinations, NOW)


def plays(store, count, destinations=("lb",), **extra):
    return [play(store, destinations, n, **extra) for n in range(count)]


def run_until_idle(worker, clock, max_steps=200):
    """Rounds as the thread runs them, the clock moved by the delays asked."""
    for _ in range(max_steps):
        delay = worker.run_round()
        if delay is None:
            return
        clock.advance(delay)
    raise AssertionError("delivery never became idle")


def run_for(worker, clock, seconds):
    end = clock.monotonic() + seconds
    while clock.monotonic() < end:
        delay = worker.run_round()
        left = end - clock.monotonic()
        clock.advance(min(left, delay if delay is not None else left))
