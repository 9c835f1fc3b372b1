"""What every handler of the web app shares: the context, safe JSON handling.

Mopidy's HTTP server is shared by every web client (Iris, MusicBox, the
JSON-RPC and WebSocket API), on one Tornado event loop. So nothing here waits
on that loop: the database is read on a thread of its own, and actors are
asked from a thread pool, both with timeouts that answer 503. Every answer of
the API is a JSON object, errors included; each of our errors knows its HTTP
status (`MTScrobbleError.http_status`) and is mapped here, in one place.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import pykka
import tornado.web

from ..datadir import prepare_data_dir
from ..errors import (
    MTScrobbleError,
    NotReadyError,
    RequestRefused,
    StorageError,
)
from ..session import SessionFile
from ..settings import Settings
from ..store import Store
from ..workers import DaemonExecutor
from .login_states import LoginStates

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BODY_BYTES = 64 * 1024
# The longest text an answer carries; longer names are cut with an ellipsis.
MAX_TEXT_CHARS = 1024
# How long a request may wait for the database (another program may lock it).
STORE_TIMEOUT_S = 5.0
STORE_LOCK_WAIT_S = 3.0
FRONTEND_TIMEOUT_S = 5.0
# A love or a track's info waits for a library lookup, which may be slow.
LOOKUP_TIMEOUT_S = 20.0
ACTOR_THREADS = 4

# Security headers of every answer; the page's policy allows only its own files.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


def cap(text: str | None) -> str | None:
    """Text as an answer carries it: at most MAX_TEXT_CHARS characters."""
    if text is None or len(text) <= MAX_TEXT_CHARS:
        return text
    return text[: MAX_TEXT_CHARS - 1] + "\u2026"


def origin_allowed(origin: str | None, host: str | None, allowed: set[str]) -> bool:
    """Mopidy's rule: no Origin (not a browser), or this host's, or an allowed one."""
    if origin is None:
        return True
    try:
        netloc = urllib.parse.urlsplit(origin).netloc.lower()
    except ValueError:
        return False
    return not netloc or netloc == (host or "").lower() or netloc in allowed


class Context:
    """What every handler shares: settings, the database's thread, login states."""

    def __init__(self, config: Mapping[str, Any], core: Any) -> None:
        self.config = config
        self.core = core
        self.settings = Settings.from_config(config["mtscrobble"])
        http = config.get("http") or {}
        self.csrf_protection = bool(http.get("csrf_protection", True))
        self.allowed_origins = {o.lower() for o in http.get("allowed_origins") or ()}
        self.logins = LoginStates()
        # The database is used from one thread of its own, never the event loop.
        self._store_thread = DaemonExecutor(1, "MTScrobbleWebStore")
        self._actor_threads = DaemonExecutor(ACTOR_THREADS, "MTScrobbleWebAsk")
        self._store: Store | None = None

    async def in_store(self, work: Callable[[Store], T]) -> T:
        """Run `work(store)` on the database's thread; 503 when it takes too long."""
        loop = asyncio.get_running_loop()
        pending = loop.run_in_executor(self._store_thread, self._with_store, work)
        try:
            return await asyncio.wait_for(pending, STORE_TIMEOUT_S)
        except TimeoutError:
            raise StorageError(
                "The database is busy (locked by another program?); try again"
            ) from None

    def _with_store(self, work: Callable[[Store], T]) -> T:
        if self._store is None:
            self._store = Store.open(
                prepare_data_dir(self.config), time.time(), STORE_LOCK_WAIT_S
            )
        try:
            return work(self._store)
        except StorageError:
            self._store.close()  # opened afresh by the next request
            self._store = None
            raise

    async def ask(self, call: Callable[[], T], timeout_s: float) -> T:
        """Run a call that waits (on an actor, on the core) on a thread of the
        pool; 503 when it takes longer than `timeout_s`."""
        loop = asyncio.get_running_loop()
        pending = loop.run_in_executor(self._actor_threads, call)
        try:
            return await asyncio.wait_for(pending, timeout_s)
        except (TimeoutError, pykka.Timeout):
            raise NotReadyError("Mopidy did not answer in time; try again") from None
        except pykka.ActorDeadError:
            raise NotReadyError from None

    async def frontend(self) -> Any:
        """A proxy of the running frontend; 503 when it does not run."""
        from ..frontend import MTScrobbleFrontend

        refs = pykka.ActorRegistry.get_by_class(MTScrobbleFrontend)
        if not refs:
            raise NotReadyError
        return refs[0].proxy()

    async def delivery(self) -> Any:
        """The running delivery side; 503 when it does not run."""
        frontend = await self.frontend()
        delivery = await self.ask(
            lambda: frontend.delivery.get(timeout=FRONTEND_TIMEOUT_S),
            FRONTEND_TIMEOUT_S,
        )
        if delivery is None:
            raise NotReadyError
        return delivery

    def sessions(self) -> SessionFile:
        return SessionFile(prepare_data_dir(self.config), self.settings.network)


class SecureHandler(tornado.web.RequestHandler):
    """Security headers on every answer, and our errors' statuses, mapped here."""

    policy = API_POLICY

    def set_default_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)
        self.set_header("Content-Security-Policy", self.policy)
        self.set_header("Cache-Control", "no-store")

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, MTScrobbleError):
            logger.debug("%s %s: %s", self.request.method, self.request.path, value)
        else:
            super().log_exception(typ, value, tb)

    def error_of(self, status_code: int, kwargs: Mapping[str, Any]) -> tuple[int, str]:
        """The status and message an ended request answers with."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, MTScrobbleError):
            return exc.http_status, str(exc)
        if isinstance(exc, tornado.web.HTTPError):
            message = exc.reason or self._reason
            if exc.log_message:
                try:
                    message = exc.log_message % exc.args
                except (TypeError, ValueError):
                    message = exc.log_message
            return exc.status_code, cap(message) or ""
        return status_code, self._reason


@tornado.web.stream_request_body
class JsonHandler(SecureHandler):
    """A route of the JSON API.

    A request that changes something, or makes Mopidy do work (`guarded`),
    must carry a JSON body type and come from an allowed origin, like
    Mopidy's own JSON-RPC (`[http] csrf_protection`, `allowed_origins`); a
    browser on another allowed origin is answered the CORS preflight. The
    body is refused by its announced size before anything is read, and read
    as it streams in, never more than MAX_BODY_BYTES.
    """

    SUPPORTED_METHODS = ("GET", "POST", "OPTIONS", "HEAD")
    guarded_methods: frozenset[str] = frozenset({"POST"})

    @property
    def allowed_methods(self) -> str:
        """What the CORS preflight says an allowed origin may send: the
        methods this route implements (HEAD is Tornado's, never ours)."""
        base = tornado.web.RequestHandler
        own = (m for m in self.SUPPORTED_METHODS if m != "HEAD")
        implemented = (
            m
            for m in own
            if getattr(type(self), m.lower()) is not getattr(base, m.lower())
        )
        return ", ".join(implemented)

    def initialize(self, context: Context) -> None:
        self.context = context
        self._body = bytearray()
        self._too_large = False

    def prepare(self) -> None:
        self._allow_origin()
        if self.request.method == "OPTIONS":
            return
        announced = self.request.headers.get("Content-Length", "0")
        if not announced.isascii() or not announced.isdigit():
            raise RequestRefused("Content-Length must be a number", 400)
        if int(announced) > MAX_BODY_BYTES:
            raise RequestRefused(
                f"The request body is over {MAX_BODY_BYTES} bytes", 413
            )
        if self.request.method in self.guarded_methods:
            self.check_guarded()

    def check_guarded(self) -> None:
        if not self.context.csrf_protection:
            return
        content_type = self.request.headers.get("Content-Type", "").split(";")[0]
        if content_type.strip().lower() != "application/json":
            raise RequestRefused("Content-Type must be application/json", 415)
        origin = self.request.headers.get("Origin")
        if not origin_allowed(origin, self.request.host, self.context.allowed_origins):
            logger.warning(
                "Refused a request to %s from origin %s", self.request.path, origin
            )
            raise RequestRefused(
                f"Requests from {cap(origin)} are not allowed: add it to "
                "[http] allowed_origins if you trust it",
                403,
            )

    def _allow_origin(self) -> None:
        """CORS: an allowed browser origin may read our answers."""
        origin = self.request.headers.get("Origin")
        self.add_header("Vary", "Origin")
        if origin is None or not self.context.allowed_origins:
            return
        try:
            netloc = urllib.parse.urlsplit(origin).netloc.lower()
        except ValueError:
            return
        if netloc in self.context.allowed_origins:
            self.set_header("Access-Control-Allow-Origin", origin)

    def options(self, *args: Any) -> None:
        """The CORS preflight, answered as Mopidy's JSON-RPC answers it."""
        origin = self.request.headers.get("Origin")
        if self.context.csrf_protection:
            try:
                netloc = urllib.parse.urlsplit(origin or "").netloc.lower()
            except ValueError:
                netloc = None
            if origin is None or netloc not in self.context.allowed_origins | {
                (self.request.host or "").lower()
            }:
                raise RequestRefused(f"Access denied for origin {cap(origin)}", 403)
            self.set_header("Access-Control-Allow-Origin", origin)
        self.set_header("Access-Control-Allow-Headers", "Content-Type")
        self.set_header("Access-Control-Allow-Methods", self.allowed_methods)
        self.set_header("Access-Control-Max-Age", "600")
        self.set_status(204)
        self.finish()

    def data_received(self, chunk: bytes) -> None:
        if len(self._body) + len(chunk) > MAX_BODY_BYTES:
            self._too_large = True
            return
        self._body += chunk

    def json_body(self, fields: Mapping[str, type]) -> dict[str, Any]:
        """The request's JSON object, checked against the fields it may have."""
        if self._too_large:
            raise RequestRefused(
                f"The request body is over {MAX_BODY_BYTES} bytes", 413
            )
        try:
            body = json.loads(bytes(self._body) or b"{}")
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise RequestRefused("The request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise RequestRefused("The request body must be a JSON object")
        unknown = sorted(set(body) - set(fields))
        if unknown:
            names = ", ".join(cap(name) or "" for name in unknown[:5])
            raise RequestRefused(f"Unknown field(s): {names}")
        for name, kind in fields.items():
            value = body.get(name)
            if value is not None and (
                not isinstance(value, kind) or isinstance(value, bool) != (kind is bool)
            ):
                raise RequestRefused(f"'{name}' must be a {_json_type(kind)}")
        return body

    def answer(self, status: int, body: Mapping[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(body))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        status, message = self.error_of(status_code, kwargs)
        if status == 500:
            message = f"{message} (see Mopidy's log)"
        self._allow_origin()
        self.answer(status, {"error": message})


def _too_large() -> RequestRefused:
    return RequestRefused(f"The request body is over {MAX_BODY_BYTES} bytes", 413)


def _json_type(kind: type) -> str:
    return {str: "string", int: "number", bool: "boolean"}.get(kind, kind.__name__)
