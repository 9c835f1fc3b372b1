"""What a qualifier in a track or album name means: one table, used by
matching (is it the same song?) and by name cleanup (what is sent).

A qualifier is a part of a name in brackets ("Song (Live)") or after a dash
("Song - 2011 Remaster"). It either names another recording (kept by both:
a live take is not the studio song, nor is a named version such as "Sub Pop
Version", "Taylor's Version", "Peel Session" or "Dub Mix"), only a release of
the same recording (dropped by matching; removed by cleanup, per kind, when
its rule set is on), or is part of the name ("(Part 2)").
"""

from __future__ import annotations

import re

# Qualifiers that name another recording: kept in the key, so they never match
# the plain song (nor each other), and never removed from a name sent.
DISTINCT_RECORDINGS = {
    "live": re.compile(r"\blive\b|\bin concert\b"),
    "remix": re.compile(r"\bremix(es|ed)?\b|\brmx\b"),
    "acoustic": re.compile(r"\bacoustic\b|\bunplugged\b"),
    "demo": re.compile(r"\bdemo\b"),
    "instrumental": re.compile(r"\binstrumental\b"),
    "karaoke": re.compile(r"\bkaraoke\b"),
    "cover": re.compile(r"\bcover\b"),
}

# The words that mark a release of the same recording, by kind (the name of
# the cleanup rule set that removes them). Regular expressions for one word.
RELEASE_VARIANT_WORDS = {
    "remaster": ("re-?master(ed)?",),
    "album_version": ("album",),
    "edits": ("single", "radio edit", "edit"),
    "explicit": ("explicit", "clean"),
    "editions": ("deluxe", "bonus", "edition", "expanded", "anniversary"),
    "mono_stereo": ("mono", "stereo"),
}
# Release words of no kind of their own: a qualifier of only these is not one
# cleanup removes ("(1999)", "(Version)"), but they go with any kind.
GENERIC_RELEASE_WORDS = ("version", r"\d{4}")
# Words that may stand beside a release word in a release qualifier ("2009
# Digital Remaster", "25th Anniversary Edition"), never alone.
COMPANION_WORDS = (
    r"digital(ly)?", r"\d+(st|nd|rd|th)", "tracks?", "original", "super",
    "special", "limited", "and",
)  # fmt: skip
# Words that make a qualifier a version: beside a name ("Sub Pop Version",
# "Night Version", "Peel Session", "Dub Mix", "Extended Edit") another
# recording; alone or beside release words only ("Album Version", "Original
# Mix", "Radio Edit") a release of the same recording.
VERSION_WORDS = ("versions?", "mix(es)?", "sessions?", "takes?", "edit", "rework")

# Qualifiers that only name a release of the same recording: matching drops
# a qualifier with any of these words.
RELEASE_VARIANT = re.compile(
    r"\b("
    + "|".join(
        [
            *(w for ws in RELEASE_VARIANT_WORDS.values() for w in ws),
            *GENERIC_RELEASE_WORDS,
        ]
    )
    + r")\b"
)
FEATURING = re.compile(r"\b(feat\.?|ft\.?|featuring)\s")
FEATURING_ANY_CASE = re.compile(FEATURING.pattern, re.IGNORECASE)
QUALIFIER_IN_BRACKETS = re.compile(r"\s*[(\[]([^()\[\]]*)[)\]]")


_RELEASE_WORD = re.compile(
    "|".join(
        [
            *(
                w
                for ws in RELEASE_VARIANT_WORDS.values()
                for p in ws
                for w in p.split()
            ),
            *GENERIC_RELEASE_WORDS,
            *COMPANION_WORDS,
        ]
    )
)
_VERSION_WORD = re.compile("|".join(VERSION_WORDS))
_WORD = re.compile(r"[^\W_]+")


def recording_of(qualifier: str) -> frozenset[str] | None:
    """The recording a (folded) qualifier names: empty for a release of the
    same recording (or a featured artist); the kinds of another recording
    ("live") and a named version's words ("sub pop version"); None when it is
    part of the name ("Part 2")."""
    if FEATURING.match(qualifier + " "):
        return frozenset()
    kinds = {k for k, rx in DISTINCT_RECORDINGS.items() if rx.search(qualifier)}
    rest = qualifier.replace("'", "")
    for rx in DISTINCT_RECORDINGS.values():
        rest = rx.sub(" ", rest)
    words = _WORD.findall(rest)
    versions = [w for w in words if _VERSION_WORD.fullmatch(w)]
    names = [w for w in words if w not in versions and not _RELEASE_WORD.fullmatch(w)]
    if versions and names:
        named = " ".join(w for w in words if w in versions or w in names)
        return frozenset({*kinds, named})
    if kinds or versions or RELEASE_VARIANT.search(qualifier):
        return frozenset(kinds)
    return None


def names_another_recording(qualifier: str) -> bool:
    """Whether a (folded) qualifier names another recording (never removed)."""
    return bool(recording_of(qualifier))
