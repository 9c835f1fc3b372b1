"""One ListenBrainz-compatible destination's delivery: a thread of its own.

A thread per destination, so that one server's timeouts never hold back
Last.fm's delivery or another destination's. It has its own store
connection, its own lock (delivery-NAME.lock: a command and a running Mopidy
never both deliver to one destination), its own link (state, backoff, rate
limit), and uses only its destination's queue. `step()` does one round with
the injected clock; `run_round()` is that round under the supervisor the
thread runs (no error gets past it, each distinct one logged once).
"""

from __future__ import annotations

import logging
import os
import pathlib
import random
from collections.abc import Callable

from ...clocks import StepDetector, describe_step
from ...destinations import ListenBrainzDestination
from ...errors import LastfmError, ListenRefusedError
from ...listenbrainz import Play, fitted, playing_now_of
from ...listening import Track
from ...probe import tcp_probe
from ...settings import Settings
from ...store import LOCK_WAIT_SECONDS, Store
from ...timing import Clock, SystemClock
from ..feedback import FeedbackSender
from ..locks import take_lock
from ..states import State, Status
from ..thread import DeliveryThread, StatusSaver, sooner
from .link import ClientFactory, Link, make_client
from .sender import ListenSender

logger = logging.getLogger(__name__)


def lock_filename(name: str) -> str:
    return f"delivery-{name}.lock"


def start_listenbrainz(
    settings: Settings,
    data_dir: pathlib.Path,
    proxy: str | None,
    mopidy_version: str | None,
) -> tuple[ListenBrainzDelivery, ...]:
    """A started delivery thread for each ListenBrainz-compatible destination."""
    workers = tuple(
        ListenBrainzDelivery(
            destination,
            data_dir,
            proxy=proxy,
            mopidy_version=mopidy_version,
            now_playing_enabled=settings.now_playing,
        )
        for destination in settings.listenbrainz
    )
    for worker in workers:
        worker.start()
    return workers


class ListenBrainzDelivery(DeliveryThread):
    cannot_open = "Listens are queued but not sent yet: %s"
    paused = "Listen delivery paused: %s"

    def __init__(
        self,
        destination: ListenBrainzDestination,
        data_dir: pathlib.Path,
        proxy: str | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        client_factory: ClientFactory = make_client,
        probe: Callable[[tuple[str, int]], bool] = tcp_probe,
        mopidy_version: str | None = None,
        now_playing_enabled: bool = True,
        store_lock_wait_s: float = LOCK_WAIT_SECONDS,
    ) -> None:
        self.destination = destination
        self.name = destination.name
        self._data_dir = data_dir
        self._clock = clock or SystemClock()
        rng = rng or random.Random()
        self._rng = rng
        super().__init__(rng, f"MTScrobbleDelivery-{destination.name}")
        self.unexpected = (
            f"Delivery to {destination.display_name} failed unexpectedly (%s); it "
            "goes on and queued listens are kept. Please report this with the log."
        )
        self._mopidy_version = mopidy_version
        self._now_playing_enabled = now_playing_enabled
        self._store_lock_wait_s = store_lock_wait_s
        self.link = Link(destination, self._clock, rng, client_factory, proxy, probe)
        self._clock_steps = StepDetector()
        self._store: Store | None = None
        self._sender: ListenSender | None = None
        self._feedback: FeedbackSender | None = None
        self._lock_file: int | None = None
        self._status = StatusSaver(self.name)
        # Shared with other threads, under the lock.
        self._now_playing: Track | None = None
        self._retry_now = False

    # Called from other threads; none waits on the network.

    def now_playing(self, track: Track) -> None:
        with self._lock:
            self._now_playing = track
            self._wake_locked()

    def queue_changed(self) -> None:
        with self._lock:
            self._wake_locked()

    def retry_now(self) -> None:
        with self._lock:
            self._retry_now = True
            self._wake_locked()

    def status(self) -> Status:
        with self._lock:
            return self.link.status()

    # The thread's parts (see thread.DeliveryThread).

    def _set_waiting(self, error: str) -> None:
        self.link.state, self.link.last_error = State.WAITING, error

    def _drop_store(self) -> None:
        self._close_store()

    # Opening and closing.

    def open(self) -> None:
        """Take this destination's lock and open the store (StorageError if
        another process delivers to it already). Whatever waits may go now."""
        self._lock_file = take_lock(
            self._data_dir, lock_filename(self.name), f"the listens to {self.name}"
        )
        try:
            store = self._open_store()
            store.queue_to(self.name).clear_retry_times()
            store.love_queue_to(self.name).clear_retry_times()
        except BaseException:
            self.close()
            raise
        with self._lock:
            if self.link.state == State.WAITING:
                self.link.state, self.link.last_error = None, None

    def _open_store(self) -> Store:
        if self._store is None:
            self._store = Store.open(
                self._data_dir, self._clock.wall(), self._store_lock_wait_s
            )
            self._sender = ListenSender(
                self.link, self._store.queue_to(self.name), self._mopidy_version
            )
        return self._store

    def _feedback_sender(self, store: Store) -> FeedbackSender:
        """Loves and unloves, as recording feedback (its client is the link's)."""
        if self._feedback is None:
            self._feedback = FeedbackSender(
                self.link.client(), store.love_queue_to(self.name), self._clock,
                self._rng,
            )  # fmt: skip
        return self._feedback

    def _close_store(self) -> None:
        if self._store is not None:
            store, self._store, self._sender = self._store, None, None
            self._feedback = None
            store.close()

    def close(self) -> None:
        self.link.drop_client()
        self._feedback = None  # it holds the link's client
        self._close_store()
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None

    def counts(self) -> dict[str, int]:
        return self._open_store().queue_to(self.name).counts()

    # A round.

    def step(self) -> float | None:
        """One round: seconds until the next one is wanted (None: on wake)."""
        with self._lock:
            track, self._now_playing = self._now_playing, None
            retry, self._retry_now = self._retry_now, False
        store = self._open_store()
        self._notice_clock_step(store)
        if retry:
            self.link.retry_now()
            store.queue_to(self.name).clear_retry_times()
            store.love_queue_to(self.name).clear_retry_times()
        if not self.link.ready():
            return self._end(store, self.link.idle_wait())
        if track is not None:
            self._announce(track)
        assert self._sender is not None
        delay = self._sender.step()
        # Listens first; loves and unloves when none is due now.
        if delay != 0.0 and self.link.backing_off() is None:
            delay = sooner(delay, self._send_feedback(store))
        return self._end(store, delay)

    def _send_feedback(self, store: Store) -> float | None:
        """One love or unlove; a failure of the connection is the link's."""
        feedback = self._feedback_sender(store)
        self.link.attempt()
        try:
            delay = feedback.step()
        except LastfmError as exc:
            self.link.failed(exc)
            return self.link.backing_off()
        finally:
            self.link.note_rate(self.link.client().rate_limit)
        return delay

    def _announce(self, track: Track) -> None:
        """Playing now: when the link may call, else dropped (never queued)."""
        if not self._now_playing_enabled or self.link.backing_off() is not None:
            return
        play = Play(
            artist=track.artist or "", title=track.title or "",
            started_at=int(self._clock.wall()), album=track.album,
            track_number=track.track_number, duration_ms=track.length_ms,
            recording_mbid=track.mbid, release_mbid=track.release_mbid,
            artist_mbids=track.artist_mbids, uri=track.uri,
            mopidy_version=self._mopidy_version,
        )  # fmt: skip
        client = self.link.client()
        self.link.attempt()
        try:
            done = client.submit_playing_now(fitted(playing_now_of(play)))
        except ListenRefusedError as exc:
            logger.debug("%s: playing now not sent: %s", self.link.name, exc)
        except LastfmError as exc:
            self.link.note_rate(client.rate_limit)
            logger.debug("%s: playing now dropped: %s", self.link.name, exc)
        else:
            self.link.note_rate(done.rate)

    def _notice_clock_step(self, store: Store) -> None:
        jump = self._clock_steps.step(self._clock.wall(), self._clock.monotonic())
        if jump:
            # Pending retry times are moved by Last.fm's delivery (one thread).
            logger.debug("%s: the clock jumped %s", self.name, describe_step(jump))
            store.queue_to(self.name).shift_in_flight(jump)

    def _end(self, store: Store, delay: float | None) -> float | None:
        self._save_status(store)
        return delay

    def _save_status(self, store: Store) -> None:
        """What this destination's delivery knows now, for commands and the API."""
        self._status.save(store, self.link.status(), self._clock.wall())
