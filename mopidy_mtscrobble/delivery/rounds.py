"""One round of delivery: the parts, asked in turn on one database connection.

Scrobbles first; loves, then import pages, when none is due. Each part says
when it wants the next round; the round says the soonest.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import pathlib
from collections.abc import Callable

from ..clocks import StepDetector, describe_step
from ..kinds import BY_NAME, HISTORY, ImportKind
from ..lastfm import Session
from ..listening import Track
from ..store import Job, Store
from .connection import Connection
from .history_import import HistoryImporter
from .imports import ImportSender
from .loved_sync import LovedSyncer
from .loves import LoveSender
from .nowplaying import NowPlaying
from .scrobbles import ScrobbleSender
from .states import State
from .thread import StatusSaver, sooner

logger = logging.getLogger(__name__)

Parts = tuple[ScrobbleSender, LoveSender, ImportSender, LovedSyncer, HistoryImporter]
# The write-ahead log is copied into the database after a round at most this often.
CHECKPOINT_INTERVAL_S = 60.0


@dataclasses.dataclass
class Requests:
    """What other threads asked for since the last round."""

    track: Track | None = None
    retry_now: bool = False
    new_entries: bool = False
    logins: list[tuple[str, concurrent.futures.Future[Session]]] = dataclasses.field(
        default_factory=list
    )
    imports: set[str] = dataclasses.field(default_factory=set)


class Rounds:
    def __init__(
        self,
        connection: Connection,
        data_dir: pathlib.Path,
        store_lock_wait_s: float,
        set_importing: Callable[[ImportKind, bool], None],
        on_imported: Callable[[str], None] | None,
    ) -> None:
        self._connection = connection
        self._data_dir = data_dir
        self._store_lock_wait_s = store_lock_wait_s
        self._set_importing = set_importing
        self._on_imported = on_imported
        self._now_playing = NowPlaying(connection)
        self._clock_steps = StepDetector()
        self._store: Store | None = None
        self._parts: Parts | None = None
        self._checkpoint_at = 0.0
        self._status = StatusSaver()

    # The database, and the parts on it.

    def store(self) -> Store:
        if self._store is None:
            clock = self._connection.clock
            self._store = Store.open(
                self._data_dir, clock.wall(), self._store_lock_wait_s
            )
            self._parts = None
        return self._store

    def close(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            self._parts = None
            store.close()

    def _parts_of(self, store: Store) -> Parts:
        if self._parts is None:
            self._parts = (
                ScrobbleSender(self._connection, store),
                LoveSender(self._connection, store),
                ImportSender(
                    self._connection, store, self._set_importing, self._on_imported
                ),
                LovedSyncer(self._connection, store, self._on_imported),
                HistoryImporter(self._connection, store, self._set_importing),
            )
        return self._parts

    def open(self) -> set[str]:
        """At a start: everything waiting may go at once. Returns the kinds
        whose import was running."""
        store = self.store()
        store.clear_retry_times()
        parts = self._parts_of(store)
        return parts[2].running() | parts[4].running()

    def counts(self) -> dict[str, int]:
        return self.store().queue.counts()

    def job(self, kind: str) -> Job | None:
        return self.store().jobs.get(BY_NAME[kind])

    # A round.

    def step(self, asked: Requests) -> float | None:
        """One round: returns seconds until the next round is wanted (None: on wake)."""
        store = self.store()
        scrobbles, loves, imports, loved_sync, history = self._parts_of(store)
        connection = self._connection
        self._notice_clock_step(store)
        for token, future in asked.logins:
            connection.login_with_token(token, future)
        if connection.logins.changed():
            connection.load_session()  # a login or logout, anywhere
        if asked.retry_now:
            connection.retry_now()
            store.clear_retry_times()
            logger.info("Retrying delivery now, as asked")
        elif asked.new_entries and connection.state == State.RETRYING:
            connection.try_early()
        if asked.track is not None:
            self._now_playing.hold(asked.track)
        for name in sorted(asked.imports):
            if name == HISTORY.name:
                history.start()
            else:
                imports.start(BY_NAME[name])
        if not connection.ready():
            scrobbles.warn_about_expiry()
            return self._end(store, connection.idle_wait())
        self._now_playing.step()
        if connection.logins.session is None:  # refused just now: logging in again
            return self._end(store, connection.wait_after_failure())
        delay = scrobbles.step()
        # Scrobbles first; loves, then import pages, then the loved tracks'
        # sync (when on), when none is due.
        for part in (loves, imports, loved_sync, history):
            if delay != 0.0 and connection.may_call():
                delay = sooner(delay, part.step())
        return self._end(store, delay)

    def _end(self, store: Store, delay: float | None) -> float | None:
        self._save_status(store)
        mono = self._connection.clock.monotonic()
        if mono >= self._checkpoint_at:
            # The frontend never copies the write-ahead log (it is slow at
            # times): this thread does.
            self._checkpoint_at = mono + CHECKPOINT_INTERVAL_S
            store.db.checkpoint()
        return delay

    def _notice_clock_step(self, store: Store) -> None:
        clock = self._connection.clock
        jump = self._clock_steps.step(clock.wall(), clock.monotonic())
        if jump:
            logger.warning(
                "The system clock jumped %s; waits go on unchanged and the "
                "retry times kept for scrobbles move with the clock.",
                describe_step(jump),
            )
            store.shift_retry_times(jump)

    def _save_status(self, store: Store) -> None:
        """What delivery knows now, for commands run while Mopidy runs."""
        self._status.save(
            store, self._connection.status(), self._connection.clock.wall()
        )
