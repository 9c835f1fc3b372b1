"""The campaign's user of the editable queue: at random steps (when a play was
just queued, between plays, before a delivery round and while a delivery has a
request out), edits, holds, releases and deletes queued entries through the
store, as the CLI and the API do, and keeps what succeeded to judge by. It
mostly picks what the page would offer (an entry no destination has in flight
or sent, a held one to release), and now and then any waiting entry, to be
refused.

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
from mopidy_mtscrobble.store import QueuedEntry, Store

ACT_BETWEEN_PLAYS_RATE = 0.1
ACT_IN_FLIGHT_RATE = 0.02  # per request a delivery makes
ACT_BEFORE_ROUND_RATE = 0.03  # per delivery round
LOCK_WAIT_S = 0.05  # the campaign's own lock holder may be in the way
ACT_ON_QUEUED_RATE = 0.3  # when the frontend has just queued a play
PAGE = 50
ACTIONS = ("edit", "edit", "hold", "delete")
HELD_ACTIONS = ("release", "release", "release", "edit", "delete")
ANY_ENTRY_SHARE = 0.15  # tries on any waiting entry, editable or not
RELEASE_SHARE = 0.7  # when some are held: release one


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

    def maybe_act(self, rate: float, now_s: float, newest: bool = False) -> None:
        if self.rng.random() < rate:
            self.act(now_s, newest)

    def act(self, now_s: float, newest: bool = False) -> None:
        """One change to an entry the user would pick for it (`newest`: among
        the plays queued last), or now and then to any waiting entry, to be
        refused if a destination has it."""
        try:
            store = Store.open(self.folder, now_s, LOCK_WAIT_S, checkpoints=False)
        except MTScrobbleError:
            self.counts["locked"] += 1
            return
        try:
            total = store.editing.count()
            pages = max(1, -(-total // PAGE))
            first = (pages - 1 if newest else self.rng.randrange(pages)) * PAGE
            entries = store.editing.entries(PAGE, first)
            if not entries:
                return
            held = [e for e in entries if e.held]
            if held and self.rng.random() < RELEASE_SHARE:
                # Released soon: while a play is held, delivery looks for
                # its release every minute (rounds that cost the campaign).
                entry, action = self.rng.choice(held), "release"
            elif self.rng.random() < ANY_ENTRY_SHARE:
                entry = self.rng.choice(entries)
                action = self.rng.choice(ACTIONS)
            else:
                offered = [e for e in entries if _offered(e)]
                if not offered:
                    self.counts["nothing editable"] += 1
                    return
                entry = self.rng.choice(offered)
                action = self.rng.choice(_offered(entry))
            n = self.play_number(entry.heard_track)
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


def _offered(entry: QueuedEntry) -> list[str]:
    """What the page would offer for `entry` (an action twice: likelier)."""
    untouched = _untouched(entry.states.values())
    if entry.held:
        return [a for a in HELD_ACTIONS if untouched or a == "release"]
    if untouched:
        return list(ACTIONS)
    return [] if "in_flight" in entry.states.values() else ["hold"]
