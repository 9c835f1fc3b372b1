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
from collections.abc import Callable

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
from .thread import DeliveryThread

logger = logging.getLogger(__name__)

LOCK_FILENAME = "delivery.lock"


class Delivery(DeliveryThread):
    cannot_open = (
        "Scrobbles are queued but not sent yet: %s Delivery starts by itself "
        "once this is solved."
    )
    paused = "Scrobble delivery paused: %s"
    unexpected = (
        "Scrobble delivery failed unexpectedly (%s); it goes on and queued "
        "scrobbles are kept. Please report this with the log."
    )

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
        super().__init__(self._rng, "MTScrobbleDelivery")
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
        self._lock_file: int | None = None
        self._now_playing: Track | None = None
        self._pending_logins: list[tuple[str, concurrent.futures.Future[Session]]] = []
        self._retry_now = False
        self._new_entries = False
        self._importing: set[str] = set()  # kinds with an import running
        self._import_requests: set[str] = set()

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

    # The thread's parts (see thread.DeliveryThread).

    def _set_waiting(self, error: str) -> None:
        self.connection.state = State.WAITING
        self.connection.last_error = error

    def _drop_store(self) -> None:
        self._rounds.close()  # opened afresh by the next round

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
