"""Delivery against the fake Last.fm server, with a fake clock both sides share.

Pytest fixtures (`clock`, `settings`, `store`, `make_delivery`) are registered in
conftest.py from here; tests import the helpers.
"""

from __future__ import annotations

import functools
import random

import pytest

from mopidy_mtscrobble.delivery import Delivery
from mopidy_mtscrobble.lastfm import LastfmClient, Session
from mopidy_mtscrobble.probe import tcp_probe
from mopidy_mtscrobble.ratelimit import RateLimiter
from mopidy_mtscrobble.session import SessionFile
from mopidy_mtscrobble.settings import Settings
from mopidy_mtscrobble.store import Store

from ..fakes.player import FakeClock

NOW = 1_700_000_000.0


@pytest.fixture
def clock(lastfm):
    fake = FakeClock(NOW)
    lastfm.clock = fake.wall  # the server sees the same time
    lastfm.rate_clock = fake.monotonic
    return fake


@pytest.fixture
def settings(lastfm):
    return Settings(
        network="custom",
        api_url=lastfm.url,
        api_key=lastfm.api_key,
        api_secret=lastfm.api_secret,
    )


@pytest.fixture
def store(tmp_path):
    opened = Store.open(tmp_path, NOW)
    yield opened
    opened.close()


@pytest.fixture
def make_delivery(tmp_path, clock, settings, lastfm):
    made = []

    def make(
        user: str | None = "alice",
        on_imported=None,
        probe=tcp_probe,
        limiter=None,
        **overrides,
    ) -> Delivery:
        if user is not None:
            key = lastfm.add_user(user)
            SessionFile(tmp_path, "custom").save(Session(key=key, username=user))
        chosen = (
            settings if not overrides else Settings(**{**vars(settings), **overrides})
        )
        # The limiter waits in fake time, which the server counts in too.
        limiter = limiter or RateLimiter(clock=clock.monotonic, sleep=clock.advance)
        worker = Delivery(
            chosen,
            tmp_path,
            clock=clock,
            rng=random.Random(7),
            client_factory=functools.partial(LastfmClient, limiter=limiter),
            on_imported=on_imported,
            probe=probe,
        )
        worker.limiter = limiter
        worker.open()
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.close()


def run_until_idle(worker, clock, max_steps=100, supervised=False):
    """Step like the delivery thread would, moving the clock by the delays asked
    (`supervised`: each round as the thread runs it, under its supervisor)."""
    for _ in range(max_steps):
        delay = worker.run_round() if supervised else worker.step()
        if delay is None:
            return
        clock.advance(delay)
    raise AssertionError("delivery never became idle")
