"""The real server's rules for what it takes, as listenbrainz-server's api_tools.py
and views apply them (../shared/LISTENBRAINZ.md). Pure; written apart from the
client's own rules so that a mistake in those is caught here.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

LISTEN_MINIMUM_TS = 1_033_410_600
MAX_FUTURE_S = 3600
MAX_LISTEN_SIZE = 10_240
MAX_LISTEN_PAYLOAD_SIZE = 10_240_000
MAX_LISTENS_PER_REQUEST = 1000
MAX_TAGS_PER_LISTEN = 50
MAX_TAG_SIZE = 64
MAX_DURATION_S = 24 * 86_400
LISTEN_TYPES = ("single", "import", "playing_now")
SINGLE_MBID_KEYS = (
    "release_mbid",
    "recording_mbid",
    "release_group_mbid",
    "track_mbid",
)
MULTI_MBID_KEYS = ("artist_mbids", "work_mbids")
FEEDBACK_KEYS = {"recording_mbid", "recording_msid", "score"}
MAX_LOOKUP_CHARS = 250
DEFAULT_COUNT = 25
MAX_COUNT = 1000
_SURROGATE = re.compile("[\ud800-\udfff]")
_MSID_NAMESPACE = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")


class BadRequest(Exception):
    """HTTP 400 {"code": 400, "error": message}, with the bad listen merged in."""

    def __init__(self, message: str, listen: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.listen = listen if isinstance(listen, dict) else None

    def body(self) -> dict[str, Any]:
        merged: dict[str, Any] = {"code": 400, "error": self.message}
        if self.listen is not None:
            for key in ("listened_at", "track_metadata"):
                if key in self.listen:
                    merged[key] = self.listen[key]
        return merged


def parse_json(raw: bytes) -> Any:
    """As strict as orjson: UTF-8, no NaN or Infinity, no lone surrogates."""
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_refuse)
    except (ValueError, RecursionError) as error:
        raise BadRequest(f"Cannot parse JSON document: {error}") from None
    if _has_surrogate(data):
        raise BadRequest("Cannot parse JSON document: str is not valid UTF-8")
    return data


def submission(raw: bytes, now: float) -> tuple[str, list[dict[str, Any]]]:
    """(listen_type, valid listens, as the server keeps them) or BadRequest."""
    if len(raw) > MAX_LISTEN_PAYLOAD_SIZE:
        raise BadRequest("Payload too large.")
    data = parse_json(raw)
    if not isinstance(data, dict) or "payload" not in data or "listen_type" not in data:
        raise BadRequest("Invalid JSON document submitted.")
    payload, listen_type = data["payload"], data["listen_type"]
    if not isinstance(payload, list):
        raise BadRequest(
            "The payload in the JSON document should be a list of listens."
        )
    if not payload:
        raise BadRequest("JSON document does not contain any listens")
    if len(raw) > len(payload) * MAX_LISTEN_SIZE:
        raise BadRequest(
            "JSON document is too large. In aggregate, listens may not be larger "
            f"than {MAX_LISTEN_SIZE} characters."
        )
    if listen_type not in LISTEN_TYPES:
        raise BadRequest("JSON document requires a valid listen_type key.")
    if listen_type != "import" and len(payload) > 1:
        raise BadRequest(
            "JSON document contains more than listen for a single/playing_now. "
            "It should contain only one."
        )
    if len(payload) > MAX_LISTENS_PER_REQUEST:
        raise BadRequest(
            "Too many listens. You may not submit more than "
            f"{MAX_LISTENS_PER_REQUEST} listens at once."
        )
    return listen_type, [listen(item, listen_type, now) for item in payload]


def listen(item: Any, listen_type: str, now: float) -> dict[str, Any]:
    """One listen made valid (stripped, empty values dropped), or BadRequest."""
    if not isinstance(item, dict):
        raise BadRequest("Listen is empty and cannot be validated.")
    item = json.loads(json.dumps(item))  # a copy the rules may change
    if listen_type in ("single", "import"):
        if "listened_at" not in item:
            raise BadRequest(
                "JSON document must contain the key listened_at at the top level.", item
            )
        try:
            item["listened_at"] = int(item["listened_at"])
        except (ValueError, TypeError, OverflowError):
            raise BadRequest(
                "JSON document must contain an int value for listened_at.", item
            ) from None
        if len(item) > 2 or "track_metadata" not in item:
            raise BadRequest(
                "JSON document may only contain listened_at and track_metadata top "
                "level keys",
                item,
            )
        if item["listened_at"] >= now + MAX_FUTURE_S:
            raise BadRequest("Value for key listened_at is too high.", item)
        if item["listened_at"] < LISTEN_MINIMUM_TS:
            raise BadRequest(
                "Value for key listened_at is too low. listened_at timestamp should "
                f"be greater than {LISTEN_MINIMUM_TS} (2002-10-01 00:00:00 UTC).",
                item,
            )
    else:
        if "listened_at" in item:
            raise BadRequest(
                "JSON document must not contain listened_at while submitting "
                "playing_now.",
                item,
            )
        if len(item) > 1:
            raise BadRequest(
                "JSON document may only contain track_metadata as top level key when "
                "submitting playing_now.",
                item,
            )
    metadata = item.get("track_metadata")
    if not isinstance(metadata, dict):
        raise BadRequest(
            "JSON document must contain the key track_metadata at the top level.", item
        )
    for key in ("artist_name", "track_name"):
        value = metadata.get(key)
        if not isinstance(value, str):
            raise BadRequest(f"JSON document does not contain required {key}.", item)
        metadata[key] = value.strip()
        if not metadata[key]:
            raise BadRequest(f"required field {key} is empty.", item)
    if "release_name" in metadata:
        release = metadata["release_name"]
        if release is not None and not isinstance(release, str):
            raise BadRequest("release_name must be a string.", item)
        if not (release or "").strip():
            del metadata["release_name"]
        else:
            metadata["release_name"] = release.strip()
    if "additional_info" in metadata:
        _additional_info(metadata, item)
    if _has_nul(item):
        raise BadRequest("\x00 not allowed in listens", item)
    return item


def _additional_info(metadata: dict[str, Any], item: dict[str, Any]) -> None:
    info = metadata["additional_info"]
    if not isinstance(info, dict):
        raise BadRequest("additional_info must be a JSON object.", item)
    tags = info.get("tags")
    if tags is not None:
        if not isinstance(tags, list) or len(tags) > MAX_TAGS_PER_LISTEN:
            raise BadRequest(
                f"JSON document may not contain more than {MAX_TAGS_PER_LISTEN} "
                "items in track_metadata.additional_info.tags.",
                item,
            )
        if any(not isinstance(t, str) or len(t) > MAX_TAG_SIZE for t in tags):
            raise BadRequest(
                "JSON document may not contain track_metadata.additional_info.tags "
                f"longer than {MAX_TAG_SIZE} characters.",
                item,
            )
    if "duration" in info and "duration_ms" in info:
        raise BadRequest(
            "JSON document should not contain both duration and duration_ms.", item
        )
    for key, limit in (
        ("duration", MAX_DURATION_S),
        ("duration_ms", MAX_DURATION_S * 1000),
    ):
        if key in info:
            try:
                value = int(float(info[key]))
            except (ValueError, TypeError, OverflowError):
                raise BadRequest(
                    f"Value for {key} is invalid, should be an integer.", item
                ) from None
            if not 0 < value <= limit:
                raise BadRequest(
                    f"Value for {key} is invalid, should be positive.", item
                )
    for key in SINGLE_MBID_KEYS:
        value = info.get(key, "")
        if value is None or value == "":
            info.pop(key, None)
        elif not is_uuid(value):
            raise BadRequest(f"{key} MBID format invalid.", item)
    for key in MULTI_MBID_KEYS:
        values = info.get(key)
        if values is None:
            continue
        if not isinstance(values, list):
            raise BadRequest(f"{key} must be a list of MBIDs.", item)
        kept = [v for v in values if v is not None and v != ""]
        if any(not is_uuid(v) for v in kept):
            raise BadRequest(f"{key} MBID format invalid.", item)
        info[key] = kept


def is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def msid(metadata: dict[str, Any]) -> str:
    """MessyBrainz's key: names (any case), the writer's track_number, duration."""
    info = metadata.get("additional_info") or {}
    key = [
        metadata["track_name"].lower(),
        metadata["artist_name"].lower(),
        (metadata.get("release_name") or "").lower(),
        str(info.get("track_number") or ""),
        str(info.get("duration_ms") or ""),
    ]
    return str(uuid.uuid5(_MSID_NAMESPACE, json.dumps(key)))


def listen_bounds(params: dict[str, str]) -> tuple[int | None, int | None, int]:
    """(min_ts, max_ts, count) of GET listens, or BadRequest."""
    found: dict[str, int | None] = {}
    for name in ("min_ts", "max_ts", "count"):
        raw = params.get(name)
        if raw is None:
            found[name] = None
            continue
        try:
            found[name] = int(raw)
        except ValueError:
            raise BadRequest(f"'{name}' should be a valid integer.") from None
    count = found["count"]
    if count is not None and count < 0:
        raise BadRequest("Number of items requested should be positive")
    low, high = found["min_ts"], found["max_ts"]
    if low is not None and high is not None and high <= low:
        raise BadRequest("min_ts should be less than max_ts")
    return low, high, min(DEFAULT_COUNT if count is None else count, MAX_COUNT)


def feedback(data: Any) -> tuple[str, int]:
    """(recording mbid or msid, score) of a feedback body, or BadRequest."""
    if not isinstance(data, dict) or set(data) - FEEDBACK_KEYS:
        raise BadRequest(
            "JSON document may only contain recording_msid, recording_mbid and score",
            data,
        )
    score = data.get("score")
    if isinstance(score, bool) or score not in (-1, 0, 1):
        raise BadRequest("Feedback can only have a value of 1, 0 or -1.", data)
    ids = [data[k] for k in ("recording_mbid", "recording_msid") if k in data]
    if not ids:
        raise BadRequest(
            "JSON document must contain either recording_msid or "
            "recording_mbid, and score top level keys",
            data,
        )
    if any(not is_uuid(i) for i in ids):
        raise BadRequest("recording_msid or recording_mbid is not a valid UUID.", data)
    return str(uuid.UUID(ids[0])), score


def _refuse(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _has_surrogate(value: Any) -> bool:
    return _any_string(value, lambda s: bool(_SURROGATE.search(s)))


def _has_nul(value: Any) -> bool:
    return _any_string(value, lambda s: "\x00" in s)


def _any_string(value: Any, test: Any) -> bool:
    if isinstance(value, str):
        return bool(test(value))
    if isinstance(value, dict):
        return any(
            _any_string(k, test) or _any_string(v, test) for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_any_string(v, test) for v in value)
    return False
