"""Delivery: drains the queue to the server, in batches, exactly once, never dropping.

A `Delivery` runs on its own thread with its own database connection. The
frontend only calls its non-blocking methods (`now_playing`, `queue_changed`);
the web app calls `retry_now` and `login_with_token`. A login or logout made
by another process (the CLI) is noticed through the session file.
`step()` does one round of work and says when it wants the next one, so tests
drive it with a fake clock and no thread at all. `run_round()` is the round the
thread runs: `step()` under a supervisor that no error gets past.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import enum
import fcntl
import logging
import os
import pathlib
import random
import threading
from collections.abc import Callable
from typing import Any

from .backoff import Backoff
from .clocks import ServerClock, StepDetector, describe_step, utc
from .errors import (
    AnswerLostError,
    CredentialsError,
    HttpRefusedError,
    InvalidParametersError,
    LastfmError,
    NeedsReauthError,
    RateLimitedError,
    RequestError,
    StorageError,
    TransientError,
)
from .lastfm import (
    DAILY_LIMIT_CODE,
    IGNORED_REASONS,
    MAX_BATCH,
    LastfmClient,
    Session,
    server_of,
)
from .listening import Track
from .matching import key_parts
from .probe import probe_target, tcp_probe
from .reconcile import SLACK_S, landed_ids
from .session import SessionFile
from .settings import Settings
from .store import (
    LOCK_WAIT_SECONDS,
    CountEntry,
    LoveAction,
    LovedEntry,
    Scrobble,
    Store,
)
from .timing import Clock, SystemClock

logger = logging.getLogger(__name__)

SECONDS_PER_DAY = 86_400
MAX_AGE_S = 14 * SECONDS_PER_DAY  # Last.fm refuses older scrobbles
EXPIRY_WARNING_WINDOW_S = 2 * SECONDS_PER_DAY
EXPIRY_WARNING_INTERVAL_S = SECONDS_PER_DAY
RATE_LIMITED_PAUSE_S = 60.0
DAILY_LIMIT_PAUSE_S = 60 * 60.0
REQUEST_ERROR_PAUSE_S = 60 * 60.0
# After a network-level failure (refused, reset, DNS, timeout): how often to
# try a plain TCP connection, to send at once when the network is back.
PROBE_INTERVAL_S = 30.0
# A new play or now-playing may start a try before the backoff ends, but not
# sooner than this after the last request: an outage costs few requests.
EARLY_TRY_MIN_GAP_S = 60.0
# Entries whose outcome is uncertain are checked this many at a time.
CHECK_LIMIT = 100
# When the server cannot list recent scrobbles for this long (while it
# answers other calls), entries with an uncertain outcome are sent again.
CHECK_GIVE_UP_FAILURES = 12
CHECK_GIVE_UP_AFTER_S = 6 * 60 * 60.0
# An import whose pages keep coming back unreadable fails after this many tries.
IMPORT_MAX_FAILURES = 10
# A held-back now-playing is still worth sending this long after it started,
# for a track of unknown length.
NOW_PLAYING_MAX_AGE_S = 10 * 60.0
# While waiting for a login: how often to look for a new session file.
SESSION_POLL_S = 5.0
# Opening delivery (the lock, the database) is tried again this often, at most.
OPEN_RETRY_FIRST_S = 5.0
OPEN_RETRY_MAX_S = 60.0
# After an unexpected error in a round: the first and longest pause.
ROUND_RETRY_FIRST_S = 5.0
# Distinct unexpected errors logged in full; the same one again only at DEBUG.
MAX_REPORTED_ERRORS = 100
LOCK_FILENAME = "delivery.lock"
PASSWORD_REFUSED = 4  # "authentication failed", the answer to a wrong password
LOVE_ACTIONS_PER_ROUND = 10
TOO_OLD = "too old: the server takes scrobbles up to 14 days old"
TOO_OLD_UNCERTAIN = (
    "too old to send again (the server takes scrobbles up to 14 days old); "
    "whether an earlier attempt arrived is unknown"
)
# What can be imported, in the order they run: job kind -> what it is called.
IMPORTS = {"loved": "loved tracks", "playcounts": "play counts"}
IMPORT_COMMANDS = {"loved": "import-loved", "playcounts": "sync-playcounts"}


class State(enum.StrEnum):
    NOT_CONFIGURED = "not configured"
    WAITING = "waiting to start"
    NEEDS_LOGIN = "needs login"
    LOGIN_FAILED = "login failed"
    CONNECTED = "connected"
    RETRYING = "retrying"
    NEEDS_REAUTH = "needs re-authentication"
    BAD_CREDENTIALS = "API key or secret refused"


BLOCKED_STATES = {
    State.NOT_CONFIGURED,
    State.WAITING,
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
        self._proxy = proxy
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._client_factory = client_factory
        self._on_imported = on_imported
        self._probe = probe
        self._probe_target = probe_target(server_of(settings)[0], proxy)
        self._store_lock_wait_s = store_lock_wait_s
        self._sessions = SessionFile(data_dir, settings.network)
        self._server_clock = ServerClock(settings.network_name)
        self._clock_steps = StepDetector()
        self._backoff = Backoff(self._rng)
        self._round_backoff = Backoff(self._rng, first_s=ROUND_RETRY_FIRST_S)
        self._open_backoff = Backoff(
            self._rng, first_s=OPEN_RETRY_FIRST_S, max_s=OPEN_RETRY_MAX_S
        )
        self._store: Store | None = None
        self._client: LastfmClient | None = None
        self._session: Session | None = None
        self._state: State | None = None
        self._last_error: str | None = None
        # Monotonic times: a step of the wall clock changes none of these waits.
        self._retry_at = 0.0  # nothing is sent before this
        self._probe_at: float | None = None  # the next connection probe, if any
        self._last_attempt_at = float("-inf")
        self._expiry_warned_at = float("-inf")
        self._login_retry_at = 0.0
        self._relogins = 0
        self._early_try = False
        self._slowed_down = False  # the server asked to slow down: no early try
        # Whether the server answered since the last failure: entries with an
        # uncertain outcome are checked then, not at every retry of an outage.
        self._answered = True
        self._check_failures = 0
        self._check_failing_since: float | None = None
        self._import_failures: dict[str, int] = {}
        self._now_playing_held: tuple[Track, float] | None = None
        self._reported: set[str] = set()
        self.unexpected_errors = 0  # caught by the supervisor; for tests and stats
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
            mono = self._clock.monotonic()
            retry = None
            if self._retry_at > mono:
                retry = self._clock.wall() + (self._retry_at - mono)
            return Status(
                state=self._state or State.NOT_CONFIGURED,
                username=self._session.username if self._session else None,
                last_error=self._last_error,
                next_retry_at=retry,
            )

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

    def _run(self) -> None:
        try:
            if not self._open_until_stopped():
                return
            while not self._wait(self.run_round()):
                pass
        finally:
            self.close()

    def _open_until_stopped(self) -> bool:
        """Open, trying again with a backoff while it cannot; False if stopped."""
        while True:
            delay = self.try_open()
            if delay is None:
                return True
            if self._wait(delay):
                return False

    def try_open(self) -> float | None:
        """Open delivery; if it cannot be opened, say why (status, log once)
        and return the seconds to wait before trying again."""
        try:
            self.open()
        except Exception as exc:  # whatever it is, try again
            self._set_waiting(exc)
            return self._open_backoff.failed()
        self._open_backoff.reset()
        return None

    def _set_waiting(self, exc: Exception) -> None:
        with self._lock:
            self._state = State.WAITING
            self._last_error = str(exc) or type(exc).__name__
        self._report(
            exc,
            "Scrobbles are queued but not sent yet: %s Delivery starts by itself "
            "once this is solved.",
            traceback=not isinstance(exc, StorageError | OSError),
        )

    # The supervisor: one round, whatever happens in it.

    def run_round(self) -> float | None:
        """One round as the delivery thread runs it: nothing gets past this.

        A database problem closes the database, to open it afresh next round;
        any other error is logged once (at ERROR, with its traceback) and the
        round is tried again after a pause. Returns seconds until the next round.
        """
        try:
            if self._store is None:
                self._store = Store.open(
                    self._data_dir, self._clock.wall(), self._store_lock_wait_s
                )
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

    # The work, on the delivery thread (or a test's).

    def open(self) -> None:
        """Take the data directory's delivery lock, open the store, load the session.

        Raises StorageError if another process (a running Mopidy) delivers already.
        A start is a reason to try everything waiting at once.
        """
        self._take_lock()
        try:
            self._store = Store.open(
                self._data_dir, self._clock.wall(), self._store_lock_wait_s
            )
            self._store.clear_retry_times()
            running = {kind for kind in IMPORTS if self._job_running(kind)}
        except BaseException:
            self.close()
            raise
        with self._lock:
            self._importing |= running
            if self._state == State.WAITING:
                self._state, self._last_error = None, None
        self._load_session()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        self._close_store()
        if self._lock_file is not None:
            os.close(self._lock_file)  # releases the lock
            self._lock_file = None

    def _close_store(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            store.close()

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

    def step(self) -> float | None:
        """One round: returns seconds until the next round is wanted (None: on wake)."""
        with self._lock:
            track, self._now_playing = self._now_playing, None
            retry_now, self._retry_now = self._retry_now, False
            new_entries, self._new_entries = self._new_entries, False
            logins, self._pending_logins = self._pending_logins, []
            import_requests, self._import_requests = self._import_requests, set()
        self._notice_clock_step()
        for token, future in logins:
            self._complete_login(token, future)
        if self._sessions.stamp() != self._session_stamp:
            self._load_session()  # a login or logout, here or in another process
        if retry_now:
            self._retry_at = 0.0
            self._probe_at = None
            self._backoff.reset()
            self._login_retry_at = 0.0
            self._store.clear_retry_times()
            logger.info("Retrying delivery now, as asked")
        elif new_entries and self._state == State.RETRYING:
            self._try_early()
        if track is not None:
            self._now_playing_held = (track, self._clock.monotonic())
        for kind in IMPORTS:
            if kind in import_requests:
                self._start_import(kind)
        if not self._ready():
            self._warn_about_expiry()
            self._save_status()
            # A login may happen in another process: look for it now and then.
            waiting = self._state in (
                State.NEEDS_LOGIN, State.NEEDS_REAUTH, State.LOGIN_FAILED,
            )  # fmt: skip
            if self._state == State.RETRYING:  # logging in again, after a pause
                return max(0.0, self._login_retry_at - self._clock.monotonic())
            return SESSION_POLL_S if waiting else None
        self._send_now_playing()
        if self._session is None:  # refused just now: logging in again
            self._save_status()
            return self._wait_after_failure()
        delay = self._deliver()
        # Scrobbles first; loves, then import pages, when none is due.
        if delay != 0.0 and self._may_call():
            delay = _sooner(delay, self._deliver_loves())
        if delay != 0.0 and self._may_call():
            delay = _sooner(delay, self._import_step())
        self._save_status()
        return delay

    def _may_call(self) -> bool:
        return (
            self._session is not None
            and self._state not in BLOCKED_STATES
            and self._clock.monotonic() >= self._retry_at
        )

    def _attempt(self) -> None:
        """A request is about to be made."""
        self._last_attempt_at = self._clock.monotonic()

    # Clocks.

    def _notice_clock_step(self) -> None:
        jump = self._clock_steps.step(self._clock.wall(), self._clock.monotonic())
        if jump and self._store is not None:
            logger.warning(
                "The system clock jumped %s; waits go on unchanged and the "
                "retry times kept for scrobbles move with the clock.",
                describe_step(jump),
            )
            self._store.shift_retry_times(jump)

    def _on_server_date(self, server_wall: float) -> None:
        self._server_clock.observe(
            server_wall, self._clock.wall(), self._clock.monotonic()
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
        self._attempt()
        try:
            call(action.artist, action.track)
        except (InvalidParametersError, HttpRefusedError) as exc:
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
            retry_at = None
            if isinstance(exc, RequestError):
                retry_at = self._clock.wall() + REQUEST_ERROR_PAUSE_S
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
        self._import_failures.pop(kind, None)
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
        self._attempt()
        try:
            if kind == "loved":
                answer = client.loved_tracks(username, page)
            else:
                answer = client.top_tracks(username, page)
        except (InvalidParametersError, RequestError, HttpRefusedError) as exc:
            self._fail_import(kind, str(exc))
            return None
        except LastfmError as exc:
            self._handle_failure(exc, [])
            failures = self._import_failures.get(kind, 0) + 1
            self._import_failures[kind] = failures
            if failures >= IMPORT_MAX_FAILURES and not _network_level(exc):
                self._fail_import(
                    kind, f"{exc} ({failures} times in a row; try again later)"
                )
                return None
            logger.info("Importing %s paused at page %d: %s", what, page, exc)
            return self._wait_after_failure()
        self._import_failures.pop(kind, None)
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

    def _fail_import(self, kind: str, error: str) -> None:
        self._store.fail_job(kind, error, self._clock.wall())
        self._set_importing(kind, False)
        self._import_failures.pop(kind, None)
        logger.error("Importing %s failed: %s", IMPORTS[kind], error)

    def _set_importing(self, kind: str, importing: bool) -> None:
        with self._lock:
            if importing:
                self._importing.add(kind)
            else:
                self._importing.discard(kind)

    # Sessions and logins.

    def _try_early(self) -> None:
        """Try before the backoff ends, unless a request went out just now.

        If this try fails too, the wait is as long as the last one was: an
        early try never makes the backoff grow.
        """
        mono = self._clock.monotonic()
        if self._slowed_down or mono >= self._retry_at:
            return
        if mono - self._last_attempt_at < EARLY_TRY_MIN_GAP_S:
            return
        self._retry_at = mono
        self._early_try = True

    def _ready(self) -> bool:
        missing = self.settings.missing_credentials()
        if missing:
            self._set_state(State.NOT_CONFIGURED)
            return False
        if self._state in (
            State.NEEDS_REAUTH, State.BAD_CREDENTIALS, State.LOGIN_FAILED,
        ):  # fmt: skip
            return False
        if self._session is None and not self._mobile_login():
            return False
        return self._state not in BLOCKED_STATES

    def _complete_login(self, token: str, future: concurrent.futures.Future) -> None:
        client = self._new_client()
        try:
            session = client.get_session(token)
            self._sessions.save(session)
        except (LastfmError, StorageError) as exc:
            future.set_exception(exc)
            return
        finally:
            client.close()
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
        self._drop_client()
        self._login_retry_at = 0.0
        if self._session is not None:
            if self._state not in (State.CONNECTED, State.RETRYING):
                self._state = None
            self._set_state(State.CONNECTED, f"as {self._session.username}")
        elif self._state in (
            State.NEEDS_REAUTH, State.CONNECTED, State.RETRYING, State.LOGIN_FAILED,
        ):  # fmt: skip
            self._state = None

    def _new_client(self, session_key: str | None = None) -> LastfmClient:
        return self._client_factory(
            self.settings,
            session_key=session_key,
            proxy=self._proxy,
            on_server_date=self._on_server_date,
        )

    def _client_for_session(self) -> LastfmClient:
        if self._client is None:
            self._client = self._new_client(self._session.key)
        return self._client

    def _drop_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _mobile_login(self) -> bool:
        """With username/password configured: get a session (at startup, and
        again whenever the server stops accepting the one we have)."""
        if not (self.settings.username and self.settings.password):
            self._set_state(State.NEEDS_LOGIN)
            return False
        mono = self._clock.monotonic()
        if mono < self._login_retry_at:
            return False
        client = self._new_client()
        self._attempt()
        try:
            session = client.get_mobile_session(
                self.settings.username, self.settings.password
            )
        except (TransientError, NeedsReauthError) as exc:
            if isinstance(exc, NeedsReauthError) and exc.code == PASSWORD_REFUSED:
                return self._login_refused(exc)
            # Anything else (9 makes no sense for a login) is worth another try.
            self._login_retry_at = mono + self._backoff.failed()
            self._last_error = str(exc)
            self._set_state(State.RETRYING)
            return False
        except (RequestError, InvalidParametersError, HttpRefusedError) as exc:
            return self._login_refused(exc)
        except CredentialsError as exc:
            self._last_error = str(exc)
            self._set_state(State.BAD_CREDENTIALS)
            return False
        except LastfmError as exc:
            self._last_error = str(exc)
            self._set_state(State.LOGIN_FAILED)
            return False
        finally:
            client.close()
        self._sessions.save(session)
        self._session = session
        self._session_stamp = self._sessions.stamp()
        self._drop_client()
        self._backoff.reset()
        self._retry_at = 0.0
        self._set_state(State.CONNECTED, f"as {session.username}")
        return True

    def _login_refused(self, exc: LastfmError) -> bool:
        self._last_error = str(exc)
        self._set_state(
            State.LOGIN_FAILED, "check mtscrobble/username and mtscrobble/password"
        )
        return False

    def _send_now_playing(self) -> None:
        """Sent once, when the server answers; a failure is not retried (Last.fm
        asks so). While the server fails, the latest track waits, and goes out
        when it answers again if that track may still be playing."""
        if self._now_playing_held is None:
            return
        track, announced_at = self._now_playing_held
        length_s = (track.length_ms or 0) / 1000 or NOW_PLAYING_MAX_AGE_S
        if self._clock.monotonic() - announced_at > length_s:
            self._now_playing_held = None
            return
        if not (self._may_call() and self._answered):
            return  # not into a failing server: it goes out after a success
        self._now_playing_held = None
        self._attempt()
        try:
            self._client_for_session().update_now_playing(now_playing_params(track))
        except (NeedsReauthError, CredentialsError) as exc:
            self._blocked_by(exc)
        except LastfmError as exc:
            logger.debug("Now playing not sent (not retried): %s", exc)

    # Scrobbles.

    def _deliver(self) -> float | None:
        store = self._store
        now = self._clock.wall()
        self._expire()
        wait = self._backing_off()
        if wait is not None:
            return wait
        uncertain = store.in_flight(CHECK_LIMIT)
        batch = store.due(now, MAX_BATCH)
        # Entries whose outcome is uncertain are checked once the server answers
        # again, or when nothing else is left to try.
        if uncertain and (self._answered or not batch):
            return 0.0 if self._check(uncertain) else self._wait_after_failure()
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

    def _backing_off(self) -> float | None:
        """Seconds still to wait before the next request, or None to go on.

        After a network-level failure a TCP connection is tried now and then:
        when it works, the wait ends at once.
        """
        mono = self._clock.monotonic()
        if mono >= self._retry_at:
            return None
        if self._probe_at is not None and mono >= self._probe_at:
            if self._probe(self._probe_target):
                logger.info(
                    "%s can be reached again: sending now", self.settings.network_name
                )
                self._retry_at = mono
                self._probe_at = None
                return None
            self._probe_at = mono + PROBE_INTERVAL_S
        wait = self._retry_at - mono
        if self._probe_at is not None:
            wait = min(wait, self._probe_at - mono)
        return max(0.0, wait)

    def _wait_after_failure(self) -> float | None:
        if self._state in (State.NEEDS_LOGIN, State.NEEDS_REAUTH):
            return SESSION_POLL_S  # a login may happen in another process
        if self._state in BLOCKED_STATES:
            return None  # until a restart
        mono = self._clock.monotonic()
        wait = max(0.0, self._retry_at - mono)
        if self._probe_at is not None:
            wait = min(wait, max(0.0, self._probe_at - mono))
        if self._session is None:
            wait = min(wait, max(0.0, self._login_retry_at - mono))
        return wait

    def _send(self, batch: list[Scrobble]) -> None:
        """Send a batch; when the server refuses its content, find the bad
        entries by halving it."""
        client = self._client_for_session()
        self._attempt()
        try:
            results = client.scrobble([scrobble_params(e) for e in batch])
        except (InvalidParametersError, HttpRefusedError) as exc:
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
                utc(next_at),
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

    # Entries whose outcome is uncertain (an answer lost): checked, not resent blind.

    def _check(self, entries: list[Scrobble]) -> bool:
        """Mark as sent what already landed; the rest is sent again. False if
        the check failed (the entries stay uncertain)."""
        start = min(e.timestamp for e in entries) - SLACK_S
        end = max(e.timestamp for e in entries) + SLACK_S
        answered = self._answered
        self._attempt()
        try:
            landed = self._client_for_session().recent_tracks(
                self._session.username, start, end
            )
        except LastfmError as exc:
            if self._check_unavailable(exc, counted=answered):
                self._send_unchecked(entries, exc)
                return True
            self._handle_failure(exc, entries, checking=True)
            return False
        self._check_failures, self._check_failing_since = 0, None
        found = landed_ids(entries, self._store.sent_between(start, end), landed)
        missing = [e.id for e in entries if e.id not in found]
        self._store.mark_sent(
            sorted(found), self._clock.wall(), self.settings.favorites_uri_schemes
        )
        self._store.retry_later(missing, None, None, count=False)
        logger.info(
            "Checked %d scrobbles whose answer was lost: %d had landed, %d will "
            "be sent",
            len(entries),
            len(found),
            len(missing),
        )
        self._succeeded()
        return True

    def _check_unavailable(self, exc: LastfmError, counted: bool) -> bool:
        """Whether the server will not be able to list recent scrobbles.

        At once when it says the method or request is unknown; else after
        CHECK_GIVE_UP_FAILURES failed checks over CHECK_GIVE_UP_AFTER_S, counting
        only checks made right after the server answered (not an outage's).
        """
        if isinstance(exc, RequestError | InvalidParametersError | HttpRefusedError):
            return True
        if not counted or isinstance(exc, RateLimitedError) or _network_level(exc):
            return False
        mono = self._clock.monotonic()
        self._check_failures += 1
        if self._check_failing_since is None:
            self._check_failing_since = mono
        return (
            self._check_failures >= CHECK_GIVE_UP_FAILURES
            and mono - self._check_failing_since >= CHECK_GIVE_UP_AFTER_S
        )

    def _send_unchecked(self, entries: list[Scrobble], exc: LastfmError) -> None:
        self._check_failures, self._check_failing_since = 0, None
        logger.warning(
            "%s cannot tell whether %d scrobbles whose answer was lost arrived "
            "(%s). They are sent again, so they may appear twice.",
            self.settings.network_name,
            len(entries),
            exc,
        )
        self._store.retry_later(
            [e.id for e in entries],
            "sent again without a check (it may appear twice)",
            None,
            count=False,
        )

    # What a failure means.

    def _handle_failure(
        self, exc: LastfmError, batch: list[Scrobble], checking: bool = False
    ) -> None:
        """Decide what a failed call means for delivery and the entries it carried.

        Entries whose fate is uncertain (the answer was lost, or they were being
        checked after an earlier loss) stay in flight, so they are checked
        against the server's recent tracks before anything is resent.
        """
        ids = [e.id for e in batch if self._still_in_flight(e.id)]
        uncertain = checking or isinstance(exc, AnswerLostError)
        error = str(exc)
        if isinstance(exc, TransientError):
            self._answered = False
        if isinstance(exc, NeedsReauthError | CredentialsError):
            self._release(ids, error, None, uncertain, count=False)
            self._blocked_by(exc)
        elif isinstance(exc, RateLimitedError):
            self._client_for_session().slow_down(RATE_LIMITED_PAUSE_S)
            self._retry_at = self._clock.monotonic() + RATE_LIMITED_PAUSE_S
            self._early_try, self._slowed_down = False, True
            self._release(ids, error, None, uncertain, count=False)
            logger.info(
                "%s asked to slow down; sending again in %d s",
                self.settings.network_name,
                RATE_LIMITED_PAUSE_S,
            )
        elif isinstance(exc, RequestError):
            # A request the server will not take as it is: these entries wait
            # an hour; the others go on after the usual backoff.
            retry_at = self._clock.wall() + REQUEST_ERROR_PAUSE_S
            self._release(ids, error, retry_at, uncertain, count=True)
            self._schedule_retry(exc)
            self._report(exc, "%s; kept, and tried again in an hour", traceback=False)
        else:
            self._schedule_retry(exc)
            self._release(ids, error, None, uncertain, count=True)

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
        early, self._early_try = self._early_try, False
        self._slowed_down = False
        delay = self._backoff.failed(escalate=not early)
        mono = self._clock.monotonic()
        self._retry_at = mono + delay
        self._probe_at = None
        if _network_level(exc) and delay > PROBE_INTERVAL_S:
            self._probe_at = mono + PROBE_INTERVAL_S
        self._last_error = str(exc)
        self._set_state(State.RETRYING)
        logger.info(
            "Delivery attempt %d failed (%s); retrying at %s",
            self._backoff.failures,
            exc,
            utc(self._clock.wall() + delay),
        )

    def _still_in_flight(self, scrobble_id: int) -> bool:
        entry = self._store.get(scrobble_id)
        return entry is not None and entry.state == "in_flight"

    def _succeeded(self) -> None:
        self._backoff.reset()
        self._retry_at = 0.0
        self._probe_at = None
        self._early_try = False
        self._slowed_down = False
        self._answered = True
        self._relogins = 0
        self._last_error = None
        self._set_state(State.CONNECTED, f"as {self._session.username}")

    def _blocked_by(self, exc: LastfmError) -> None:
        self._last_error = str(exc)
        if not isinstance(exc, NeedsReauthError):
            self._set_state(State.BAD_CREDENTIALS)
            return
        if not (self.settings.username and self.settings.password):
            self._set_state(State.NEEDS_REAUTH)
            return
        # With a password in the config: log in again by ourselves.
        (logger.info if self._relogins else logger.warning)(
            "%s no longer accepts the session (%s); logging in again with "
            "mtscrobble/username. Scrobbles wait in the queue.",
            self.settings.network_name,
            exc,
        )
        mono = self._clock.monotonic()
        self._login_retry_at = mono + (self._backoff.failed() if self._relogins else 0)
        self._relogins += 1
        self._session = None
        self._drop_client()
        self._set_state(State.RETRYING)

    def _expire(self) -> None:
        """Reject entries too old for the server, by the server's own clock.

        A jump of the local clock must not reject the queue: nothing expires
        until the server has said (its Date header) what time it is.
        """
        server_now = self._server_clock.now(self._clock.monotonic())
        if server_now is None:
            return
        cutoff = int(server_now - MAX_AGE_S)
        for state, reason in (("pending", TOO_OLD), ("in_flight", TOO_OLD_UNCERTAIN)):
            for scrobble_id in self._store.reject_older_than(cutoff, reason, state):
                logger.info("Rejected scrobble #%d: %s", scrobble_id, reason)

    def _warn_about_expiry(self) -> None:
        mono = self._clock.monotonic()
        if mono - self._expiry_warned_at < EXPIRY_WARNING_INTERVAL_S:
            return
        self._expire()
        now = self._server_clock.now(mono) or self._clock.wall()
        limit = int(now - MAX_AGE_S + EXPIRY_WARNING_WINDOW_S)
        expiring = self._store.count_waiting_older_than(limit)
        if expiring:
            self._expiry_warned_at = mono
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
                "Logging in to %s failed (%s); %s. Scrobbles wait in the queue "
                "until a login works ('mopidy mtscrobble login', or fix the "
                "config and restart Mopidy).",
                network,
                self._last_error,
                detail or "check your login",
            )


def _network_level(exc: LastfmError) -> bool:
    return isinstance(exc, TransientError) and exc.network_level


def _sooner(a: float | None, b: float | None) -> float | None:
    """The earlier of two wake-up delays (None: no need to wake)."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
