"""The states that tie a login's callback to its start (see `login`)."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable

LOGIN_STATE_LIFETIME_S = 15 * 60.0
MAX_LOGIN_STATES = 20


class LoginStates:
    """Single-use, short-lived values that tie a login's callback to its start.

    The authorization page sends the browser back with a token; only a token
    that comes back with a state we handed out (and not yet used) logs in.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._states: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def new(self, replace: bool) -> str:
        """A new state; `replace`: the login may replace a working session."""
        state = secrets.token_urlsafe(24)
        with self._lock:
            self._forget_expired()
            while len(self._states) >= MAX_LOGIN_STATES:
                self._states.pop(next(iter(self._states)))
            self._states[state] = (self._clock() + LOGIN_STATE_LIFETIME_S, replace)
        return state

    def take(self, state: str) -> bool | None:
        """Use a state up: None if unknown or expired, else whether it may replace."""
        with self._lock:
            self._forget_expired()
            found = self._states.pop(state, None)
        return None if found is None else found[1]

    def _forget_expired(self) -> None:
        now = self._clock()
        for state in [s for s, (until, _) in self._states.items() if until <= now]:
            del self._states[state]
