"""The link to one ListenBrainz-compatible destination: its client, its state,
when it may be called (backoff, probe, the server's rate limit) and what a
failure means (a `Verdict`, as for Last.fm).

Nothing here sleeps: a rate limit or a backoff is a time the worker wakes at.
"""

from __future__ import annotations

import logging
import random
import ssl
import urllib.parse
from collections.abc import Callable

from ...clocks import utc
from ...destinations import ListenBrainzDestination
from ...errors import (
    AnswerLostError,
    LastfmError,
    NotSupportedError,
    RateLimitedError,
    RequestError,
    TokenRefusedError,
    TransientError,
    WrongAddressError,
)
from ...listenbrainz import ListenBrainzClient, RateLimit
from ...probe import probe_target
from ...timing import Clock
from ..connection import REQUEST_ERROR_PAUSE_S, Verdict, network_level
from ..pacing import Pacing
from ..states import BLOCKED_STATES, State, Status, say

logger = logging.getLogger(__name__)

# A refused token or a wrong address is asked again this often, in case the
# account or the server was fixed meanwhile (no restart needed then).
BLOCKED_RECHECK_S = 60 * 60.0

ClientFactory = Callable[..., ListenBrainzClient]


def make_client(
    destination: ListenBrainzDestination,
    proxy: str | None = None,
    verify: ssl.SSLContext | bool = True,
) -> ListenBrainzClient:
    return ListenBrainzClient(
        destination.token,
        destination.url,
        server_name=destination.display_name,
        proxy=proxy,
        destination=destination.name,
        verify=verify,
    )


class Link:
    def __init__(
        self,
        destination: ListenBrainzDestination,
        clock: Clock,
        rng: random.Random,
        client_factory: ClientFactory,
        proxy: str | None,
        probe: Callable[[tuple[str, int]], bool],
    ) -> None:
        self.destination = destination
        self.name = destination.display_name
        self.clock = clock
        self._client_factory = client_factory
        self._proxy = proxy
        target = probe_target(urllib.parse.urlsplit(destination.url).netloc, proxy)
        self.pacing = Pacing(clock, rng, lambda: probe(target), self.name)
        self._client: ListenBrainzClient | None = None
        self.state: State | None = None
        self.last_error: str | None = None
        self.username: str | None = None  # from validate-token
        self.can_read: bool = True  # False: no GET listens (Maloja)
        self.answered = True  # since the last failure: checks are worth a try
        self._rate_until = 0.0  # monotonic: the server's window has no room
        self._blocked_at = 0.0

    def client(self) -> ListenBrainzClient:
        if self._client is None:
            self._client = self._client_factory(self.destination, proxy=self._proxy)
        return self._client

    def drop_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # Whether, and when, to call.

    def ready(self) -> bool:
        """Whether the token was accepted (asked at the first round, and after
        a refusal again every BLOCKED_RECHECK_S)."""
        if self.username is not None:
            return True
        if self.state in BLOCKED_STATES:
            if self.clock.monotonic() - self._blocked_at < BLOCKED_RECHECK_S:
                return False
        elif self.backing_off() is not None:
            return False
        return self._validate()

    def backing_off(self) -> float | None:
        """Seconds still to wait before the next request, or None to go on."""
        rate_wait = self._rate_until - self.clock.monotonic()
        wait = self.pacing.backing_off()
        if rate_wait > 0:
            return max(rate_wait, wait or 0.0)
        return wait

    def idle_wait(self) -> float | None:
        """Seconds until the next round while nothing may be sent."""
        if self.state in BLOCKED_STATES:
            left = BLOCKED_RECHECK_S - (self.clock.monotonic() - self._blocked_at)
            return max(0.0, left)
        return self.backing_off()

    def retry_now(self) -> None:
        self.pacing.now()
        self._blocked_at = float("-inf")

    def attempt(self) -> None:
        self.pacing.attempt()

    def _validate(self) -> bool:
        self.attempt()
        try:
            check = self.client().validate_token()
            self.note_rate(check.rate)
            self.username = check.user_name
            self.can_read = self._can_read(check.user_name)
        except LastfmError as exc:
            self.failed(exc)
            return False
        self.succeeded()
        return True

    def _can_read(self, user: str) -> bool:
        """Whether the server lists a user's listens (Maloja does not)."""
        try:
            page = self.client().listens(user, count=1)
        except NotSupportedError:
            logger.info(
                "%s cannot list listens (Maloja?): listens go one at a time, and "
                "one whose answer was lost is sent once more (the server ignores "
                "an identical one)",
                self.name,
            )
            return False
        except LastfmError as exc:
            logger.debug("%s: listing listens failed (%s)", self.name, exc)
            return True
        self.note_rate(page.rate)
        return True

    # What came of a call.

    def note_rate(self, rate: RateLimit | None) -> None:
        """The server's window is full: no request until it ends."""
        if rate is not None and rate.remaining == 0 and rate.reset_in_s:
            self._rate_until = self.clock.monotonic() + rate.reset_in_s

    def succeeded(self) -> None:
        self.pacing.succeeded()
        self.answered = True
        self.last_error = None
        self.set_state(State.CONNECTED, f"as {self.username}")

    def failed(self, exc: LastfmError, uncertain: bool = False) -> Verdict:
        """What a failed call means, here and for the listens it carried."""
        uncertain = uncertain or isinstance(exc, AnswerLostError)
        reason = str(exc)
        self.last_error = reason
        rate = self._client.rate_limit if self._client is not None else None
        self.note_rate(rate)
        if isinstance(exc, TokenRefusedError | WrongAddressError):
            self._blocked_at = self.clock.monotonic()
            self.username = None
            blocked = (
                State.TOKEN_REFUSED
                if isinstance(exc, TokenRefusedError)
                else State.WRONG_ADDRESS
            )
            self.set_state(blocked)
            return Verdict(reason, uncertain, counts=False, retry_at=None)
        if isinstance(exc, RateLimitedError):
            wait = exc.wait_s or 0.0
            self._rate_until = max(self._rate_until, self.clock.monotonic() + wait)
            logger.info("%s asked to slow down; sending again in %d s", self.name, wait)
            return Verdict(reason, uncertain, counts=False, retry_at=None)
        if isinstance(exc, TransientError):
            self.answered = False
        delay = self.pacing.failed(network_level(exc))
        self.set_state(State.RETRYING)
        logger.info(
            "%s: attempt %d failed (%s); retrying at %s",
            self.name,
            self.pacing.backoff.failures,
            exc,
            utc(self.clock.wall() + delay),
        )
        if isinstance(exc, RequestError):
            retry_at = self.clock.wall() + REQUEST_ERROR_PAUSE_S
            return Verdict(reason, uncertain, counts=True, retry_at=retry_at)
        return Verdict(reason, uncertain, counts=True, retry_at=None)

    # The state, and its log line.

    def set_state(self, state: State, detail: str = "") -> None:
        if state == self.state:
            return
        self.state = state
        say(state, self.name, detail, self.last_error)

    def status(self) -> Status:
        mono = self.clock.monotonic()
        until = max(self.pacing.retry_at, self._rate_until)
        retry = self.clock.wall() + (until - mono) if until > mono else None
        return Status(
            state=self.state or State.WAITING,
            username=self.username,
            last_error=self.last_error,
            next_retry_at=retry,
        )
