"""Delivery: drains the queue to the server, in batches, exactly once, never dropping.

A `Delivery` runs on its own thread with its own database connection. The
frontend only calls its non-blocking methods (`now_playing`, `queue_changed`);
the web app calls `retry_now` and `login_with_token`. A login or logout made
by another process (the CLI) is noticed through the session file.
`step()` does one round of work and says when it wants the next one, so tests
drive it with a fake clock and no thread at all.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import enum
import fcntl
import logging
import os
import pathlib
import random
import threading
from collections.abc import Callable
from typing import Any

from .errors import (
    AnswerLostError,
    CredentialsError,
    InvalidParametersError,
    LastfmError,
    NeedsReauthError,
    RateLimitedError,
    RequestError,
    StorageError,
    TransientError,
)
from .lastfm import DAILY_LIMIT_CODE, IGNORED_REASONS, MAX_BATCH, LastfmClient, Session
from .listening import Track
from .matching import key_parts
from .session import SessionFile
from .settings import Settings
from .store import CountEntry, LoveAction, LovedEntry, Scrobble, Store
from .timing import Clock, SystemClock

logger = logging.getLogger(__name__)

SECONDS_PER_DAY = 86_400
MAX_AGE_S = 14 * SECONDS_PER_DAY  # Last.fm refuses older scrobbles
EXPIRY_WARNING_WINDOW_S = 2 * SECONDS_PER_DAY
EXPIRY_WARNING_INTERVAL_S = SECONDS_PER_DAY
BACKOFF_FIRST_S = 10.0
BACKOFF_MAX_S = 30 * 60.0
BACKOFF_JITTER = 0.2  # +-20 %
RATE_LIMITED_PAUSE_S = 60.0
DAILY_LIMIT_PAUSE_S = 60 * 60.0
REQUEST_ERROR_PAUSE_S = 60 * 60.0
# Scrobbles found by user.getRecentTracks may differ by a second or two.
RECOVERY_SLACK_S = 2
# While waiting for a login: how often to look for a new session file.
SESSION_POLL_S = 5.0
LOCK_FILENAME = "delivery.lock"
LOVE_ACTIONS_PER_ROUND = 10
# What can be imported, in the order they run: job kind -> what it is called.
IMPORTS = {"loved": "loved tracks", "playcounts": "play counts"}
IMPORT_COMMANDS = {"loved": "import-loved", "playcounts": "sync-playcounts"}


class State(enum.StrEnum):
    NOT_CONFIGURED = "not configured"
    NEEDS_LOGIN = "needs login"
    LOGIN_FAILED = "login failed"
    CONNECTED = "connected"
    RETRYING = "retrying"
    NEEDS_REAUTH = "needs re-authentication"
    BAD_CREDENTIALS = "API key or secret refused"


BLOCKED_STATES = {
    State.NOT_CONFIGURED,
    State.NEEDS_LOGIN,
    State.LOGIN_FAILED,
    State.NEEDS_REAUTH,
    State.BAD_CREDENTIALS,
}


@dataclasses.dataclass(frozen=True)
class Status:
    state: State
    username: str | None
    last_error: str | None
    next_retry_at: float | None


def scrobble_params(entry: Scrobble) -> dict[str, Any]:
    return {
        "artist": entry.artist,
        "track": entry.track,
        "timestamp": entry.timestamp,
        "album": entry.album,
        "albumArtist": entry.album_artist,
        "trackNumber": entry.track_number,
        "duration": entry.duration_s,
        "mbid": entry.mbid,
        "chosenByUser": int(entry.chosen_by_user),
    }


def now_playing_params(track: Track) -> dict[str, Any]:
    params = {
        "artist": track.artist,
        "track": track.title,
        "album": track.album,
        "albumArtist": track.album_artist,
        "trackNumber": track.track_number,
        "duration": track.length_ms // 1000 if track.length_ms else None,
        "mbid": track.mbid,
    }
    return {k: v for k, v in params.items() if v is not None}


def _utc(timestamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


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
    ) -> None:
        self.settings = settings
        self._data_dir = data_dir
        self._proxy = proxy
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._client_factory = client_factory
        self._on_imported = on_imported
        self._sessions = SessionFile(data_dir, settings.network)
        self._store: Store | None = None
        self._client: LastfmClient | None = None
        self._session: Session | None = None
        self._state: State | None = None
        self._last_error: str | None = None
        self._failures = 0
        self._retry_at = 0.0  # wall time before which nothing is sent
        self._expiry_warned_at = -EXPIRY_WARNING_INTERVAL_S
        self._login_attempted = False
        # Shared with other threads, under the lock.
        self._lock = threading.Condition()
        self._now_playing: Track | None = None
        self._woken = False
        self._stopping = False
        self._session_stamp: tuple[int, int] | None = None
        self._pending_logins: list[tuple[str, concurrent.futures.Future]] = []
        self._saved_status: dict[str, str | None] = {}
        self._lock_file: int | None = None
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
        """Start an import ("loved", "playcounts"); False if one runs already."""
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

    def counts(self) -> dict[str, int]:
        """Queue counts, for a command driving this delivery directly."""
        return self._store.counts()

    def job(self, kind: str):
        """An import's progress, for a command driving this delivery directly."""
        return self._store.job(kind)

    def status(self) -> Status:
        with self._lock:
            retry = self._retry_at if self._retry_at > self._clock.wall() else None
            return Status(
                state=self._state or State.NOT_CONFIGURED,
                username=self._session.username if self._session else None,
                last_error=self._last_error,
                next_retry_at=retry,
            )

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

    def _run(self) -> None:
        try:
            self.open()
        except StorageError as exc:
            logger.error("Scrobbles are queued but not sent: %s", exc)
            self.close()
            return
        try:
            while True:
                delay = self.step()
                with self._lock:
                    if self._stopping:
                        break
                    if not self._woken:
                        self._lock.wait(delay)
                    self._woken = False
                    if self._stopping:
                        break
        except Exception:
            logger.exception(
                "Scrobble delivery stopped after an unexpected error; queued "
                "scrobbles are kept and sent after a restart. Please report this."
            )
        finally:
            self.close()

    # The work, on the delivery thread (or a test's).

    def open(self) -> None:
        """Take the data directory's delivery lock, open the store, load the session.

        Raises StorageError if another process (a running Mopidy) delivers already.
        """
        self._take_lock()
        self._store = Store.open(self._data_dir, self._clock.wall())
        running = {kind for kind in IMPORTS if self._job_running(kind)}
        with self._lock:
            self._importing = running
        self._load_session()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._lock_file is not None:
            os.close(self._lock_file)  # releases the lock
            self._lock_file = None

    def _take_lock(self) -> None:
        path = self._data_dir / LOCK_FILENAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StorageError(
                f"Another process is already sending the scrobbles in {self._data_dir} "
                "(a running Mopidy with the same data_dir)."
            ) from None
        self._lock_file = fd

    def step(self) -> float | None:
        """One round: returns seconds until the next round is wanted (None: on wake)."""
        with self._lock:
            track, self._now_playing = self._now_playing, None
            retry_now, self._retry_now = self._retry_now, False
            new_entries, self._new_entries = self._new_entries, False
            logins, self._pending_logins = self._pending_logins, []
            import_requests, self._import_requests = self._import_requests, set()
        for token, future in logins:
            self._complete_login(token, future)
        if self._sessions.stamp() != self._session_stamp:
            self._load_session()  # a login or logout, here or in another process
        if new_entries and self._state == State.RETRYING:
            self._try_early()
        if retry_now:
            self._retry_at = 0.0
            self._failures = 0
            self._store.clear_retry_times()
            logger.info("Retrying delivery now, as asked")
        try:
            for kind in IMPORTS:
                if kind in import_requests:
                    self._start_import(kind)
            if not self._ready():
                self._warn_about_expiry()
                self._save_status()
                # A login may happen in another process: look for it now and then.
                waiting = self._state in (State.NEEDS_LOGIN, State.NEEDS_REAUTH)
                return SESSION_POLL_S if waiting else None
            if track is not None:
                self._send_now_playing(track)
            delay = self._deliver()
            # Scrobbles first; loves, then import pages, when none is due.
            if delay != 0.0 and self._may_call():
                delay = _sooner(delay, self._deliver_loves())
            if delay != 0.0 and self._may_call():
                delay = _sooner(delay, self._import_step())
            self._save_status()
            return delay
        except StorageError as exc:
            logger.error("Scrobble delivery paused: %s", exc)
            return BACKOFF_MAX_S

    def _may_call(self) -> bool:
        return (
            self._state not in BLOCKED_STATES and self._clock.wall() >= self._retry_at
        )

    # Loves and unloves.

    def _deliver_loves(self) -> float | None:
        store = self._store
        now = self._clock.wall()
        actions = store.due_love_actions(now, LOVE_ACTIONS_PER_ROUND)
        if not actions:
            next_due = store.next_love_due_at()
            return None if next_due is None else max(0.0, next_due - now)
        for action in actions:
            if not self._send_love(action):
                return self._wait_after_failure()
        self._succeeded()
        return 0.0

    def _send_love(self, action: LoveAction) -> bool:
        """One track.love or track.unlove; False if the network failed."""
        client = self._client_for_session()
        call = client.love if action.action == "love" else client.unlove
        try:
            call(action.artist, action.track)
        except InvalidParametersError as exc:
            reason = f"refused by the server: {exc}"
            self._store.mark_love_rejected(action.id, reason)
            logger.info(
                "Could not %s %s - %s: %s",
                action.action,
                action.artist,
                action.track,
                reason,
            )
            return True
        except LastfmError as exc:
            self._handle_failure(exc, [])
            retry_at = max(self._retry_at, self._clock.wall())
            self._store.love_retry_later(action.id, str(exc), retry_at)
            return False
        self._store.mark_love_sent(action.id, self._clock.wall())
        logger.info(
            "Sent %s of %s - %s to %s",
            action.action,
            action.artist,
            action.track,
            self.settings.network_name,
        )
        return True

    # Imports (loved tracks, then play counts), a page per round.

    def _job_running(self, kind: str) -> bool:
        job = self._store.job(kind)
        return job is not None and job.state == "running"

    def _start_import(self, kind: str) -> None:
        username = self._session.username if self._session else None
        self._store.start_job(kind, username, self._clock.wall())
        logger.info(
            "Importing %s from %s, as asked", IMPORTS[kind], self.settings.network_name
        )

    def _import_step(self) -> float | None:
        """One page of the first import that runs (or starts: once, automatically)."""
        username = self._session.username
        for kind, what in IMPORTS.items():
            job = self._store.job(kind)
            if job is None:
                logger.info(
                    "Importing your %s from %s (once; 'mopidy mtscrobble %s' "
                    "imports them again)",
                    what,
                    self.settings.network_name,
                    IMPORT_COMMANDS[kind],
                )
                self._set_importing(kind, True)
                self._store.start_job(kind, username, self._clock.wall())
                job = self._store.job(kind)
            if job.state != "running":
                continue
            if job.username != username:  # another account: start over
                self._store.start_job(kind, username, self._clock.wall())
                job = self._store.job(kind)
            delay = self._import_page(kind, job.page + 1, username)
            if delay is not None:
                return delay
        return None

    def _import_page(self, kind: str, page: int, username: str) -> float | None:
        """0: more pages wait; None: this import ended; else wait after a failure."""
        what = IMPORTS[kind]
        client = self._client_for_session()
        try:
            if kind == "loved":
                answer = client.loved_tracks(username, page)
            else:
                answer = client.top_tracks(username, page)
        except (InvalidParametersError, RequestError) as exc:
            self._store.fail_job(kind, str(exc), self._clock.wall())
            self._set_importing(kind, False)
            logger.error("Importing %s failed: %s", what, exc)
            return None
        except LastfmError as exc:
            self._handle_failure(exc, [])
            logger.info("Importing %s paused at page %d: %s", what, page, exc)
            return self._wait_after_failure()
        if kind == "loved":
            entries = [
                LovedEntry(t.artist, t.title, t.loved_at, *key_parts(t.artist, t.title))
                for t in answer.tracks
            ]
        else:
            entries = [
                CountEntry(
                    t.artist, t.title, t.playcount, *key_parts(t.artist, t.title)
                )
                for t in answer.tracks
            ]
        fetched = self._store.save_page(kind, page, answer.pages, answer.total, entries)
        logger.info(
            "Importing %s from %s: page %d of %d (%d of %d songs)",
            what,
            self.settings.network_name,
            page,
            answer.pages,
            fetched,
            answer.total,
        )
        self._succeeded()
        if page < answer.pages:
            return 0.0
        count = self._store.finish_import(kind, self._clock.wall())
        self._set_importing(kind, False)
        logger.info(
            "Imported %s from %s; matching them to your library",
            f"{count} loved tracks" if kind == "loved" else f"{count} play counts",
            self.settings.network_name,
        )
        if self._on_imported is not None:
            self._on_imported(kind)
        return None

    def _set_importing(self, kind: str, importing: bool) -> None:
        with self._lock:
            if importing:
                self._importing.add(kind)
            else:
                self._importing.discard(kind)

    def _try_early(self) -> None:
        """Try before the backoff ends; the backoff keeps growing if this fails too."""
        self._retry_at = 0.0
        self._store.clear_retry_times()

    def _ready(self) -> bool:
        missing = self.settings.missing_credentials()
        if missing:
            self._set_state(State.NOT_CONFIGURED)
            return False
        if self._state in (State.NEEDS_REAUTH, State.BAD_CREDENTIALS):
            return False
        if self._session is None and not self._mobile_login():
            return False
        return self._state not in BLOCKED_STATES

    def _complete_login(self, token: str, future: concurrent.futures.Future) -> None:
        client = self._client_factory(self.settings, proxy=self._proxy)
        try:
            session = client.get_session(token)
            self._sessions.save(session)
        except (LastfmError, StorageError) as exc:
            future.set_exception(exc)
            return
        self._state = None  # whatever blocked delivery before, try again
        self._load_session()
        future.set_result(session)

    def _save_status(self) -> None:
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
            self._store.save_status(values, self._clock.wall())
        except StorageError as exc:
            logger.debug("Could not save the delivery status: %s", exc)
            return
        self._saved_status = values

    def _load_session(self) -> None:
        self._session_stamp = self._sessions.stamp()
        self._session = self._sessions.load()
        self._client = None
        self._login_attempted = False
        if self._session is not None:
            if self._state not in (State.CONNECTED, State.RETRYING):
                self._state = None
            self._set_state(State.CONNECTED, f"as {self._session.username}")
        elif self._state in (State.NEEDS_REAUTH, State.CONNECTED, State.RETRYING):
            self._state = None

    def _client_for_session(self) -> LastfmClient:
        if self._client is None:
            self._client = self._client_factory(
                self.settings, session_key=self._session.key, proxy=self._proxy
            )
        return self._client

    def _mobile_login(self) -> bool:
        """With username/password configured: get a session once, at startup."""
        if not (self.settings.username and self.settings.password):
            self._set_state(State.NEEDS_LOGIN)
            return False
        if self._login_attempted and self._clock.wall() < self._retry_at:
            return False
        self._login_attempted = True
        client = self._client_factory(self.settings, proxy=self._proxy)
        try:
            session = client.get_mobile_session(
                self.settings.username, self.settings.password
            )
        except TransientError as exc:
            self._schedule_retry(exc)
            return False
        except (NeedsReauthError, RequestError) as exc:
            self._last_error = str(exc)
            self._set_state(
                State.LOGIN_FAILED,
                "check mtscrobble/username and mtscrobble/password",
            )
            return False
        except CredentialsError as exc:
            self._last_error = str(exc)
            self._set_state(State.BAD_CREDENTIALS)
            return False
        except LastfmError as exc:
            self._last_error = str(exc)
            self._set_state(State.LOGIN_FAILED)
            return False
        self._sessions.save(session)
        self._session = session
        self._failures = 0
        self._retry_at = 0.0
        self._set_state(State.CONNECTED, f"as {session.username}")
        return True

    def _send_now_playing(self, track: Track) -> None:
        """Sent once; a failure is not retried (Last.fm asks so)."""
        try:
            self._client_for_session().update_now_playing(now_playing_params(track))
            if self._state == State.RETRYING:
                self._try_early()  # the server answers again: send what waits
        except (NeedsReauthError, CredentialsError) as exc:
            self._blocked_by(exc)
        except LastfmError as exc:
            logger.debug("Now playing not sent (not retried): %s", exc)

    def _deliver(self) -> float | None:
        store = self._store
        now = self._clock.wall()
        self._expire(now)
        if now < self._retry_at:
            return self._retry_at - now
        if store.in_flight() and not self._recover_in_flight():
            return self._wait_after_failure()
        batch = store.due(now, MAX_BATCH)
        if not batch:
            next_due = store.next_due_at()
            return None if next_due is None else max(0.0, next_due - now)
        store.mark_in_flight([e.id for e in batch])
        try:
            self._send(batch)
        except LastfmError as exc:
            self._handle_failure(exc, batch)
            return self._wait_after_failure()
        self._succeeded()
        return 0.0  # more may wait

    def _wait_after_failure(self) -> float | None:
        if self._state in (State.NEEDS_LOGIN, State.NEEDS_REAUTH):
            return SESSION_POLL_S  # a login may happen in another process
        if self._state in BLOCKED_STATES:
            return None  # until a restart
        return max(0.0, self._retry_at - self._clock.wall())

    def _send(self, batch: list[Scrobble]) -> None:
        """Send a batch; on 'invalid parameters' find the bad entries by halving."""
        client = self._client_for_session()
        try:
            results = client.scrobble([scrobble_params(e) for e in batch])
        except InvalidParametersError as exc:
            if len(batch) == 1:
                self._reject(batch[0], f"refused by the server: {exc}")
                return
            middle = len(batch) // 2
            self._send(batch[:middle])
            self._send(batch[middle:])
            return
        self._record(batch, results)

    def _record(self, batch: list[Scrobble], results: list) -> None:
        now = self._clock.wall()
        accepted = [e.id for e, r in zip(batch, results, strict=True) if r.accepted]
        self._store.mark_sent(accepted, now, self.settings.favorites_uri_schemes)
        limited = []
        for entry, result in zip(batch, results, strict=True):
            if result.accepted:
                continue
            if result.code == DAILY_LIMIT_CODE:
                limited.append(entry.id)
            else:
                reason = IGNORED_REASONS.get(result.code, result.message)
                self._reject(entry, f"{reason} (code {result.code})")
        if limited:
            next_at = now + DAILY_LIMIT_PAUSE_S
            self._store.retry_later(
                limited, "daily scrobble limit", next_at, count=True
            )
            logger.info(
                "%d scrobbles over the daily limit; retrying at %s",
                len(limited),
                _utc(next_at),
            )
        logger.info(
            "Sent %d scrobbles to %s: %d accepted, %d ignored",
            len(batch),
            self.settings.network_name,
            len(accepted),
            len(batch) - len(accepted),
        )

    def _reject(self, entry: Scrobble, reason: str) -> None:
        self._store.mark_rejected(entry.id, reason)
        logger.info(
            "Rejected scrobble #%d %s - %s: %s",
            entry.id,
            entry.artist,
            entry.track,
            reason,
        )

    def _recover_in_flight(self) -> bool:
        """Entries whose answer was lost: mark as sent what already landed."""
        entries = self._store.in_flight()
        start = min(e.timestamp for e in entries) - RECOVERY_SLACK_S
        end = max(e.timestamp for e in entries) + RECOVERY_SLACK_S
        try:
            landed = self._client_for_session().recent_tracks(
                self._session.username, start, end
            )
        except LastfmError as exc:
            self._handle_failure(exc, entries, checking=True)
            return False
        found, missing = [], []
        for entry in entries:
            if any(_same_scrobble(entry, t) for t in landed):
                found.append(entry.id)
            else:
                missing.append(entry.id)
        self._store.mark_sent(
            found, self._clock.wall(), self.settings.favorites_uri_schemes
        )
        self._store.retry_later(missing, None, None, count=False)
        logger.info(
            "Checked %d scrobbles whose answer was lost: %d had landed, %d will "
            "be sent",
            len(entries),
            len(found),
            len(missing),
        )
        return True

    def _handle_failure(
        self, exc: LastfmError, batch: list[Scrobble], checking: bool = False
    ) -> None:
        """Decide what a failed call means for the entries it carried.

        Entries whose fate is uncertain (the answer was lost, or they were being
        checked after an earlier loss) stay in flight, so they are checked
        against the server's recent tracks before anything is resent.
        """
        ids = [e.id for e in batch if self._still_in_flight(e.id)]
        uncertain = checking or isinstance(exc, AnswerLostError)
        error = str(exc)
        if isinstance(exc, NeedsReauthError | CredentialsError):
            self._release(ids, error, None, uncertain, count=False)
            self._blocked_by(exc)
        elif isinstance(exc, RateLimitedError):
            self._client_for_session().slow_down(RATE_LIMITED_PAUSE_S)
            self._retry_at = self._clock.wall() + RATE_LIMITED_PAUSE_S
            self._release(ids, error, None, uncertain, count=False)
            logger.info(
                "%s asked to slow down; sending again at %s",
                self.settings.network_name,
                _utc(self._retry_at),
            )
        elif isinstance(exc, RequestError):
            self._retry_at = self._clock.wall() + REQUEST_ERROR_PAUSE_S
            self._release(ids, error, self._retry_at, uncertain, count=True)
            logger.error("%s; kept, trying again at %s", exc, _utc(self._retry_at))
        else:
            self._schedule_retry(exc)
            self._release(ids, error, self._retry_at, uncertain, count=True)

    def _release(
        self,
        ids: list[int],
        error: str,
        next_at: float | None,
        uncertain: bool,
        count: bool,
    ) -> None:
        if not ids:
            return
        if uncertain:
            self._store.note_failed_attempt(ids, error, next_at or self._clock.wall())
        else:
            self._store.retry_later(ids, error, next_at, count=count)

    def _schedule_retry(self, exc: LastfmError) -> None:
        self._failures += 1
        delay = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (self._failures - 1))
        delay *= self._rng.uniform(1 - BACKOFF_JITTER, 1 + BACKOFF_JITTER)
        delay = min(delay, BACKOFF_MAX_S)
        self._retry_at = self._clock.wall() + delay
        self._last_error = str(exc)
        self._set_state(State.RETRYING)
        logger.info(
            "Delivery attempt %d failed (%s); retrying at %s",
            self._failures,
            exc,
            _utc(self._retry_at),
        )

    def _still_in_flight(self, scrobble_id: int) -> bool:
        entry = self._store.get(scrobble_id)
        return entry is not None and entry.state == "in_flight"

    def _succeeded(self) -> None:
        self._failures = 0
        self._retry_at = 0.0
        self._last_error = None
        self._set_state(State.CONNECTED, f"as {self._session.username}")

    def _blocked_by(self, exc: LastfmError) -> None:
        self._last_error = str(exc)
        if isinstance(exc, NeedsReauthError):
            self._set_state(State.NEEDS_REAUTH)
        else:
            self._set_state(State.BAD_CREDENTIALS)

    def _expire(self, now: float) -> None:
        reason = "too old: the server takes scrobbles up to 14 days old"
        for scrobble_id in self._store.reject_older_than(int(now - MAX_AGE_S), reason):
            logger.info("Rejected scrobble #%d: %s", scrobble_id, reason)

    def _warn_about_expiry(self) -> None:
        now = self._clock.wall()
        if now - self._expiry_warned_at < EXPIRY_WARNING_INTERVAL_S:
            return
        self._expire(now)
        limit = int(now - MAX_AGE_S + EXPIRY_WARNING_WINDOW_S)
        expiring = self._store.count_waiting_older_than(limit)
        if expiring:
            self._expiry_warned_at = now
            logger.warning(
                "%d queued scrobbles will be too old for %s within 2 days, and "
                "nothing can be sent while delivery is %s.",
                expiring,
                self.settings.network_name,
                self._state,
            )

    def _set_state(self, state: State, detail: str = "") -> None:
        if state == self._state:
            return
        self._state = state
        network = self.settings.network_name
        if state == State.CONNECTED:
            logger.info("Connected to %s %s", network, detail)
        elif state == State.RETRYING:
            logger.info(
                "%s is not reachable for now; scrobbles wait in the queue", network
            )
        elif state == State.NOT_CONFIGURED:
            logger.info("Not sending scrobbles: the API key and secret are not set")
        elif state == State.NEEDS_LOGIN:
            logger.info(
                "Not connected to %s yet: scrobbles wait in the queue until you "
                "log in (mopidy mtscrobble login, or username/password in the "
                "[mtscrobble] config)",
                network,
            )
        elif state == State.NEEDS_REAUTH:
            logger.warning(
                "%s no longer accepts this session (%s). Scrobbles wait in the "
                "queue: log in again with 'mopidy mtscrobble login'.",
                network,
                self._last_error,
            )
        elif state == State.BAD_CREDENTIALS:
            logger.error(
                "%s refuses the API key or secret (%s). Check mtscrobble/api_key and "
                "mtscrobble/api_secret, then restart Mopidy. Scrobbles wait in the "
                "queue.",
                network,
                self._last_error,
            )
        elif state == State.LOGIN_FAILED:
            logger.error(
                "Logging in to %s failed (%s); %s. Scrobbles wait in the queue.",
                network,
                self._last_error,
                detail or "check your login",
            )


def _sooner(a: float | None, b: float | None) -> float | None:
    """The earlier of two wake-up delays (None: no need to wake)."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _same_scrobble(entry: Scrobble, landed) -> bool:
    if abs(landed.timestamp - entry.timestamp) > RECOVERY_SLACK_S:
        return False
    return (
        landed.artist.casefold() == entry.artist.casefold()
        or landed.title.casefold() == entry.track.casefold()
    )
