"""Where plays are delivered: each destination by the stable name the store
keeps its delivery states under, and the ListenBrainz-compatible ones as the
config writes them. Pure data.

A name never changes once plays were queued under it: the store would take a
new name for a destination that never had any play.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import urllib.parse

# Last.fm, Libre.fm or a custom Last.fm-compatible server (setting `network`):
# one destination whichever server it is, as before there were several.
LASTFM = "lastfm"
LISTENBRAINZ_URL = "https://api.listenbrainz.org"
NAME_PATTERN = re.compile(r"[a-z0-9_-]{1,32}")
# Plain http:// only to hosts that cannot be on the open internet: the user
# token travels in a header of every request, readable by anyone on the path.
LOCAL_SUFFIXES = (".local", ".lan", ".home.arpa", ".internal")
LINE_SYNTAX = "NAME TOKEN [URL]"


@dataclasses.dataclass(frozen=True)
class ListenBrainzDestination:
    """A ListenBrainz-compatible server (ListenBrainz itself, Maloja, ...)."""

    name: str
    token: str = dataclasses.field(repr=False)
    url: str = LISTENBRAINZ_URL

    @property
    def display_name(self) -> str:
        return f"ListenBrainz ({self.name})"


def parse_listenbrainz(lines: tuple[str, ...]) -> tuple[ListenBrainzDestination, ...]:
    """One destination per line, `NAME TOKEN [URL]`; ValueError naming the
    line and the problem (never the token)."""
    found: list[ListenBrainzDestination] = []
    for number, line in enumerate(lines, 1):
        words = line.split()
        if not words:
            continue
        where = f"line {number}"  # not its words: one may be the token
        if len(words) not in (2, 3):
            raise ValueError(
                f"{where}: each line is {LINE_SYNTAX}, separated by spaces "
                f"(found {len(words)} words)"
            )
        name, token = words[0], words[1]
        url = words[2] if len(words) == 3 else LISTENBRAINZ_URL
        if not NAME_PATTERN.fullmatch(name):
            raise ValueError(
                f"line {number}: the name must be 1 to 32 of a-z, 0-9, _ and -"
            )
        if name == LASTFM:
            raise ValueError(f"{where}: {LASTFM!r} is the Last.fm destination's name")
        if any(d.name == name for d in found):
            raise ValueError(f"{where}: the name {name!r} is used twice")
        if not token.isascii() or not token.isprintable():
            raise ValueError(f"{where}: the token holds characters no token has")
        problem = url_problem(url)
        if problem:
            raise ValueError(f"{where}: {problem}")
        found.append(ListenBrainzDestination(name, token, url.rstrip("/")))
    return tuple(found)


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a ListenBrainz API address; None if it can."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return f"{url[:100]!r} is not a valid URL"
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        return f"the URL must start with https://, not {url[:100]!r}"
    if parts.query or parts.fragment:
        return f"the URL {url[:100]!r} must not have a query or fragment"
    if parts.scheme == "http" and not _local(host):
        return (
            f"the URL {url[:100]!r} must be https:// (http:// is allowed only for "
            "a server on this machine or your own network: the token would "
            "travel readable)"
        )
    return None


def _local(host: str) -> bool:
    if host == "localhost" or "." not in host or host.endswith(LOCAL_SUFFIXES):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local
