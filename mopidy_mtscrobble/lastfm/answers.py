"""Reading what a server answers: a well-formed success, or a classified error.

Whatever a server, a proxy or a captive portal sends is classified here, so
that delivery knows what to do: a Last.fm error code by its meaning; HTTP 5xx
and answers that are not a well-formed Last.fm answer as "answer lost" (the
request may have been applied); HTTP 4xx without a Last.fm error as a refusal.
The helpers read the parts of a document without ever raising anything but
AnswerLostError (`reading`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Iterator
from typing import Any
from xml.dom import minidom

from ..errors import (
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
from .adapter import httpx, underlying_error

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
DIGITS = re.compile(r"[0-9]{1,18}")


@dataclasses.dataclass(frozen=True)
class ItemResult:
    """The server's answer for one scrobble of a batch. code 0 = accepted."""

    code: int
    message: str

    @property
    def accepted(self) -> bool:
        return self.code == 0


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
    if doc is not None and doc.documentElement is not None:
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
    return (int(code) if DIGITS.fullmatch(code) else None), _one_line(text)


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


def classify_network_error(exc: Any, network: str, method: str) -> TransientError:
    cause = underlying_error(exc)
    reason = _one_line(str(cause)) or type(cause).__name__
    if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout):
        return UnreachableError(f"Cannot reach {network}: {reason}")
    # The request may have been sent and applied; only its answer is missing.
    return NoAnswerError(f"No answer from {network} to {method}: {reason}")


@contextlib.contextmanager
def reading(network: str, method: str) -> Iterator[None]:
    """An answer of an unexpected shape is an answer lost, not a crash."""
    try:
        yield
    except (IndexError, ValueError, AttributeError, TypeError, KeyError) as exc:
        raise AnswerLostError(
            f"{network} answered {method} in a shape that cannot be read "
            f"({type(exc).__name__})"
        ) from None


def item_result(node: minidom.Element) -> ItemResult:
    messages = node.getElementsByTagName("ignoredMessage")
    if not messages:
        return ItemResult(0, "")
    raw = messages[0].getAttribute("code").strip()
    if not DIGITS.fullmatch(raw):
        raise ValueError("an ignoredMessage without a code")  # not "accepted"
    code = int(raw)
    text = "".join(c.data for c in messages[0].childNodes if c.nodeType == c.TEXT_NODE)
    return ItemResult(code, _one_line(text) or IGNORED_REASONS.get(code, ""))


def text_of(doc: minidom.Document, tag: str) -> str:
    nodes = doc.getElementsByTagName(tag)
    text = "".join(
        c.data
        for c in (nodes[0].childNodes if nodes else ())
        if c.nodeType == c.TEXT_NODE
    ).strip()
    if not text:
        raise AnswerLostError(f"The server's answer has no <{tag}>")
    return text


def child_text(node: minidom.Element, tag: str) -> str:
    for child in node.childNodes:
        if child.nodeType == child.ELEMENT_NODE and child.tagName == tag:
            if child.getElementsByTagName("name"):  # extended format
                return child_text(child, "name")
            return "".join(
                t.data for t in child.childNodes if t.nodeType == t.TEXT_NODE
            )
    return ""


def container(doc: minidom.Document, tag: str, network: str) -> minidom.Element:
    nodes = doc.getElementsByTagName(tag)
    if not nodes:
        raise AnswerLostError(f"{network} answered without <{tag}>")
    return nodes[0]


def int_attribute(node: minidom.Element, name: str, default: int) -> int:
    value = node.getAttribute(name).strip()
    return int(value) if DIGITS.fullmatch(value) else default


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())[:300]
