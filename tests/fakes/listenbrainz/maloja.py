"""Maloja's ListenBrainz API, as maloja/apis/listenbrainz.py answers it
(../shared/LISTENBRAINZ.md): under /apis/listenbrainz, any API key as the
token (401 otherwise, validate-token included), JSON only (415), timestamps
unique across the database (same second and track: dropped; another track:
409), an import that stops at its first problem, no rate limits, and
"Invalid Method" with HTTP 200 for everything else.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .wire import Answer

if TYPE_CHECKING:
    from .server import FakeListenBrainz

INVALID_METHOD = {"code": 200, "error": "Invalid Method"}


def failure(status: int, kind: str, desc: str) -> Answer:
    return Answer(status, {"status": "failure", "error": {"type": kind, "desc": desc}})


def dispatch(
    fake: FakeListenBrainz,
    call: str,
    params: dict[str, str],
    headers: dict[str, str],
    body: bytes,
    now: float,
) -> Answer:
    if call not in ("validate-token", "submit-listens"):
        return Answer(200, INVALID_METHOD)
    if call == "submit-listens" and not headers.get("content-type", "").startswith(
        "application/json"
    ):
        return Answer(415, b"Unsupported Media Type", "text/plain")
    data: Any = None
    if body:
        try:
            data = json.loads(body)
        except ValueError:
            return failure(400, "malformed_request", "The request is not JSON")
    user = _user(fake, headers, params, data)
    if call == "validate-token":
        return Answer(
            200,
            {"code": 200, "message": "Token valid.", "valid": True, "user_name": user},
        )
    if not isinstance(data, dict) or not isinstance(data.get("payload"), list):
        return failure(400, "malformed_request", "Invalid JSON document")
    if data.get("listen_type") == "playing_now":
        return Answer(200, {"status": "ok"})  # not stored
    with fake._lock:
        for item in data["payload"]:
            outcome = _scrobble(fake, user, item, now)
            if outcome is not None:
                return outcome
    return Answer(200, {"status": "ok"})


def _user(
    fake: FakeListenBrainz, headers: dict[str, str], params: dict[str, str], data: Any
) -> str:
    words = headers.get("authorization", "").split()
    key = words[1] if len(words) == 2 and words[0].lower() == "token" else None
    key = key or params.get("token")
    if key is None and isinstance(data, dict) and isinstance(data.get("token"), str):
        key = data["token"]
    user = fake.tokens.get(key or "")
    if user is None:
        raise failure(401, "authentication_fail", "Invalid or missing authentication")
    return user


def _scrobble(
    fake: FakeListenBrainz, user: str, item: Any, now: float
) -> Answer | None:
    """None when stored; an answer that ends the import otherwise."""
    metadata = item.get("track_metadata") if isinstance(item, dict) else None
    if not isinstance(metadata, dict):
        return failure(400, "malformed_request", "Invalid listen")
    title = metadata.get("track_name")
    if not title:
        return failure(500, "unknown_error", "Internal server error")
    at = int(item.get("listened_at") or now)
    track = (str(metadata.get("artist_name")).lower(), str(title).lower())
    for stored in fake.listens:
        if stored["listened_at"] == at:
            other = stored["track_metadata"]
            if (other["artist_name"].lower(), other["track_name"].lower()) == track:
                return Answer(200, {"status": "ok"})  # dropped, and the rest with it
            return failure(409, "entity_exists", f"A scrobble at {at} already exists")
    fake.listens.append(
        {
            "listened_at": at,
            "inserted_at": now,
            "user_name": user,
            "recording_msid": None,
            "track_metadata": metadata,
        }
    )
    return None
