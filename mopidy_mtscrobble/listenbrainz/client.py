"""The calls to ListenBrainz, or to a server with its API (Maloja), one method each.

Every call makes one request and comes back with its result or one of the
typed errors of `errors` (see answers.py); it never sleeps and never retries:
the caller decides, helped by the rate limit every result carries (and
`rate_limit`, the last one seen, for a failed call). The token goes only
into the Authorization header: no text made here holds it.

liblistenbrainz is not used: it has no timeout, retries six times at once,
sleeps in the caller's thread, drops a path in the base URL (Maloja's
/apis/listenbrainz) and sends no Content-Type (Maloja answers 415).
"""

from __future__ import annotations

import dataclasses
import json
import ssl
import time
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from ..errors import (
    InvalidParametersError,
    LastfmError,
    TokenRefusedError,
    WrongAddressError,
)
from ..metrics import REGISTRY
from ..sanitize import clean_mbid
from ..version import __version__
from .answers import (
    Exchange,
    RateLimit,
    field,
    network_error,
    read_answer,
    reading,
    unreadable,
)
from .sizes import BYTES_PER_LISTEN, MAX_BODY_BYTES, MAX_IMPORT_LISTENS, encode

DEFAULT_BASE_URL = "https://api.listenbrainz.org"
USER_AGENT = f"Mopidy-MTScrobble/{__version__} httpx/{httpx.__version__}"
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 30.0
MAX_ANSWER_BYTES = 16_000_000  # 1000 listens are about 2 MB
MAX_LISTENS_COUNT = 1000  # the server gives no more at once
MAX_LOOKUP_CHARS = 250  # artist, recording and release names together
SCORES = (-1, 0, 1)  # hate, remove, love


@dataclasses.dataclass(frozen=True)
class Timeouts:
    connect_s: float = CONNECT_TIMEOUT_S
    read_s: float = READ_TIMEOUT_S


@dataclasses.dataclass(frozen=True)
class Done:
    """A call that answers nothing but "done"."""

    rate: RateLimit | None


@dataclasses.dataclass(frozen=True)
class TokenCheck:
    user_name: str
    rate: RateLimit | None


@dataclasses.dataclass(frozen=True)
class SeenListen:
    """A listen as the server lists it. recording_mbid: as sent, else as matched."""

    listened_at: int
    artist: str
    title: str
    release: str | None
    recording_msid: str | None
    recording_mbid: str | None
    track_metadata: dict[str, Any] = dataclasses.field(compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class ListensPage:
    """Listens, newest first."""

    listens: list[SeenListen]
    rate: RateLimit | None


@dataclasses.dataclass(frozen=True)
class Match:
    """What a metadata lookup found; recording_mbid None: nothing."""

    recording_mbid: str | None
    release_mbid: str | None
    artist_mbids: tuple[str, ...]
    rate: RateLimit | None


class ListenBrainzClient:
    """Calls to one server with one user token.

    base_url: the server without /1/, e.g. https://api.listenbrainz.org or
    https://host/apis/listenbrainz (Maloja). proxy: Mopidy's proxy, as a URL.
    verify: True (the system's trust), or an ssl.SSLContext.
    """

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        server_name: str = "ListenBrainz",
        proxy: str | None = None,
        verify: ssl.SSLContext | bool = True,
        timeouts: Timeouts = Timeouts(),
        clock: Callable[[], float] = time.time,
        destination: str = "listenbrainz",
    ) -> None:
        self.server_name = server_name
        self.destination = destination  # its name, in the metrics
        self.base_url = _base_url(base_url, server_name)
        self._token = _valid_token(token, server_name)
        self._clock = clock
        self.rate_limit: RateLimit | None = None
        if verify is True:
            # The system's trust, as pylast and Mopidy have it (OpenSSL's
            # paths, SSL_CERT_FILE included), not httpx's bundled certifi.
            verify = ssl.create_default_context()
        transport = httpx.HTTPTransport(
            verify=verify, proxy=httpx.Proxy(proxy) if proxy else None, retries=0
        )
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(
                connect=timeouts.connect_s, read=timeouts.read_s,
                write=timeouts.read_s, pool=timeouts.connect_s,
            ),
            follow_redirects=False,  # a redirected POST loses its body (Maloja's 303)
            trust_env=False,  # Mopidy's [proxy] is the one proxy setting
        )  # fmt: skip

    def __repr__(self) -> str:
        return f"ListenBrainzClient({self.server_name!r}, {self.base_url!r})"

    def close(self) -> None:
        """Close the connections kept open for the next request."""
        self._http.close()

    def validate_token(self) -> TokenCheck:
        """The token's user name; TokenRefusedError for a token refused."""
        exchange = self._exchange("validate-token")
        doc, rate = self._request("GET", "validate-token", exchange)
        with reading(exchange):
            if field(doc, "valid", bool):
                return TokenCheck(field(doc, "user_name", str), rate)
        raise TokenRefusedError(
            f"{self.server_name} says the user token is not valid; copy a valid "
            "one from your account settings",
            doc.get("code") if isinstance(doc.get("code"), int) else None,
        )

    def submit_single(self, listen: dict[str, Any]) -> Done:
        """One listen (listen_of), as it is played."""
        return self._submit("single", [listen])

    def submit_import(self, listens: Sequence[dict[str, Any]]) -> Done:
        """One batch of `sizes.batches`: 1 to 1000 listens within the byte rules."""
        if not 0 < len(listens) <= MAX_IMPORT_LISTENS:
            raise ValueError(f"an import holds 1 to {MAX_IMPORT_LISTENS} listens")
        return self._submit("import", listens)

    def submit_playing_now(self, listen: dict[str, Any]) -> Done:
        """What plays now (playing_now_of); the server does not keep it."""
        return self._submit("playing_now", [listen])

    def listens(
        self,
        user: str,
        min_ts: int | None = None,
        max_ts: int | None = None,
        count: int | None = None,
    ) -> ListensPage:
        """A user's listens strictly between min_ts and max_ts, newest first;
        with only min_ts, the `count` listens just after it. count <= 1000."""
        if count is not None and not 0 <= count <= MAX_LISTENS_COUNT:
            raise ValueError(f"count is 0 to {MAX_LISTENS_COUNT}")
        bounds = {"min_ts": min_ts, "max_ts": max_ts, "count": count}
        params = {k: str(int(v)) for k, v in bounds.items() if v is not None}
        exchange = self._exchange("listens")
        path = f"user/{urllib.parse.quote(user, safe='')}/listens"
        doc, rate = self._request("GET", path, exchange, params=params)
        with reading(exchange):
            payload = field(doc, "payload", dict)
            found = [_seen(item) for item in field(payload, "listens", list)]
        return ListensPage(found, rate)

    def send_feedback(
        self,
        score: int,
        recording_mbid: str | None = None,
        recording_msid: str | None = None,
    ) -> Done:
        """Love (1), hate (-1) or clear (0) a recording, by MBID and/or MSID."""
        if score not in SCORES:
            raise ValueError(f"score is one of {SCORES}")
        body: dict[str, Any] = {}
        for name, value in (
            ("recording_mbid", recording_mbid),
            ("recording_msid", recording_msid),
        ):
            if value is not None:
                mbid = clean_mbid(value)
                if mbid is None:
                    raise InvalidParametersError(
                        f"Feedback needs a valid {name}, not {value!r:.60}"
                    )
                body[name] = mbid
        if not body:
            raise ValueError("feedback needs a recording_mbid or a recording_msid")
        body["score"] = score
        exchange = self._exchange("feedback")
        content = encode_json(body)
        doc, rate = self._request(
            "POST", "feedback/recording-feedback", exchange, content=content
        )
        if doc.get("status") != "ok":  # not its answer: not taken as done
            raise unreadable(exchange, f"{self.server_name} did not say ok")
        return Done(rate)

    def lookup(self, artist: str, title: str, release: str | None = None) -> Match:
        """The recording MusicBrainz knows by these names, or no match."""
        names = {"artist_name": artist, "recording_name": title}
        if release:
            names["release_name"] = release
        if sum(len(name) for name in names.values()) > MAX_LOOKUP_CHARS:
            return Match(None, None, (), None)  # the server refuses to look
        exchange = self._exchange("metadata lookup")
        doc, rate = self._request("GET", "metadata/lookup/", exchange, params=names)
        with reading(exchange):
            if not doc:
                return Match(None, None, (), rate)  # what "no match" looks like
            recording = _mbid(field(doc, "recording_mbid", str))
            release_mbid = doc.get("release_mbid")
            artists = doc.get("artist_mbids") or []
            if not isinstance(artists, list):
                raise TypeError("artist_mbids is not a list")
            return Match(
                recording,
                clean_mbid(release_mbid) if isinstance(release_mbid, str) else None,
                tuple(_mbid(a) for a in artists),
                rate,
            )

    # The one place requests are made.

    def _submit(self, listen_type: str, listens: Sequence[dict[str, Any]]) -> Done:
        content = encode(listen_type, listens)
        if len(content) > min(BYTES_PER_LISTEN * len(listens), MAX_BODY_BYTES):
            raise ValueError("listens must be fitted (sizes.fitted) before sending")
        exchange = self._exchange(
            f"submit-listens ({listen_type})", uncertain=listen_type != "playing_now"
        )
        doc, rate = self._request("POST", "submit-listens", exchange, content=content)
        if doc.get("status") != "ok":
            raise unreadable(exchange, f"{self.server_name} did not say ok")
        return Done(rate)

    def _exchange(self, call: str, uncertain: bool = False) -> Exchange:
        carries = call.startswith("submit-listens")
        return Exchange(self.server_name, call, uncertain, carries, self._token)

    def _request(
        self,
        method: str,
        path: str,
        exchange: Exchange,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> tuple[dict[str, Any], RateLimit | None]:
        """The answer, or a classified error; counted (`metrics`) either way."""
        try:
            answer = self._request_uncounted(method, path, exchange, params, content)
        except LastfmError as exc:
            REGISTRY.request(self.destination, exchange.call, exc)
            raise
        REGISTRY.request(self.destination, exchange.call, None)
        return answer

    def _request_uncounted(
        self,
        method: str,
        path: str,
        exchange: Exchange,
        params: dict[str, str] | None,
        content: bytes | None,
    ) -> tuple[dict[str, Any], RateLimit | None]:
        headers = {
            "Authorization": f"Token {self._token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        url = f"{self.base_url}/1/{path}"
        try:
            with self._http.stream(
                method, url, params=params, content=content, headers=headers
            ) as response:
                body = _body(response, exchange)
                status, answer_headers = response.status_code, response.headers
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise network_error(exc, exchange) from None
        rate = RateLimit.of(answer_headers, self._clock())
        self.rate_limit = rate
        return read_answer(status, body, rate, exchange), rate


def encode_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("ascii")


def _body(response: httpx.Response, exchange: Exchange) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise unreadable(exchange, f"{exchange.server} sent an answer too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _seen(item: Any) -> SeenListen:
    metadata = field(item, "track_metadata", dict)
    info = metadata.get("additional_info") or {}
    mapping = item.get("mbid_mapping") or metadata.get("mbid_mapping") or {}
    msid = item.get("recording_msid") or info.get("recording_msid")
    mbid = info.get("recording_mbid") or mapping.get("recording_mbid")
    release = metadata.get("release_name")
    return SeenListen(
        listened_at=field(item, "listened_at", int),
        artist=field(metadata, "artist_name", str),
        title=field(metadata, "track_name", str),
        release=release if isinstance(release, str) else None,
        recording_msid=msid if isinstance(msid, str) else None,
        recording_mbid=clean_mbid(mbid) if isinstance(mbid, str) else None,
        track_metadata=metadata,
    )


def _mbid(value: str) -> str:
    mbid = clean_mbid(value)
    if mbid is None:
        raise ValueError("not a MusicBrainz id")
    return mbid


def _base_url(url: str, server_name: str) -> str:
    """The base without a trailing / or /1 (whichever way it was written)."""
    text = url.strip().rstrip("/")
    text = text.removesuffix("/1")
    try:
        parts = urllib.parse.urlsplit(text)
    except ValueError:
        parts = urllib.parse.urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise WrongAddressError(
            f"The {server_name} address {url!r:.100} is not an http(s) address"
        )
    return text


def _valid_token(token: str, server_name: str) -> str:
    text = token.strip()
    if not text or not text.isascii() or not text.isprintable() or " " in text:
        raise TokenRefusedError(
            f"The {server_name} user token is empty or holds characters no token "
            "has; copy it again from your account settings"
        )
    return text
