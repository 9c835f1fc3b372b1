"""ListenBrainz's answers, as listenbrainz-server's views give them
(../shared/LISTENBRAINZ.md): validate-token, submit-listens (rules.py), the
listens and playing-now of a user, recording feedback, metadata lookup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import rules
from .rules import BadRequest
from .wire import Answer, error

if TYPE_CHECKING:
    from .server import FakeListenBrainz

PLAYING_NOW_DEFAULT_S = 600


def dispatch(
    fake: FakeListenBrainz,
    call: str,
    args: Any,
    params: dict[str, str],
    headers: dict[str, str],
    body: bytes,
    now: float,
) -> Answer:
    if call == "validate-token":
        return validate_token(fake, params, headers)
    if call in ("listens", "playing-now"):
        if args not in fake.tokens.values():
            raise error(404, f"Cannot find user: {args}")
        if call == "listens":
            return get_listens(fake, args, params, now)
        return get_playing_now(fake, args, now)
    user = user_of(fake, headers)
    if call == "submit-listens":
        return submit(fake, user, body, now)
    if call == "delete-playing-now":
        with fake._lock:
            fake.playing_now.pop(user, None)
        return Answer(200, {"status": "ok"})
    if call == "feedback":
        return feedback(fake, user, headers, body)
    return lookup(fake, params)


def user_of(fake: FakeListenBrainz, headers: dict[str, str]) -> str:
    """The token's user (the scheme word is not checked), or 401."""
    words = headers.get("authorization", "").split()
    if len(words) < 2:
        raise error(401, "You need to provide an Authorization header.")
    user = fake.tokens.get(words[1])
    if user is None:
        raise error(401, "Invalid authorization token.")
    return user


def validate_token(
    fake: FakeListenBrainz, params: dict[str, str], headers: dict[str, str]
) -> Answer:
    words = headers.get("authorization", "").split()
    token = params.get("token") or (
        words[1] if len(words) == 2 and words[0].lower() == "token" else None
    )
    if not token:
        raise error(400, "You need to provide an Authorization token.")
    user = fake.tokens.get(token)
    if user is None:
        return Answer(200, {"code": 200, "message": "Token invalid.", "valid": False})
    return Answer(
        200,
        {"code": 200, "message": "Token valid.", "valid": True, "user_name": user},
    )


def submit(fake: FakeListenBrainz, user: str, body: bytes, now: float) -> Answer:
    try:
        listen_type, listens = rules.submission(body, now)
    except BadRequest as bad:
        raise Answer(400, bad.body()) from None
    with fake._lock:
        if listen_type == "playing_now":
            metadata = listens[0]["track_metadata"]
            info = metadata.get("additional_info") or {}
            seconds = (
                float(info["duration"]) if "duration" in info
                else float(info["duration_ms"]) / 1000 if "duration_ms" in info
                else None
            )  # fmt: skip
            fake.playing_now[user] = (
                metadata,
                now + (seconds or PLAYING_NOW_DEFAULT_S),
            )
            return Answer(200, {"status": "ok"})
        # The keys stored, once a request: a search per listen made a backlog's
        # imports quadratic (seconds of the fake's time in a benchmark).
        keys = {_key_of(x) for x in fake.listens}
        for item in listens:
            store(fake, user, item, now, keys)
    return Answer(200, {"status": "ok"})


def _key_of(stored: dict[str, Any]) -> tuple[int, str, str]:
    """The real duplicate key: (listened_at, user, recording_msid)."""
    return (stored["listened_at"], stored["user_name"], stored["recording_msid"])


def store(
    fake: FakeListenBrainz,
    user: str,
    item: dict[str, Any],
    now: float,
    keys: set[tuple[int, str, str]],
) -> None:
    metadata = item["track_metadata"]
    msid = rules.msid(metadata)
    key = (item["listened_at"], user, msid)
    if key in keys:
        return  # ON CONFLICT DO NOTHING: silent, after the 200
    keys.add(key)
    metadata.setdefault("additional_info", {})["recording_msid"] = msid
    stored = {
        "listened_at": item["listened_at"],
        "inserted_at": now,
        "recording_msid": msid,
        "user_name": user,
        "track_metadata": metadata,
    }
    match = fake.lookups.get(
        (metadata["artist_name"].lower(), metadata["track_name"].lower())
    )
    if match and match.get("recording_mbid"):
        stored["track_metadata"]["mbid_mapping"] = {
            "recording_mbid": match["recording_mbid"]
        }
    fake.stored(stored)


def get_listens(
    fake: FakeListenBrainz, user: str, params: dict[str, str], now: float
) -> Answer:
    try:
        low, high, count = rules.listen_bounds(params)
    except BadRequest as bad:
        raise Answer(400, bad.body()) from None
    with fake._lock:
        visible = [
            x
            for x in fake.listens
            if x["user_name"] == user and fake.visible_at(x) <= now
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


def get_playing_now(fake: FakeListenBrainz, user: str, now: float) -> Answer:
    with fake._lock:
        playing = fake.playing_now.get(user)
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


def feedback(
    fake: FakeListenBrainz, user: str, headers: dict[str, str], body: bytes
) -> Answer:
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
    with fake._lock:
        if score == 0:
            fake.feedback.pop((user, recording), None)
        else:
            fake.feedback[(user, recording)] = score
    return Answer(200, {"status": "ok"})


def lookup(fake: FakeListenBrainz, params: dict[str, str]) -> Answer:
    artist, title = params.get("artist_name"), params.get("recording_name")
    if not artist or not title:
        raise error(400, "artist_name and recording_name are required.")
    names = artist + title + params.get("release_name", "")
    if len(names) > rules.MAX_LOOKUP_CHARS:
        raise error(400, "The search terms are too long.")
    with fake._lock:
        return Answer(200, fake.lookups.get((artist.lower(), title.lower()), {}))
