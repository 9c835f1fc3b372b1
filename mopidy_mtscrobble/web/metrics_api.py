"""GET /mtscrobble/metrics: Prometheus's text format (`exposition`), from what
the health check reads (`health_api.observe`) and the request counts.

It follows the API's rules (GET from anywhere, like the status; a browser of
another origin only when allowed) and carries no secret and no username.
"""

from __future__ import annotations

from ..exposition import CONTENT_TYPE, Family, render
from ..store import STATES
from .base import JsonHandler
from .health_api import Observation, observe

QUEUE_STATES = (*STATES, "held")


def families(seen: Observation) -> list[Family]:
    """Every metric, in a fixed order."""
    healthy = Family(
        "mtscrobble_healthy", "1 when /mtscrobble/api/health answers 200.", "gauge"
    ).add(0 if seen.all_problems() else 1)
    running = Family(
        "mtscrobble_delivery_running",
        "1 when the destination's delivery thread runs.",
        "gauge",
    )
    connected = Family(
        "mtscrobble_destination_connected",
        "1 when the destination is connected (or only retrying).",
        "gauge",
    )
    for d in seen.destinations:
        running.add(int(d.running), destination=d.name)
        connected.add(int(d.connected), destination=d.name)
    queue = Family(
        "mtscrobble_queue_entries",
        "Entries of each destination's queue, by state (held: pending "
        "plays the user holds back).",
        "gauge",
    )
    oldest = Family(
        "mtscrobble_queue_oldest_waiting_timestamp_seconds",
        "When the oldest play still waiting to be sent was queued.",
        "gauge",
    )
    last_sent = Family(
        "mtscrobble_last_sent_timestamp_seconds",
        "When the destination last accepted a play (from the queue).",
        "gauge",
    )
    names = sorted({d.name for d in seen.destinations} | set(seen.queues))
    for name in names:
        stats = seen.queues.get(name)
        counts = stats.counts if stats else {}
        for state in QUEUE_STATES:
            queue.add(counts.get(state, 0), destination=name, state=state)
        if stats and stats.oldest_waiting_queued_at is not None:
            oldest.add(stats.oldest_waiting_queued_at, destination=name)
        if stats and stats.last_sent_at is not None:
            last_sent.add(stats.last_sent_at, destination=name)
    return [
        healthy,
        running,
        connected,
        queue,
        oldest,
        last_sent,
        *_requests(seen),
        _history(seen),
        *_imports(seen),
    ]


def _requests(seen: Observation) -> list[Family]:
    snapshot = seen.requests
    requests = Family(
        "mtscrobble_requests_total",
        "Requests to the servers since Mopidy started, by API method "
        "and outcome (ok or error).",
        "counter",
    )
    for (destination, method, outcome), count in sorted(snapshot.requests.items()):
        requests.add(count, destination=destination, method=method, outcome=outcome)
    errors = Family(
        "mtscrobble_errors_total",
        "Failed requests since Mopidy started, by kind of error.",
        "counter",
    )
    for (destination, kind), count in sorted(snapshot.errors.items()):
        errors.add(count, destination=destination, kind=kind)
    success = Family(
        "mtscrobble_last_success_timestamp_seconds",
        "When a request to the destination last worked (since Mopidy started).",
        "gauge",
    )
    for destination, at in sorted(snapshot.last_success_at.items()):
        success.add(at, destination=destination)
    return [requests, errors, success]


def _history(seen: Observation) -> Family:
    plays = Family(
        "mtscrobble_history_plays",
        "Plays in the listening history, by origin (mopidy, imported) "
        "and outcome (queued, excluded, private, imported).",
        "gauge",
    )
    for (origin, outcome), count in sorted(seen.history.items()):
        plays.add(count, origin=origin, outcome=outcome)
    return plays


def _imports(seen: Observation) -> list[Family]:
    running = Family(
        "mtscrobble_import_running",
        "1 while an import (loved tracks, play counts) runs.",
        "gauge",
    )
    pages = Family(
        "mtscrobble_import_pages",
        "Pages of the latest import: done, and all (once known).",
        "gauge",
    )
    items = Family(
        "mtscrobble_import_items",
        "Items of the latest import: expected, fetched, matched, not_found.",
        "gauge",
    )
    for kind, job in sorted(seen.jobs.items()):
        running.add(
            int(job is not None and job.state in ("running", "matching")), kind=kind
        )
        if job is None:
            continue
        pages.add(job.page, kind=kind, of="done")
        if job.pages is not None:
            pages.add(job.pages, kind=kind, of="all")
        for name, value in (
            ("expected", job.total),
            ("fetched", job.fetched),
            ("matched", job.matched),
            ("not_found", job.unmatched),
        ):
            if value is not None:
                items.add(value, kind=kind, count=name)
    return [running, pages, items]


class MetricsHandler(JsonHandler):
    """GET: the metrics; 503 (JSON) only when the database cannot be read."""

    async def get(self) -> None:
        seen = await observe(self.context, with_stats=True)
        if seen.store_problem:
            self.answer(503, {"error": seen.store_problem})
            return
        self.set_header("Content-Type", CONTENT_TYPE)
        self.finish(render(families(seen)))
