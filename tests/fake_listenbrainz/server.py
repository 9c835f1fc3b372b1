"""A fake ListenBrainz server over HTTPS on 127.0.0.1 (or a fake Maloja).

It checks tokens, sizes, JSON and every listen as the real one does
(rules.py), keeps listens with the real duplicate key and shows them only
after `lag_s` of its own clock, answers GET listens with its real bounds,
limits the rate in fixed windows with X-RateLimit-* headers on every answer,
records every request, and injects faults on demand. With maloja=True it
answers as Maloja's ListenBrainz API does (see maloja.py).
"""

from __future__ import annotations

import collections
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

from ..fake_https import HttpsServer, drop
from ..secret_scan import note_secret
from . import maloja, rules
from .rules import BadRequest
from .wire import Answer, Drop, error

ADMIN_PATH = "/_admin/"
MALOJA_PREFIX = "/apis/listenbrainz"
RATE_LIMIT = 30  # requests per window, brainzutils' default
RATE_WINDOW_S = 10
PLAYING_NOW_DEFAULT_S = 600
CALLS = (
    "validate-token",
    "submit-listens",
    "listens",
    "playing-now",
    "delete-playing-now",
    "feedback",
    "lookup",
)

# The kinds of injected failure. Before the request is applied: http (a status
# with a proxy's HTML page), hang (then drop), reset (drop), portal (a captive
# portal's HTML page with 200), not_json (200, bytes that are no JSON), odd
# (200, a JSON object of no expected shape). After it is applied: lost (the
# connection drops), malformed (200, a cut-off answer), applied_http (a 5xx).
BEFORE_KINDS = {"http", "hang", "reset", "portal", "not_json", "odd"}
AFTER_KINDS = {"lost", "malformed", "applied_http"}
APPLIED_THEN_LOST = frozenset(AFTER_KINDS)
FAULT_WEIGHTS = {
    "http": 6,
    "hang": 2,
    "reset": 3,
    "portal": 1,
    "not_json": 1,
    "odd": 2,
    "lost": 4,
    "malformed": 2,
    "applied_http": 3,
}
PORTAL_PAGE = (
    b"<!DOCTYPE html><html><head><title>Welcome to Cafe WiFi</title></head>"
    b"<body><form action='/login'>Accept the terms to continue</form></body></html>"
)


@dataclasses.dataclass
class Fault:
    """One injected failure; see BEFORE_KINDS and AFTER_KINDS."""

    kind: str
    call: str | None = None  # None: any call (see CALLS)
    count: int = 1
    status: int = 503
    seconds: float | None = 0.0  # hang: how long; None: until stop()


class RandomFaults:
    """A fault for a share of the requests, of every kind by weight; counted."""

    def __init__(self, rng: random.Random, rate: float) -> None:
        self._rng, self._rate = rng, rate
        self.counts: collections.Counter[str] = collections.Counter()

    def __call__(self, call: str) -> Fault | None:
        if self._rng.random() >= self._rate:
            return None
        kinds = list(FAULT_WEIGHTS)
        kind = self._rng.choices(kinds, [FAULT_WEIGHTS[k] for k in kinds])[0]
        self.counts[kind] += 1
        status = self._rng.choice([500, 502, 503, 504])
        return Fault(kind, status=status, seconds=0.002)


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

    def json(self) -> Any:
        return json.loads(self.body)


class FakeListenBrainz:
    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        rate_limit: int | None = RATE_LIMIT,
        rate_window_s: int = RATE_WINDOW_S,
        lag_s: float = 0.0,
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
        record = Request(call, method, path, headers, body, now)
        with self._lock:
            self.requests.append(record)
        limit_headers: dict[str, str] = {}
        try:
            if call == "":
                raise args  # an Answer: 404 or 405
            limit_headers = self._count(now)
            fault = self._take_fault(call)
            if fault is not None and fault.kind in BEFORE_KINDS:
                record.outcome = f"fault {fault.kind}"
                self._fault_before(fault)
            answer = self._dispatch(call, args, params, headers, body, now)
            if fault is not None:
                record.outcome = f"applied, fault {fault.kind}"
                self._fault_after(fault)
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
        if fault.kind == "http":
            raise Answer(
                fault.status, b"<html><body>Bad gateway</body></html>", "text/html"
            )
        if fault.kind == "hang":
            self._release_hangs.wait(fault.seconds)
            raise Drop
        if fault.kind == "reset":
            raise Drop
        if fault.kind == "portal":
            raise Answer(200, PORTAL_PAGE, "text/html")
        if fault.kind == "not_json":
            raise Answer(200, b"\xff\xfe{not json", "application/json")
        if fault.kind == "odd":
            raise Answer(200, {"unexpected": ["shape"]})
        raise ValueError(fault.kind)

    def _fault_after(self, fault: Fault) -> None:
        if fault.kind == "lost":
            raise Drop
        if fault.kind == "malformed":
            raise Answer(200, b'{"status": "o', "application/json")
        if fault.kind == "applied_http":
            raise Answer(
                fault.status, b"<html><body>Bad gateway</body></html>", "text/html"
            )
        raise ValueError(fault.kind)

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
        if call == "validate-token":
            return self._validate_token(params, headers)
        if call in ("listens", "playing-now"):
            if args not in self.tokens.values():
                raise error(404, f"Cannot find user: {args}")
            if call == "listens":
                return self._get_listens(args, params, now)
            return self._get_playing_now(args, now)
        user = self._user(headers)
        if call == "submit-listens":
            return self._submit(user, body, now)
        if call == "delete-playing-now":
            with self._lock:
                self.playing_now.pop(user, None)
            return Answer(200, {"status": "ok"})
        if call == "feedback":
            return self._feedback(user, headers, body)
        return self._lookup(params)

    def _user(self, headers: dict[str, str]) -> str:
        words = headers.get("authorization", "").split()
        if len(words) < 2:
            raise error(401, "You need to provide an Authorization header.")
        user = self.tokens.get(words[1])
        if user is None:
            raise error(401, "Invalid authorization token.")
        return user

    def _validate_token(
        self, params: dict[str, str], headers: dict[str, str]
    ) -> Answer:
        words = headers.get("authorization", "").split()
        token = params.get("token") or (
            words[1] if len(words) == 2 and words[0].lower() == "token" else None
        )
        if not token:
            raise error(400, "You need to provide an Authorization token.")
        user = self.tokens.get(token)
        if user is None:
            return Answer(
                200, {"code": 200, "message": "Token invalid.", "valid": False}
            )
        return Answer(
            200,
            {"code": 200, "message": "Token valid.", "valid": True, "user_name": user},
        )

    def _submit(self, user: str, body: bytes, now: float) -> Answer:
        try:
            listen_type, listens = rules.submission(body, now)
        except BadRequest as bad:
            raise Answer(400, bad.body()) from None
        with self._lock:
            if listen_type == "playing_now":
                metadata = listens[0]["track_metadata"]
                info = metadata.get("additional_info") or {}
                seconds = info.get("duration") or (
                    int(info["duration_ms"]) / 1000 if "duration_ms" in info else None
                )
                self.playing_now[user] = (
                    metadata,
                    now + (seconds or PLAYING_NOW_DEFAULT_S),
                )
                return Answer(200, {"status": "ok"})
            for item in listens:
                self._store(user, item, now)
        return Answer(200, {"status": "ok"})

    def _store(self, user: str, item: dict[str, Any], now: float) -> None:
        metadata = item["track_metadata"]
        msid = rules.msid(metadata)
        key = (item["listened_at"], user, msid)
        if any(
            (x["listened_at"], x["user_name"], x["recording_msid"]) == key
            for x in self.listens
        ):
            return  # ON CONFLICT DO NOTHING: silent, after the 200
        metadata.setdefault("additional_info", {})["recording_msid"] = msid
        stored = {
            "listened_at": item["listened_at"],
            "inserted_at": now,
            "recording_msid": msid,
            "user_name": user,
            "track_metadata": metadata,
        }
        match = self.lookups.get(
            (metadata["artist_name"].lower(), metadata["track_name"].lower())
        )
        if match and match.get("recording_mbid"):
            stored["track_metadata"]["mbid_mapping"] = {
                "recording_mbid": match["recording_mbid"]
            }
        self.listens.append(stored)

    def _get_listens(self, user: str, params: dict[str, str], now: float) -> Answer:
        try:
            low, high, count = rules.listen_bounds(params)
        except BadRequest as bad:
            raise Answer(400, bad.body()) from None
        with self._lock:
            visible = [
                x
                for x in self.listens
                if x["user_name"] == user and x["inserted_at"] + self.lag_s <= now
            ]
        chosen = [
            x
            for x in visible
            if (low is None or x["listened_at"] > low)
            and (high is None or x["listened_at"] < high)
        ]
        chosen.sort(key=lambda x: x["listened_at"], reverse=True)
        if low is not None and high is None:
            chosen = chosen[-count:] if count else []  # just after min_ts
        else:
            chosen = chosen[:count]
        times = [x["listened_at"] for x in visible]
        return Answer(
            200,
            {
                "payload": {
                    "count": len(chosen),
                    "listens": chosen,
                    "user_id": user,
                    "latest_listen_ts": max(times, default=0),
                    "oldest_listen_ts": min(times, default=0),
                }
            },
        )

    def _get_playing_now(self, user: str, now: float) -> Answer:
        with self._lock:
            playing = self.playing_now.get(user)
        listens = []
        if playing is not None and playing[1] > now:
            listens = [{"track_metadata": playing[0], "playing_now": True}]
        return Answer(
            200,
            {
                "payload": {
                    "count": len(listens),
                    "user_id": user,
                    "playing_now": True,
                    "listens": listens,
                }
            },
        )

    def _feedback(self, user: str, headers: dict[str, str], body: bytes) -> Answer:
        if not headers.get("content-type", "").startswith("application/json"):
            raise error(
                415,
                "Did not attempt to load JSON data because the request "
                "Content-Type was not 'application/json'.",
            )
        try:
            recording, score = rules.feedback(rules.parse_json(body))
        except BadRequest as bad:
            raise Answer(400, {"code": 400, "error": bad.message}) from None
        with self._lock:
            if score == 0:
                self.feedback.pop((user, recording), None)
            else:
                self.feedback[(user, recording)] = score
        return Answer(200, {"status": "ok"})

    def _lookup(self, params: dict[str, str]) -> Answer:
        artist, title = params.get("artist_name"), params.get("recording_name")
        if not artist or not title:
            raise error(400, "artist_name and recording_name are required.")
        names = artist + title + params.get("release_name", "")
        if len(names) > rules.MAX_LOOKUP_CHARS:
            raise error(400, "The search terms are too long.")
        with self._lock:
            return Answer(200, self.lookups.get((artist.lower(), title.lower()), {}))

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
