"""Name cleanup: release qualifiers removed from the track and album names sent.

"Song - 2011 Remaster", "Song (Album Version)" and "Album (Deluxe Edition)"
are sent as "Song" and "Album": the same recording under the name the
servers know it by. What a qualifier means is `qualifiers`' table (shared
with matching); each kind of release qualifier is a rule set, on or off by
`name_cleanup`. A qualifier that names another recording (live, remix,
acoustic, demo, instrumental, karaoke, cover) or a featured artist is never
removed, nor one with a word of a kind that is off. Artists are never
cleaned. A name that is only a qualifier is sent as it is.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection
from typing import TYPE_CHECKING

from ..matching import fold
from ..qualifiers import (
    COMPANION_WORDS,
    FEATURING,
    GENERIC_RELEASE_WORDS,
    QUALIFIER_IN_BRACKETS,
    RELEASE_VARIANT_WORDS,
    names_another_recording,
)
from . import Names, Step

if TYPE_CHECKING:
    from ..store import NewScrobble, Store

# Each rule set removes the release qualifiers of one kind; why it is on or off
# by default is in README.rst ("Name cleanup").
RULE_SETS = tuple(RELEASE_VARIANT_WORDS)
# Radio edits, single versions and mono/stereo mixes are other edits or mixes
# of the recording, often listed apart: kept unless asked.
DEFAULT_RULE_SETS = ("remaster", "album_version", "explicit", "editions")
# "Song - 2011 Remaster": the parts after a dash between spaces.
DASH = re.compile(r"\s+[-\u2010-\u2015\u2212]\s+")
BRACKETS = frozenset("()[]")
WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


@dataclasses.dataclass(frozen=True)
class Cleanup:
    """The rule sets in use, as the two questions cleanup asks of a qualifier."""

    marker: re.Pattern[str]  # a release word of a kind that is on
    word: re.Pattern[str]  # any word allowed in a qualifier removed


def cleanup_for(rule_sets: Collection[str]) -> Cleanup | None:
    """None when no rule set is on (`rule_sets` are known names)."""
    phrases = [p for name in rule_sets for p in RELEASE_VARIANT_WORDS[name]]
    if not phrases:
        return None
    words = {w for p in phrases for w in p.split()}
    allowed = [*words, *GENERIC_RELEASE_WORDS, *COMPANION_WORDS]
    return Cleanup(
        marker=re.compile(r"\b(" + "|".join(phrases) + r")\b"),
        word=re.compile("|".join(f"(?:{w})" for w in allowed)),
    )


def removable(qualifier: str, cleanup: Cleanup) -> bool:
    """Whether a qualifier only names a release, of a kind that is on."""
    text = fold(qualifier)
    return bool(
        cleanup.marker.search(text)
        and not names_another_recording(text)
        and not FEATURING.search(text + " ")
        and all(cleanup.word.fullmatch(w) for w in WORD.findall(text))
    )


def _once(name: str, cleanup: Cleanup) -> str:
    """`name` without the qualifiers `cleanup` removes, once over."""
    text = QUALIFIER_IN_BRACKETS.sub(
        lambda m: "" if removable(m.group(1), cleanup) else m.group(0), name
    )
    end = len(text)
    for dash in reversed(list(DASH.finditer(text))):
        tail = text[dash.end() : end]
        if not text[: dash.start()].strip() or not _removable_tail(tail, cleanup):
            break
        end = dash.start()
    text = text[:end]
    return name if text == name else text.strip()


def _removable_tail(tail: str, cleanup: Cleanup) -> bool:
    # "Song (Mix - Remastered)": a dash inside brackets is not the name's.
    return bool(tail.strip()) and BRACKETS.isdisjoint(tail) and removable(tail, cleanup)


def clean(name: str, cleanup: Cleanup | None) -> str:
    """`name` as sent: the same when nothing is left without its qualifiers."""
    if cleanup is None:
        return name
    while True:
        cleaned = _once(name, cleanup)
        if cleaned == name or not cleaned:
            return name
        name = cleaned  # "Song (Remastered) - Explicit": one more time over


def cleanup_step(rule_sets: Collection[str]) -> Step:
    """The sending step that cleans track and album names."""
    cleanup = cleanup_for(rule_sets)

    def cleaned(names: Names, scrobble: NewScrobble, store: Store | None) -> Names:
        album = clean(names.album, cleanup) if names.album else names.album
        return dataclasses.replace(
            names, track=clean(names.track, cleanup), album=album
        )

    return cleaned
