"""GET /mtscrobble/api/health: 200 when delivery works or has nothing to do,
503 with the reasons otherwise (rules: `health`), for uptime checks.

What it reads, the metrics read too (`observe`): the delivery threads (are
they running, their live state) through the frontend, and the store on its
thread; each with the web app's timeouts, so the event loop never waits, and
a part that does not answer in time is itself a reason.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from ..delivery.overview import LASTFM_KIND, DestinationStatus, overview
from ..delivery.states import State
from ..errors import MTScrobbleError, NotReadyError
from ..health import Observed, problems_of
from ..kinds import KINDS
from ..metrics import REGISTRY, Snapshot
from ..store import Job, QueueStats, Store
from .base import FRONTEND_TIMEOUT_S, Context, JsonHandler, cap


@dataclasses.dataclass(frozen=True)
class Observation:
    """Everything known at one moment; `problems`: what could not be read."""

    checked_at: float
    destinations: list[Observed]
    problems: list[str]
    store_problem: str | None  # the database could not be read
    queues: dict[str, QueueStats]
    history: dict[tuple[str, str], int]
    jobs: dict[str, Job | None]
    requests: Snapshot

    def all_problems(self) -> list[str]:
        found = [*self.problems, *([self.store_problem] if self.store_problem else [])]
        for destination in self.destinations:
            found += problems_of(destination, self.checked_at)
        return found


async def observe(context: Context, with_stats: bool = False) -> Observation:
    """What the health check and the metrics read; never raises our errors."""
    problems: list[str] = []
    live: dict[str, str | None] = {}
    user = None
    looking = False  # Last.fm's delivery has not looked at its session yet
    running: dict[str, bool] = {}
    try:
        frontend = await context.frontend()
        delivery = await context.delivery()
        workers = await context.ask(
            lambda: frontend.listenbrainz.get(timeout=FRONTEND_TIMEOUT_S),
            FRONTEND_TIMEOUT_S,
        )
        status = delivery.status()
        live = {"state": str(status.state), "last_error": None}
        user = status.username
        looking = status.looking
        running = {"lastfm": delivery.alive()}
        running |= {worker.name: worker.alive() for worker in workers}
    except NotReadyError as exc:
        problems.append(str(exc))
    settings = context.settings

    def read(store: Store) -> tuple[Any, ...]:
        found = overview(settings, store, time.time(), live, user)
        queues = store.delivery_stats.queues()
        if not with_stats:
            return found, queues, {}, {}
        jobs = {kind.name: store.jobs.get(kind) for kind in KINDS}
        return found, queues, store.delivery_stats.history_outcomes(), jobs

    found: list[DestinationStatus] = []
    queues: dict[str, QueueStats] = {}
    history: dict[tuple[str, str], int] = {}
    jobs: dict[str, Job | None] = {}
    store_problem = None
    try:
        found, queues, history, jobs = await context.in_store(read)
    except MTScrobbleError as exc:
        store_problem = f"The database cannot be read: {exc}"
    requests = REGISTRY.snapshot()
    destinations = [
        _observed(d, running, queues, requests, settings, looking)
        for d in found
        if live
    ]
    return Observation(
        time.time(),
        destinations,
        problems,
        store_problem,
        queues,
        history,
        jobs,
        requests,
    )


def _observed(
    found: DestinationStatus,
    running: dict[str, bool],
    queues: dict[str, QueueStats],
    requests: Snapshot,
    settings: Any,
    looking: bool,
) -> Observed:
    if found.kind == LASTFM_KIND:
        # Delivery has not read its session yet, or logging in with the
        # configured username and password is under way.
        starting = looking or (
            found.username is None
            and bool(settings.username and settings.password)
            and found.state != State.LOGIN_FAILED
        )
    else:
        starting = found.state not in set(State)  # no state saved yet
    message = found.message
    if found.username:  # the status line may name the user: not here
        message = message.replace(found.username, "(user)")
    return Observed(
        found.name,
        found.server,
        found.state,
        found.connected,
        message,
        starting,
        running.get(found.name, False),
        queues.get(found.name),
        requests.failing_since.get(found.name),
        requests.last_failure.get(found.name),
    )


class HealthHandler(JsonHandler):
    """GET: {"healthy": ..., "problems": [...], "destinations": [...]}."""

    async def get(self) -> None:
        seen = await observe(self.context)
        problems = seen.all_problems()
        now = seen.checked_at
        destinations = []
        for d in seen.destinations:
            oldest = d.queue.oldest_waiting_queued_at if d.queue else None
            waiting = (
                (d.queue.counts.get("pending", 0) + d.queue.counts.get("in_flight", 0))
                if d.queue
                else 0
            )
            destinations.append(
                {
                    "name": d.name,
                    "server": cap(d.server),
                    "state": d.state,
                    "running": d.running,
                    "healthy": not problems_of(d, now),
                    "waiting": waiting,
                    "oldest_waiting_s": int(now - oldest) if oldest else None,
                    "last_success_at": _int(seen.requests.last_success_at.get(d.name)),
                }
            )
        self.answer(
            503 if problems else 200,
            {
                "healthy": not problems,
                "problems": [cap(p) for p in problems],
                "checked_at": int(now),
                "destinations": destinations,
            },
        )


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)
