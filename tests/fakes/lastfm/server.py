"""A fake Last.fm Web Services 2.0 server over HTTPS on 127.0.0.1.

It checks API keys, signatures, session keys and required parameters like the
real one, answers in the shape of the recorded real answers, enforces 5
requests per second with error 29, applies the real scrobble rules, records
everything (duplicates included), and injects faults on demand. Like the real
one, it can list a scrobble in user.getRecentTracks only a while after taking
it (`listing_lag_s`, or a lag drawn for each by `listing_lag_of`).
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
import datetime
import email.utils
import hashlib
import html
import http.server
import itertools
import json
import random
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import trustme

from ...support.secret_scan import note_secret
from ..https import HttpsServer, drop

API_PATH = "/2.0/"
ADMIN_PATH = "/_admin/"
DAY_S = 86_400
MAX_SCROBBLE_AGE_S = 14 * DAY_S
MAX_SCROBBLE_FUTURE_S = DAY_S
TOKEN_LIFETIME_S = 3600
RATE_LIMIT_REQUESTS = 5
RATE_LIMIT_WINDOW_S = 1.0
DAILY_SCROBBLE_LIMIT = 2800
MAX_BATCH = 50
UNSIGNED_PARAMS = {"format", "callback", "api_sig"}

ERRORS = {
    2: "Invalid service - This service does not exist",
    3: "Invalid Method - No method with that name in this package",
    4: "Authentication Failed - You do not have permissions to access the service",
    6: "Invalid parameters - Your request is missing a required parameter",
    8: "Operation failed - Something else went wrong",
    9: "Invalid session key - Please re-authenticate",
    10: "Invalid API key - You must be granted a valid key by last.fm",
    11: "Service Offline - This service is temporarily offline. Try again later.",
    13: "Invalid method signature supplied",
    14: "Unauthorized Token - This token has not been authorized",
    15: "This token has expired",
    16: "There was a temporary error processing your request. Please try again",
    26: "Suspended API key - Access for your account has been suspended",
    29: "Rate limit exceeded - Your IP has made too many requests in a short period",
}
SIGNED_METHODS = {
    "auth.getToken", "auth.getSession", "auth.getMobileSession",
    "track.updateNowPlaying", "track.scrobble", "track.love", "track.unlove",
}  # fmt: skip
SESSION_METHODS = {
    "track.updateNowPlaying",
    "track.scrobble",
    "track.love",
    "track.unlove",
}


def signature(params: dict[str, str], secret: str) -> str:
    """api_sig as Last.fm defines it: sorted name+value pairs, then the secret, MD5."""
    text = "".join(
        f"{name}{params[name]}"
        for name in sorted(params)
        if name not in UNSIGNED_PARAMS
    )
    return hashlib.md5((text + secret).encode("utf-8")).hexdigest()  # noqa: S324


# The kinds of injected failure. Before the request is applied:
#   http (status, HTML body), lfm (a Last.fm error code), hang (then drop),
#   reset (drop), failed_no_error (<lfm status="failed"/>), error_no_text
#   (<error code="8"/>), not_utf8 (a body that is not UTF-8), portal (a
#   captive portal's HTML page, status 200), redirect (302 to a login page),
#   odd (an "ok" answer whose contents cannot be read).
# After the request is applied:
#   lost (the connection drops), malformed (a cut-off answer), applied_error
#   (a Last.fm error code, e.g. 8, 11 or 16, although it was applied).
BEFORE_KINDS = {
    "http", "lfm", "hang", "reset", "failed_no_error", "error_no_text",
    "not_utf8", "portal", "redirect", "odd",
}  # fmt: skip
AFTER_KINDS = {"lost", "malformed", "applied_error"}
MAX_BODY_BYTES = 1_000_000


@dataclasses.dataclass
class Fault:
    """One injected failure; see BEFORE_KINDS and AFTER_KINDS."""

    kind: str
    method: str | None = None  # None: any method
    count: int = 1
    status: int = 503
    code: int = 11
    seconds: float = 0.0


FAULT_WEIGHTS = {
    "http": 6, "lfm": 5, "rate": 1, "session": 1, "hang": 2, "reset": 3,
    "lost": 4, "malformed": 2, "applied_error": 3, "failed_no_error": 1,
    "error_no_text": 1, "not_utf8": 1, "portal": 1, "redirect": 1, "odd": 2,
}  # fmt: skip


class RandomFaults:
    """A fault for a share of the requests, of every kind by weight; counted.

    Use as a FakeLastfm's fault_source. `without`: kinds to leave out.
    """

    def __init__(self, rng, rate: float, without: frozenset[str] = frozenset()) -> None:
        self._rng = rng
        self._rate = rate
        self._kinds = [k for k in FAULT_WEIGHTS if k not in without]
        self.counts: collections.Counter[str] = collections.Counter()

    def __call__(self, method: str) -> Fault | None:
        rng = self._rng
        if rng.random() >= self._rate:
            return None
        kind = rng.choices(self._kinds, [FAULT_WEIGHTS[k] for k in self._kinds])[0]
        self.counts[kind] += 1
        if kind == "http":
            return Fault("http", status=rng.choice([500, 502, 503, 504, 520]))
        if kind == "lfm":
            return Fault("lfm", code=rng.choice([8, 11, 16]))
        if kind == "rate":
            return Fault("lfm", code=29)
        if kind == "session":
            return Fault("lfm", code=9)
        if kind == "applied_error":
            return Fault("applied_error", code=rng.choice([8, 11, 16]))
        if kind == "hang":
            return Fault("hang", seconds=0.002)
        return Fault(kind)


# Faults after which the request may have been applied.
APPLIED_THEN_LOST = frozenset({"lost", "malformed", "applied_error"})


@dataclasses.dataclass
class Request:
    method: str
    params: dict[str, str]
    arrived_at: float
    outcome: str = ""
    user_agent: str = ""


class LfmError(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(ERRORS.get(code, "Error"))
        self.code = code


class _Drop(Exception):
    """Close the connection without an answer."""


class FakeLastfm:
    def __init__(
        self,
        api_key: str = "0123456789abcdef0123456789abcdef",
        api_secret: str = "fedcba9876543210fedcba9876543210",
        clock: Callable[[], float] = time.time,
        rate_limit: int | None = RATE_LIMIT_REQUESTS,
        daily_limit: int = DAILY_SCROBBLE_LIMIT,
        ca: trustme.CA | None = None,
    ) -> None:
        self.api_key, self.api_secret = api_key, api_secret
        note_secret(api_secret)
        self.suspended_keys: set[str] = set()
        self.clock = clock
        self.rate_limit = rate_limit
        self.daily_limit = daily_limit
        self.latency_s = 0.0
        # The clock of the 5-per-second rule: real time, or a test's.
        self.rate_clock: Callable[[], float] = time.monotonic
        self.passwords: dict[str, str] = {}
        self.sessions: dict[str, str] = {}  # key -> user
        self.tokens: dict[str, dict[str, Any]] = {}
        self.scrobbles: list[dict[str, Any]] = []  # applied, duplicates included
        self.now_playing: list[dict[str, str]] = []
        self.loved: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        self.top_tracks: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        self.requests: list[Request] = []
        self.invalid_artists: set[str] = set()  # items that make a batch fail with 6
        self.faults: list[Fault] = []
        # Called for every request (after the faults above): a Fault or None.
        self.fault_source: Callable[[str], Fault | None] | None = None
        self.max_body_bytes = MAX_BODY_BYTES  # larger requests: HTTP 413
        self.methods_missing: set[str] = set()  # answered with error 3
        # How long after it is taken a scrobble shows in the listing (by
        # `clock`): the same for all, plus one drawn for each when set.
        self.listing_lag_s = 0.0
        self.listing_lag_of: Callable[[], float] | None = None
        self._arrivals: collections.deque[float] = collections.deque()
        self._by_time: tuple[int, dict[str, tuple[list, list]]] | None = None
        self._lock = threading.RLock()
        self._recorded = threading.Condition(self._lock)
        self._release_hangs = threading.Event()
        self.ca = ca or trustme.CA()
        self._https = HttpsServer(_Handler, self, self.ca)

    # Set-up and inspection, for tests.

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}{API_PATH}"

    @property
    def port(self) -> int:
        return self._https.port

    def ca_file(self, path) -> str:
        return self._https.ca_file(path)

    def add_user(self, name: str, password: str = "pw") -> str:
        """A user with a session; returns the session key."""
        with self._lock:
            self.passwords[name] = password
            note_secret(password)
            key = secrets.token_hex(16)
            note_secret(key)
            self.sessions[key] = name
            return key

    def add_session(self, name: str, key: str) -> None:
        """A session with a known key: a server restarted with its users."""
        with self._lock:
            note_secret(key)
            self.passwords.setdefault(name, "pw")
            self.sessions[key] = name

    def add_loved(self, user: str, tracks) -> None:
        """Loved tracks of `user`: (artist, track, loved_at) triples."""
        with self._lock:
            self.loved[user].extend(
                {"artist": artist, "track": track, "uts": int(uts)}
                for artist, track, uts in tracks
            )

    def add_past_scrobbles(self, user: str, plays, undated: bool = False) -> None:
        """Scrobbles `user` made before: (artist, track, album, uts) tuples.
        `undated`: answered without their <date> (a malformed answer)."""
        with self._lock:
            self.scrobbles.extend(
                {"user": user, "artist": artist, "track": track, "album": album,
                 "timestamp": str(int(uts)), "received_at": float(uts),
                 **({"undated": True} if undated else {})}
                for artist, track, album, uts in plays
            )  # fmt: skip

    def play_now(self, user: str, artist: str, track: str) -> None:
        """What `user` plays now: the now-playing item of user.getRecentTracks."""
        with self._lock:
            self.now_playing.append({"user": user, "artist": artist, "track": track})

    def revoke(self, session_key: str) -> None:
        with self._lock:
            self.sessions.pop(session_key, None)

    def authorize(self, token: str, user: str) -> None:
        """What the user does on the authorization page."""
        with self._lock:
            self.tokens[token]["user"] = user

    def release_hangs(self) -> None:
        """End every hanging answer now (they drop their connection)."""
        self._release_hangs.set()

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def wait_for_request(self, method: str, timeout_s: float = 60) -> Request:
        """Block until a request of `method` has arrived (or fail after timeout_s)."""
        with self._recorded:
            arrived = self._recorded.wait_for(
                lambda: any(r.method == method for r in self.requests), timeout_s
            )
            if not arrived:
                raise TimeoutError(f"no {method} request within {timeout_s} s")
            return next(r for r in self.requests if r.method == method)

    def requests_for(self, method: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.method == method]

    def scrobbles_of(self, user: str) -> list[dict[str, Any]]:
        with self._lock:
            return [s for s in self.scrobbles if s["user"] == user]

    def start(self, port: int = 0) -> FakeLastfm:
        self._https.start(port)
        return self

    def stop(self) -> None:
        self._release_hangs.set()
        self._https.stop()

    # Handling one request.

    def handle(self, params: dict[str, str], user_agent: str = "") -> str | bytes:
        """The XML answer, or raises _Drop / returns via fault handling."""
        method = params.get("method", "")
        with self._lock:
            record = Request(method, dict(params), self.rate_clock(), "", user_agent)
            self.requests.append(record)
            self._recorded.notify_all()
        if self.latency_s:
            time.sleep(self.latency_s)
        try:
            if self._over_rate_limit(record.arrived_at):
                raise LfmError(29)
            fault = self._take_fault(method)
            if fault is not None and fault.kind in BEFORE_KINDS:
                record.outcome = f"fault {fault.kind}"
                return self._apply_fault_before(fault)
            if method in self.methods_missing:
                raise LfmError(3)
            body = self._dispatch(method, params)
            if fault is not None and fault.kind == "lost":
                record.outcome = "applied, answer lost"
                if fault.seconds:  # applied, then the answer hangs before it is lost
                    self._release_hangs.wait(fault.seconds)
                raise _Drop
            if fault is not None and fault.kind == "malformed":
                record.outcome = "applied, malformed answer"
                return '<lfm status="ok"><scrobbles accepted="1"'
            if fault is not None and fault.kind == "applied_error":
                record.outcome = f"applied, error {fault.code}"
                return _failed(fault.code)
            record.outcome = "ok"
            return _ok(body)
        except LfmError as error:
            record.outcome = f"error {error.code}"
            return _failed(error.code)

    def _over_rate_limit(self, now: float) -> bool:
        if self.rate_limit is None:
            return False
        with self._lock:
            self._arrivals.append(now)
            while self._arrivals and self._arrivals[0] <= now - RATE_LIMIT_WINDOW_S:
                self._arrivals.popleft()
            return len(self._arrivals) > self.rate_limit

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.method in (None, method) and fault.count > 0:
                    fault.count -= 1
                    if fault.count == 0:
                        self.faults.remove(fault)
                    return fault
            if self.fault_source is not None:
                return self.fault_source(method)
        return None

    def _apply_fault_before(self, fault: Fault) -> str | bytes:
        if fault.kind == "http":
            raise _HttpStatus(fault.status)
        if fault.kind == "lfm":
            raise LfmError(fault.code)
        if fault.kind == "hang":
            self._release_hangs.wait(fault.seconds or None)
            raise _Drop
        if fault.kind == "failed_no_error":
            return '<?xml version="1.0" encoding="UTF-8"?>\n<lfm status="failed"/>\n'
        if fault.kind == "error_no_text":
            return '<lfm status="failed"><error code="8"/></lfm>'
        if fault.kind == "not_utf8":
            return b'<?xml version="1.0" encoding="UTF-8"?><lfm status="ok">\xff\xfe'
        if fault.kind == "portal":
            raise _HttpStatus(200, _PORTAL_PAGE)
        if fault.kind == "redirect":
            raise _HttpStatus(302, _PORTAL_PAGE)
        if fault.kind == "odd":
            return _ok(
                '<recenttracks page="1" totalPages="\u00b2"><track><name>x</name>'
                '<date uts="\u00b2"/></track></recenttracks>'
                '<scrobbles accepted="1"><scrobble><ignoredMessage code="x"/>'
                '</scrobble></scrobbles><lovedtracks totalPages="-1"/>'
                "<toptracks/><session/><token/>"
            )
        raise _Drop  # reset

    def _dispatch(self, method: str, params: dict[str, str]) -> str:
        if params.get("api_key") != self.api_key:
            raise LfmError(10)
        if params["api_key"] in self.suspended_keys:
            raise LfmError(26)
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            raise LfmError(3)
        signed = method in SIGNED_METHODS or "sk" in params
        if signed and params.get("api_sig") != signature(params, self.api_secret):
            raise LfmError(13)
        user = None
        if method in SESSION_METHODS:
            with self._lock:
                user = self.sessions.get(params.get("sk", ""))
            if user is None:
                raise LfmError(9)
        with self._lock:
            return handler(params, user)

    # The methods.

    def _m_auth_getToken(self, params, user) -> str:
        token = secrets.token_hex(16)
        self.tokens[token] = {"created": self.clock(), "user": None}
        return f"<token>{token}</token>"

    def _m_auth_getSession(self, params, user) -> str:
        token = self.tokens.get(_required(params, "token"))
        if token is None or self.clock() - token["created"] > TOKEN_LIFETIME_S:
            raise LfmError(15)
        if token["user"] is None:
            raise LfmError(14)
        key = secrets.token_hex(16)
        note_secret(key)
        self.sessions[key] = token["user"]
        del self.tokens[params["token"]]
        return _session_xml(token["user"], key)

    def _m_auth_getMobileSession(self, params, user) -> str:
        name = _required(params, "username")
        if self.passwords.get(name) != _required(params, "password"):
            raise LfmError(4)
        key = secrets.token_hex(16)
        note_secret(key)
        self.sessions[key] = name
        return _session_xml(name, key)

    def _m_track_updateNowPlaying(self, params, user) -> str:
        artist, track = _required(params, "artist"), _required(params, "track")
        self.now_playing.append({"user": user, "artist": artist, "track": track})
        return (
            f'<nowplaying><track corrected="0">{_x(track)}</track>'
            f'<artist corrected="0">{_x(artist)}</artist><album corrected="0"/>'
            '<albumArtist corrected="0"/><ignoredMessage code="0"/></nowplaying>'
        )

    def _m_track_scrobble(self, params, user) -> str:
        items = _indexed_items(params)
        if not items or len(items) > MAX_BATCH:
            raise LfmError(6)
        for item in items:
            if not item.get("artist") or not item.get("track"):
                raise LfmError(6)
            if item["artist"] in self.invalid_artists:
                raise LfmError(6)
            if not item.get("timestamp", "").isdigit():
                raise LfmError(6)
        now = self.clock()
        parts, accepted = [], 0
        for item in items:
            code = self._judge(item, user, now)
            if code == 0:
                accepted += 1
                lag = self.listing_lag_s + (
                    self.listing_lag_of() if self.listing_lag_of else 0.0
                )
                self.scrobbles.append(
                    {"user": user, **item, "received_at": now, "listed_at": now + lag}
                )
            parts.append(_scrobble_xml(item, code))
        ignored = len(items) - accepted
        return (
            f'<scrobbles accepted="{accepted}" ignored="{ignored}">'
            + "".join(parts)
            + "</scrobbles>"
        )

    def _judge(self, item: dict[str, str], user: str, now: float) -> int:
        timestamp = int(item["timestamp"])
        if timestamp < now - MAX_SCROBBLE_AGE_S:
            return 3
        if timestamp > now + MAX_SCROBBLE_FUTURE_S:
            return 4
        day = int(now // DAY_S)
        today = sum(
            1 for s in self.scrobbles
            if s["user"] == user and int(s["received_at"] // DAY_S) == day
        )  # fmt: skip
        return 5 if today >= self.daily_limit else 0

    def _m_track_love(self, params, user) -> str:
        artist, track = _required(params, "artist"), _required(params, "track")
        self.loved[user].append(
            {"artist": artist, "track": track, "uts": int(self.clock())}
        )
        return ""

    def _m_track_unlove(self, params, user) -> str:
        artist, track = _required(params, "artist"), _required(params, "track")
        self.loved[user] = [
            t for t in self.loved[user] if (t["artist"], t["track"]) != (artist, track)
        ]
        return ""

    def _m_user_getRecentTracks(self, params, user) -> str:
        name = _required(params, "user")
        try:
            start = int(params.get("from", 0))
            end = int(params.get("to", 2**62))
        except ValueError:
            raise LfmError(6) from None
        rows = self._scrobbles_between(name, start, end)
        if self.listing_lag_s or self.listing_lag_of:
            now = self.clock()
            rows = [s for s in rows if s.get("listed_at", 0) <= now]
        page, limit, pages, chunk = _page(params, rows, default_limit=50, max_limit=200)
        playing = [n for n in self.now_playing if n["user"] == name][-1:]
        now_playing = "".join(
            f'<track nowplaying="true"><artist mbid="">{_x(n["artist"])}</artist>'
            f"<name>{_x(n['track'])}</name><mbid></mbid><url></url></track>"
            for n in (playing if page == 1 else ())
        )
        tracks = now_playing + "".join(
            f'<track><artist mbid="">{_x(s["artist"])}</artist>'
            f"<name>{_x(s['track'])}</name><streamable>0</streamable><mbid></mbid>"
            f'<album mbid="">{_x(s.get("album", ""))}</album><url></url>'
            + ("" if s.get("undated") else _date_xml(int(s["timestamp"])))
            + "</track>"
            for s in chunk
        )
        return (
            f'<recenttracks user="{_x(name)}" page="{page}" perPage="{limit}" '
            f'totalPages="{pages}" total="{len(rows)}">{tracks}</recenttracks>'
        )

    def _scrobbles_between(self, name: str, start: int, end: int) -> list:
        """`name`'s scrobbles from `start` to `end`, newest first (sorted once
        per change of the scrobbles: a history of 100,000 is asked 500 times)."""
        if self._by_time is None or self._by_time[0] != len(self.scrobbles):
            users: dict[str, tuple[list, list]] = {}
            for s in sorted(self.scrobbles, key=lambda s: -int(s["timestamp"])):
                rows, keys = users.setdefault(s["user"], ([], []))
                rows.append(s)
                keys.append(-int(s["timestamp"]))
            self._by_time = (len(self.scrobbles), users)
        rows, keys = self._by_time[1].get(name, ([], []))
        return rows[bisect.bisect_left(keys, -end) : bisect.bisect_right(keys, -start)]

    def _m_user_getLovedTracks(self, params, user) -> str:
        name = _required(params, "user")
        rows = sorted(self.loved[name], key=lambda t: t["uts"], reverse=True)
        page, limit, pages, chunk = _page(
            params, rows, default_limit=50, max_limit=1000
        )
        tracks = "".join(
            f"<track><name>{_x(t['track'])}</name><mbid></mbid><url></url>"
            f'<date uts="{t["uts"]}">{_date_text(t["uts"])}</date>'
            f"<artist><name>{_x(t['artist'])}</name><mbid></mbid><url></url></artist>"
            '<streamable fulltrack="0">0</streamable></track>'
            for t in chunk
        )
        return (
            f'<lovedtracks user="{_x(name)}" page="{page}" perPage="{limit}" '
            f'totalPages="{pages}" total="{len(rows)}">{tracks}</lovedtracks>'
        )

    def _m_user_getTopTracks(self, params, user) -> str:
        name = _required(params, "user")
        rows = sorted(self.top_tracks[name], key=lambda t: -t["playcount"])
        page, limit, pages, chunk = _page(
            params, rows, default_limit=50, max_limit=1000
        )
        start_rank = (page - 1) * limit + 1
        tracks = "".join(
            f'<track rank="{rank}"><name>{_x(t["track"])}</name><duration>0</duration>'
            f"<playcount>{t['playcount']}</playcount><mbid></mbid><url></url>"
            f"<artist><name>{_x(t['artist'])}</name><mbid></mbid><url></url></artist>"
            "</track>"
            for rank, t in zip(itertools.count(start_rank), chunk, strict=False)
        )
        return (
            f'<toptracks user="{_x(name)}" page="{page}" perPage="{limit}" '
            f'totalPages="{pages}" total="{len(rows)}">{tracks}</toptracks>'
        )

    def _m_user_getInfo(self, params, user) -> str:
        name = params.get("user") or ""
        if name not in self.passwords:
            raise LfmError(6)
        count = sum(1 for s in self.scrobbles if s["user"] == name)
        return f"<user><name>{_x(name)}</name><playcount>{count}</playcount></user>"

    # Admin API for a fake running in another process (JSON over the same port).

    def admin(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        if action == "wait":
            request = self.wait_for_request(body["method"], body.get("timeout", 60))
            return dataclasses.asdict(request)
        with self._lock:
            if action == "state":
                return {
                    "scrobbles": self.scrobbles,
                    "now_playing": self.now_playing,
                    "loved": self.loved,
                    "requests": [dataclasses.asdict(r) for r in self.requests],
                }
            if action == "user":
                return {
                    "session_key": self.add_user(
                        body["name"], body.get("password", "pw")
                    )
                }
            if action == "fault":
                self.inject(Fault(**body))
                return {}
            if action == "authorize":
                self.authorize(body["token"], body["user"])
                return {}
            if action == "expire_tokens":
                for token in self.tokens.values():
                    token["created"] = float("-inf")
                return {}
            if action == "latency":
                self.latency_s = float(body["seconds"])
                return {}
            if action == "top":
                self.top_tracks[body["user"]] = [
                    {"artist": artist, "track": track, "playcount": int(count)}
                    for artist, track, count in body["tracks"]
                ]
                return {}
            if action == "loved":
                self.add_loved(body["user"], body["tracks"])
                return {}
            if action == "past":
                self.add_past_scrobbles(body["user"], body["plays"])
                return {}
            if action == "revoke":
                self.revoke(body["session_key"])
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


_PORTAL_PAGE = (
    b"<!DOCTYPE html><html><head><title>Welcome to Cafe WiFi</title></head>"
    b"<body><form action='/login'>Accept the terms to continue</form></body></html>"
)


class _HttpStatus(Exception):
    def __init__(
        self, status: int, body: bytes = b"<html><body>Bad gateway</body></html>"
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body in one go: no 40 ms waits
    server_version = "FakeLastfm/1.0"

    def log_message(self, format, *args) -> None:
        pass

    def date_time_string(self, timestamp=None) -> str:
        """The Date header tells the fake's own (possibly simulated) time."""
        return email.utils.formatdate(self.server.fake.clock(), usegmt=True)

    def do_GET(self) -> None:
        query = urllib.parse.urlsplit(self.path).query
        self._serve(dict(urllib.parse.parse_qsl(query, keep_blank_values=True)))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        path = urllib.parse.urlsplit(self.path).path
        fake: FakeLastfm = self.server.fake
        if not path.startswith(ADMIN_PATH) and length > fake.max_body_bytes:
            with fake._lock:
                fake.requests.append(Request("", {}, time.monotonic(), "HTTP 413", ""))
            self._send(413, "text/html", b"<html><body>Too large</body></html>")
            return
        if path.startswith(ADMIN_PATH):
            self._admin(path[len(ADMIN_PATH) :], raw)
            return
        params = dict(
            urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
        )
        query = urllib.parse.urlsplit(self.path).query
        params.update(urllib.parse.parse_qsl(query, keep_blank_values=True))
        self._serve(params)

    def _serve(self, params: dict[str, str]) -> None:
        fake: FakeLastfm = self.server.fake
        try:
            body = fake.handle(params, self.headers.get("User-Agent", ""))
        except _Drop:
            drop(self)
            return
        except _HttpStatus as error:
            self._send(error.status, "text/html", error.body)
            return
        raw = body if isinstance(body, bytes) else body.encode("utf-8")
        self._send(200, "text/xml; charset=UTF-8", raw)

    def _admin(self, action: str, raw: bytes) -> None:
        try:
            answer = self.server.fake.admin(action, json.loads(raw or b"{}"))
        except (KeyError, TypeError, ValueError, TimeoutError) as error:
            self._send(
                400, "application/json", json.dumps({"error": str(error)}).encode()
            )
            return
        self._send(200, "application/json", json.dumps(answer).encode())

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _ok(body: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<lfm status="ok">\n{body}</lfm>\n'


def _failed(code: int) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<lfm status="failed">\n'
        f'  <error code="{code}">{_x(ERRORS.get(code, "Error"))}</error>\n</lfm>\n'
    )


def _x(text: str) -> str:
    return html.escape(str(text), quote=True)


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise LfmError(6)
    return value


def _indexed_items(params: dict[str, str]) -> list[dict[str, str]]:
    items: dict[int, dict[str, str]] = collections.defaultdict(dict)
    for key, value in params.items():
        if key.endswith("]") and "[" in key:
            name, index = key[:-1].split("[", 1)
            if index.isdigit():
                items[int(index)][name] = value
    return [items[i] for i in sorted(items)]


def _scrobble_xml(item: dict[str, str], code: int) -> str:
    message = {
        1: "Artist was ignored", 2: "Track was ignored", 3: "Timestamp was too old",
        4: "Timestamp was too new", 5: "Daily scrobble limit exceeded",
    }.get(code, "")  # fmt: skip
    return (
        f'<scrobble><track corrected="0">{_x(item["track"])}</track>'
        f'<artist corrected="0">{_x(item["artist"])}</artist>'
        f'<album corrected="0">{_x(item.get("album", ""))}</album>'
        f'<albumArtist corrected="0">{_x(item.get("albumArtist", ""))}</albumArtist>'
        f"<timestamp>{item['timestamp']}</timestamp>"
        f'<ignoredMessage code="{code}">{message}</ignoredMessage></scrobble>'
    )


def _session_xml(name: str, key: str) -> str:
    return (
        f"<session><name>{_x(name)}</name><key>{key}</key>"
        "<subscriber>0</subscriber></session>"
    )


def _page(params, rows, default_limit: int, max_limit: int):
    try:
        limit = min(max(int(params.get("limit", default_limit)), 1), max_limit)
        page = max(int(params.get("page", 1)), 1)
    except ValueError:
        raise LfmError(6) from None
    pages = max(1, -(-len(rows) // limit))
    return page, limit, pages, rows[(page - 1) * limit : page * limit]


def _date_xml(uts: int) -> str:
    return f'<date uts="{uts}">{_date_text(uts)}</date>'


def _date_text(uts: int) -> str:
    moment = datetime.datetime.fromtimestamp(uts, datetime.UTC)
    return moment.strftime("%d %b %Y, %H:%M")
