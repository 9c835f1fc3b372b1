"""The HTTP app under /mtscrobble/: the page, the JSON API and the login callback.

Handlers never call Last.fm themselves: they read the store and ask the
frontend actor or the delivery side it runs.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import pathlib
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

import pykka
import tornado.web

from .datadir import prepare_data_dir
from .errors import (
    LastfmError,
    MTScrobbleError,
    NotReadyError,
    StorageError,
    TokenExpiredError,
    TokenNotAuthorizedError,
    TrackError,
)
from .lastfm import LastfmClient
from .session import SessionFile
from .settings import Settings
from .store import Scrobble, Store

logger = logging.getLogger(__name__)

LOGIN_TIMEOUT_S = 60.0
FRONTEND_TIMEOUT_S = 5.0
# A love waits for a library lookup, which a slow backend may take a while for.
LOVE_TIMEOUT_S = 20.0
MAX_BODY_BYTES = 64 * 1024
NOT_RUNNING = "Mopidy-MTScrobble is not running (see Mopidy's log)"
STATIC_DIR = pathlib.Path(__file__).parent / "static"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
SECONDS_PER_DAY = 86_400
QUEUE_STATES = ("pending", "in_flight", "rejected")
SCROBBLE_STATE = {  # stored state -> what the API calls it
    "pending": "queued",
    "in_flight": "queued",
    "sent": "scrobbled",
    "rejected": "rejected",
}
IMPORT_KINDS = ("loved", "playcounts")


class Context:
    """What every handler shares: the settings and, opened once, the store.

    Tornado runs the handlers on one thread, so one connection serves them.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.settings = Settings.from_config(config["mtscrobble"])
        self._store: Store | None = None

    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(prepare_data_dir(self.config), time.time())
        return self._store

    def sessions(self) -> SessionFile:
        return SessionFile(prepare_data_dir(self.config), self.settings.network)


def factory(config: Mapping[str, Any], core: Any) -> list[tuple]:
    http = config.get("http") or {}
    options = {
        "csrf_protection": http.get("csrf_protection", True),
        "allowed_origins": {o.lower() for o in http.get("allowed_origins") or ()},
    }
    context = Context(config)
    reads = {"context": context, "csrf_protection": False, "allowed_origins": set()}
    changes = {**options, "context": context}
    return [
        (r"/auth/callback", AuthCallbackHandler, {}),
        (r"/api/status", StatusHandler, reads),
        (r"/api/queue", QueueHandler, reads),
        (r"/api/recent", RecentHandler, reads),
        (r"/api/login", LoginHandler, changes),
        (r"/api/logout", LogoutHandler, changes),
        (r"/api/retry", RetryHandler, options),
        (r"/api/import-loved", ImportHandler, {**options, "kind": "loved"}),
        (r"/api/sync-playcounts", ImportHandler, {**options, "kind": "playcounts"}),
        (r"/api/love", LoveHandler, {**options, "love": True}),
        (r"/api/unlove", LoveHandler, {**options, "love": False}),
        (r"/api/track", TrackHandler, options),
        (r"/api/.*", NotFoundHandler, options),
        (
            r"/(.*)",
            tornado.web.StaticFileHandler,
            {"path": str(STATIC_DIR), "default_filename": "index.html"},
        ),
    ]


def find_frontend():
    """A proxy of the running frontend, or None."""
    from .frontend import MTScrobbleFrontend

    refs = pykka.ActorRegistry.get_by_class(MTScrobbleFrontend)
    return refs[0].proxy() if refs else None


def find_delivery():
    """The running delivery side, or None (extension not running or starting)."""
    frontend = find_frontend()
    if frontend is None:
        return None
    try:
        return frontend.delivery.get(timeout=FRONTEND_TIMEOUT_S)
    except (pykka.ActorDeadError, pykka.Timeout):
        return None


def origin_allowed(origin: str | None, host: str | None, allowed: set[str]) -> bool:
    """Mopidy's rule: no Origin (not a browser) or one of this host's, or allowed."""
    if origin is None:
        return True
    netloc = urllib.parse.urlsplit(origin).netloc.lower()
    return not netloc or netloc == (host or "").lower() or netloc in allowed


class JsonHandler(tornado.web.RequestHandler):
    """JSON answers; changing requests need a JSON body from an allowed origin."""

    def initialize(
        self,
        csrf_protection: bool,
        allowed_origins: set[str],
        context: Context | None = None,
    ) -> None:
        self.csrf_protection = csrf_protection
        self.allowed_origins = allowed_origins
        self.context = context

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-cache")

    def prepare(self) -> None:
        if self.request.method != "POST" or not self.csrf_protection:
            return
        content_type = self.request.headers.get("Content-Type", "").split(";")[0]
        if content_type.strip() != "application/json":
            self.fail(415, "Content-Type must be application/json")
            return
        origin = self.request.headers.get("Origin")
        if not origin_allowed(origin, self.request.host, self.allowed_origins):
            logger.warning(
                "Refused a request to %s from origin %s", self.request.path, origin
            )
            self.fail(
                403,
                f"Requests from {origin} are not allowed: add it to "
                "[http] allowed_origins if you trust it",
            )

    def json_body(self, fields: Mapping[str, type]) -> dict[str, Any] | None:
        """The request's JSON object, checked; None after answering 4xx."""
        raw = self.request.body or b"{}"
        if len(raw) > MAX_BODY_BYTES:
            self.fail(413, f"The request body is over {MAX_BODY_BYTES} bytes")
            return None
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, ValueError):
            self.fail(400, "The request body is not valid JSON")
            return None
        if not isinstance(body, dict):
            self.fail(400, "The request body must be a JSON object")
            return None
        unknown = sorted(set(body) - set(fields))
        if unknown:
            self.fail(400, f"Unknown field(s): {', '.join(unknown)}")
            return None
        for name, kind in fields.items():
            if body.get(name) is not None and not isinstance(body[name], kind):
                self.fail(400, f"'{name}' must be a {_json_type(kind)}")
                return None
        return body

    def ask_frontend(self, method: str, *args: Any, timeout_s: float) -> Any:
        """Call the frontend; on failure answer the error and return None."""
        frontend = find_frontend()
        if frontend is None:
            self.fail(503, NOT_RUNNING)
            return None
        try:
            return getattr(frontend, method)(*args).get(timeout=timeout_s)
        except TrackError as exc:
            self.fail(exc.http_status, str(exc))
        except (NotReadyError, StorageError) as exc:
            self.fail(503, str(exc))
        except pykka.ActorDeadError:
            self.fail(503, NOT_RUNNING)
        except pykka.Timeout:
            self.fail(504, "Mopidy did not answer in time; try again")
        return None

    def answer(self, status: int, body: Mapping[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(body))

    def fail(self, status: int, message: str) -> None:
        self.answer(status, {"error": message})


class RetryHandler(JsonHandler):
    def post(self) -> None:
        if self.json_body({}) is None:
            return
        delivery = find_delivery()
        if delivery is None:
            self.fail(503, "Mopidy-MTScrobble is not running (see Mopidy's log)")
            return
        delivery.retry_now()
        self.answer(202, {"retrying": True})


class ImportHandler(JsonHandler):
    """POST {}: import the loved tracks, or sync the play counts, again."""

    def initialize(self, kind: str, **options: Any) -> None:
        super().initialize(**options)
        self.kind = kind

    def post(self) -> None:
        if self.json_body({}) is None:
            return
        started = self.ask_frontend(
            "start_import", self.kind, timeout_s=FRONTEND_TIMEOUT_S
        )
        if started is None:
            return
        if not started:
            what = "loved tracks" if self.kind == "loved" else "play counts"
            self.fail(409, f"An import of {what} is already running")
            return
        self.answer(202, {"importing": True})


class LoveHandler(JsonHandler):
    """POST {"uri": "..."} (or {} for the current track): love or unlove it."""

    def initialize(self, love: bool, **options: Any) -> None:
        super().initialize(**options)
        self.love = love

    def post(self) -> None:
        body = self.json_body({"uri": str})
        if body is None:
            return
        uri = (body.get("uri") or "").strip() or None
        method = "love" if self.love else "unlove"
        result = self.ask_frontend(method, uri, timeout_s=LOVE_TIMEOUT_S)
        if result is not None:
            self.answer(200, _love_answer(result))


class TrackHandler(JsonHandler):
    """GET ?uri=...: whether that track is loved, and its play count."""

    def get(self) -> None:
        uri = self.get_query_argument("uri", "").strip()
        if not uri:
            self.fail(400, "Give the track's URI: ?uri=...")
            return
        info = self.ask_frontend("track_info", uri, timeout_s=LOVE_TIMEOUT_S)
        if info is not None:
            self.answer(
                200,
                {
                    "uri": info.uri,
                    "artist": info.artist,
                    "track": info.track,
                    "loved": info.loved,
                    "playcount": info.playcount,
                },
            )


def _love_answer(result: Any) -> dict[str, Any]:
    return {
        "loved": result.loved,
        "uri": result.uri,
        "artist": result.artist,
        "track": result.track,
    }


def _json_type(kind: type) -> str:
    return {str: "string", int: "number", bool: "boolean"}.get(kind, kind.__name__)


class NotFoundHandler(JsonHandler):
    def prepare(self) -> None:
        self.fail(404, f"No such API endpoint: {self.request.path}")


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
        "error": job.error,
    }


def _scrobble(entry: Scrobble) -> dict[str, Any]:
    return {
        "id": entry.id,
        "artist": entry.artist,
        "track": entry.track,
        "album": entry.album,
        "timestamp": entry.timestamp,
        "state": SCROBBLE_STATE[entry.state],
        "reason": entry.last_error if entry.state == "rejected" else None,
        "attempts": entry.attempts,
        "last_error": entry.last_error if entry.state != "rejected" else None,
        "uri": entry.uri,
    }


class StatusHandler(JsonHandler):
    """GET: the connection, the settings in force, the queue, imports, listening."""

    def get(self) -> None:
        frontend = find_frontend()
        delivery = find_delivery()
        if frontend is None or delivery is None:
            self.fail(503, NOT_RUNNING)
            return
        try:
            listening = frontend.listening().get(timeout=FRONTEND_TIMEOUT_S)
        except (pykka.ActorDeadError, pykka.Timeout):
            self.fail(503, NOT_RUNNING)
            return
        settings = self.context.settings
        store = self.context.store()
        now = time.time()
        status = delivery.status()
        counts = store.counts()
        self.answer(
            200,
            {
                "connection": {
                    "state": str(status.state),
                    "connected": status.state in ("connected", "retrying"),
                    "username": status.username,
                },
                "network": settings.network_name,
                "settings": {
                    "scrobble_threshold": settings.scrobble_threshold,
                    "scrobble_cap": settings.scrobble_cap,
                    "now_playing": settings.now_playing,
                    "scrobble_radio": settings.scrobble_radio,
                    "radio_min_seconds": settings.radio_min_seconds,
                },
                "queue": {
                    "pending": counts["pending"],
                    "in_flight": counts["in_flight"],
                    "rejected": counts["rejected"],
                    "sent_last_24h": store.count_sent_since(now - SECONDS_PER_DAY),
                },
                "last_error": status.last_error,
                "next_retry_at": (
                    int(status.next_retry_at) if status.next_retry_at else None
                ),
                "imports": {kind: _job(store.job(kind)) for kind in IMPORT_KINDS},
                "loved": store.match_counts("loved"),
                "playcounts": store.match_counts("playcounts"),
                "listening": listening,
            },
        )


class QueueHandler(JsonHandler):
    """GET ?state=pending|in_flight|rejected&limit=N&offset=N: the queue, paged."""

    def get(self) -> None:
        state = self.get_query_argument("state", "")
        if state and state not in QUEUE_STATES:
            self.fail(400, f"'state' must be one of: {', '.join(QUEUE_STATES)}")
            return
        paging = self.paging()
        if paging is None:
            return
        limit, offset = paging
        states = (state,) if state else QUEUE_STATES
        store = self.context.store()
        counts = store.counts()
        entries = store.by_states(states, limit, offset)
        self.answer(
            200,
            {
                "entries": [_scrobble(e) for e in entries],
                "total": sum(counts[s] for s in states),
                "limit": limit,
                "offset": offset,
            },
        )

    def paging(self) -> tuple[int, int] | None:
        values = []
        for name, default, top in (
            ("limit", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
            ("offset", 0, None),
        ):
            text = self.get_query_argument(name, str(default))
            if not text.isdigit() or (top is not None and not 1 <= int(text) <= top):
                limit_range = f"1 to {top}" if top else "0 or more"
                self.fail(400, f"'{name}' must be a whole number, {limit_range}")
                return None
            values.append(int(text))
        return values[0], values[1]


class RecentHandler(QueueHandler):
    """GET ?limit=N: the newest scrobbles, each scrobbled, queued or rejected."""

    def get(self) -> None:
        paging = self.paging()
        if paging is None:
            return
        limit, _offset = paging
        entries = self.context.store().recent(limit)
        self.answer(200, {"scrobbles": [_scrobble(e) for e in entries]})


class LoginHandler(JsonHandler):
    """POST {}: the address of the network's page that grants access."""

    def post(self) -> None:
        if self.json_body({}) is None:
            return
        settings = self.context.settings
        if settings.missing_credentials():
            keys = " and ".join(
                f"mtscrobble/{k}" for k in settings.missing_credentials()
            )
            self.fail(503, f"Set {keys} in mopidy.conf first, then restart Mopidy")
            return
        callback = (
            f"{self.request.protocol}://{self.request.host}/mtscrobble/auth/callback"
        )
        url = LastfmClient(settings).authorization_url(callback=callback)
        self.answer(200, {"url": url})


class LogoutHandler(JsonHandler):
    """POST {}: forget the session; queued scrobbles stay."""

    def post(self) -> None:
        if self.json_body({}) is None:
            return
        try:
            self.context.sessions().clear()
        except MTScrobbleError as exc:
            self.fail(503, str(exc))
            return
        self.answer(200, {"connected": False})


class AuthCallbackHandler(tornado.web.RequestHandler):
    """Where the network's authorization page sends the browser back: ?token=..."""

    async def get(self) -> None:
        token = self.get_query_argument("token", "").strip()
        if not token:
            self.page(
                400,
                "No token came back from the authorization page. "
                "Start the login again.",
            )
            return
        delivery = find_delivery()
        if delivery is None:
            self.page(503, "Mopidy-MTScrobble is not running; see Mopidy's log.")
            return
        future = delivery.login_with_token(token)
        try:
            session = await asyncio.wait_for(
                asyncio.wrap_future(future), LOGIN_TIMEOUT_S
            )
        except TokenNotAuthorizedError:
            self.page(
                403,
                "Access was not allowed. Start the login again and "
                "choose 'Yes, allow access'.",
            )
        except TokenExpiredError:
            self.page(403, "The authorization expired. Start the login again.")
        except (LastfmError, MTScrobbleError) as exc:
            self.page(502, f"Logging in failed: {exc}")
        except TimeoutError:
            self.page(504, "The server did not answer in time. Try again later.")
        else:
            self.page(
                200,
                f"Connected to {delivery.settings.network_name} as "
                f"{session.username}. You can close this page.",
            )

    def page(self, status: int, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.finish(
            '<!DOCTYPE html><html><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width">'
            "<title>Mopidy-MTScrobble</title></head><body>"
            f"<p>{html.escape(message)}</p></body></html>"
        )
