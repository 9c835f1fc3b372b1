"""Loved songs for the delivery tests: the fake server's loved tracks, the
store's loved names, and the loved sync's rounds run in fake time."""

from __future__ import annotations

import pytest

from ..support.delivery_harness import NOW

DAY = 86_400
INTERVAL_MIN = 60  # the loved sync's interval in the tests, in minutes


def loved_tracks(count, start=NOW - DAY):
    """(artist, track, loved_at) triples, one second apart."""
    return [(f"Artist {i % 97}", f"Song {i}", int(start) - i) for i in range(count)]


def loved_names(store):
    return {(song.artist, song.track) for song in store.songs.loved()}


def run_until(worker, clock, until_s, max_steps=500):
    """The rounds the delivery thread would run until `until_s` (inclusive)."""
    for _ in range(max_steps):
        delay = worker.step()
        if delay is None or clock.wall() + delay > until_s:
            clock.advance(max(0.0, until_s - clock.wall()))
            return
        clock.advance(delay)
    raise AssertionError("delivery kept wanting rounds")


def loved_requests(lastfm):
    return len(lastfm.requests_for("user.getLovedTracks"))


@pytest.fixture
def synced(make_delivery, lastfm, clock, store):
    """A delivery with the sync on, after the import and the first sync."""

    def make(tracks=(), **overrides):
        lastfm.add_loved("alice", tracks)
        changed = []
        worker = make_delivery(
            loved_sync_interval=INTERVAL_MIN, on_imported=changed.append, **overrides
        )
        run_until(worker, clock, clock.wall() + 60)
        assert store.loved_sync.state().compared_at is not None
        changed.clear()
        return worker, changed

    return make
