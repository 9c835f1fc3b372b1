"""Name cleanup: release qualifiers go, other recordings stay."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mopidy_mtscrobble.matching import fold, title_key
from mopidy_mtscrobble.qualifiers import DISTINCT_RECORDINGS, RELEASE_VARIANT
from mopidy_mtscrobble.sending import Names, Sending, sent
from mopidy_mtscrobble.sending.cleanup import (
    DEFAULT_RULE_SETS,
    RULE_SETS,
    clean,
    cleanup_for,
    cleanup_step,
)
from mopidy_mtscrobble.store import NewScrobble

DEFAULT = cleanup_for(DEFAULT_RULE_SETS)
EVERY_SET = cleanup_for(RULE_SETS)


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("Song - 2011 Remaster", "Song"),
        ("Song - Remastered", "Song"),
        ("Song (Remastered 2009)", "Song"),
        ("Song [2015 Remastered Version]", "Song"),
        ("Song - 2009 Digital Remaster", "Song"),
        ("Song \u2013 Remastered 2011", "Song"),  # an en dash
        ("Song (Album Version)", "Song"),
        ("Song (Original Album Version)", "Song"),
        ("Song [Explicit]", "Song"),
        ("Song (Clean)", "Song"),
        ("Album (Deluxe Edition)", "Album"),
        ("Album (Expanded Edition)", "Album"),
        ("Album (25th Anniversary Edition)", "Album"),
        ("Album (Remastered) [Explicit]", "Album"),
        ("Song - Remastered 2011 (Explicit)", "Song"),
        ("Song (Remastered) (Live)", "Song (Live)"),
        ("Song - Remastered - Explicit", "Song"),
        ("Song (Remastered) - Explicit", "Song"),
        ("Artist - Song - 2011 Remaster", "Artist - Song"),
    ],
)
def test_the_default_sets_remove_release_qualifiers(name, cleaned):
    assert clean(name, DEFAULT) == cleaned


@pytest.mark.parametrize(
    "name",
    [
        "Song (Live)",
        "Song - Live at Wembley 1986",
        "Song (Live / Remastered 2011)",  # a live take, remastered: still live
        "Song (Club Mix)",
        "Song - Remix",
        "Song (Acoustic Version)",
        "Song (Demo)",
        "Song (Instrumental)",
        "Song (Karaoke Version)",
        "Song (feat. Guest)",
        "Song (Radio Edit)",  # off by default: another edit of the recording
        "Song (Single Version)",
        "Song (Mono)",  # off by default: another mix
        "Song (Part 2)",  # part of the name
        "Song (1999)",  # a year alone may be part of the name
        "Song (Special)",
        "(Remastered)",  # nothing left without it
        "Remastered",
        "Song - Remasterizado",
        "Song (Mix - Remastered)",  # the dash is inside brackets
        "Song - Live - Remastered 2011 (Acoustic)",
    ],
)
def test_the_default_sets_keep_other_recordings_and_names(name):
    assert clean(name, DEFAULT) == name


@pytest.mark.parametrize(
    ("rule_set", "name", "cleaned"),
    [
        ("remaster", "Song - 2011 Remaster", "Song"),
        ("remaster", "Song (Re-mastered)", "Song"),
        ("album_version", "Song (Album Version)", "Song"),
        ("edits", "Song (Radio Edit)", "Song"),
        ("edits", "Song - Single Version", "Song"),
        ("edits", "Song (Edit)", "Song"),
        ("explicit", "Song [Explicit]", "Song"),
        ("explicit", "Song (Clean Version)", "Song"),
        ("editions", "Album (Deluxe Edition)", "Album"),
        ("editions", "Album (Super Deluxe Edition)", "Album"),
        ("editions", "Album [Bonus Track Version]", "Album"),
        ("mono_stereo", "Song (Mono)", "Song"),
        ("mono_stereo", "Song - Stereo Version", "Song"),
    ],
)
def test_each_rule_set_removes_its_kind_alone(rule_set, name, cleaned):
    assert clean(name, cleanup_for([rule_set])) == cleaned
    others = cleanup_for([s for s in RULE_SETS if s != rule_set])
    assert clean(name, others) == name


def test_many_qualifiers_go_in_one_cleanup():
    assert clean("Song" + " - Remastered" * 10_000, DEFAULT) == "Song"
    assert clean("Song" + " (Remastered)" * 10_000, DEFAULT) == "Song"


def test_a_qualifier_mixing_an_enabled_and_a_disabled_kind_is_kept():
    only_remaster = cleanup_for(["remaster"])
    assert clean("Album (Remastered Deluxe Edition)", only_remaster) == (
        "Album (Remastered Deluxe Edition)"
    )
    assert clean("Album (Remastered Deluxe Edition)", DEFAULT) == "Album"


def test_no_rule_set_changes_nothing():
    assert cleanup_for([]) is None
    assert clean("Song - 2011 Remaster", None) == "Song - 2011 Remaster"


def test_the_step_cleans_track_and_album_never_the_artists():
    scrobble = NewScrobble(
        artist="Band (Remastered)", track="Song - 2011 Remaster", timestamp=1,
        album="Album (Deluxe Edition)", album_artist="Band [Explicit]",
    )  # fmt: skip
    names = sent(Sending([cleanup_step(DEFAULT_RULE_SETS)]).apply(scrobble, None))
    assert names == Names("Band (Remastered)", "Song", "Album", "Band [Explicit]")


def test_a_play_without_an_album_stays_without_one():
    scrobble = NewScrobble(artist="Band", track="Song (Album Version)", timestamp=1)
    names = sent(Sending([cleanup_step(DEFAULT_RULE_SETS)]).apply(scrobble, None))
    assert (names.track, names.album) == ("Song", None)


@pytest.mark.parametrize(
    "name",
    ["Song - 2011 Remaster", "Song (Album Version)", "Song (Radio Edit)",
     "Song [Explicit]", "Song (Deluxe Edition)", "Song (Mono)"],
)  # fmt: skip
def test_what_cleanup_removes_matching_also_calls_a_release_variant(name):
    # One table: a qualifier cleanup removes is one matching ignores.
    assert clean(name, EVERY_SET) == "Song"
    assert title_key(name) == title_key("Song")


# Properties over any text.

QUALIFIERS = st.sampled_from(
    ["(Remastered)", "- 2011 Remaster", "[Explicit]", "(Album Version)",
     "(Deluxe Edition)", "(Radio Edit)", "(Mono)", "(Live)", "(Remix)",
     "- Live at Home", "(Acoustic)", "(feat. X)", "(Part 2)", "- Demo"]
)  # fmt: skip
NAMES = st.lists(st.one_of(st.text(max_size=12), QUALIFIERS), max_size=5).map(" ".join)
RULES = st.lists(st.sampled_from(RULE_SETS), unique=True).map(cleanup_for)


@given(NAMES, RULES)
def test_cleanup_is_idempotent(name, cleanup):
    once = clean(name, cleanup)
    assert clean(once, cleanup) == once


@given(st.text(st.characters(blacklist_categories=())), RULES)
def test_cleanup_is_total_over_any_text(name, cleanup):
    assert isinstance(clean(name, cleanup), str)


@given(NAMES, RULES)
def test_a_name_never_becomes_empty(name, cleanup):
    cleaned = clean(name, cleanup)
    if name.strip():
        assert cleaned.strip()
    else:
        assert cleaned == name


@given(NAMES, RULES)
def test_words_naming_another_recording_are_never_removed(name, cleanup):
    before, after = fold(name), fold(clean(name, cleanup))
    for kind in DISTINCT_RECORDINGS.values():
        assert len(kind.findall(after)) == len(kind.findall(before))


PLAIN = st.text(
    alphabet=st.characters(
        blacklist_characters="()[]-\u2010\u2011\u2012\u2013\u2014\u2015\u2212",
        blacklist_categories=("Cs",),
    )
)


@given(PLAIN, RULES)
def test_a_name_without_qualifiers_is_never_changed(name, cleanup):
    assert clean(name, cleanup) == name


@given(PLAIN.filter(lambda t: t.strip() and not RELEASE_VARIANT.search(fold(t))))
def test_a_release_qualifier_after_any_name_is_removed(name):
    name = name.strip()
    assert clean(f"{name} - 2011 Remaster", DEFAULT) == name
    assert clean(f"{name} (Deluxe Edition) [Explicit]", DEFAULT) == name


@pytest.mark.parametrize(
    "name",
    ["Love Buzz (Sub Pop Version)", "Love Buzz - Sub Pop Version",
     "Red (Taylor's Version)", "Tainted Love (Extended Version)",
     "Hand in Glove (Peel Session)", "Teardrop (Dub Mix)", "Kiss (Extended Edit)",
     "Love Buzz (Remastered Night Version)"],
)  # fmt: skip
def test_a_named_version_is_another_recording_and_never_removed(name):
    assert clean(name, EVERY_SET) == name
    assert title_key(name) != title_key(name.split(" (")[0].split(" - ")[0])
