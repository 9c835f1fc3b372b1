"""A delivery thread, for Last.fm's delivery and each ListenBrainz destination's.

It sleeps until someone wakes it or its last round's wait is over; opens
what it needs (tried again, with a backoff, until it can); and runs rounds
under a supervisor that no error gets past: a database problem closes the
database (opened afresh by the next round), anything else is logged once
(at ERROR, with its traceback; the same error again only at DEBUG) and the
round is tried again after a pause. The thread never ends on an error while
Mopidy runs.

A subclass opens, closes and does one round (`open`, `close`, `step`), says
how it waits when it cannot open (`_set_waiting`) and how it drops its
database after a problem (`_drop_store`), and words its log lines.
"""

from __future__ import annotations

import logging
import os
import random
import threading

from ..backoff import Backoff
from ..errors import StorageError
from ..store import Store
from .states import Status

logger = logging.getLogger(__name__)

# Opening delivery (the lock, the database) is tried again this often, at most.
OPEN_RETRY_FIRST_S = 5.0
OPEN_RETRY_MAX_S = 60.0
# After an unexpected error in a round: the first pause.
ROUND_RETRY_FIRST_S = 5.0
# Distinct unexpected errors logged in full; the same one again only at DEBUG.
MAX_REPORTED_ERRORS = 100


class DeliveryThread:
    # Log lines; each has one %s, the error.
    cannot_open = "Queued plays are not sent yet: %s"
    paused = "Delivery paused: %s"
    unexpected = (
        "Delivery failed unexpectedly (%s); it goes on and queued plays are kept. "
        "Please report this with the log."
    )

    def __init__(self, rng: random.Random, thread_name: str) -> None:
        self._thread_name = thread_name
        self._round_backoff = Backoff(rng, first_s=ROUND_RETRY_FIRST_S)
        self._open_backoff = Backoff(
            rng, first_s=OPEN_RETRY_FIRST_S, max_s=OPEN_RETRY_MAX_S
        )
        self._reported: set[str] = set()
        self.unexpected_errors = 0  # caught by the supervisor; for tests and stats
        # Shared with other threads, under the lock.
        self._lock = threading.Condition()
        self._woken = False
        self._stopping = False
        self._thread: threading.Thread | None = None

    # What a subclass does.

    def open(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def step(self) -> float | None:
        """One round: seconds until the next one is wanted (None: on wake)."""
        raise NotImplementedError

    def _set_waiting(self, error: str) -> None:
        """Opening failed with `error` (called under the lock)."""
        raise NotImplementedError

    def _drop_store(self) -> None:
        """After a database problem: the next round opens it afresh."""
        raise NotImplementedError

    # Called from other threads. None of these waits on the network.

    def alive(self) -> bool:
        """Whether the thread runs (it never ends on an error)."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=self._thread_name, daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self.ask_to_stop()
        self.join(timeout_s)

    def ask_to_stop(self) -> None:
        """The thread ends after what it does now (it is never waited for here)."""
        with self._lock:
            self._stopping = True
            self._wake_locked()

    def join(self, timeout_s: float) -> None:
        """Wait at most `timeout_s` for the thread to end (a daemon thread still
        in a network call is left behind: what it sends is in the database)."""
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
        """Open; if it cannot be opened, say why (status, log once) and return
        the seconds to wait before trying again."""
        try:
            self.open()
        except Exception as exc:  # whatever it is, try again
            with self._lock:
                self._set_waiting(str(exc) or type(exc).__name__)
            expected = isinstance(exc, StorageError | OSError)
            self._report(exc, self.cannot_open, traceback=not expected)
            return self._open_backoff.failed()
        self._open_backoff.reset()
        return None

    def run_round(self) -> float | None:
        """One round as the thread runs it: nothing gets past this. Returns
        seconds until the next round."""
        try:
            delay = self.step()
        except StorageError as exc:
            self._report(exc, self.paused, traceback=False)
            self._drop_store()
        except Exception as exc:  # the boundary: log once, go on
            self.unexpected_errors += 1
            self._report(exc, self.unexpected, traceback=True)
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


class StatusSaver:
    """Keeps what a delivery knows in the store, for commands and the API run
    while Mopidy runs; writes only when it changed."""

    def __init__(self, destination: str | None = None) -> None:
        self._destination = destination  # None: Last.fm's (the first) delivery
        self._saved: dict[str, str | None] = {}

    def save(self, store: Store, status: Status, now_s: float) -> None:
        values = {
            "state": str(status.state),
            "username": status.username,
            "last_error": status.last_error,
            "next_retry_at": (
                str(int(status.next_retry_at)) if status.next_retry_at else None
            ),
            "pid": str(os.getpid()),
        }
        if values == self._saved:
            return
        try:
            if self._destination is None:
                store.delivery_status.save(values, now_s)
            else:
                store.delivery_status.save_for(self._destination, values, now_s)
        except StorageError as exc:
            logger.debug("Could not save the delivery status: %s", exc)
            return
        self._saved = values


def sooner(a: float | None, b: float | None) -> float | None:
    """The earlier of two wake-up delays (None: no need to wake)."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
