"""Rules that keep plays out: by artist, album, title, URI prefix, genre or
length, and podcasts and audiobooks. Pure: a track in, the rule that matched out.

Names are matched with case-insensitive globs (`fnmatch`: `*`, `?`, `[abc]`)
on NFKC-normalized, casefolded text, so "kids*" matches "KIDS Band" and
full-width "Kids Band" alike. A glob matches the whole name as Mopidy gives it (several
artists joined with ", "): `*name*` matches a name anywhere in it.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .listening import Track

MS_PER_MINUTE = 60_000
# Mopidy-Podcast (and Mopidy-Podcast-iTunes, which browses through it) gives
# its episodes URIs "podcast+<feed url>#<guid>"; its uri_schemes are these.
PODCAST_URI_PREFIXES = (
    "podcast:",
    "podcast+http:",
    "podcast+https:",
    "podcast+file:",
    # Mopidy-Spotify's podcast episodes and shows, where the backend has them.
    "spotify:episode:",
    "spotify:show:",
)
# Genre tags that say a track is a podcast episode or part of an audiobook.
# "Spoken Word" is left out: comedy and poetry records carry it too.
PODCAST_GENRES = (
    "podcast*",
    "audiobook*",
    "audio book*",
    "hörbuch*",
    "hörspiel*",
    "livre audio*",
    "livres audio*",
)
PODCAST_RULE = "exclude_podcasts_and_audiobooks"


def fold(text: str) -> str:
    """Text as the globs compare it: compatibility forms and case folded."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(fold(pattern)), re.DOTALL)


def glob_matches(pattern: str, text: str) -> bool:
    """Whether `text` matches the glob `pattern`, ignoring case and width."""
    return _compiled(pattern).match(fold(text)) is not None


@dataclasses.dataclass(frozen=True)
class Exclusions:
    """The `exclude_*` settings. Lengths in minutes, 0 = off."""

    artists: tuple[str, ...] = ()
    albums: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    uri_prefixes: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    shorter_than_minutes: float = 0
    longer_than_minutes: float = 0
    podcasts_and_audiobooks: bool = True


def _first_match(patterns: tuple[str, ...], text: str | None) -> str | None:
    if not text:
        return None
    return next((p for p in patterns if glob_matches(p, text)), None)


def excluded_by(track: Track, rules: Exclusions) -> str | None:
    """The rule that keeps plays of `track` out, as the log and page show it
    (e.g. 'rule exclude_artists "kids*"'), or None."""
    named = (
        ("exclude_artists", rules.artists, (track.artist, track.album_artist)),
        ("exclude_albums", rules.albums, (track.album,)),
        ("exclude_titles", rules.titles, (track.title,)),
        ("exclude_genres", rules.genres, (track.genre,)),
    )
    for key, patterns, texts in named:
        for text in texts:
            found = _first_match(patterns, text)
            if found is not None:
                return f'rule {key} "{found}"'
    uri = track.uri.lower()
    prefix = next((p for p in rules.uri_prefixes if uri.startswith(p.lower())), None)
    if prefix is not None:
        return f'rule exclude_uri_prefixes "{prefix}"'
    length = track.length_ms or 0
    shorter, longer = rules.shorter_than_minutes, rules.longer_than_minutes
    if length and shorter and length < shorter * MS_PER_MINUTE:
        return f"rule exclude_shorter_than {shorter:g} min"
    if length and longer and length > longer * MS_PER_MINUTE:
        return f"rule exclude_longer_than {longer:g} min"
    if rules.podcasts_and_audiobooks:
        return _podcast_or_audiobook(track)
    return None


def _podcast_or_audiobook(track: Track) -> str | None:
    uri = track.uri.lower()
    if any(uri.startswith(p) for p in PODCAST_URI_PREFIXES):
        return f"rule {PODCAST_RULE} (a podcast episode)"
    genre = _first_match(PODCAST_GENRES, track.genre)
    if genre is not None:
        return f'rule {PODCAST_RULE} (genre "{track.genre}")'
    return None
