"""The campaign's user of the editable queue: at random steps, between plays
and while a delivery has a request out (entries in flight), edits, holds,
releases and deletes queued entries through the store, as the CLI and the
API do, and keeps what succeeded to judge by.

The verdict: an edited play is at each server once, with the names of its
last successful edit; a held play gets no copy at a server while held; a
deleted play is at no server (the campaign's judge then expects none).
"""

from __future__ import annotations

import collections
import random
from collections.abc import Callable
from typing import Any

from mopidy_mtscrobble import queue_edits
from mopidy_mtscrobble.errors import MTScrobbleError
from mopidy_mtscrobble.store import Store

ACT_BETWEEN_PLAYS_RATE = 0.1
ACT_IN_FLIGHT_RATE = 0.02  # per request a delivery makes
ACT_BEFORE_ROUND_RATE = 0.03  # per delivery round
LOCK_WAIT_S = 0.05  # the campaign's own lock holder may be in the way
PAGE = 50
UNTOUCHED_SHARE = 0.8


class QueueUser:
    """`copies(n)`: how many copies of play n each server has now."""

    def __init__(
        self,
        seed: int,
        folder: Any,
        play_number: Callable[[str], int],
        copies: Callable[[int], dict[str, int]],
    ) -> None:
        self.rng = random.Random(seed * 7 + 3)
        self.folder = folder
        self.play_number = play_number
        self.copies = copies
        self.counts: collections.Counter[str] = collections.Counter()
        self.edited: dict[int, str] = {}  # play number -> artist last edited to
        self.held: dict[int, dict[str, int]] = {}  # play number -> copies at hold
        self.deleted: set[int] = set()
        self.problems: list[str] = []

    def maybe_act(self, rate: float, now_s: float) -> None:
        if self.rng.random() < rate:
            self.act(now_s)

    def act(self, now_s: float) -> None:
        try:
            store = Store.open(self.folder, now_s, LOCK_WAIT_S, checkpoints=False)
        except MTScrobbleError:
            self.counts["locked"] += 1
            return
        try:
            entries = store.editing.entries(PAGE, self.rng.randrange(3) * PAGE)
            if not entries:
                return
            # Mostly those a user would pick on the page: waiting everywhere.
            untouched = [e for e in entries if _untouched(e.states.values())]
            if untouched and self.rng.random() < UNTOUCHED_SHARE:
                entries = untouched
            entry = self.rng.choice(entries)
            n = self.play_number(entry.heard_track)
            actions = ("edit", "edit", "hold", "release", "delete")
            if _untouched(entry.states.values()):
                actions = ("edit", "edit", "edit", "hold", "delete")
            action = self.rng.choice(actions)
            if entry.held and self.rng.random() < 0.7:
                action = "release"
            self._do(store, action, entry.id, n)
        finally:
            store.close()

    def _do(self, store: Store, action: str, play_id: int, n: int) -> None:
        copies = self.copies(n)
        try:
            if action == "edit":
                artist = f"Edited Artist {self.rng.randrange(10**6)}"
                queue_edits.edit(store, play_id, {"artist": artist})
                self.edited[n] = artist
            elif action == "hold":
                store.editing.hold(play_id)
                self.held.setdefault(n, copies)
            elif action == "release":
                store.editing.release(play_id)
                self._released(n, copies)
            else:
                store.editing.delete(play_id)
                self.deleted.add(n)
                self.held.pop(n, None)
        except MTScrobbleError as exc:
            self.counts[f"{action} refused ({getattr(exc, 'http_status', '?')})"] += 1
            return
        self.counts[action] += 1
        if action in ("edit", "delete") and any(copies.values()):
            self.problems.append(f"play {n} was {action}ed though a server had it")

    def _released(self, n: int, copies: dict[str, int]) -> None:
        at_hold = self.held.pop(n, None)
        if at_hold is not None and at_hold != copies:
            self.problems.append(f"play {n} was sent while held: {at_hold} → {copies}")

    def release_all(self, now_s: float) -> None:
        """Before the world heals: nothing stays held (then all is sent)."""
        store = Store.open(self.folder, now_s)
        try:
            for play_id in sorted(store.editing.held_ids()):
                entry = store.editing.require(play_id)
                n = self.play_number(entry.heard_track)
                self._released(n, self.copies(n))
                store.editing.release(play_id)
        finally:
            store.close()

    def judge(self, artists: dict[str, dict[int, list[str]]]) -> list[str]:
        """`artists`: each server's artists of each play's copies."""
        problems = list(self.problems)
        for n, artist in self.edited.items():
            if n in self.deleted:
                continue
            for name, found in artists.items():
                if found.get(n, []) not in ([artist], []):
                    problems.append(
                        f"{name}: edited play {n} is there as {found[n]}, "
                        f"not [{artist!r}]"
                    )
        for n in self.deleted:
            for name, found in artists.items():
                if found.get(n):
                    problems.append(f"{name}: deleted play {n} was sent")
        return problems


def _untouched(states: Any) -> bool:
    return all(state in ("pending", "rejected") for state in states)
