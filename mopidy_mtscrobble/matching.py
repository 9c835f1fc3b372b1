"""When a Last.fm track and a local track are the same song: the matching rule.

The same song by the same performing artist matches in any release variant of
the same recording (remasters, mono/stereo, single/album version,
explicit/clean, deluxe or bonus markers, radio edit). Live recordings, remixes,
acoustic/unplugged takes, demos, instrumentals, karaoke and covers are other
recordings and do not match. Names are equal up to case, whitespace, Unicode
form (full-width letters included), typographic quotes and dashes, "&" versus
"and", a leading "The " or trailing ", The", missing diacritics, and featured
artists written in the artist or in the title.

Pure code: used by the loved-tracks import and the play-count sync. What a
qualifier means is in `qualifiers`, shared with the name cleanup of `sending`.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata

from .qualifiers import (
    DISTINCT_RECORDINGS,
    FEATURING,
    FEATURING_ANY_CASE,
    QUALIFIER_IN_BRACKETS,
    RELEASE_VARIANT,
)

PUNCTUATION_TO_SPACE = re.compile(r"[^\w'&+]+")

TRANSLATE = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u0060": "'", "\u00b4": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-",
    }
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class MatchKey:
    """Two tracks match when their keys are equal."""

    artist: str
    title: str
    recording: frozenset[str]  # e.g. {"live"}; empty for the studio recording


def fold(text: str) -> str:
    """Case, Unicode form, width, quotes, dashes and diacritics folded away."""
    text = unicodedata.normalize("NFKC", text).translate(TRANSLATE)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


def _words(text: str) -> str:
    text = text.replace("&", " and ").replace("+", " and ")
    return " ".join(PUNCTUATION_TO_SPACE.sub(" ", text).replace("'", "").split())


def _without_featuring(text: str) -> str:
    match = FEATURING.search(text + " ")
    return text[: match.start()].strip(" -,") if match else text


def artist_key(name: str) -> str:
    text = _without_featuring(QUALIFIER_IN_BRACKETS.sub(
        lambda m: "" if FEATURING.match(m.group(1) + " ") else m.group(0), fold(name)
    ))  # fmt: skip
    if text.endswith(", the"):
        text = text[: -len(", the")]
    text = _words(text)
    if text.startswith("the "):
        text = text[len("the ") :]
    return text


def title_key(title: str) -> tuple[str, frozenset[str]]:
    """The title without release qualifiers, and the recording it names."""
    text = fold(title)
    qualifiers = [m.group(1) for m in QUALIFIER_IN_BRACKETS.finditer(text)]
    text = QUALIFIER_IN_BRACKETS.sub("", text)
    # "Song - 2011 Remaster", "Song - Live at X": a qualifier after a dash.
    base, dash, tail = text.partition(" - ")
    if dash and _is_qualifier(tail):
        qualifiers.append(tail)
        text = base
    recording: set[str] = set()
    kept: list[str] = []
    for qualifier in qualifiers:
        if FEATURING.match(qualifier + " "):
            continue
        kinds = {k for k, rx in DISTINCT_RECORDINGS.items() if rx.search(qualifier)}
        if kinds:
            recording |= kinds
        elif not RELEASE_VARIANT.search(qualifier):
            kept.append(qualifier)  # e.g. "(Part 2)": part of the name
    text = _without_featuring(text)
    name = _words(" ".join([text, *kept]))
    return name, frozenset(recording)


def _is_qualifier(text: str) -> bool:
    return bool(
        FEATURING.match(text + " ")
        or RELEASE_VARIANT.search(text)
        or any(rx.search(text) for rx in DISTINCT_RECORDINGS.values())
    )


def match_key(artist: str, title: str) -> MatchKey:
    name, recording = title_key(title)
    return MatchKey(artist=artist_key(artist), title=name, recording=recording)


def same_song(artist_a: str, title_a: str, artist_b: str, title_b: str) -> bool:
    return match_key(artist_a, title_a) == match_key(artist_b, title_b)


def key_parts(artist: str, title: str) -> tuple[str, str, str]:
    """The match key as three strings, the way the store keeps it."""
    key = match_key(artist, title)
    return key.artist, key.title, " ".join(sorted(key.recording))


def search_terms(artist: str) -> list[str]:
    """What to ask a library's search for, to find this artist's tracks.

    The name as written (without featured artists) and its folded form, so a
    library that writes it without diacritics or with "Beatles, The" is found.
    """
    written = " ".join(artist.split())
    match = FEATURING_ANY_CASE.search(written + " ")
    if match:
        written = written[: match.start()].strip(" -,(")
    terms = [t for t in (written, artist_key(artist)) if t]
    return list(dict.fromkeys(terms))
