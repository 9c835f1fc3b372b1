"""The calls to Last.fm, Libre.fm or a compatible server, one method each.

Every call goes through the shared rate limiter and comes back either as parsed
data or as one of the typed errors in `errors`. Nothing here logs a secret.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any
from xml.dom import minidom

from ..destinations import LASTFM
from ..errors import AnswerLostError, LastfmError, NoAnswerError, RequestError
from ..metrics import REGISTRY
from ..ratelimit import SHARED, RateLimiter
from ..settings import Settings
from .adapter import Network, NetworkError, Transport
from .answers import (
    DIGITS,
    ItemResult,
    child_text,
    classify_network_error,
    container,
    int_attribute,
    item_result,
    read_answer,
    reading,
    text_of,
)

MAX_BATCH = 50
RECENT_TRACKS_PAGE_SIZE = 200
# A check of recent scrobbles covers minutes to days: more pages than this is an
# answer gone wrong, not a listening history.
MAX_RECENT_TRACKS_PAGES = 50
SONGS_PAGE_SIZE = 1000  # the most user.getLovedTracks and getTopTracks give at once

NETWORK_SERVERS = {
    "lastfm": ("ws.audioscrobbler.com", "/2.0/", "https://www.last.fm"),
    "librefm": ("libre.fm", "/2.0/", "https://libre.fm"),
}


@dataclasses.dataclass(frozen=True)
class RecentTrack:
    artist: str
    title: str
    timestamp: int
    mbid: str = ""


@dataclasses.dataclass(frozen=True)
class SongItem:
    """A song of a list the network keeps for the user, and what the list
    says of it: when it was loved, or how often it was played."""

    artist: str
    title: str
    value: int | None


@dataclasses.dataclass(frozen=True)
class Page:
    tracks: list[SongItem]
    page: int
    pages: int
    total: int


@dataclasses.dataclass(frozen=True)
class PastPlay:
    """A scrobble of the user's history: when it started, and its names."""

    artist: str
    title: str
    album: str | None
    played_at: int


@dataclasses.dataclass(frozen=True)
class PlaysPage:
    """A page of past scrobbles, newest first; `undated`: items left out for
    having no readable time (the now-playing item is not counted)."""

    plays: list[PastPlay]
    pages: int
    total: int
    undated: int


@dataclasses.dataclass(frozen=True)
class Session:
    key: str = dataclasses.field(repr=False)
    username: str


def server_of(settings: Settings) -> tuple[str, str, str]:
    """(host[:port], path, homepage) of the configured network."""
    if settings.network == "custom":
        parts = urllib.parse.urlsplit(settings.api_url or "")
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
        self._transport = Transport(proxy)
        self._network = Network(
            settings.network_name,
            homepage,
            (host, path),
            settings.api_key,
            settings.api_secret,
            session_key,
            self._transport,
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
        return text_of(doc, "token")

    def get_session(self, token: str) -> Session:
        doc = self._call("auth.getSession", {"token": token}, sign=True)
        return Session(key=text_of(doc, "key"), username=text_of(doc, "name"))

    def get_mobile_session(self, username: str, password: str) -> Session:
        params = {"username": username, "password": password}
        doc = self._call("auth.getMobileSession", params, sign=True)
        return Session(key=text_of(doc, "key"), username=text_of(doc, "name"))

    def authorization_url(
        self, token: str | None = None, callback: str | None = None
    ) -> str:
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
        with reading(self.network_name, "track.scrobble"):
            nodes = doc.getElementsByTagName("scrobble")
            results = [item_result(node) for node in nodes]
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
            params = {
                "user": username, "from": int(start), "to": int(end),
                "limit": RECENT_TRACKS_PAGE_SIZE, "page": page,
            }  # fmt: skip
            doc = self._call("user.getRecentTracks", params, sign=False)
            with reading(self.network_name, "user.getRecentTracks"):
                node = container(doc, "recenttracks", self.network_name)
                pages = min(
                    int_attribute(node, "totalPages", 1), MAX_RECENT_TRACKS_PAGES
                )
                found.extend(_recent(node))
            page += 1
        return found

    def past_plays(
        self,
        username: str,
        to: int,
        page: int = 1,
        limit: int = RECENT_TRACKS_PAGE_SIZE,
    ) -> PlaysPage:
        """A page (the newest: 1) of `username`'s scrobbles played at or before
        `to`."""
        params = {"user": username, "to": int(to), "limit": limit, "page": page}
        doc = self._call("user.getRecentTracks", params, sign=False)
        with reading(self.network_name, "user.getRecentTracks"):
            node = container(doc, "recenttracks", self.network_name)
            plays, undated = _past(node)
            pages = int_attribute(node, "totalPages", 1)
            if not plays and pages > 1:  # an empty page of a longer list
                raise ValueError("an empty page")
            return PlaysPage(
                plays=plays,
                pages=pages,
                total=int_attribute(node, "total", len(plays)),
                undated=undated,
            )

    def loved_tracks(
        self, username: str, page: int, limit: int = SONGS_PAGE_SIZE
    ) -> Page:
        """One page of the user's loved tracks, newest first (value: loved at)."""
        params = {"user": username, "limit": limit, "page": page}
        doc = self._call("user.getLovedTracks", params, sign=False)
        return self._page(doc, "lovedtracks", page, _loved)

    def top_tracks(
        self, username: str, page: int, limit: int = SONGS_PAGE_SIZE
    ) -> Page:
        """One page of the user's all-time play counts, most played first."""
        params = {"user": username, "period": "overall", "limit": limit, "page": page}
        doc = self._call("user.getTopTracks", params, sign=False)
        return self._page(doc, "toptracks", page, _counted)

    def love(self, artist: str, title: str) -> None:
        self._write("track.love", {"artist": artist, "track": title})

    def unlove(self, artist: str, title: str) -> None:
        self._write("track.unlove", {"artist": artist, "track": title})

    def _write(self, method: str, params: dict[str, Any]) -> None:
        """A call whose success is a bare "ok": an answer that holds anything
        else is not its answer, so it is not taken as done (these calls may be
        made again safely)."""
        root = self._call(method, params, sign=True).documentElement
        if root is None or any(n.nodeType == n.ELEMENT_NODE for n in root.childNodes):
            raise AnswerLostError(
                f"{self.network_name} answered {method} with something other "
                "than its answer"
            )

    # The one place requests are made.

    def _page(
        self,
        doc: minidom.Document,
        tag: str,
        page: int,
        read: Callable[[minidom.Element], SongItem | None],
    ) -> Page:
        try:
            with reading(self.network_name, tag):
                node = container(doc, tag, self.network_name)
                tracks = [
                    item
                    for track in node.getElementsByTagName("track")
                    if (item := read(track)) is not None
                ]
                return Page(
                    tracks=tracks,
                    page=int_attribute(node, "page", page),
                    pages=int_attribute(node, "totalPages", 1),
                    total=int_attribute(node, "total", len(tracks)),
                )
        finally:
            # A page's tree is cyclic: freed now, not at the garbage
            # collector's next full pass (a 1,000-track page is ~10 MiB).
            doc.unlink()

    def _call(
        self, method: str, params: dict[str, Any], sign: bool
    ) -> minidom.Document:
        """The answer of a well-formed success, or a classified LastfmError;
        counted (`metrics`) either way."""
        try:
            doc = self._call_uncounted(method, params, sign)
        except LastfmError as exc:
            REGISTRY.request(LASTFM, method, exc)
            raise
        REGISTRY.request(LASTFM, method, None)
        return doc

    def _call_uncounted(
        self, method: str, params: dict[str, Any], sign: bool
    ) -> minidom.Document:
        self._limiter.acquire()
        try:
            request = self._network.request(method, params, sign)
        except (UnicodeError, ValueError, TypeError) as exc:
            raise RequestError(
                f"Cannot make a {method} request of these values "
                f"({type(exc).__name__}); please report this"
            ) from None
        self._transport.forget()
        try:
            self._network.send(request)
        except NetworkError as exc:
            raise classify_network_error(exc, self.network_name, method) from None
        answer = self._transport.answer()
        if answer is None:
            raise NoAnswerError(f"No answer from {self.network_name} to {method}")
        if answer.date is not None and self._on_server_date is not None:
            self._on_server_date(answer.date)
        return read_answer(answer.status, answer.body, self.network_name, method)


def _recent(node: minidom.Element) -> list[RecentTrack]:
    found = []
    for track in node.getElementsByTagName("track"):
        if track.getAttribute("nowplaying") == "true":
            continue  # what plays now: not a scrobble
        # A scrobble without a readable time could be one we look for: the
        # answer is unreadable, not "it did not land".
        uts = track.getElementsByTagName("date")[0].getAttribute("uts")
        if not DIGITS.fullmatch(uts):
            raise ValueError("a scrobble without a time")
        found.append(
            RecentTrack(
                artist=child_text(track, "artist"),
                title=child_text(track, "name"),
                timestamp=int(uts),
                mbid=child_text(track, "mbid").strip(),
            )
        )
    return found


def _past(node: minidom.Element) -> tuple[list[PastPlay], int]:
    plays, undated = [], 0
    for track in node.getElementsByTagName("track"):
        if track.getAttribute("nowplaying") == "true":
            continue  # what plays now: not a scrobble yet
        names = _names(track)
        dates = track.getElementsByTagName("date")
        uts = dates[0].getAttribute("uts").strip() if dates else ""
        if names is None or not DIGITS.fullmatch(uts):
            undated += 1  # cannot be placed in the history: left out, counted
            continue
        album = child_text(track, "album").strip() or None
        plays.append(PastPlay(*names, album, int(uts)))
    if undated and not plays:  # no time to go on from: the page is unreadable
        raise ValueError("a page of scrobbles without times")
    return plays, undated


def _names(track: minidom.Element) -> tuple[str, str] | None:
    artist, title = child_text(track, "artist"), child_text(track, "name")
    return (artist, title) if artist.strip() and title.strip() else None


def _loved(track: minidom.Element) -> SongItem | None:
    names = _names(track)
    if names is None:
        return None
    dates = track.getElementsByTagName("date")
    uts = dates[0].getAttribute("uts") if dates else ""
    return SongItem(*names, int(uts) if DIGITS.fullmatch(uts) else None)


def _counted(track: minidom.Element) -> SongItem | None:
    names = _names(track)
    count = child_text(track, "playcount").strip()
    if names is None or not DIGITS.fullmatch(count):
        return None
    return SongItem(*names, int(count))
