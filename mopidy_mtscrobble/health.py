"""When delivery counts as healthy, for GET /mtscrobble/api/health: pure rules,
time passed in.

Unhealthy (each a reason the answer gives):
- a destination's delivery thread does not run;
- a destination is blocked until the user acts: not logged in, session
  revoked, API key or token refused, wrong address, credentials missing, or
  delivery cannot start (the database or its lock);
- a destination has failed with no answer (unreachable, rate limited, lost
  answers) for FAILING_TOO_LONG_S without one success;
- a play has waited to be sent longer than WAITING_TOO_LONG_S.

Healthy: everything else, such as backing off for a few minutes after one
failed request, or nothing to send at all.
"""

from __future__ import annotations

import dataclasses
import time

from .store import QueueStats

FAILING_TOO_LONG_S = 3600
WAITING_TOO_LONG_S = 3600


@dataclasses.dataclass(frozen=True)
class Observed:
    """What is known of one destination at one moment."""

    name: str
    server: str  # as the user knows it
    state: str
    connected: bool
    message: str  # the status line, saying what to do (no secret, no username)
    starting: bool  # not connected yet, but nothing blocks it
    running: bool  # its delivery thread
    queue: QueueStats | None
    failing_since: float | None  # first of a run of failures (this process)
    last_failure: str | None  # the kind of the latest of them


def problems_of(destination: Observed, now_s: float) -> list[str]:
    """Why this destination is unhealthy (empty: it is healthy)."""
    d, found = destination, []
    if not d.running:
        found.append(
            f"{d.server}: its delivery is not running; see Mopidy's log and "
            "restart Mopidy"
        )
    elif not d.connected and not d.starting:
        found.append(f"{d.server}: {d.message}")
    if d.failing_since is not None and now_s - d.failing_since >= FAILING_TOO_LONG_S:
        found.append(
            f"{d.server}: no request has worked for "
            f"{_duration(now_s - d.failing_since)} ({d.last_failure or 'failing'}); "
            "plays wait in the queue"
        )
    oldest = d.queue.oldest_waiting_queued_at if d.queue else None
    if oldest is not None and now_s - oldest >= WAITING_TOO_LONG_S:
        found.append(
            f"{d.server}: a play has waited {_duration(now_s - oldest)} to be sent "
            f"(queued at {_utc(oldest)})"
        )
    return found


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{minutes // 60} hours"


def _utc(unix_s: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(unix_s))
