"""The delivery worker: a thread of its own that runs rounds of the parts.

The frontend only calls its non-blocking methods (`now_playing`,
`queue_changed`); the web app calls `retry_now`, `start_import` and
`login_with_token`. A login or logout made by another process (the CLI) is
noticed through the session file. `step()` does one round (see `rounds`)
and says when it wants the next one, so tests drive it with a fake clock and
no thread at all. `run_round()` is the round the thread runs: `step()` under a
supervisor that no error gets past.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import pathlib
import random
import threading
from collections.abc import Callable

from ..backoff import Backoff
from ..errors import StorageError
from ..kinds import ImportKind
from ..lastfm import LastfmClient, Session
from ..listening import Track
from ..probe import tcp_probe
from ..session import SessionFile
from ..settings import Settings
from ..store import LOCK_WAIT_SECONDS, Job
from ..timing import Clock, SystemClock
from .connection import Connection
from .locks import take_lock
from .logins import Logins
from .rounds import Requests, Rounds
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
        self._rounds = Rounds(
            self.connection,
            data_dir,
            store_lock_wait_s,
            self._set_importing,
            on_imported,
        )
        self._round_backoff = Backoff(self._rng, first_s=ROUND_RETRY_FIRST_S)
        self._open_backoff = Backoff(
            self._rng, first_s=OPEN_RETRY_FIRST_S, max_s=OPEN_RETRY_MAX_S
        )
        self._lock_file: int | None = None
        self._reported: set[str] = set()
        self.unexpected_errors = 0  # caught by the supervisor; for tests and stats
        # Shared with other threads, under the lock.
        self._lock = threading.Condition()
        self._now_playing: Track | None = None
        self._woken = False
        self._stopping = False
        self._pending_logins: list[tuple[str, concurrent.futures.Future[Session]]] = []
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

    def login_with_token(self, token: str) -> concurrent.futures.Future[Session]:
        """Turn an approved token into a session, on the delivery thread.

        The future's result is the `Session`, or it fails with a `LastfmError`.
        """
        future: concurrent.futures.Future[Session] = concurrent.futures.Future()
        with self._lock:
            self._pending_logins.append((token, future))
            self._wake_locked()
        return future

    def status(self) -> Status:
        with self._lock:
            return self.connection.status()

    def counts(self) -> dict[str, int]:
        """Queue counts, for a command driving this delivery directly."""
        return self._rounds.counts()

    def job(self, kind: str) -> Job | None:
        """An import's progress, for a command driving this delivery directly."""
        return self._rounds.job(kind)

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
            self._rounds.close()  # opened afresh by the next round
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
            running = self._rounds.open()
        except BaseException:
            self.close()
            raise
        with self._lock:
            self._importing |= running
            if self.connection.state == State.WAITING:
                self.connection.state, self.connection.last_error = None, None
        self.connection.load_session()

    def close(self) -> None:
        self.connection.drop_client()
        self._rounds.close()
        if self._lock_file is not None:
            os.close(self._lock_file)  # releases the lock
            self._lock_file = None

    def _set_importing(self, kind: ImportKind, importing: bool) -> None:
        with self._lock:
            if importing:
                self._importing.add(kind.name)
            else:
                self._importing.discard(kind.name)

    def _take_lock(self) -> None:
        self._lock_file = take_lock(self._data_dir, LOCK_FILENAME, "the scrobbles")

    # A round.

    def step(self) -> float | None:
        """One round: returns seconds until the next round is wanted (None: on wake)."""
        with self._lock:
            asked = Requests(
                self._now_playing, self._retry_now, self._new_entries,
                self._pending_logins, self._import_requests,
            )  # fmt: skip
            self._now_playing, self._retry_now, self._new_entries = None, False, False
            self._pending_logins, self._import_requests = [], set()
        return self._rounds.step(asked)
