"""The connection to one server: its state, when it may be called, and what a
failure means.

A failure becomes a `Verdict` here, once, for every kind of work: how the
connection goes on (backoff, a pause, a new login, blocked), and what the
rows the call carried become (retried when, counted as an attempt or not,
outcome uncertain or not). Each sender applies the verdict to its own rows.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import random
from collections.abc import Callable
from typing import Any

from ..clocks import ServerClock, utc
from ..errors import (
    AnswerLostError,
    CredentialsError,
    LastfmError,
    NeedsReauthError,
    RateLimitedError,
    RequestError,
    TransientError,
)
from ..lastfm import LastfmClient, Session, server_of
from ..probe import probe_target
from ..settings import OFF, Settings
from ..timing import Clock
from .logins import LoginFailure, Logins
from .pacing import Pacing
from .states import AWAITING_LOGIN, BLOCKED_STATES, State, Status, say

logger = logging.getLogger(__name__)

RATE_LIMITED_PAUSE_S = 60.0
REQUEST_ERROR_PAUSE_S = 60 * 60.0
# While waiting for a login: how often to look for a new session file.
SESSION_POLL_S = 5.0
# While plays are held: how often to look for a release (the CLI releases
# from another process, and nothing wakes delivery then).
HELD_POLL_S = 60.0


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What a failed call means for the rows it carried."""

    reason: str
    uncertain: bool  # the server may have applied it: the rows stay in flight
    counts: bool  # an attempt of the rows
    retry_at: float | None  # wall time for the rows; None: with the connection


class Connection:
    def __init__(
        self,
        settings: Settings,
        logins: Logins,
        clock: Clock,
        rng: random.Random,
        client_factory: Callable[..., LastfmClient],
        proxy: str | None,
        probe: Callable[[tuple[str, int]], bool],
    ) -> None:
        self.settings = settings
        self.logins = logins
        self.clock = clock
        host = "" if settings.network == OFF else server_of(settings)[0]
        target = probe_target(host, proxy)
        self.pacing = Pacing(clock, rng, lambda: probe(target), settings.network_name)
        self.backoff = self.pacing.backoff
        self.server_clock = ServerClock(settings.network_name)
        self._client_factory = client_factory
        self._proxy = proxy
        self._client: LastfmClient | None = None
        self.state: State | None = None
        # Whether the session file was read once: until then a status is "starting".
        self.looked = False
        self.last_error: str | None = None
        # Whether the server answered since the last failure: uncertain
        # entries are checked then, not at every retry of an outage.
        self.answered = True

    # Clients.

    def new_client(self, session_key: str | None = None) -> LastfmClient:
        return self._client_factory(
            self.settings,
            session_key=session_key,
            proxy=self._proxy,
            on_server_date=self._on_server_date,
        )

    def client(self) -> LastfmClient:
        """A client with the session (`ready()` said there is one)."""
        session = self.logins.session
        if session is None:
            raise RuntimeError("no session")  # a bug: callers check ready()
        if self._client is None:
            self._client = self.new_client(session.key)
        return self._client

    def drop_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _on_server_date(self, server_wall: float) -> None:
        self.server_clock.observe(
            server_wall, self.clock.wall(), self.clock.monotonic()
        )

    # Whether, and when, to call.

    def ready(self) -> bool:
        """Whether calls may be made at all now (a session, nothing blocking)."""
        if self.settings.network == OFF:
            self.set_state(State.OFF)
            return False
        missing = self.settings.missing_credentials()
        if missing:
            self.set_state(State.NOT_CONFIGURED)
            return False
        if self.state in (
            State.NEEDS_REAUTH, State.BAD_CREDENTIALS, State.LOGIN_FAILED,
        ):  # fmt: skip
            return False
        if self.logins.session is None and not self._log_in():
            return False
        return self.state not in BLOCKED_STATES

    # Sessions and logins.

    def load_session(self) -> None:
        """Take the session file as it is now (a login or logout, anywhere)."""
        session = self.logins.load()
        self.drop_client()
        self.looked = True
        if session is not None:
            if self.state not in (State.CONNECTED, State.RETRYING):
                self.state = None
            self.set_state(State.CONNECTED, f"as {session.username}")
        elif self.state in (
            State.NEEDS_REAUTH, State.CONNECTED, State.RETRYING, State.LOGIN_FAILED,
        ):  # fmt: skip
            # Logged out: said at once, so that no status read before the
            # next round says "connected" or "starting" (health reads it).
            # With a password configured, that round logs in again.
            self.state = None
            if not (self.settings.username and self.settings.password):
                self.set_state(State.NEEDS_LOGIN)

    def login_with_token(
        self, token: str, future: concurrent.futures.Future[Session]
    ) -> None:
        client = self.new_client()
        try:
            logged_in = self.logins.with_token(client, token, future)
        finally:
            client.close()
        if logged_in:
            self.state = None  # whatever blocked delivery before, try again
            self.load_session()

    def _log_in(self) -> bool:
        """With username/password configured: get a session (at startup, and
        again whenever the server stops accepting the one we have)."""
        settings = self.settings
        if not (settings.username and settings.password):
            self.set_state(State.NEEDS_LOGIN)
            return False
        mono = self.clock.monotonic()
        if mono < self.logins.retry_at:
            return False
        client = self.new_client()
        self.attempt()
        try:
            outcome = self.logins.with_password(
                client, settings.username, settings.password
            )
        finally:
            client.close()
        if isinstance(outcome, LoginFailure):
            if outcome.state == State.RETRYING:
                self.logins.retry_at = mono + self.backoff.failed()
            self.last_error = outcome.error
            self.set_state(outcome.state, outcome.detail)
            return False
        self.drop_client()
        self.pacing.now()
        self.set_state(State.CONNECTED, f"as {outcome.username}")
        return True

    def _renew(self, exc: LastfmError) -> bool:
        """The server refused the session: with a password in the config, log
        in again by ourselves (at once, then after growing pauses). False
        when the user must log in."""
        settings = self.settings
        if not (settings.username and settings.password):
            return False
        (logger.info if self.logins.relogins else logger.warning)(
            "%s no longer accepts the session (%s); logging in again with "
            "mtscrobble/username. Scrobbles wait in the queue.",
            settings.network_name,
            exc,
        )
        wait = self.backoff.failed() if self.logins.relogins else 0.0
        self.logins.retry_at = self.clock.monotonic() + wait
        self.logins.relogins += 1
        self.logins.forget()
        self.drop_client()
        self.set_state(State.RETRYING)
        return True

    def may_call(self) -> bool:
        return (
            self.logins.session is not None
            and self.state not in BLOCKED_STATES
            and self.pacing.due()
        )

    def attempt(self) -> None:
        """A request is about to be made."""
        self.pacing.attempt()

    def backing_off(self) -> float | None:
        """Seconds still to wait before the next request, or None to go on."""
        return self.pacing.backing_off()

    def wait_after_failure(self) -> float | None:
        """Seconds until the next round is wanted after a failure (None: never
        by itself: a wake-up or a restart)."""
        if self.state in (State.NEEDS_LOGIN, State.NEEDS_REAUTH):
            return SESSION_POLL_S  # a login may happen in another process
        if self.state in BLOCKED_STATES:
            return None
        wait = self.pacing.wait()
        if self.logins.session is None:
            wait = min(wait, max(0.0, self.logins.retry_at - self.clock.monotonic()))
        return wait

    def idle_wait(self) -> float | None:
        """Seconds until the next round while calls cannot be made."""
        if self.state == State.RETRYING:  # logging in again, after a pause
            return max(0.0, self.logins.retry_at - self.clock.monotonic())
        return SESSION_POLL_S if self.state in AWAITING_LOGIN else None

    def try_early(self) -> None:
        self.pacing.try_early()

    def retry_now(self) -> None:
        """Asked to send now: every wait ends."""
        self.pacing.now()
        self.logins.retry_at = 0.0

    # What came of a call.

    def succeeded(self) -> None:
        self.pacing.succeeded()
        self.answered = True
        self.logins.relogins = 0
        self.last_error = None
        session = self.logins.session
        self.set_state(State.CONNECTED, f"as {session.username if session else '?'}")

    def failed(self, exc: LastfmError, checking: bool = False) -> Verdict:
        """Decide what a failed call means, here and for the rows it carried.

        Rows whose fate is uncertain (the answer was lost, or they were being
        checked after an earlier loss) stay in flight, so they are checked
        against the server's recent tracks before anything is resent.
        """
        uncertain = checking or isinstance(exc, AnswerLostError)
        reason = str(exc)
        if isinstance(exc, TransientError):
            self.answered = False
        if isinstance(exc, NeedsReauthError | CredentialsError):
            self.blocked_by(exc)
            return Verdict(reason, uncertain, counts=False, retry_at=None)
        if isinstance(exc, RateLimitedError):
            self.client().slow_down(RATE_LIMITED_PAUSE_S)
            self.pacing.slow_down(RATE_LIMITED_PAUSE_S)
            logger.info(
                "%s asked to slow down; sending again in %d s",
                self.settings.network_name,
                RATE_LIMITED_PAUSE_S,
            )
            return Verdict(reason, uncertain, counts=False, retry_at=None)
        self._schedule_retry(exc)
        if isinstance(exc, RequestError):
            # A request the server will not take as it is: these rows wait an
            # hour; the others go on after the usual backoff.
            logger.error("%s; kept, and tried again in an hour", exc)
            retry_at = self.clock.wall() + REQUEST_ERROR_PAUSE_S
            return Verdict(reason, uncertain, counts=True, retry_at=retry_at)
        return Verdict(reason, uncertain, counts=True, retry_at=None)

    def _schedule_retry(self, exc: LastfmError) -> None:
        delay = self.pacing.failed(network_level(exc))
        self.last_error = str(exc)
        self.set_state(State.RETRYING)
        logger.info(
            "Delivery attempt %d failed (%s); retrying at %s",
            self.backoff.failures,
            exc,
            utc(self.clock.wall() + delay),
        )

    def blocked_by(self, exc: LastfmError) -> None:
        """The server refused the session or the API key."""
        self.last_error = str(exc)
        if not isinstance(exc, NeedsReauthError):
            self.set_state(State.BAD_CREDENTIALS)
        elif not self._renew(exc):
            self.set_state(State.NEEDS_REAUTH)

    # The state, and its log line.

    def set_state(self, state: State, detail: str = "") -> None:
        if state == self.state:
            return
        self.state = state
        say(state, self.settings.network_name, detail or "check your login",
            self.last_error)  # fmt: skip

    def status(self) -> Status:
        mono = self.clock.monotonic()
        retry = None
        if self.pacing.retry_at > mono:
            retry = self.clock.wall() + (self.pacing.retry_at - mono)
        session = self.logins.session
        return Status(
            state=self.state or State.NOT_CONFIGURED,
            username=session.username if session else None,
            last_error=self.last_error,
            next_retry_at=retry,
            looking=self.state is None and not self.looked,
        )


def network_level(exc: Any) -> bool:
    return isinstance(exc, TransientError) and exc.network_level
