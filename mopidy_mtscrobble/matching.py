"""When a Last.fm track and a local track are the same song: the matching rule.

The same song by the same performing artist matches in any release variant of
the same recording (remasters, mono/stereo, single/album version,
explicit/clean, deluxe or bonus markers, radio edit). Live recordings, remixes,
acoustic/unplugged takes, demos, instrumentals, karaoke, covers and named
versions ("Sub Pop Version", "Taylor's Version", "Peel Session", "Dub Mix")
are other recordings and do not match. Names are equal up to case,
whitespace, Unicode form (full-width letters included), typographic quotes
and dashes, "&" and "+" versus "and", initials with or without dots
("R.E.M."), "Pt. 2" versus "Part II", a leading "The " or trailing ", The",
missing diacritics, and featured artists written in the artist or in the
title. A song credited to several artists ("A & B", "A, B", "A x B", "A feat.
B", "A with B") is also each one's. A name of only punctuation ("!!!", "+/-")
or only articles ("The The") is itself, never another name's.

Pure code: used by the loved-tracks import and the play-count sync. What a
qualifier means is in `qualifiers`, shared with the name cleanup of `sending`.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata

from .qualifiers import (
    FEATURING,
    FEATURING_ANY_CASE,
    QUALIFIER_IN_BRACKETS,
    recording_of,
)

# The keys this rule gives: stored with each song, so a change of the rule
# that changes keys bumps it and the store computes them again (see
# `store.rekeying`).
RULE_VERSION = 2

Key = tuple[str, str, str]

PUNCTUATION_TO_SPACE = re.compile(r"[^\w'&+]+")
# "R.E.M." and "L.A.": single letters with dots are one word.
INITIALS = re.compile(r"\b((?:[^\W\d_]\.)+[^\W\d_])\b\.?")
_UNITS = ("", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix")
_TENS = ("", "x", "xx", "xxx", "xl", "l", "lx", "lxx", "lxxx")
ROMAN = {_TENS[n // 10] + _UNITS[n % 10]: n for n in range(1, 90)}
NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight",
                "nine", "ten")  # fmt: skip
PART = re.compile(
    r"\b(?:part|pt)\b\.?\s*(\d+|[ivxl]+|" + "|".join(NUMBER_WORDS) + r")\b"
)
ARTICLES = frozenset({"the", "a", "an"})
# Between the artists of a collaboration, in a folded name.
CREDIT_SEPARATOR = re.compile(
    r"\s*[,&+]\s*|\s+(?:x|and|with|vs\.?|feat\.?|ft\.?|featuring)\s+"
)
CREDIT_SEPARATOR_ANY_CASE = re.compile(CREDIT_SEPARATOR.pattern, re.IGNORECASE)

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
    # e.g. {"live"} or {"sub pop version"}; empty for the studio recording
    recording: frozenset[str]


def fold(text: str) -> str:
    """Case, Unicode form, width, quotes, dashes and diacritics folded away."""
    text = unicodedata.normalize("NFKC", text).translate(TRANSLATE).casefold()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = unicodedata.normalize("NFKC", text).translate(TRANSLATE).casefold()
    return " ".join(text.split())


def _part(match: re.Match[str]) -> str:
    number = match.group(1)
    if number.isdigit():
        return f"part {int(number)}"
    if number in NUMBER_WORDS:
        return f"part {NUMBER_WORDS.index(number) + 1}"
    return f"part {ROMAN[number]}" if number in ROMAN else match.group(0)


def _words(text: str) -> str:
    text = INITIALS.sub(lambda m: m.group(1).replace(".", ""), text)
    text = text.replace("&", " and ").replace("+", " and ")
    return " ".join(PUNCTUATION_TO_SPACE.sub(" ", text).replace("'", "").split())


def _symbols(text: str) -> str | None:
    """A name of no letter or digit ("!!!", "+/-"): itself, spaces aside."""
    if any(c.isalnum() for c in text):
        return None
    return "".join(text.split())


def _without_featuring(text: str) -> str:
    match = FEATURING.search(text + " ")
    return text[: match.start()].strip(" -,") if match else text


def _only_articles(text: str) -> bool:
    return set(_words(fold(text)).split()) <= ARTICLES


def artist_key(name: str) -> str:
    folded = fold(name)
    symbols = _symbols(folded)
    if symbols is not None:
        return symbols
    text = _without_featuring(QUALIFIER_IN_BRACKETS.sub(
        lambda m: "" if FEATURING.match(m.group(1) + " ") else m.group(0), folded
    ))  # fmt: skip
    # "Smiths, The" and "The Smiths", but "The The" is not "The".
    if text.endswith(", the") and not _only_articles(text[: -len(", the")]):
        text = text[: -len(", the")]
    text = _words(text) or _words(folded)
    if text.startswith("the ") and not _only_articles(text[len("the ") :]):
        text = text[len("the ") :]
    return text


def artist_keys(name: str) -> frozenset[str]:
    """The artist keys a name answers to: the whole name, and each artist of
    a collaboration ("A & B", "A, B", "A x B", "A feat. B", "A with B")."""
    whole = artist_key(name)
    folded = fold(name)
    if _symbols(folded) is not None:
        return frozenset({whole})
    text = folded.replace("(", " ").replace(")", " ").replace("[", " ")
    text = text.replace("]", " ")
    if text.endswith(", the"):
        text = text[: -len(", the")]
    parts = (p for p in CREDIT_SEPARATOR.split(text) if not _only_articles(p))
    return frozenset({whole, *(artist_key(p) for p in parts)})


def title_key(title: str) -> tuple[str, frozenset[str]]:
    """The title without release qualifiers, and the recording it names."""
    text = fold(title)
    symbols = _symbols(text)
    if symbols is not None:
        return symbols, frozenset()
    text = PART.sub(_part, text)
    qualifiers = [m.group(1) for m in QUALIFIER_IN_BRACKETS.finditer(text)]
    text = QUALIFIER_IN_BRACKETS.sub("", text)
    # "Song - 2011 Remaster", "Song - Sub Pop Version": a qualifier after a dash.
    base, dash, tail = text.partition(" - ")
    if dash and recording_of(tail) is not None:
        qualifiers.append(tail)
        text = base
    recording: set[str] = set()
    kept: list[str] = []
    for qualifier in qualifiers:
        names = recording_of(qualifier)
        if names is None:
            kept.append(qualifier)  # e.g. "(Part 2)": part of the name
        else:
            recording |= names
    text = _without_featuring(text)
    name = _words(" ".join([text, *kept]))
    return name, frozenset(recording)


def match_key(artist: str, title: str) -> MatchKey:
    name, recording = title_key(title)
    return MatchKey(artist=artist_key(artist), title=name, recording=recording)


def match_keys(artist: str, title: str) -> frozenset[Key]:
    """Every key a song answers to: one per artist it is credited to."""
    name, recording = title_key(title)
    kind = _recording_part(recording)
    return frozenset((a, name, kind) for a in artist_keys(artist))


def same_song(artist_a: str, title_a: str, artist_b: str, title_b: str) -> bool:
    return bool(match_keys(artist_a, title_a) & match_keys(artist_b, title_b))


def _recording_part(recording: frozenset[str]) -> str:
    return " ".join(sorted(recording))


def key_parts(artist: str, title: str) -> Key:
    """The match key as three strings, the way the store keeps it."""
    key = match_key(artist, title)
    return key.artist, key.title, _recording_part(key.recording)


def search_terms(artist: str) -> list[str]:
    """What to ask a library's search for, to find this artist's tracks.

    The name as written (without featured artists) and its folded form, so a
    library that writes it without diacritics or with "Beatles, The" is found,
    then each artist of a collaboration, as written and folded.
    """
    written = " ".join(artist.split())
    match = FEATURING_ANY_CASE.search(written + " ")
    whole = written[: match.start()].strip(" -,(") if match else written
    terms = [t for t in (whole, artist_key(artist)) if t]
    if _symbols(written) is None:
        text = re.sub(r"[()\[\]]", " ", written)
        text = re.sub(r",\s*the$", "", text, flags=re.IGNORECASE)
        parts = (p.strip() for p in CREDIT_SEPARATOR_ANY_CASE.split(text))
        terms += [p for p in parts if not _only_articles(p)]
    terms += sorted(artist_keys(artist))
    return list(dict.fromkeys(terms))
