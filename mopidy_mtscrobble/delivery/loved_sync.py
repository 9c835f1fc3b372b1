"""The two-way sync of loved tracks, when `loved_sync_interval` is set: every
interval a cheap check of the newest loves (a page, until one holds nothing
new), and at most daily (and first) a full comparison of every page, which
also finds unloves made elsewhere. The rules are `loved_sync`'s; ours reach
the server through the love queue as always.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from ..errors import HttpRefusedError, InvalidParametersError, LastfmError, RequestError
from ..kinds import LOVED
from ..loved_sync import (
    full_comparison_due,
    keep_local_love,
    next_check_at,
    take_server_love,
)
from ..matching import key_parts
from ..store import SongEntry, Store, SyncState
from ..store.loved_sync import Key
from ..store.sync_pass import SavedPass
from .connection import Connection

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class _Pass:
    """A check under way (one page a round): the pages read so far."""

    username: str
    full: bool  # a full comparison: every page
    started_at: int
    page: int = 0
    newest: int = 0  # the newest love date seen
    seen: set[Key] = dataclasses.field(default_factory=set)  # when full
    total: int = 0  # the list's length at page 1


class LovedSyncer:
    def __init__(
        self,
        connection: Connection,
        store: Store,
        on_changed: Callable[[str], None] | None,
    ) -> None:
        self._connection = connection
        self._store = store
        self._on_changed = on_changed
        self._pass: _Pass | None = None

    def step(self) -> float | None:
        """One page of a check when one is due: seconds until the next round."""
        connection = self._connection
        interval = connection.settings.loved_sync_interval
        session = connection.logins.session
        if not interval or session is None:
            return None
        job = self._store.jobs.get(LOVED)
        if job is None or job.state == "running":
            return None  # the import reads the whole list; the next round comes
        now = connection.clock.wall()
        if self._pass is None or self._pass.username != session.username:
            self._pass = self._resumed(session.username)
        if self._pass is None:
            state = self._store.loved_sync.state()
            due = next_check_at(state.checked_at, interval) or 0
            other_user = state.username != session.username
            if due > now and not other_user:
                return due - now
            full = other_user or full_comparison_due(state.compared_at, now)
            self._pass = _Pass(session.username, full, int(now))
        return self._page(self._pass)

    def _resumed(self, username: str) -> _Pass | None:
        """The full comparison a stop cut short, to go on from its page."""
        saved = self._store.sync_pass.load()
        if saved is None:
            return None
        if saved.username != username:
            self._store.sync_pass.clear()  # another user's list
            return None
        logger.info(
            "Syncing loved tracks: the whole list's comparison goes on from page %d",
            saved.page + 1,
        )
        return _Pass(
            username,
            True,
            saved.started_at,
            saved.page,
            saved.newest,
            set(saved.seen),
            saved.total,
        )

    def _page(self, sync: _Pass) -> float | None:
        connection, store = self._connection, self._store
        page = sync.page + 1
        connection.attempt()
        try:
            answer = connection.client().loved_tracks(sync.username, page)
        except (InvalidParametersError, RequestError, HttpRefusedError) as exc:
            logger.error("Syncing loved tracks failed: %s; tried again later", exc)
            self._end(sync, store.loved_sync.state().newest_loved_at)
            return self._wait()
        except LastfmError as exc:
            connection.failed(exc)
            logger.info("Syncing loved tracks paused at page %d: %s", page, exc)
            return connection.wait_after_failure()
        connection.succeeded()
        if sync.full and page > 1 and answer.total < sync.total:
            # Songs unloved since page 1 moved the rest up: a page already
            # read may now start with songs not seen. (Loves only push songs
            # down, to pages still to read.)
            logger.info("Loved tracks changed during the comparison: it starts over")
            store.sync_pass.clear()
            self._pass = _Pass(sync.username, True, int(connection.clock.wall()))
            return 0.0
        if page == 1:
            sync.total = answer.total
        entries = [
            SongEntry(t.artist, t.title, t.value, *key_parts(t.artist, t.title))
            for t in answer.tracks
        ]
        sync.page = page
        state = store.loved_sync.state()
        newest = state.newest_loved_at or 0
        local = store.loved_sync.local_loves()
        oldest = min((e.value or 0 for e in entries), default=0)
        ours = store.loved_sync.our_actions(oldest)
        new = [
            e for e in entries
            if take_server_love(e.value, ours.get(_key(e)))
            and ((e.value or 0) > newest or _key(e) not in local)
        ]  # fmt: skip
        added = [e for e in new if _key(e) not in local]
        store.loved_sync.apply(added, ())
        self._changed(len(added), 0)
        sync.newest = max([sync.newest, *(e.value or 0 for e in entries)])
        sync.seen.update(_key(e) for e in entries)
        if page < answer.pages and (sync.full or new):
            if sync.full:
                self._keep(sync, entries)
            return 0.0
        if sync.full:
            self._unloved_elsewhere(sync)
        self._end(sync, max(newest, sync.newest))
        logger.info(
            "Synced loved tracks with %s (%s, %d pages)",
            connection.settings.network_name,
            "whole list" if sync.full else "newest loves",
            page,
        )
        return self._wait()

    def _unloved_elsewhere(self, sync: _Pass) -> None:
        """The whole list read: songs loved here that it lacks go (see the rules)."""
        store = self._store
        local = store.loved_sync.local_loves()
        ours = store.loved_sync.our_actions(sync.started_at)
        gone = [
            love.id for key, love in local.items()
            if key not in sync.seen
            and not keep_local_love(love.loved_at, ours.get(key), sync.started_at)
        ]  # fmt: skip
        store.loved_sync.apply((), gone)
        self._changed(0, len(gone))

    def _keep(self, sync: _Pass, entries: list[SongEntry]) -> None:
        """A full comparison's progress, kept for after a stop."""
        saved = SavedPass(
            sync.username, sync.started_at, sync.page, sync.newest, sync.total,
            frozenset(),
        )  # fmt: skip
        self._store.sync_pass.save_page(saved, [_key(e) for e in entries])

    def _end(self, sync: _Pass, newest: int | None) -> None:
        if sync.full:
            self._store.sync_pass.clear()
        state = self._store.loved_sync.state()
        self._store.loved_sync.save(
            SyncState(
                username=sync.username,
                checked_at=int(self._connection.clock.wall()),
                compared_at=sync.started_at if sync.full else state.compared_at,
                newest_loved_at=newest or None,
            )
        )
        self._pass = None

    def _changed(self, added: int, removed: int) -> None:
        if not (added or removed):
            return
        logger.info(
            "Loved tracks changed on %s: %d loved, %d unloved there",
            self._connection.settings.network_name,
            added,
            removed,
        )
        if self._on_changed is not None:
            self._on_changed(LOVED.name)  # the new ones wait to be matched

    def _wait(self) -> float:
        interval_s = self._connection.settings.loved_sync_interval * 60
        return float(interval_s)


def _key(entry: SongEntry) -> Key:
    return (entry.artist_key, entry.title_key, entry.recording)


def sync_status(
    interval_minutes: int, state: SyncState, now_s: float
) -> dict[str, int | None]:
    """The sync's times, for `status` and the API (all None when it is off)."""
    if not interval_minutes:
        return dict.fromkeys(
            ("interval_minutes", "last_check_at", "last_full_at", "next_check_at")
        )
    due = next_check_at(state.checked_at, interval_minutes) or 0
    return {
        "interval_minutes": interval_minutes,
        "last_check_at": state.checked_at,
        "last_full_at": state.compared_at,
        "next_check_at": max(due, int(now_s)),
    }


def describe_sync(status: dict[str, int | None], utc: Callable[[int], str]) -> str:
    """One line for `mopidy mtscrobble status`."""
    interval, last = status["interval_minutes"], status["last_check_at"]
    if not interval:
        return (
            "Loved tracks sync: off (imported once and on demand; set "
            "mtscrobble/loved_sync_interval to keep them in sync)"
        )
    full = status["last_full_at"]
    done = f"last {utc(last)}" if last else "not yet"
    whole = f" (whole list {utc(full)})" if full else ""
    return (
        f"Loved tracks sync: every {interval} minutes; {done}{whole}, "
        f"next {utc(status['next_check_at'] or 0)}"
    )
