"""The JSON API under /mtscrobble/api/: status, queue, recent, retry, imports,
love and unlove, a track's loved state and play count.

Handlers never call Last.fm themselves: they read the store and ask the
frontend actor or the delivery side it runs.
"""

from __future__ import annotations

import re
import time
from typing import Any

from ..delivery.loved_sync import sync_status
from ..delivery.overview import DestinationStatus, overview
from ..errors import RequestRefused
from ..kinds import BY_API_PATH, IMPORTS, KINDS
from ..library import find_track
from ..store import Scrobble, Store
from .base import FRONTEND_TIMEOUT_S, LOOKUP_TIMEOUT_S, JsonHandler, cap
from .queue_api import queued_entry

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_OFFSET = 10**9
SECONDS_PER_DAY = 86_400
QUEUE_STATES = ("pending", "in_flight", "rejected")
SCROBBLE_STATE = {  # stored state -> what the API calls it
    "pending": "queued",
    "in_flight": "queued",
    "sent": "scrobbled",
    "rejected": "rejected",
}
WHOLE_NUMBER = re.compile(r"[0-9]{1,10}")


class RetryHandler(JsonHandler):
    """POST {}: send the queue now."""

    async def post(self) -> None:
        self.json_body({})
        delivery = await self.context.delivery()
        delivery.retry_now()
        frontend = await self.context.frontend()
        others = await self.context.ask(
            lambda: frontend.listenbrainz.get(timeout=FRONTEND_TIMEOUT_S),
            FRONTEND_TIMEOUT_S,
        )
        for worker in others:  # every ListenBrainz destination too
            worker.retry_now()
        self.answer(202, {"retrying": True})


class ImportHandler(JsonHandler):
    """POST {} to a kind's path (import-loved, sync-playcounts): import it again."""

    async def post(self, api_path: str) -> None:
        self.json_body({})
        kind = BY_API_PATH[api_path]
        frontend = await self.context.frontend()
        started = await self.context.ask(
            lambda: frontend.start_import(kind.name).get(timeout=FRONTEND_TIMEOUT_S),
            FRONTEND_TIMEOUT_S,
        )
        if not started:
            raise RequestRefused(f"An import of {kind.label} is already running", 409)
        self.answer(202, {"importing": True})


class LoveHandler(JsonHandler):
    """POST {"uri": "..."} (or {} for the current track): love it."""

    love = True

    async def post(self) -> None:
        body = self.json_body({"uri": str})
        uri = (body.get("uri") or "").strip() or None
        track = await self.find(uri)
        frontend = await self.context.frontend()
        method = frontend.love if self.love else frontend.unlove
        result = await self.context.ask(
            lambda: method(track).get(timeout=FRONTEND_TIMEOUT_S), FRONTEND_TIMEOUT_S
        )
        self.answer(
            200,
            {
                "loved": result.loved,
                "uri": cap(result.uri),
                "artist": cap(result.artist),
                "track": cap(result.track),
            },
        )

    async def find(self, uri: str | None) -> Any:
        schemes = self.context.settings.favorites_uri_schemes
        core = self.context.core
        return await self.context.ask(
            lambda: find_track(core, uri, schemes, LOOKUP_TIMEOUT_S), LOOKUP_TIMEOUT_S
        )


class UnloveHandler(LoveHandler):
    """POST {"uri": "..."} (or {} for the current track): unlove it."""

    love = False


class TrackHandler(LoveHandler):
    """GET ?uri=...: whether that track is loved, and its play count.

    A lookup makes Mopidy's backends work, so this read is guarded like a
    change: JSON content type, allowed origin, library URIs only.
    """

    guarded_methods = frozenset({"GET", "POST"})

    async def get(self) -> None:
        uri = self.get_query_argument("uri", "").strip()
        if not uri:
            raise RequestRefused("Give the track's URI: ?uri=...")
        track = await self.find(uri)
        frontend = await self.context.frontend()
        info = await self.context.ask(
            lambda: frontend.track_info(track).get(timeout=FRONTEND_TIMEOUT_S),
            FRONTEND_TIMEOUT_S,
        )
        self.answer(
            200,
            {
                "uri": cap(info.uri),
                "artist": cap(info.artist),
                "track": cap(info.track),
                "loved": info.loved,
                "playcount": info.playcount,
            },
        )

    async def post(self) -> None:
        raise RequestRefused("Use GET ?uri=...", 405)


class NotFoundHandler(JsonHandler):
    def prepare(self) -> None:
        super().prepare()
        raise RequestRefused(f"No such API endpoint: {cap(self.request.path)}", 404)


def _job(job: Any) -> dict[str, Any] | None:
    if job is None:
        return None
    return {
        "state": job.state,
        "page": job.page,
        "pages": job.pages,
        "total": job.total,
        "fetched": job.fetched,
        "matched": job.matched,
        "not_found": job.unmatched,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "error": cap(job.error),
    }


def _scrobble(entry: Scrobble) -> dict[str, Any]:
    return {
        "id": entry.id,
        "artist": cap(entry.artist),
        "track": cap(entry.track),
        "album": cap(entry.album),
        "timestamp": entry.timestamp,
        "state": SCROBBLE_STATE[entry.state],
        "reason": cap(entry.last_error) if entry.state == "rejected" else None,
        "attempts": entry.attempts,
        "last_error": cap(entry.last_error) if entry.state != "rejected" else None,
        "uri": cap(entry.uri),
    }


def _destination(found: DestinationStatus) -> dict[str, Any]:
    return {
        "name": found.name,
        "kind": found.kind,
        "server": cap(found.server),
        "state": found.state,
        "connected": found.connected,
        "message": cap(found.message),
        "username": cap(found.username),
        "counts": found.counts,
        "last_error": cap(found.last_error),
        "next_retry_at": found.next_retry_at,
    }


def _listening(progress: dict[str, Any] | None) -> dict[str, Any] | None:
    if progress is None:
        return None
    return {k: cap(v) if isinstance(v, str) else v for k, v in progress.items()}


class StatusHandler(JsonHandler):
    """GET: the connection, the settings in force, the queue, imports, listening."""

    async def get(self) -> None:
        frontend = await self.context.frontend()
        delivery = await self.context.delivery()
        listening = await self.context.ask(
            lambda: frontend.listening().get(timeout=FRONTEND_TIMEOUT_S),
            FRONTEND_TIMEOUT_S,
        )
        settings = self.context.settings
        status = delivery.status()

        live = {
            "state": str(status.state),
            "last_error": status.last_error,
            "next_retry_at": (
                str(int(status.next_retry_at)) if status.next_retry_at else None
            ),
        }

        def read(store: Store) -> dict[str, Any]:
            counts = store.queue.counts()
            now = time.time()
            found = overview(settings, store, now, live, status.username)
            return {
                "destinations": [_destination(d) for d in found],
                "queue": {
                    "pending": counts["pending"],
                    "in_flight": counts["in_flight"],
                    "rejected": counts["rejected"],
                    "sent_last_24h": store.queue.count_sent_since(
                        time.time() - SECONDS_PER_DAY
                    ),
                },
                "imports": {k.name: _job(store.jobs.get(k)) for k in IMPORTS},
                **{k.name: store.songs.match_counts(k) for k in KINDS},
                "loved_sync": sync_status(
                    settings.loved_sync_interval, store.loved_sync.state(), now
                ),
            }

        stored = await self.context.in_store(read)
        self.answer(
            200,
            {
                "connection": {
                    "state": str(status.state),
                    "connected": status.state in ("connected", "retrying"),
                    "username": cap(status.username),
                },
                "network": cap(settings.network_name),
                "settings": {
                    "scrobble_threshold": settings.scrobble_threshold,
                    "scrobble_cap": settings.scrobble_cap,
                    "now_playing": settings.now_playing,
                    "scrobble_radio": settings.scrobble_radio,
                    "radio_min_seconds": settings.radio_min_seconds,
                },
                "queue": stored["queue"],
                "last_error": cap(status.last_error),
                "next_retry_at": (
                    int(status.next_retry_at) if status.next_retry_at else None
                ),
                "imports": stored["imports"],
                **{k.name: stored[k.name] for k in KINDS},
                "listening": _listening(listening),
                "destinations": stored["destinations"],
                "loved_sync": stored["loved_sync"],
            },
        )


class QueueHandler(JsonHandler):
    """GET ?state=pending|in_flight|rejected&limit=N&offset=N: the queue, paged."""

    async def get(self) -> None:
        state = self.get_query_argument("state", "")
        if state and state not in QUEUE_STATES:
            raise RequestRefused(f"'state' must be one of: {', '.join(QUEUE_STATES)}")
        limit, offset = self.paging()
        states = (state,) if state else QUEUE_STATES

        def read(store: Store) -> tuple[dict[str, int], list[Scrobble], Any]:
            # "plays": the editable queue, every destination (see queue_api).
            plays = store.editing.entries(limit, offset), store.editing.count()
            counts = store.queue.counts()
            return counts, store.queue.by_states(states, limit, offset), plays

        counts, entries, (plays, plays_total) = await self.context.in_store(read)
        self.answer(
            200,
            {
                "entries": [_scrobble(e) for e in entries],
                "total": sum(counts[s] for s in states),
                "limit": limit,
                "offset": offset,
                "plays": [queued_entry(e) for e in plays],
                "plays_total": plays_total,
            },
        )

    def paging(self) -> tuple[int, int]:
        values = []
        for name, default, low, high in (
            ("limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
            ("offset", 0, 0, MAX_OFFSET),
        ):
            text = self.get_query_argument(name, str(default))
            if not WHOLE_NUMBER.fullmatch(text) or not low <= int(text) <= high:
                raise RequestRefused(
                    f"'{name}' must be a whole number from {low} to {high}"
                )
            values.append(int(text))
        return values[0], values[1]


class RecentHandler(QueueHandler):
    """GET ?limit=N: the newest scrobbles, each scrobbled, queued or rejected."""

    async def get(self) -> None:
        limit, _offset = self.paging()
        entries = await self.context.in_store(lambda store: store.queue.recent(limit))
        self.answer(200, {"scrobbles": [_scrobble(e) for e in entries]})
