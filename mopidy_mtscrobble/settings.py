"""The `[mtscrobble]` config section: its schema and a typed view of its values."""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Mapping
from typing import Any

from mopidy import config

from .destinations import (
    LASTFM,
    LINE_SYNTAX,
    ListenBrainzDestination,
    parse_listenbrainz,
)
from .exclusions import Exclusions
from .exclusions_config import add_to_schema, check, exclusions_from
from .listening import Rules
from .loved_sync import MIN_SYNC_INTERVAL_MINUTES
from .sending.cleanup import DEFAULT_RULE_SETS, RULE_SETS
from .sending.credit import ALL, ARTIST_CREDITS

OFF = "off"  # no Last.fm-compatible destination
NETWORKS = ("lastfm", "librefm", "custom", OFF)
MIN_THRESHOLD_PERCENT = 50
MAX_THRESHOLD_PERCENT = 100
MIN_RADIO_SECONDS = 30
MAX_MOST_PLAYED_SIZE = 10_000
# Mopidy tells no one its library changed: matches follow it at startup,
# on demand, and every this many minutes (a browse of the library each time).
DEFAULT_REMATCH_INTERVAL_MIN = 360
MAX_REMATCH_INTERVAL_MIN = 7 * 24 * 60
MAX_LOST_ANSWER_WAIT_S = 24 * 60 * 60
API_ACCOUNT_URL = "https://www.last.fm/api/account/create"


class HttpsUrl(config.String):
    """An optional https:// URL, such as a Last.fm-compatible 2.0 endpoint."""

    def __init__(self) -> None:
        super().__init__(optional=True)

    def deserialize(self, value: Any) -> str | None:
        value = super().deserialize(value)
        if not value:
            return None
        parts = urllib.parse.urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(
                f"must be an https:// URL such as https://scrobbler.example.org/2.0/, "
                f"not {value!r}"
            )
        return str(value)


class ListenBrainzList(config.List):
    """`listenbrainz`: one destination per line, `NAME TOKEN [URL]`. Holds
    tokens: shown as a whole as ******** (like config.Secret)."""

    def __init__(self) -> None:
        super().__init__(optional=True)

    def deserialize(self, value: Any) -> tuple[ListenBrainzDestination, ...]:
        text = config.String(optional=True).deserialize(value) or ""
        separator = "\n" if "\n" in text else ","
        return parse_listenbrainz(tuple(text.split(separator)))

    def serialize(self, value: Any, display: bool = False) -> str:
        if not value:
            return ""
        if display:
            return "********"
        return "\n  " + "\n  ".join(f"{d.name} {d.token} {d.url}" for d in value)


class RuleSetList(config.List):
    """`name_cleanup`: names of cleanup rule sets; `none` or empty: no cleanup."""

    def __init__(self) -> None:
        super().__init__(optional=True)

    def deserialize(self, value: Any) -> tuple[str, ...]:
        names = [n.strip().lower() for n in super().deserialize(value) or ()]
        names = [n for n in names if n]
        if names == ["none"]:
            return ()
        unknown = [n for n in names if n not in RULE_SETS]
        if unknown:
            raise ValueError(
                f"unknown rule set {', '.join(map(repr, unknown))}: the known sets "
                f"are {', '.join(RULE_SETS)} (or none, for no cleanup)"
            )
        return tuple(dict.fromkeys(names))

    def serialize(self, value: Any, display: bool = False) -> str:
        return ", ".join(value) if value else "none"


class SyncInterval(config.Integer):
    """`loved_sync_interval`: minutes between checks of the loved tracks on
    the server; 0 (or empty) = off."""

    def __init__(self) -> None:
        super().__init__(minimum=0, optional=True)

    def deserialize(self, value: Any) -> int:
        minutes = super().deserialize(value) or 0
        if 0 < minutes < MIN_SYNC_INTERVAL_MINUTES:
            raise ValueError(
                f"must be 0 (off) or at least {MIN_SYNC_INTERVAL_MINUTES} minutes, "
                f"not {minutes}: Last.fm limits how often a client may ask, and "
                "a few hours is usual (e.g. 180)"
            )
        return int(minutes)


class KeepDays(config.Integer):
    """`history_keep_days`: days the listening history keeps a play; 0 (or
    empty) = forever."""

    def __init__(self) -> None:
        super().__init__(optional=True)

    def deserialize(self, value: Any) -> int:
        try:
            days = super().deserialize(value) or 0
        except ValueError:
            days = -1
        if days < 0:
            raise ValueError(
                f"must be a whole number of days, 0 (keep forever) or more, not "
                f"{value!r}: e.g. history_keep_days = 365 keeps a year"
            )
        return int(days)


class SectionSchema(config.ConfigSchema):
    """The schema, plus the rules that involve more than one key."""

    def deserialize(
        self, values: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        result, errors = super().deserialize(values)
        check(result, errors)
        if "network" in errors or "api_url" in errors:
            return result, errors
        network, api_url = result.get("network"), result.get("api_url")
        wanted = network == OFF and not result.get("listenbrainz")
        if wanted and "listenbrainz" not in errors:
            errors["listenbrainz"] = (
                f"must hold a destination ({LINE_SYNTAX}) when network = off: "
                "else plays would go nowhere"
            )
        if network == "custom" and not api_url:
            errors["api_url"] = (
                "must be set when network = custom: the https URL of your "
                "server's Last.fm-compatible 2.0 API, e.g. https://example.org/2.0/"
            )
        elif network != "custom" and api_url:
            errors["api_url"] = (
                f"must be empty when network = {network}: "
                "set network = custom to use your own server"
            )
        return result, errors


def build_schema(name: str, base: config.ConfigSchema) -> SectionSchema:
    schema = SectionSchema(name)
    for key, value in base.items():
        schema[key] = value
    schema["network"] = config.String(choices=NETWORKS)
    schema["api_url"] = HttpsUrl()
    schema["api_key"] = config.Secret(optional=True)
    schema["api_secret"] = config.Secret(optional=True)
    schema["username"] = config.String(optional=True)
    schema["password"] = config.Secret(optional=True)
    schema["listenbrainz"] = ListenBrainzList()
    schema["scrobble_threshold"] = config.Integer(
        minimum=MIN_THRESHOLD_PERCENT, maximum=MAX_THRESHOLD_PERCENT
    )
    schema["scrobble_cap"] = config.Integer(minimum=0)
    schema["now_playing"] = config.Boolean()
    schema["excluded_uri_schemes"] = config.List(optional=True)
    schema["scrobble_radio"] = config.Boolean()
    schema["radio_min_seconds"] = config.Integer(minimum=MIN_RADIO_SECONDS)
    schema["history_days"] = config.Integer(minimum=1)
    schema["favorites_uri_schemes"] = config.List(optional=True)
    schema["most_played_size"] = config.Integer(minimum=1, maximum=MAX_MOST_PLAYED_SIZE)
    schema["name_cleanup"] = RuleSetList()
    schema["artist_credit"] = config.String(choices=ARTIST_CREDITS)
    add_to_schema(schema)
    schema["loved_sync_interval"] = SyncInterval()
    schema["rematch_interval"] = config.Integer(
        minimum=0, maximum=MAX_REMATCH_INTERVAL_MIN, optional=True
    )
    schema["m3u_mirror"] = config.Boolean(optional=True)
    schema["history_keep_days"] = KeepDays()
    schema["lost_answer_wait"] = config.Integer(
        minimum=0, maximum=MAX_LOST_ANSWER_WAIT_S, optional=True
    )
    return schema


@dataclasses.dataclass(frozen=True)
class Settings:
    """The validated `[mtscrobble]` values, typed. Secrets are hidden from repr."""

    network: str = "lastfm"
    api_url: str | None = None
    api_key: str | None = dataclasses.field(default=None, repr=False)
    api_secret: str | None = dataclasses.field(default=None, repr=False)
    username: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    listenbrainz: tuple[ListenBrainzDestination, ...] = ()
    scrobble_threshold: int = 90
    scrobble_cap: int = 240
    now_playing: bool = True
    excluded_uri_schemes: frozenset[str] = frozenset()
    scrobble_radio: bool = True
    radio_min_seconds: int = 60
    history_days: int = 90
    favorites_uri_schemes: tuple[str, ...] = ("local", "file")
    most_played_size: int = 100
    name_cleanup: tuple[str, ...] = DEFAULT_RULE_SETS
    artist_credit: str = ALL
    exclusions: Exclusions = dataclasses.field(default_factory=Exclusions)
    private_default: str = "1h"
    loved_sync_interval: int = 0  # minutes; 0 = off
    rematch_interval: int = DEFAULT_REMATCH_INTERVAL_MIN  # minutes, 0: off
    m3u_mirror: bool = True  # our playlists also as M3U ones (for Iris)
    history_keep_days: int = 0  # days the listening history keeps a play, 0: forever
    # Seconds the server's listing has to show a scrobble whose answer was
    # lost before it is sent again (see delivery/scrobbles.py).
    lost_answer_wait: int = 30 * 60

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> Settings:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in section.items() if k in names and v is not None}
        values["excluded_uri_schemes"] = frozenset(
            _schemes(section.get("excluded_uri_schemes") or ())
        )
        if "favorites_uri_schemes" in section:
            values["favorites_uri_schemes"] = _schemes(
                section.get("favorites_uri_schemes") or ()
            )
        values["exclusions"] = exclusions_from(section)
        return cls(**values)

    @property
    def destinations(self) -> tuple[str, ...]:
        """Where each qualified play is queued to go: the Last.fm-compatible
        network (whichever server it is, unless off), then each ListenBrainz one."""
        lastfm = () if self.network == OFF else (LASTFM,)
        return (*lastfm, *(d.name for d in self.listenbrainz))

    @property
    def destinations_named(self) -> str:
        """The destinations as the user knows them, for the log."""
        lastfm = [] if self.network == OFF else [self.network_name]
        return ", ".join([*lastfm, *(d.display_name for d in self.listenbrainz)])

    @property
    def network_name(self) -> str:
        return {"lastfm": "Last.fm", "librefm": "Libre.fm", OFF: "no Last.fm"}.get(
            self.network, self.api_url or "custom server"
        )

    def rules(self) -> Rules:
        return Rules(
            threshold_percent=self.scrobble_threshold,
            cap_seconds=self.scrobble_cap,
            excluded_uri_schemes=self.excluded_uri_schemes,
            scrobble_radio=self.scrobble_radio,
            radio_min_seconds=self.radio_min_seconds,
            exclusions=self.exclusions,
        )

    def missing_credentials(self) -> list[str]:
        """The config keys that must still be set before anything can be sent
        to the Last.fm-compatible network (none when it is off)."""
        if self.network == OFF:
            return []
        return [key for key in ("api_key", "api_secret") if not getattr(self, key)]

    def credentials_problem(self) -> str | None:
        """What is missing to send anything, and what to do; None if nothing."""
        missing = self.missing_credentials()
        if not missing:
            return None
        keys = " and ".join(f"mtscrobble/{key}" for key in missing)
        where = (
            f"Create an API account at {API_ACCOUNT_URL} and put its key and secret"
            if self.network == "lastfm"
            else f"Put the API key and secret for {self.network_name}"
        )
        return (
            f"{keys} not set, so nothing can be sent to {self.network_name} (plays "
            f"are still recorded). {where} in the [mtscrobble] section of "
            "mopidy.conf, then restart Mopidy."
        )


def _schemes(values: Any) -> tuple[str, ...]:
    """URI schemes as written in a list, without ':' and in order, once each."""
    schemes = (v.strip().lower().rstrip(":") for v in values)
    return tuple(dict.fromkeys(s for s in schemes if s))
