"""The process-wide counts of requests to the servers, for /mtscrobble/metrics
and the health check.

Each client counts its requests in its one place that makes them
(`LastfmClient._call`, `ListenBrainzClient._request`); the web app reads a
snapshot. Counting is a dict update under a lock: cheap, and safe from the
delivery threads and the web app's threads at once.
"""

from __future__ import annotations

import collections
import dataclasses
import re
import threading
import time
from collections.abc import Callable

from .errors import TransientError

OK = "ok"
ERROR = "error"
_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def error_kind(exc: BaseException) -> str:
    """An error's kind as a metric label: UnreachableError -> "unreachable"."""
    name = type(exc).__name__.removesuffix("Error") or type(exc).__name__
    return _WORD_START.sub("_", name).lower()


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """The counts at one moment (copies: the registry goes on counting)."""

    requests: dict[tuple[str, str, str], int]  # (destination, method, outcome)
    errors: dict[tuple[str, str], int]  # (destination, kind)
    last_success_at: dict[str, float]  # destination -> unix seconds
    failing_since: dict[str, float]  # destination -> first failure of a run of them
    last_failure: dict[str, str]  # destination -> that run's latest error kind


class Registry:
    """Requests by destination, method and outcome; errors by kind; when each
    destination last answered, and since when it has failed without a success."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._requests: collections.Counter[tuple[str, str, str]] = (
            collections.Counter()
        )
        self._errors: collections.Counter[tuple[str, str]] = collections.Counter()
        self._last_success_at: dict[str, float] = {}
        self._failing_since: dict[str, float] = {}
        self._last_failure: dict[str, str] = {}

    def request(
        self, destination: str, method: str, error: BaseException | None
    ) -> None:
        """Count one request and its outcome (`error`: None when it worked).

        A server's answer, even a refusal of one item, means it is reachable;
        only a transient error (no answer, rate limited, ...) makes it failing.
        """
        now = self._clock()
        with self._lock:
            if error is None:
                self._requests[destination, method, OK] += 1
                self._last_success_at[destination] = now
                self._failing_since.pop(destination, None)
                self._last_failure.pop(destination, None)
                return
            kind = error_kind(error)
            self._requests[destination, method, ERROR] += 1
            self._errors[destination, kind] += 1
            if isinstance(error, TransientError):
                self._failing_since.setdefault(destination, now)
                self._last_failure[destination] = kind
            else:
                self._failing_since.pop(destination, None)
                self._last_failure.pop(destination, None)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(
                dict(self._requests),
                dict(self._errors),
                dict(self._last_success_at),
                dict(self._failing_since),
                dict(self._last_failure),
            )


# The one registry of this process.
REGISTRY = Registry()
