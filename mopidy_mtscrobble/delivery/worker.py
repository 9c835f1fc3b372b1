"""The delivery worker: a thread of its own that runs rounds of the parts.

The frontend only calls its non-blocking methods (`now_playing`,
`queue_changed`); the web app calls `retry_now`, `start_import` and
`login_with_token`. A login or logout made by another process (the CLI) is
noticed through the session file. `step()` does one round, asking each part
(now playing, scrobbles, loves, imports) in turn, and says when it wants the
next one, so tests drive it with a fake clock and no thread at all.
`run_round()` is the round the thread runs: `step()` under a supervisor that
no error gets past.
"""

from __future__ import annotations

import concurrent.futures
import fcntl
import logging
import os
import pathlib
import random
import threading
from collections.abc import Callable

from ..backoff import Backoff
from ..clocks import StepDetector, describe_step
from ..errors import StorageError
from ..kinds import BY_NAME, ImportKind
from ..lastfm import LastfmClient
from ..listening import Track
from ..probe import tcp_probe
from ..session import SessionFile
from ..settings import Settings
from ..store import LOCK_WAIT_SECONDS, Job, Store
from ..timing import Clock, SystemClock
from .connection import Connection
from .imports import ImportSender
from .logins import Logins
from .loves import LoveSender
from .nowplaying import NowPlaying
from .scrobbles import ScrobbleSender
from .states import State, Status

logger = logging.getLogger(__name__)

# Opening delivery (the lock, the database) is tried again this often, at most.
OPEN_RETRY_FIRST_S = 5.0
OPEN_RETRY_MAX_S = 60.0
# After an unexpected error in a round: the first pause.
ROUND_RETRY_FIRST_S = 5.0
# Distinct unexpected errors logged in full; the same one again only at DEBUG.
MAX_REPORTED_ERRORS = 100
# The write-ahead log is copied into the database after a round at most this often.
CHECKPOINT_INTERVAL_S = 60.0
LOCK_FILENAME = "delivery.lock"


class Delivery:
    def __init__(
        self,
        settings: Settings,
        data_dir: pathlib.Path,
        proxy: str | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        client_factory: Callable[..., LastfmClient] = LastfmClient,
        on_imported: Callable[[str], None] | None = None,
        probe: Callable[[tuple[str, int]], bool] = tcp_probe,
        store_lock_wait_s: float = LOCK_WAIT_SECONDS,
    ) -> None:
        self.settings = settings
        self._data_dir = data_dir
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._on_imported = on_imported
        self._store_lock_wait_s = store_lock_wait_s
        self.connection = Connection(
            settings,
            Logins(SessionFile(data_dir, settings.network)),
            self._clock,
            self._rng,
            client_factory,
            proxy,
            probe,
        )
        self._now_playing_part = NowPlaying(self.connection)
        self._round_backoff = Backoff(self._rng, first_s=ROUND_RETRY_FIRST_S)
        self._open_backoff = Backoff(
            self._rng, first_s=OPEN_RETRY_FIRST_S, max_s=OPEN_RETRY_MAX_S
        )
        self._clock_steps = StepDetector()
        self._store: Store | None = None
        self._parts: tuple[ScrobbleSender, LoveSender, ImportSender] | None = None
        self._lock_file: int | None = None
        self._reported: set[str] = set()
        self._checkpoint_at = 0.0
        self._saved_status: dict[str, str | None] = {}
        self.unexpected_errors = 0  # caught by the supervisor; for tests and stats
        # Shared with other threads, under the lock.
        self._lock = threading.Condition()
        self._now_playing: Track | None = None
        self._woken = False
        self._stopping = False
        self._pending_logins: list[tuple[str, concurrent.futures.Future]] = []
        self._retry_now = False
        self._new_entries = False
        self._importing: set[str] = set()  # kinds with an import running
        self._import_requests: set[str] = set()
        self._thread: threading.Thread | None = None

    # Called from other threads. None of these waits on the network.

    def now_playing(self, track: Track) -> None:
        with self._lock:
            self._now_playing = track  # a newer track replaces an unsent one
            self._wake_locked()

    def queue_changed(self) -> None:
        """A new entry was queued: a reason to try now, even while backing off."""
        with self._lock:
            self._new_entries = True
            self._wake_locked()

    def retry_now(self) -> None:
        with self._lock:
            self._retry_now = True
            self._wake_locked()

    def start_import(self, kind: str) -> bool:
        """Start an import (a kind's name); False if one runs already."""
        with self._lock:
            if kind in self._importing:
                return False
            self._importing.add(kind)
            self._import_requests.add(kind)
            self._wake_locked()
        return True

    def importing(self, kind: str) -> bool:
        with self._lock:
            return kind in self._importing

    def login_with_token(self, token: str) -> concurrent.futures.Future:
        """Turn an approved token into a session, on the delivery thread.

        The future's result is the `Session`, or it fails with a `LastfmError`.
        """
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self._lock:
            self._pending_logins.append((token, future))
            self._wake_locked()
        return future

    def status(self) -> Status:
        with self._lock:
            return self.connection.status()

    def counts(self) -> dict[str, int]:
        """Queue counts, for a command driving this delivery directly."""
        return self._opened_store().queue.counts()

    def job(self, kind: str) -> Job | None:
        """An import's progress, for a command driving this delivery directly."""
        return self._opened_store().jobs.get(BY_NAME[kind])

    def alive(self) -> bool:
        """Whether the delivery thread runs (it never ends on an error)."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name="MTScrobbleDelivery", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        with self._lock:
            self._stopping = True
            self._wake_locked()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _wake_locked(self) -> None:
        self._woken = True
        self._lock.notify_all()

    def consume_wake(self) -> bool:
        """Whether something asked for a round since the last look (and forget it)."""
        with self._lock:
            woken, self._woken = self._woken, False
            return woken

    def _wait(self, delay: float | None) -> bool:
        """Sleep until `delay` passes or someone wakes us; True when stopping."""
        with self._lock:
            if not self._stopping and not self._woken:
                self._lock.wait(delay)
            self._woken = False
            return self._stopping

    # The thread, and its supervisor.

    def _run(self) -> None:
        try:
            while True:
                delay = self.try_open()
                if delay is None:
                    break
                if self._wait(delay):
                    return
            while not self._wait(self.run_round()):
                pass
        finally:
            self.close()

    def try_open(self) -> float | None:
        """Open delivery; if it cannot be opened, say why (status, log once)
        and return the seconds to wait before trying again."""
        try:
            self.open()
        except Exception as exc:  # whatever it is, try again
            with self._lock:
                self.connection.state = State.WAITING
                self.connection.last_error = str(exc) or type(exc).__name__
            self._report(
                exc,
                "Scrobbles are queued but not sent yet: %s Delivery starts by itself "
                "once this is solved.",
                traceback=not isinstance(exc, StorageError | OSError),
            )
            return self._open_backoff.failed()
        self._open_backoff.reset()
        return None

    def run_round(self) -> float | None:
        """One round as the delivery thread runs it: nothing gets past this.

        A database problem closes the database, to open it afresh next round;
        any other error is logged once (at ERROR, with its traceback) and the
        round is tried again after a pause. Returns seconds until the next round.
        """
        try:
            delay = self.step()
        except StorageError as exc:
            self._report(exc, "Scrobble delivery paused: %s", traceback=False)
            self._close_store()
        except Exception as exc:  # the boundary: log once, go on
            self.unexpected_errors += 1
            self._report(
                exc,
                "Scrobble delivery failed unexpectedly (%s); it goes on and queued "
                "scrobbles are kept. Please report this with the log.",
                traceback=True,
            )
        else:
            self._round_backoff.reset()
            return delay
        return self._round_backoff.failed()

    def _report(self, exc: BaseException, message: str, traceback: bool) -> None:
        """Log an error once; the same one again only at DEBUG."""
        signature = f"{type(exc).__name__}: {exc}"[:500]
        if signature in self._reported:
            logger.debug(message, exc)
            return
        if len(self._reported) >= MAX_REPORTED_ERRORS:
            self._reported.clear()
        self._reported.add(signature)
        logger.error(message, exc, exc_info=exc if traceback else None)

    # Opening and closing.

    def open(self) -> None:
        """Take the data directory's delivery lock, open the store, load the session.

        Raises StorageError if another process (a running Mopidy) delivers already.
        A start is a reason to try everything waiting at once.
        """
        self._take_lock()
        try:
            store = self._opened_store()
            store.clear_retry_times()
            running = self._parts_of(store)[2].running()
        except BaseException:
            self.close()
            raise
        with self._lock:
            self._importing |= running
            if self.connection.state == State.WAITING:
                self.connection.state, self.connection.last_error = None, None
        self.connection.logins.load(self.connection)

    def close(self) -> None:
        self.connection.drop_client()
        self._close_store()
        if self._lock_file is not None:
            os.close(self._lock_file)  # releases the lock
            self._lock_file = None

    def _opened_store(self) -> Store:
        if self._store is None:
            self._store = Store.open(
                self._data_dir, self._clock.wall(), self._store_lock_wait_s
            )
            self._parts = None
        return self._store

    def _close_store(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            self._parts = None
            store.close()

    def _parts_of(
        self, store: Store
    ) -> tuple[ScrobbleSender, LoveSender, ImportSender]:
        if self._parts is None:
            self._parts = (
                ScrobbleSender(self.connection, store),
                LoveSender(self.connection, store),
                ImportSender(
                    self.connection, store, self._set_importing, self._on_imported
                ),
            )
        return self._parts

    def _set_importing(self, kind: ImportKind, importing: bool) -> None:
        with self._lock:
            if importing:
                self._importing.add(kind.name)
            else:
                self._importing.discard(kind.name)

    def _take_lock(self) -> None:
        path = self._data_dir / LOCK_FILENAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StorageError(
                f"Cannot open {path}: {exc.strerror or exc}. The data directory "
                "must belong to the user Mopidy runs as."
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StorageError(
                f"Another process is already sending the scrobbles in {self._data_dir} "
                "(a running Mopidy with the same data_dir, or a 'mopidy mtscrobble' "
                "command)."
            ) from None
        self._lock_file = fd

    # A round.

    def step(self) -> float | None:
        """One round: returns seconds until the next round is wanted (None: on wake)."""
        with self._lock:
            track, self._now_playing = self._now_playing, None
            retry_now, self._retry_now = self._retry_now, False
            new_entries, self._new_entries = self._new_entries, False
            logins, self._pending_logins = self._pending_logins, []
            import_requests, self._import_requests = self._import_requests, set()
        store = self._opened_store()
        scrobbles, loves, imports = self._parts_of(store)
        connection = self.connection
        self._notice_clock_step(store)
        for token, future in logins:
            connection.logins.with_token(connection, token, future)
        if connection.logins.changed():
            connection.logins.load(connection)  # a login or logout, anywhere
        if retry_now:
            connection.retry_now()
            store.clear_retry_times()
            logger.info("Retrying delivery now, as asked")
        elif new_entries and connection.state == State.RETRYING:
            connection.try_early()
        if track is not None:
            self._now_playing_part.hold(track)
        for name in sorted(import_requests):
            imports.start(BY_NAME[name])
        if not connection.ready():
            scrobbles.warn_about_expiry()
            return self._end_round(store, connection.idle_wait())
        self._now_playing_part.step()
        if connection.logins.session is None:  # refused just now: logging in again
            return self._end_round(store, connection.wait_after_failure())
        delay = scrobbles.step()
        # Scrobbles first; loves, then import pages, when none is due.
        for part in (loves, imports):
            if delay != 0.0 and connection.may_call():
                delay = _sooner(delay, part.step())
        return self._end_round(store, delay)

    def _end_round(self, store: Store, delay: float | None) -> float | None:
        self._save_status(store)
        mono = self._clock.monotonic()
        if mono >= self._checkpoint_at:
            # The frontend never copies the write-ahead log (it is slow at
            # times): this thread does.
            self._checkpoint_at = mono + CHECKPOINT_INTERVAL_S
            store.db.checkpoint()
        return delay

    def _notice_clock_step(self, store: Store) -> None:
        jump = self._clock_steps.step(self._clock.wall(), self._clock.monotonic())
        if jump:
            logger.warning(
                "The system clock jumped %s; waits go on unchanged and the "
                "retry times kept for scrobbles move with the clock.",
                describe_step(jump),
            )
            store.shift_retry_times(jump)

    def _save_status(self, store: Store) -> None:
        status = self.status()
        values = {
            "state": str(status.state),
            "username": status.username,
            "last_error": status.last_error,
            "next_retry_at": (
                str(int(status.next_retry_at)) if status.next_retry_at else None
            ),
            "pid": str(os.getpid()),
        }
        if values == self._saved_status:
            return
        try:
            store.delivery_status.save(values, self._clock.wall())
        except StorageError as exc:
            logger.debug("Could not save the delivery status: %s", exc)
            return
        self._saved_status = values


def _sooner(a: float | None, b: float | None) -> float | None:
    """The earlier of two wake-up delays (None: no need to wake)."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
