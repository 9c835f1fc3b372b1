"""What a qualifier in a track or album name means: one table, used by
matching (is it the same song?) and by name cleanup (what is sent).

A qualifier is a part of a name in brackets ("Song (Live)") or after a dash
("Song - 2011 Remaster"). It either names another recording (kept by both:
a live take is not the studio song) or only a release of the same recording
(dropped by matching; removed by cleanup, per kind, when its rule set is on).
"""

from __future__ import annotations

import re

# Qualifiers that name another recording: kept in the key, so they never match
# the plain song (nor each other), and never removed from a name sent.
DISTINCT_RECORDINGS = {
    "live": re.compile(r"\blive\b|\bin concert\b"),
    "remix": re.compile(r"\bremix(es|ed)?\b|\b(club|extended|dub) mix\b|\brmx\b"),
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


def names_another_recording(qualifier: str) -> bool:
    """Whether a (folded) qualifier names another recording."""
    return any(rx.search(qualifier) for rx in DISTINCT_RECORDINGS.values())
