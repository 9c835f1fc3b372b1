"""The one module that talks to Last.fm, Libre.fm or a compatible server (via pylast).

Every call goes through the shared rate limiter and comes back either as parsed
data or as one of the typed errors in `errors`. Nothing here logs a secret.
"""

from __future__ import annotations

import dataclasses
import logging
import urllib.parse
from collections.abc import Sequence
from typing import Any
from xml.dom import minidom

import pylast

from . import __version__
from .errors import (
    AnswerLostError,
    CredentialsError,
    InvalidParametersError,
    LastfmError,
    NeedsReauthError,
    RateLimitedError,
    RequestError,
    TokenExpiredError,
    TokenNotAuthorizedError,
    TransientError,
)
from .ratelimit import SHARED, RateLimiter
from .settings import Settings

logger = logging.getLogger(__name__)

MAX_BATCH = 50
RECENT_TRACKS_PAGE_SIZE = 200
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
_HTTP_SERVER_ERRORS = {500, 502, 503, 504}

httpx = pylast.httpx  # whichever httpx pylast was built with

# pylast logs whole answers at DEBUG, and auth answers hold the session key.
logging.getLogger("pylast").setLevel(logging.WARNING)
logging.getLogger(httpx.__name__).setLevel(logging.WARNING)
pylast.HEADERS["User-Agent"] = USER_AGENT


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
    ) -> None:
        host, path, homepage = server_of(settings)
        self.network_name = settings.network_name
        self.homepage = homepage
        self._limiter = limiter
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
            proxy=proxy,
        )

    @property
    def api_key(self) -> str:
        return self._network.api_key

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
        results = [_item_result(node) for node in doc.getElementsByTagName("scrobble")]
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
                    "from": start,
                    "to": end,
                    "limit": RECENT_TRACKS_PAGE_SIZE,
                    "page": page,
                },
                sign=False,
            )
            container = doc.getElementsByTagName("recenttracks")[0]
            pages = int(container.getAttribute("totalPages") or 1)
            for node in container.getElementsByTagName("track"):
                dates = node.getElementsByTagName("date")
                if not dates:
                    continue  # the now-playing item
                found.append(
                    RecentTrack(
                        artist=_child_text(node, "artist"),
                        title=_child_text(node, "name"),
                        timestamp=int(dates[0].getAttribute("uts")),
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
        container = _container(doc, "lovedtracks", self.network_name)
        tracks = []
        for node in container.getElementsByTagName("track"):
            artist, title = _child_text(node, "artist"), _child_text(node, "name")
            if not artist.strip() or not title.strip():
                continue
            dates = node.getElementsByTagName("date")
            uts = dates[0].getAttribute("uts") if dates else ""
            tracks.append(
                LovedTrack(artist, title, int(uts) if uts.isdigit() else None)
            )
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
        container = _container(doc, "toptracks", self.network_name)
        tracks = []
        for node in container.getElementsByTagName("track"):
            artist, title = _child_text(node, "artist"), _child_text(node, "name")
            count = _child_text(node, "playcount").strip()
            if artist.strip() and title.strip() and count.isdigit():
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

    # The one place requests are made and errors classified.

    def _call(
        self, method: str, params: dict[str, Any], sign: bool
    ) -> minidom.Document:
        self._limiter.acquire()
        request = pylast._Request(self._network, method, params)
        if sign:
            request.sign_it()
        try:
            return request.execute(cacheable=False)
        except pylast.WSError as exc:
            raise _classify_ws_error(exc, self.network_name, method) from None
        except pylast.MalformedResponseError:
            raise AnswerLostError(
                f"{self.network_name} sent an answer to {method} that is not valid XML"
            ) from None
        except pylast.NetworkError as exc:
            raise _classify_network_error(exc, self.network_name, method) from None


def _classify_ws_error(exc: pylast.WSError, network: str, method: str) -> LastfmError:
    try:
        code = int(exc.status)
    except (TypeError, ValueError):
        code = None
    details = _one_line(exc.details)
    text = f"{network} refused {method}: {details} (error {code})"
    if code in _HTTP_SERVER_ERRORS:
        return AnswerLostError(f"{network} failed with HTTP {code}", code)
    if code == 29:
        return RateLimitedError(text, code)
    if code in _TRANSIENT_CODES:
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
        return TransientError(f"Cannot reach {network}: {reason}")
    # The request may have been sent and applied; only its answer is missing.
    return AnswerLostError(f"No answer from {network} to {method}: {reason}")


def _item_result(node: minidom.Element) -> ItemResult:
    messages = node.getElementsByTagName("ignoredMessage")
    if not messages:
        return ItemResult(0, "")
    code = int(messages[0].getAttribute("code") or 0)
    text = "".join(c.data for c in messages[0].childNodes if c.nodeType == c.TEXT_NODE)
    return ItemResult(code, _one_line(text) or IGNORED_REASONS.get(code, ""))


def _text(doc: minidom.Document, tag: str) -> str:
    nodes = doc.getElementsByTagName(tag)
    if not nodes or nodes[0].firstChild is None:
        raise AnswerLostError(f"The server's answer has no <{tag}>")
    return nodes[0].firstChild.data.strip()


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
    value = node.getAttribute(name)
    return int(value) if value.isdigit() else default


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())[:300]
