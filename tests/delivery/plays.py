"""Plays queued in the store for the delivery tests, and their states."""

from __future__ import annotations

from mopidy_mtscrobble.store import NewScrobble

from ..support.delivery_harness import NOW

DAY = 86_400


def queue(store, count=1, start=NOW - 3600, artist="Artist", **extra):
    ids = []
    for i in range(count):
        scrobble = NewScrobble(
            artist=artist, track=f"Track {i}", timestamp=int(start) + i * 10, **extra
        )
        ids.append(store.queue.enqueue(scrobble, NOW))
    return ids


def states(store, ids):
    return [store.queue.get(i).state for i in ids]
