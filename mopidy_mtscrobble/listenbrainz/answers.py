"""Reading what a ListenBrainz (or Maloja) server answers: a JSON object, or a
classified error.

Whatever a server, a proxy or a captive portal sends is classified here, so
that delivery knows what to do with it (../shared/LISTENBRAINZ.md):

- 400, 409 with the server's JSON error: the request's content is refused
  (ListenRefusedError for a submission, naming the bad listen when the answer
  does), never to be resent as it is; any other 4xx, a RequestError;
  401: the token (TokenRefusedError); 404: the address or user
  (WrongAddressError); 429: RateLimitedError with the wait the server asks.
- 5xx, and a 200 that is not a JSON object: for a submission of listens the
  outcome is uncertain (AnswerLostError: the server may have queued them);
  for anything else, a TransientError.
- Maloja's HTTP 200 "Invalid Method": NotSupportedError.
- No answer: UnreachableError when nothing was sent; after sending,
  NoAnswerError for a submission (uncertain), else ConnectionLostError.

Every answer's X-RateLimit-* headers are read into a RateLimit. No text made
here holds the token: the caller's secret is blanked out of the server's words.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from ..errors import (
    AnswerLostError,
    ConnectionLostError,
    HttpRefusedError,
    InvalidParametersError,
    LastfmError,
    ListenRefusedError,
    NoAnswerError,
    NotSupportedError,
    RateLimitedError,
    RequestError,
    TokenRefusedError,
    TransientError,
    UnreachableError,
    WrongAddressError,
)

DEFAULT_RATE_WAIT_S = 10.0  # 429 without a word on when to come back
MAX_WAIT_S = 3600.0  # a longer wait from a header is a wrong header
MAX_MESSAGE_CHARS = 300
INVALID_METHOD = "Invalid Method"  # Maloja's answer to what it does not offer
HIDDEN = "(hidden)"
NO_REASON = "no reason given"


@dataclasses.dataclass(frozen=True)
class RateLimit:
    """The server's X-RateLimit-* headers of one answer (None: not given)."""

    limit: int | None
    remaining: int | None
    reset_in_s: float | None

    @classmethod
    def of(cls, headers: Mapping[str, str], now: float) -> RateLimit | None:
        limit = _number(headers.get("X-RateLimit-Limit"))
        remaining = _number(headers.get("X-RateLimit-Remaining"))
        reset_in = _number(headers.get("X-RateLimit-Reset-In"))
        if reset_in is None:
            reset_at = _number(headers.get("X-RateLimit-Reset"))
            reset_in = None if reset_at is None else max(0, reset_at - int(now))
        if reset_in is None:
            # ListenBrainz sends none, but a proxy in front of a self-hosted
            # server may (its seconds form).
            reset_in = _number(headers.get("Retry-After"))
        if limit is None and remaining is None and reset_in is None:
            return None
        wait = None if reset_in is None else min(float(reset_in), MAX_WAIT_S)
        return cls(limit, remaining, wait)


@dataclasses.dataclass(frozen=True)
class Exchange:
    """Which call an answer belongs to, for its classification."""

    server: str  # "ListenBrainz", or the configured server's name
    call: str  # e.g. "submit-listens"
    uncertain: bool  # its failure may have been applied: a submission of listens
    carries_listens: bool = False  # submit-listens, playing_now included
    secret: str = dataclasses.field(default="", repr=False)

    def say(self, text: str) -> str:
        """One line of text, without the secret."""
        line = " ".join(text.split())
        if self.secret:
            line = line.replace(self.secret, HIDDEN)
        return line[:MAX_MESSAGE_CHARS]


def read_answer(
    status: int, body: bytes, rate: RateLimit | None, exchange: Exchange
) -> dict[str, Any]:
    """The JSON object of a success; anything else as a LastfmError."""
    doc = _json_object(body)
    server, call = exchange.server, exchange.call
    if 200 <= status < 300 and doc is not None:
        if doc.get("error") == INVALID_METHOD:
            raise NotSupportedError(f"{server} does not support {call}", status)
        return doc
    reason = _reason(doc, exchange)
    # Only the server's own refusal (a JSON error) is about the content: a
    # proxy's HTML 400 must not get listens dropped.
    if status in (400, 409) and reason != NO_REASON:
        if exchange.carries_listens or status == 409:
            listen = _named_listen(doc)
            raise ListenRefusedError(
                exchange.say(
                    f"{server} refused the listens: {reason}{_described(listen)}"
                ),
                status,
                listen,
            )
        raise InvalidParametersError(
            exchange.say(f"{server} refused {call}: {reason}"), status
        )
    if status == 401:
        raise TokenRefusedError(
            exchange.say(
                f"{server} refused the user token ({reason}); copy a valid one "
                "from your account settings"
            ),
            status,
        )
    if status == 404:
        raise WrongAddressError(
            exchange.say(
                f"{server} does not know this address or user ({call}: {reason}); "
                "check the server address and the user name"
            ),
            status,
        )
    if status == 429:
        wait = rate.reset_in_s if rate is not None else None
        raise RateLimitedError(
            f"{server} asked to slow down (HTTP 429)",
            status,
            DEFAULT_RATE_WAIT_S if wait is None else wait,
        )
    if status == 413:
        raise HttpRefusedError(f"{server} refused {call} as too large", status)
    if status == 408:
        raise TransientError(f"{server} timed out waiting for {call}", status)
    if status >= 500:
        raise unreadable(
            exchange, f"{server} failed with HTTP {status}: {reason}", status
        )
    if status >= 400:
        raise RequestError(
            exchange.say(
                f"{server} refused {call} with HTTP {status} ({reason}); check "
                "the server address and Mopidy's [proxy] settings"
            ),
            status,
        )
    if 300 <= status < 400:
        raise TransientError(
            f"{server} sent {call} elsewhere (HTTP {status}); a network that "
            "wants a login page (captive portal)?",
            status,
        )
    raise unreadable(
        exchange,
        f"{server} answered {call} with something that is not a ListenBrainz "
        f"answer (HTTP {status}; a network login page or a proxy's page?)",
        status,
    )


def unreadable(
    exchange: Exchange, text: str, status: int | None = None
) -> TransientError:
    """An answer that cannot be read: the outcome of a submission is uncertain."""
    if exchange.uncertain:
        return AnswerLostError(exchange.say(text), status)
    return TransientError(exchange.say(text), status)


def network_error(exc: Exception, exchange: Exchange) -> LastfmError:
    """What a request that got no answer means."""
    reason = exchange.say(str(exc)) or type(exc).__name__
    server, call = exchange.server, exchange.call
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return RequestError(f"Cannot call {server}: {reason}; check its address")
    nothing_sent = httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
    if isinstance(exc, nothing_sent | httpx.ProxyError):
        return UnreachableError(f"Cannot reach {server}: {reason}")
    text = f"No answer from {server} to {call}: {reason}"
    if exchange.uncertain:
        return NoAnswerError(text)  # sent: the server may have queued them
    return ConnectionLostError(text)


@contextlib.contextmanager
def reading(exchange: Exchange) -> Iterator[None]:
    """An answer of an unexpected shape is a classified error, not a crash."""
    try:
        yield
    except (IndexError, ValueError, AttributeError, TypeError, KeyError) as exc:
        raise unreadable(
            exchange,
            f"{exchange.server} answered {exchange.call} in a shape that cannot "
            f"be read ({type(exc).__name__})",
        ) from None


def field(doc: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    """doc[name] if it is of `kind`; else ValueError (read within `reading`)."""
    value = doc.get(name)
    if isinstance(value, bool) and bool not in _kinds(kind):
        raise ValueError(f"{name} is a boolean")
    if not isinstance(value, kind):
        raise ValueError(f"{name} is not {kind}")
    return value


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # includes UnicodeDecodeError
        return None
    return doc if isinstance(doc, dict) else None


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _reason(doc: dict[str, Any] | None, exchange: Exchange) -> str:
    """The server's own words: LB's "error" text, Maloja's error "desc"."""
    if doc is None:
        return NO_REASON
    error = doc.get("error")
    if isinstance(error, dict):
        error = error.get("desc") or error.get("type")
    if not isinstance(error, str):
        error = doc.get("message")
    if isinstance(error, str) and error.strip():
        return exchange.say(error)
    return NO_REASON


def _named_listen(doc: dict[str, Any] | None) -> dict[str, object] | None:
    """The listen ListenBrainz merged into its 400 answer, if it did."""
    if doc is None or not isinstance(doc.get("track_metadata"), dict):
        return None
    return {
        "listened_at": doc.get("listened_at"),
        "track_metadata": doc["track_metadata"],
    }


def _described(listen: dict[str, Any] | None) -> str:
    if listen is None:
        return ""
    metadata = listen["track_metadata"]
    artist, title = metadata.get("artist_name"), metadata.get("track_name")
    return f" (the listen of {artist!s:.80} - {title!s:.80} at {listen['listened_at']})"


def _number(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        return None
    return int(text)
