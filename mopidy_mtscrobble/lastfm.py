"""The one module that talks to Last.fm, Libre.fm or a compatible server (via pylast).

Every call goes through the shared rate limiter and comes back either as parsed
data or as one of the typed errors in `errors`. Nothing here logs a secret.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.utils
import logging
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from xml.dom import minidom

import pylast

from . import __version__
from .errors import (
    AnswerLostError,
    CredentialsError,
    HttpRefusedError,
    InvalidParametersError,
    LastfmError,
    NeedsReauthError,
    NoAnswerError,
    RateLimitedError,
    RequestError,
    TokenExpiredError,
    TokenNotAuthorizedError,
    TransientError,
    UnreachableError,
)
from .ratelimit import SHARED, RateLimiter
from .settings import Settings

logger = logging.getLogger(__name__)

MAX_BATCH = 50
RECENT_TRACKS_PAGE_SIZE = 200
# A check of recent scrobbles covers minutes to days: more pages than this is an
# answer gone wrong, not a listening history.
MAX_RECENT_TRACKS_PAGES = 50
LOVED_TRACKS_PAGE_SIZE = 1000  # the most user.getLovedTracks gives at once
TOP_TRACKS_PAGE_SIZE = 1000  # and user.getTopTracks
USER_AGENT = f"Mopidy-MTScrobble/{__version__} pylast/{pylast.__version__}"

NETWORK_SERVERS = {
    "lastfm": ("ws.audioscrobbler.com", "/2.0/", "https://www.last.fm"),
    "librefm": ("libre.fm", "/2.0/", "https://libre.fm"),
}

# Ignored-scrobble codes from track.scrobble's per-item answer.
IGNORED_REASONS = {
    1: "artist ignored by the server",
    2: "track ignored by the server",
    3: "timestamp too old",
    4: "timestamp too new",
    5: "daily scrobble limit exceeded",
}
DAILY_LIMIT_CODE = 5

_TRANSIENT_CODES = {8, 11, 16}
_REAUTH_CODES = {4, 9}
_CREDENTIAL_CODES = {10, 13, 26}
# Methods that are not safe to repeat: a failure that may have been applied
# upstream (8, 11, 16) leaves their outcome uncertain.
_NOT_REPEATABLE = {"track.scrobble"}
# HTTP 4xx without a Last.fm error: the request's content was refused.
_CONTENT_REFUSED = {400, 413, 414, 422}
_DIGITS = re.compile(r"[0-9]{1,18}")

httpx = pylast.httpx  # whichever httpx pylast was built with

# pylast logs whole answers at DEBUG, and auth answers hold the session key.
logging.getLogger("pylast").setLevel(logging.WARNING)
for _name in (httpx.__name__, httpx.__name__.replace("httpx", "httpcore")):
    logging.getLogger(_name).setLevel(logging.WARNING)


@dataclasses.dataclass(frozen=True)
class ItemResult:
    """The server's answer for one scrobble of a batch. code 0 = accepted."""

    code: int
    message: str

    @property
    def accepted(self) -> bool:
        return self.code == 0


@dataclasses.dataclass(frozen=True)
class RecentTrack:
    artist: str
    title: str
    timestamp: int
    mbid: str = ""


@dataclasses.dataclass(frozen=True)
class LovedTrack:
    artist: str
    title: str
    loved_at: int | None


@dataclasses.dataclass(frozen=True)
class LovedPage:
    tracks: list[LovedTrack]
    page: int
    pages: int
    total: int


@dataclasses.dataclass(frozen=True)
class CountedTrack:
    artist: str
    title: str
    playcount: int


@dataclasses.dataclass(frozen=True)
class CountsPage:
    tracks: list[CountedTrack]
    page: int
    pages: int
    total: int


@dataclasses.dataclass(frozen=True)
class Session:
    key: str = dataclasses.field(repr=False)
    username: str


def server_of(settings: Settings) -> tuple[str, str, str]:
    """(host[:port], path, homepage) of the configured network."""
    if settings.network == "custom":
        parts = urllib.parse.urlsplit(settings.api_url)
        homepage = f"https://{parts.netloc}"
        return parts.netloc, parts.path or "/", homepage
    return NETWORK_SERVERS[settings.network]


class LastfmClient:
    """Calls to one network with one API key; optionally with a session."""

    def __init__(
        self,
        settings: Settings,
        session_key: str | None = None,
        proxy: str | None = None,
        limiter: RateLimiter = SHARED,
        on_server_date: Callable[[float], None] | None = None,
    ) -> None:
        host, path, homepage = server_of(settings)
        self.network_name = settings.network_name
        self.homepage = homepage
        self._limiter = limiter
        self._on_server_date = on_server_date
        self._transport = _Transport(proxy)
        self._network = pylast._Network(
            name=settings.network_name,
            homepage=homepage,
            ws_server=(host, path),
            api_key=settings.api_key,
            api_secret=settings.api_secret,
            session_key=session_key,
            username=None,
            password_hash=None,
            domain_names={},
            urls={},
            proxy={"https://": self._transport},
        )

    @property
    def api_key(self) -> str:
        return self._network.api_key

    @property
    def proxy(self) -> str | None:
        return self._transport.proxy

    def close(self) -> None:
        """Close the connections kept open for the next request."""
        self._transport.shut()

    def slow_down(self, seconds: float) -> None:
        """The server said 'rate limit exceeded': no request at all for a while."""
        self._limiter.pause(seconds)

    # Authentication.

    def get_token(self) -> str:
        doc = self._call("auth.getToken", {}, sign=True)
        return _text(doc, "token")

    def get_session(self, token: str) -> Session:
        doc = self._call("auth.getSession", {"token": token}, sign=True)
        return Session(key=_text(doc, "key"), username=_text(doc, "name"))

    def get_mobile_session(self, username: str, password: str) -> Session:
        params = {"username": username, "password": password}
        doc = self._call("auth.getMobileSession", params, sign=True)
        return Session(key=_text(doc, "key"), username=_text(doc, "name"))

    def authorization_url(self, token: str | None = None, callback: str | None = None):
        query = {"api_key": self.api_key}
        if token:
            query["token"] = token
        if callback:
            query["cb"] = callback
        return f"{self.homepage}/api/auth/?{urllib.parse.urlencode(query)}"

    # Scrobbling.

    def update_now_playing(self, params: dict[str, Any]) -> None:
        self._call("track.updateNowPlaying", params, sign=True)

    def scrobble(self, items: Sequence[dict[str, Any]]) -> list[ItemResult]:
        """Send up to MAX_BATCH scrobbles; one result per item, in order."""
        if not 0 < len(items) <= MAX_BATCH:
            raise ValueError(f"a batch holds 1 to {MAX_BATCH} scrobbles")
        params: dict[str, Any] = {}
        for index, item in enumerate(items):
            for name, value in item.items():
                if value is not None:
                    params[f"{name}[{index}]"] = value
        doc = self._call("track.scrobble", params, sign=True)
        with _reading(self.network_name, "track.scrobble"):
            nodes = doc.getElementsByTagName("scrobble")
            results = [_item_result(node) for node in nodes]
        if len(results) != len(items):
            raise AnswerLostError(
                f"{self.network_name} answered {len(results)} results for "
                f"{len(items)} scrobbles",
            )
        return results

    def recent_tracks(self, username: str, start: int, end: int) -> list[RecentTrack]:
        """Scrobbles of `username` between two unix times (inclusive), all pages."""
        found: list[RecentTrack] = []
        page, pages = 1, 1
        while page <= pages:
            doc = self._call(
                "user.getRecentTracks",
                {
                    "user": username,
                    "from": int(start),
                    "to": int(end),
                    "limit": RECENT_TRACKS_PAGE_SIZE,
                    "page": page,
                },
                sign=False,
            )
            with _reading(self.network_name, "user.getRecentTracks"):
                container = _container(doc, "recenttracks", self.network_name)
                pages = min(
                    _int_attribute(container, "totalPages", 1), MAX_RECENT_TRACKS_PAGES
                )
                for node in container.getElementsByTagName("track"):
                    if node.getAttribute("nowplaying") == "true":
                        continue  # what plays now: not a scrobble
                    # A scrobble without a readable time could be one we look
                    # for: the answer is unreadable, not "it did not land".
                    uts = node.getElementsByTagName("date")[0].getAttribute("uts")
                    if not _DIGITS.fullmatch(uts):
                        raise ValueError("a scrobble without a time")
                    found.append(
                        RecentTrack(
                            artist=_child_text(node, "artist"),
                            title=_child_text(node, "name"),
                            timestamp=int(uts),
                            mbid=_child_text(node, "mbid").strip(),
                        )
                    )
            page += 1
        return found

    def loved_tracks(
        self, username: str, page: int, limit: int = LOVED_TRACKS_PAGE_SIZE
    ) -> LovedPage:
        """One page of the user's loved tracks, newest first."""
        doc = self._call(
            "user.getLovedTracks",
            {"user": username, "limit": limit, "page": page},
            sign=False,
        )
        with _reading(self.network_name, "user.getLovedTracks"):
            container = _container(doc, "lovedtracks", self.network_name)
            tracks = []
            for node in container.getElementsByTagName("track"):
                artist, title = _child_text(node, "artist"), _child_text(node, "name")
                if not artist.strip() or not title.strip():
                    continue
                dates = node.getElementsByTagName("date")
                uts = dates[0].getAttribute("uts") if dates else ""
                loved_at = int(uts) if _DIGITS.fullmatch(uts) else None
                tracks.append(LovedTrack(artist, title, loved_at))
            return LovedPage(
                tracks=tracks,
                page=_int_attribute(container, "page", page),
                pages=_int_attribute(container, "totalPages", 1),
                total=_int_attribute(container, "total", len(tracks)),
            )

    def top_tracks(
        self, username: str, page: int, limit: int = TOP_TRACKS_PAGE_SIZE
    ) -> CountsPage:
        """One page of the user's all-time play counts per track, most played first."""
        doc = self._call(
            "user.getTopTracks",
            {"user": username, "period": "overall", "limit": limit, "page": page},
            sign=False,
        )
        with _reading(self.network_name, "user.getTopTracks"):
            container = _container(doc, "toptracks", self.network_name)
            tracks = []
            for node in container.getElementsByTagName("track"):
                artist, title = _child_text(node, "artist"), _child_text(node, "name")
                count = _child_text(node, "playcount").strip()
                if artist.strip() and title.strip() and _DIGITS.fullmatch(count):
                    tracks.append(CountedTrack(artist, title, int(count)))
            return CountsPage(
                tracks=tracks,
                page=_int_attribute(container, "page", page),
                pages=_int_attribute(container, "totalPages", 1),
                total=_int_attribute(container, "total", len(tracks)),
            )

    def love(self, artist: str, title: str) -> None:
        self._call("track.love", {"artist": artist, "track": title}, sign=True)

    def unlove(self, artist: str, title: str) -> None:
        self._call("track.unlove", {"artist": artist, "track": title}, sign=True)

    # The one place requests are made and answers read.

    def _call(
        self, method: str, params: dict[str, Any], sign: bool
    ) -> minidom.Document:
        """The answer of a well-formed success, or a classified LastfmError."""
        self._limiter.acquire()
        try:
            request = pylast._Request(self._network, method, params)
            if sign:
                request.sign_it()
        except (UnicodeError, ValueError, TypeError) as exc:
            raise RequestError(
                f"Cannot make a {method} request of these values "
                f"({type(exc).__name__}); please report this"
            ) from None
        self._transport.forget()
        try:
            request.execute(cacheable=False)
        except pylast.NetworkError as exc:
            raise _classify_network_error(exc, self.network_name, method) from None
        except Exception:  # noqa: S110 - pylast could not read it: we do, below
            pass
        answer = self._transport.answer()
        if answer is None:
            raise NoAnswerError(f"No answer from {self.network_name} to {method}")
        if answer.date is not None and self._on_server_date is not None:
            self._on_server_date(answer.date)
        return read_answer(answer.status, answer.body, self.network_name, method)


@dataclasses.dataclass(frozen=True)
class _Answer:
    status: int
    date: float | None  # the server's clock (Date header), unix seconds
    body: bytes


class _Transport(httpx.BaseTransport):
    """Carries pylast's requests: our User-Agent on each, and the raw answer kept.

    pylast opens and closes an httpx client per request; the connections live
    here, so they are reused. Only this client's requests get our User-Agent.
    """

    def __init__(self, proxy: str | None) -> None:
        self.proxy = proxy or None
        self._inner = httpx.HTTPTransport(verify=pylast.SSL_CONTEXT, proxy=self.proxy)
        self._local = threading.local()

    def forget(self) -> None:
        self._local.answer = None

    def answer(self) -> _Answer | None:
        return getattr(self._local, "answer", None)

    def handle_request(self, request: Any) -> Any:
        request.headers["User-Agent"] = USER_AGENT
        response = self._inner.handle_request(request)
        try:
            body = response.read()
        finally:
            response.close()
        date = _http_date(response.headers.get("Date"))
        self._local.answer = _Answer(response.status_code, date, body)
        return response

    def close(self) -> None:
        pass  # pylast closes its client after every request; the pool stays

    def shut(self) -> None:
        self._inner.close()


def read_answer(
    status: int, body: bytes, network: str, method: str
) -> minidom.Document:
    """The document of a well-formed success; anything else as a LastfmError.

    Whatever a server, a proxy or a captive portal sends is classified here:
    a Last.fm error code by its meaning; HTTP 5xx and answers that are not a
    well-formed Last.fm answer as "answer lost" (the request may have been
    applied); HTTP 4xx without a Last.fm error as a refusal.
    """
    doc = _lfm_document(body)
    if doc is not None:
        lfm_status = doc.documentElement.getAttribute("status")
        if lfm_status == "ok" and 200 <= status < 300:
            return doc
        if lfm_status == "failed":
            code, details = _lfm_error(doc)
            if code is not None:
                raise _classify_lfm_error(code, details, network, method)
    if status >= 500:
        raise AnswerLostError(f"{network} failed with HTTP {status}", status)
    if status == 429:
        raise RateLimitedError(f"{network} asked to slow down (HTTP 429)", status)
    if status in _CONTENT_REFUSED:
        raise HttpRefusedError(f"{network} refused {method}: HTTP {status}", status)
    if status == 408:
        raise TransientError(f"{network} timed out waiting for {method}", status)
    if status >= 400:
        raise RequestError(
            f"{network} refused {method} with HTTP {status}; check the server's "
            "address (mtscrobble/api_url) and Mopidy's [proxy] settings",
            status,
        )
    if status >= 300:
        raise TransientError(
            f"{network} sent {method} elsewhere (HTTP {status}); a network that "
            "wants a login page (captive portal)?",
            status,
        )
    raise AnswerLostError(
        f"{network} answered {method} with something that is not a Last.fm "
        "answer (a network login page or a proxy's page?)",
        status,
    )


def _lfm_document(body: bytes) -> minidom.Document | None:
    """The parsed body if it is an <lfm> document; None for anything else."""
    try:
        # expat (>= 2.4.1) refuses entity expansion attacks.
        doc = minidom.parseString(body)  # noqa: S318
    except Exception:  # expat errors, and anything an absurd body provokes
        return None
    root = doc.documentElement
    if root is None or root.tagName != "lfm":
        return None
    return doc


def _lfm_error(doc: minidom.Document) -> tuple[int | None, str]:
    errors = doc.getElementsByTagName("error")
    if not errors:
        return None, ""
    code = errors[0].getAttribute("code").strip()
    text = "".join(c.data for c in errors[0].childNodes if c.nodeType == c.TEXT_NODE)
    return (int(code) if _DIGITS.fullmatch(code) else None), _one_line(text)


def _classify_lfm_error(
    code: int, details: str, network: str, method: str
) -> LastfmError:
    text = f"{network} refused {method}: {details or 'no reason given'} (error {code})"
    if code == 29:
        return RateLimitedError(text, code)
    if code in _TRANSIENT_CODES:
        if method in _NOT_REPEATABLE:
            return AnswerLostError(text, code)
        return TransientError(text, code)
    if code in _REAUTH_CODES:
        return NeedsReauthError(text, code)
    if code in _CREDENTIAL_CODES:
        return CredentialsError(text, code)
    if code == 6:
        return InvalidParametersError(text, code)
    if code == 14:
        return TokenNotAuthorizedError(text, code)
    if code == 15:
        return TokenExpiredError(text, code)
    return RequestError(text, code)


def _classify_network_error(
    exc: pylast.NetworkError, network: str, method: str
) -> TransientError:
    cause = exc.underlying_error
    reason = _one_line(str(cause)) or type(cause).__name__
    if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout):
        return UnreachableError(f"Cannot reach {network}: {reason}")
    # The request may have been sent and applied; only its answer is missing.
    return NoAnswerError(f"No answer from {network} to {method}: {reason}")


@contextlib.contextmanager
def _reading(network: str, method: str) -> Iterator[None]:
    """An answer of an unexpected shape is an answer lost, not a crash."""
    try:
        yield
    except (IndexError, ValueError, AttributeError, TypeError, KeyError) as exc:
        raise AnswerLostError(
            f"{network} answered {method} in a shape that cannot be read "
            f"({type(exc).__name__})"
        ) from None


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _item_result(node: minidom.Element) -> ItemResult:
    messages = node.getElementsByTagName("ignoredMessage")
    if not messages:
        return ItemResult(0, "")
    raw = messages[0].getAttribute("code").strip()
    if not _DIGITS.fullmatch(raw):
        raise ValueError("an ignoredMessage without a code")  # not "accepted"
    code = int(raw)
    text = "".join(c.data for c in messages[0].childNodes if c.nodeType == c.TEXT_NODE)
    return ItemResult(code, _one_line(text) or IGNORED_REASONS.get(code, ""))


def _text(doc: minidom.Document, tag: str) -> str:
    nodes = doc.getElementsByTagName(tag)
    text = "".join(
        c.data
        for c in (nodes[0].childNodes if nodes else ())
        if c.nodeType == c.TEXT_NODE
    ).strip()
    if not text:
        raise AnswerLostError(f"The server's answer has no <{tag}>")
    return text


def _child_text(node: minidom.Element, tag: str) -> str:
    for child in node.childNodes:
        if child.nodeType == child.ELEMENT_NODE and child.tagName == tag:
            if child.getElementsByTagName("name"):  # extended format
                return _child_text(child, "name")
            return "".join(
                t.data for t in child.childNodes if t.nodeType == t.TEXT_NODE
            )
    return ""


def _container(doc: minidom.Document, tag: str, network: str) -> minidom.Element:
    nodes = doc.getElementsByTagName(tag)
    if not nodes:
        raise AnswerLostError(f"{network} answered without <{tag}>")
    return nodes[0]


def _int_attribute(node: minidom.Element, name: str, default: int) -> int:
    value = node.getAttribute(name).strip()
    return int(value) if _DIGITS.fullmatch(value) else default


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())[:300]
