"""Which queued scrobbles already landed, by the server's own list. Pure.

A landed scrobble is the same play when its time is within a second or two
of the queued one, and both its artist and title are the same song by the
matching rule (or its MusicBrainz id is the same). Each landed scrobble
accounts for at most one queued entry, and entries already known as sent
claim theirs first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from .matching import MatchKey, match_key

# Scrobbles found by user.getRecentTracks may differ by a second or two.
SLACK_S = 2


class Queued(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def artist(self) -> str: ...
    @property
    def track(self) -> str: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def mbid(self) -> str | None: ...


class Landed(Protocol):
    @property
    def artist(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def mbid(self) -> str: ...


def landed_ids(
    waiting: Sequence[Queued], sent: Iterable[Queued], landed: Iterable[Landed]
) -> set[int]:
    """The ids of `waiting` entries that are among the `landed` scrobbles."""
    pool = [(t, match_key(t.artist, t.title)) for t in landed]
    for entry in sent:
        _claim(entry, pool)
    return {entry.id for entry in waiting if _claim(entry, pool)}


def _claim(entry: Queued, pool: list[tuple[Landed, MatchKey]]) -> bool:
    key = match_key(entry.artist, entry.track)
    best = None
    for index, (track, track_key) in enumerate(pool):
        distance = abs(track.timestamp - entry.timestamp)
        if distance > SLACK_S:
            continue
        same_recording = bool(entry.mbid) and entry.mbid == track.mbid
        if not (same_recording or track_key == key):
            continue
        if best is None or distance < best[0]:
            best = (distance, index)
    if best is None:
        return False
    del pool[best[1]]
    return True
