"""The server's size rules: one request's bytes, listens trimmed, imports split. Pure.

ListenBrainz refuses a body over 10,240 bytes per listen it carries (and over
10,240,000 in all), and an import of more than 1000 listens. Each listen is
kept within MAX_LISTEN_BYTES (its share, less room for the envelope), so any
batch of at most 1000 of them fits; `batches` still checks the byte rule.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import ListenRefusedError

BYTES_PER_LISTEN = 10_240  # the server: body bytes <= this x listens
MAX_BODY_BYTES = 10_240_000
MAX_IMPORT_LISTENS = 1000
ENVELOPE_RESERVE_BYTES = 64  # {"listen_type":"playing_now","payload":[]} is 43
MAX_LISTEN_BYTES = BYTES_PER_LISTEN - ENVELOPE_RESERVE_BYTES
# Names are shortened, when dropping additional_info was not enough, down to this.
MIN_NAME_CHARS = 64
NAMES = ("artist_name", "track_name", "release_name")
# additional_info keys in the order they go when a listen is too large: what
# identifies the recording (MBIDs, duration, track number) goes last.
DROP_ORDER = (
    "origin_url", "music_service_name", "music_service", "media_player_version",
    "submission_client_version", "media_player", "submission_client",
    "artist_mbids", "tracknumber", "duration_ms", "release_mbid", "recording_mbid",
)  # fmt: skip


def encode(listen_type: str, listens: Sequence[dict[str, Any]]) -> bytes:
    """The body of a submit-listens request, as it is sent (and measured)."""
    return _json({"listen_type": listen_type, "payload": list(listens)})


def size_of(listen: dict[str, Any]) -> int:
    """The bytes this listen adds to a body."""
    return len(_json(listen))


def fitted(listen: dict[str, Any], max_bytes: int = MAX_LISTEN_BYTES) -> dict[str, Any]:
    """The listen within `max_bytes`: the same if it fits; else a copy without
    its least useful additional_info, then with its longest names shortened.

    A listen that still does not fit is a ListenRefusedError.
    """
    if size_of(listen) <= max_bytes:
        return listen
    listen = copy.deepcopy(listen)
    metadata = listen["track_metadata"]
    info = metadata.get("additional_info", {})
    for key in (*DROP_ORDER, *sorted(info)):
        info.pop(key, None)
        if size_of(listen) <= max_bytes:
            return listen
    metadata.pop("additional_info", None)
    while (excess := size_of(listen) - max_bytes) > 0:
        name = max((n for n in NAMES if n in metadata), key=lambda n: len(metadata[n]))
        text = metadata[name]
        if len(text) <= MIN_NAME_CHARS:
            raise ListenRefusedError(
                f"A listen of {metadata['artist_name'][:40]!r} - "
                f"{metadata['track_name'][:40]!r} is too large for ListenBrainz "
                f"even when shortened ({size_of(listen)} bytes, at most {max_bytes})"
            )
        # Each character is at least one byte: cutting `excess` of them is enough.
        metadata[name] = text[: max(MIN_NAME_CHARS, len(text) - excess)].rstrip()
    return listen


def batches(listens: Iterable[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Fitted listens, in order, as imports the server takes: each at most
    MAX_IMPORT_LISTENS listens and within the byte rules."""
    found: list[list[dict[str, Any]]] = []
    envelope = len(encode("import", []))
    current: list[dict[str, Any]] = []
    body = envelope
    for listen in listens:
        size = size_of(listen)
        if size > MAX_LISTEN_BYTES:
            raise ValueError("a listen must be fitted before it is batched")
        count = len(current) + 1
        grown = body + size + (1 if current else 0)  # the comma between listens
        limit = min(BYTES_PER_LISTEN * count, MAX_BODY_BYTES)
        if current and (count > MAX_IMPORT_LISTENS or grown > limit):
            found.append(current)
            current, grown = [], envelope + size
        current.append(listen)
        body = grown
    if current:
        found.append(current)
    return found


def _json(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8")
