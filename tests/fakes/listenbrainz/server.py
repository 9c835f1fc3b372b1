"""A fake ListenBrainz server over HTTPS on 127.0.0.1 (or a fake Maloja).

This module holds its state, routing, rate limit and HTTP handler; api.py
answers as ListenBrainz, maloja.py as Maloja, faults.py fails on demand.
It checks tokens, sizes, JSON and every listen as the real one does
(rules.py), keeps listens with the real duplicate key and shows them only
after `lag_s` of its own clock, answers GET listens with its real bounds,
limits the rate in fixed windows with X-RateLimit-* headers on every answer,
answers each request `latency_s` late (real seconds), records every request,
and injects faults on demand. With maloja=True it answers as Maloja's
ListenBrainz API does (see maloja.py).
"""

from __future__ import annotations

import dataclasses
import http.server
import json
import random
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import trustme

from ...support.secret_scan import note_secret
from ..https import HttpsServer, drop
from . import api, faults, maloja
from .faults import (  # noqa: F401 - the fake's whole interface, in one place
    AFTER_KINDS,
    APPLIED_THEN_LOST,
    BEFORE_KINDS,
    Fault,
    RandomFaults,
)
from .wire import Answer, Drop, error

ADMIN_PATH = "/_admin/"
MALOJA_PREFIX = "/apis/listenbrainz"
RATE_LIMIT = 30  # requests per window, brainzutils' default
RATE_WINDOW_S = 10
CALLS = (
    "validate-token",
    "submit-listens",
    "listens",
    "playing-now",
    "delete-playing-now",
    "feedback",
    "lookup",
)


@dataclasses.dataclass
class Request:
    call: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    arrived_at: float
    status: int = 0
    outcome: str = ""
    query: str = ""

    def json(self) -> Any:
        return json.loads(self.body)


class FakeListenBrainz:
    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        rate_limit: int | None = RATE_LIMIT,
        rate_window_s: int = RATE_WINDOW_S,
        lag_s: float = 0.0,
        latency_s: float = 0.0,
        maloja_mode: bool = False,
        prefix: str | None = None,
        ca: trustme.CA | None = None,
    ) -> None:
        self.clock = clock
        self.maloja = maloja_mode
        self.prefix = (
            (MALOJA_PREFIX if maloja_mode else "") if prefix is None else prefix
        )
        self.rate_limit = None if maloja_mode else rate_limit
        self.rate_window_s = rate_window_s
        self.lag_s = lag_s
        self.latency_s = latency_s
        # A further lag for each listen, drawn when it is stored (the real
        # writer's queue is not equally backed up for every listen).
        self.lag_of: Callable[[], float] | None = None
        self._extra_lag: dict[tuple[int, str, str], float] = {}
        self.tokens: dict[str, str] = {}  # token -> user name
        self.listens: list[dict[str, Any]] = []  # as stored, duplicates left out
        self.playing_now: dict[str, tuple[dict[str, Any], float]] = {}
        self.feedback: dict[tuple[str, str], int] = {}
        self.lookups: dict[tuple[str, str], dict[str, Any]] = {}
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.fault_source: Callable[[str], Fault | None] | None = None
        self._window: tuple[int, int] = (0, 0)  # (window end, requests in it)
        self._lock = threading.RLock()
        self._release_hangs = threading.Event()
        self.ca = ca or trustme.CA()
        self._https = HttpsServer(_Handler, self, self.ca)

    # Set-up and inspection, for tests.

    @property
    def base_url(self) -> str:
        """What a client is configured with: the server, without /1/."""
        return f"https://127.0.0.1:{self._https.port}{self.prefix}"

    @property
    def port(self) -> int:
        return self._https.port

    def client_context(self) -> Any:
        return self._https.client_context()

    def ca_file(self, path: Any) -> str:
        return self._https.ca_file(path)

    def add_user(self, name: str, token: str | None = None) -> str:
        """A user and their token (made up if not given); returns the token."""
        token = token or f"token-{name}-{random.getrandbits(64):016x}"
        note_secret(token)
        with self._lock:
            self.tokens[token] = name
        return token

    def add_lookup(self, artist: str, title: str, answer: dict[str, Any]) -> None:
        """What metadata lookup answers for these names (any case)."""
        with self._lock:
            self.lookups[(artist.lower(), title.lower())] = answer

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def requests_for(self, call: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.call == call]

    def listens_of(self, user: str) -> list[dict[str, Any]]:
        with self._lock:
            return [x for x in self.listens if x["user_name"] == user]

    def visible_at(self, listen: dict[str, Any]) -> float:
        """When a stored listen shows in listings (the fake's clock)."""
        key = (listen["listened_at"], listen["user_name"], listen["recording_msid"])
        return listen["inserted_at"] + self.lag_s + self._extra_lag.get(key, 0.0)

    def stored(self, listen: dict[str, Any]) -> None:
        """Keep a new listen (api.store), with its own lag if `lag_of` says."""
        self.listens.append(listen)
        if self.lag_of is not None:
            key = (listen["listened_at"], listen["user_name"], listen["recording_msid"])
            self._extra_lag[key] = self.lag_of()

    def start(self, port: int = 0) -> FakeListenBrainz:
        self._https.start(port)
        return self

    def stop(self) -> None:
        self._release_hangs.set()
        self._https.stop()

    # Handling one request.

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[Answer, dict[str, str]]:
        """(the answer, its rate-limit headers), or raises Drop."""
        parts = urllib.parse.urlsplit(target)
        params = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        path = urllib.parse.unquote(parts.path)
        call, args = self._route(method, path)
        now = self.clock()
        record = Request(call, method, path, headers, body, now, query=parts.query)
        with self._lock:
            self.requests.append(record)
        if self.latency_s:
            time.sleep(self.latency_s)  # the network's and the server's time
        limit_headers: dict[str, str] = {}
        try:
            if call == "":
                raise args  # an Answer: 404 or 405
            limit_headers = self._count(now)
            fault = self._take_fault(call)
            if fault is not None and fault.kind in BEFORE_KINDS | {faults.REFUSE}:
                record.outcome = f"fault {fault.kind}"
                self._fault_before(fault)
            answer = self._dispatch(call, args, params, headers, body, now)
            if fault is not None:
                record.outcome = f"applied, fault {fault.kind}"
                faults.after(fault)
            record.outcome = record.outcome or "ok"
        except Answer as answer_raised:
            answer = answer_raised
            record.outcome = record.outcome or f"HTTP {answer.status}"
        except Drop:
            record.outcome = record.outcome or "dropped"
            raise
        record.status = answer.status
        return answer, limit_headers

    def _route(self, method: str, path: str) -> tuple[str, Any]:
        base = f"{self.prefix}/1/"
        if not path.startswith(base):
            return "", error(404, "Not found")
        rest = path[len(base) :]
        segments = rest.split("/")
        routes = {
            ("GET", "validate-token"): "validate-token",
            ("POST", "submit-listens"): "submit-listens",
            ("POST", "playing-now/delete"): "delete-playing-now",
            ("POST", "feedback/recording-feedback"): "feedback",
            ("GET", "metadata/lookup/"): "lookup",
            ("GET", "metadata/lookup"): "lookup",
        }
        if (method, rest) in routes:
            return routes[(method, rest)], None
        if len(segments) == 3 and segments[0] == "user" and segments[1]:
            kind = {"listens": "listens", "playing-now": "playing-now"}.get(segments[2])
            if kind is not None:
                if method != "GET":
                    return "", error(405, "Method not allowed")
                return kind, segments[1]
        if any(rest == r for _, r in routes):
            return "", error(405, "Method not allowed")
        return "", error(404, "Not found")

    def _count(self, now: float) -> dict[str, str]:
        """Fixed windows ending at multiples of the window; 429 past the limit."""
        if self.rate_limit is None:
            return {}
        with self._lock:
            window_end = (int(now) // self.rate_window_s + 1) * self.rate_window_s
            end, used = self._window
            used = used + 1 if end == window_end else 1
            self._window = (window_end, used)
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(0, self.rate_limit - used)),
            "X-RateLimit-Reset": str(window_end),
            "X-RateLimit-Reset-In": str(window_end - int(now)),
        }
        if used > self.rate_limit:
            raise _Limited(headers)
        return headers

    def _take_fault(self, call: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.call in (None, call) and fault.count > 0:
                    fault.count -= 1
                    if fault.count == 0:
                        self.faults.remove(fault)
                    return fault
            if self.fault_source is not None:
                return self.fault_source(call)
        return None

    def _fault_before(self, fault: Fault) -> None:
        faults.before(fault, self._release_hangs)

    def _dispatch(
        self,
        call: str,
        args: Any,
        params: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        now: float,
    ) -> Answer:
        if self.maloja:
            return maloja.dispatch(self, call, params, headers, body, now)
        return api.dispatch(self, call, args, params, headers, body, now)

    # Admin API for a fake running in another process (JSON over the same port).

    def admin(self, action: str, body: dict[str, Any]) -> Any:
        with self._lock:
            if action == "state":
                return {
                    "listens": self.listens,
                    "feedback": [[u, r, s] for (u, r), s in self.feedback.items()],
                    "requests": [
                        {
                            **dataclasses.asdict(r),
                            "body": r.body.decode("utf-8", "replace"),
                        }
                        for r in self.requests
                    ],
                }
            if action == "user":
                return {"token": self.add_user(body["name"], body.get("token"))}
            if action == "fault":
                self.inject(Fault(**body))
                return {}
            if action == "lookup":
                self.add_lookup(body["artist"], body["title"], body["answer"])
                return {}
            if action == "lag":
                self.lag_s = float(body["seconds"])
                return {}
            if action == "clear_faults":
                self.faults.clear()
                return {}
            if action == "chaos":
                rate = float(body.get("rate", 0))
                rng = random.Random(body.get("seed", 0))
                self.fault_source = RandomFaults(rng, rate) if rate else None
                return {}
        raise KeyError(action)


class _Limited(Answer):
    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__(
            429,
            {
                "code": 429,
                "error": "You have exceeded your rate limit. "
                "See the X-RateLimit-* headers.",
            },
        )
        self.headers = headers


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "FakeListenBrainz/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        fake: FakeListenBrainz = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        path = urllib.parse.urlsplit(self.path).path
        if method == "POST" and path.startswith(ADMIN_PATH):
            self._admin(fake, path[len(ADMIN_PATH) :], body)
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            answer, limit_headers = fake.handle(method, self.path, headers, body)
        except Drop:
            drop(self)
            return
        if isinstance(answer, _Limited):
            limit_headers = answer.headers
        self._send(answer.status, answer.content_type, answer.raw(), limit_headers)

    def _admin(self, fake: FakeListenBrainz, action: str, raw: bytes) -> None:
        try:
            answer = fake.admin(action, json.loads(raw or b"{}"))
        except (KeyError, TypeError, ValueError) as failure:
            self._send(
                400,
                "application/json",
                json.dumps({"error": str(failure)}).encode(),
                {},
            )
            return
        self._send(200, "application/json", json.dumps(answer).encode(), {})

    def _send(
        self, status: int, content_type: str, body: bytes, extra: dict[str, str]
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
