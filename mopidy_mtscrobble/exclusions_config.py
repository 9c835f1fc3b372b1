"""The `[mtscrobble]` keys of the rules that keep plays out and of private
mode's default: their schema, their checks, and the typed values they give."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mopidy import config

from .exclusions import Exclusions, fold
from .private import DURATIONS

GLOB_KEYS = ("exclude_artists", "exclude_albums", "exclude_titles", "exclude_genres")
MINUTES_KEYS = ("exclude_shorter_than", "exclude_longer_than")
MAX_MINUTES = 24 * 60


class GlobList(config.List):
    """Case-insensitive globs, one per line (or comma-separated). A glob that
    matches everything is refused: it would keep every play out."""

    def __init__(self) -> None:
        super().__init__(optional=True)

    def deserialize(self, value: Any) -> tuple[str, ...]:
        globs = tuple(g.strip() for g in super().deserialize(value) if g.strip())
        for glob in globs:
            if not fold(glob).strip("*"):
                raise ValueError(
                    f"{glob!r} matches every name, so no play would be scrobbled: "
                    "remove it, or write a pattern such as 'kids*'"
                )
        return globs


class UriPrefixList(config.List):
    """URI prefixes such as 'spotify:episode:' or 'local:track:Audiobooks/'."""

    def __init__(self) -> None:
        super().__init__(optional=True)

    def deserialize(self, value: Any) -> tuple[str, ...]:
        prefixes = tuple(p.strip() for p in super().deserialize(value) if p.strip())
        for prefix in prefixes:
            scheme = prefix.split(":", 1)[0]
            if ":" not in prefix or not scheme:
                raise ValueError(
                    f"{prefix!r} is not the start of a Mopidy URI: write it with "
                    "its scheme, e.g. 'spotify:episode:' or 'local:track:Kids/'"
                )
        return prefixes


def add_to_schema(schema: config.ConfigSchema) -> None:
    for key in GLOB_KEYS:
        schema[key] = GlobList()
    schema["exclude_uri_prefixes"] = UriPrefixList()
    for key in MINUTES_KEYS:
        schema[key] = config.Integer(minimum=0, maximum=MAX_MINUTES)
    schema["exclude_podcasts_and_audiobooks"] = config.Boolean()
    schema["private_default"] = config.String(choices=tuple(DURATIONS))


def check(result: Mapping[str, Any], errors: dict[str, str]) -> None:
    """The rule between two keys: a play cannot be both too short and too long."""
    shorter = result.get("exclude_shorter_than") or 0
    longer = result.get("exclude_longer_than") or 0
    if shorter and longer and shorter >= longer and not errors.keys() & MINUTES_KEYS:
        errors["exclude_longer_than"] = (
            f"must be more than exclude_shorter_than ({shorter}) or 0: with "
            f"{longer} no play could be scrobbled"
        )


def exclusions_from(section: Mapping[str, Any]) -> Exclusions:
    podcasts = section.get("exclude_podcasts_and_audiobooks")
    return Exclusions(
        artists=tuple(section.get("exclude_artists") or ()),
        albums=tuple(section.get("exclude_albums") or ()),
        titles=tuple(section.get("exclude_titles") or ()),
        uri_prefixes=tuple(section.get("exclude_uri_prefixes") or ()),
        genres=tuple(section.get("exclude_genres") or ()),
        shorter_than_minutes=section.get("exclude_shorter_than") or 0,
        longer_than_minutes=section.get("exclude_longer_than") or 0,
        podcasts_and_audiobooks=True if podcasts is None else bool(podcasts),
    )
