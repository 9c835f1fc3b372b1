"""The matching rule, case by case."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mopidy_mtscrobble.matching import (
    artist_key,
    artist_keys,
    fold,
    key_parts,
    match_key,
    match_keys,
    same_song,
    search_terms,
)

from .support.matching_cases import DIFFERENT, SAME
from .support.matching_quality import quality


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_song(a, b):
    assert same_song(*a, *b)
    assert same_song(*b, *a)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_recording_or_song(a, b):
    assert not same_song(*a, *b)
    assert not same_song(*b, *a)


def test_the_key_names_the_recording_kind():
    assert match_key("Nirvana", "About a Girl (Live)").recording == frozenset({"live"})
    assert match_key("Nirvana", "About a Girl").recording == frozenset()


def test_a_leading_the_is_kept_when_it_is_the_whole_name():
    assert artist_key("The") == "the"


def test_words_like_live_in_the_title_itself_are_the_name_not_a_recording_kind():
    assert match_key("Oasis", "Live Forever").recording == frozenset()
    assert same_song("Oasis", "Live Forever", "Oasis", "Live Forever - Remastered")
    assert not same_song("Oasis", "Live Forever", "Oasis", "Live Forever (Live)")


def test_a_dash_that_is_part_of_the_name_is_kept():
    assert not same_song("Band", "Intro - The Beginning", "Band", "Intro")
    assert same_song("Band", "Intro - The Beginning", "Band", "Intro – The Beginning")


def test_the_rule_is_exact_on_its_own_cases():
    assert (quality().precision, quality().recall) == (1.0, 1.0)


def test_a_named_version_keeps_its_name_in_the_recording():
    assert key_parts("Nirvana", "Love Buzz (Sub Pop Version)") == (
        "nirvana",
        "love buzz",
        "sub pop version",
    )
    assert match_key("Taylor Swift", "Red (Taylor's Version)").recording == frozenset(
        {"taylors version"}
    )
    assert match_key("The Smiths", "Hand in Glove - Peel Session").recording == (
        frozenset({"peel session"})
    )


def test_a_collaboration_answers_to_each_artist_and_to_the_whole_name():
    assert artist_keys("Jay-Z & Kanye West") == {
        "jay z and kanye west",
        "jay z",
        "kanye west",
    }
    assert artist_keys("Skrillex x Diplo") == {"skrillex x diplo", "skrillex", "diplo"}
    assert artist_keys("Malcolm X") == {"malcolm x"}
    assert artist_keys("Smiths, The") == {"smiths"}


def test_names_of_articles_or_punctuation_are_themselves():
    keys = [
        artist_key(n) for n in ["The The", "The", "A", "The A", "!!!", "+/-", "&", ""]
    ]
    assert len(set(keys)) == len(keys)
    assert artist_keys("The The") == {"the the"}


def test_each_artist_of_a_collaboration_is_searched_for():
    assert search_terms("Jay-Z & Kanye West")[-2:] == ["jay z", "kanye west"]


# Properties over any text.

ANY_TEXT = st.text(st.characters(blacklist_categories=()), max_size=30)
GENERIC = st.sampled_from(
    ["(Remastered)", "- 2011 Remaster", "[Explicit]", "(Clean)", "(Album Version)",
     "(Single Version)", "(Deluxe Edition)", "(Radio Edit)", "(Mono)", "[Stereo]",
     "(1999)", "- Remastered 2009", "(25th Anniversary Edition)", "(Bonus Track)"]
)  # fmt: skip
NAMED = st.sampled_from(
    ["(Sub Pop Version)", "(Night Version)", "(Extended Version)",
     "(Taylor's Version)", "(Peel Session)", "(Dub Mix)", "- Sub Pop Version",
     "(Live)", "(Remix)", "- Live at Home", "(Acoustic)", "- Demo"]
)  # fmt: skip
# A title as a library or Last.fm writes one: words, without brackets or dashes.
TITLES = st.text(
    st.characters(whitelist_categories=("L", "N", "Zs"), blacklist_characters="-"),
    min_size=1,
    max_size=20,
).filter(lambda t: any(c.isalnum() for c in t))


@given(ANY_TEXT, ANY_TEXT)
def test_keys_are_total_over_any_text(artist, title):
    keys = match_keys(artist, title)
    assert key_parts(artist, title) in keys
    assert all(isinstance(part, str) for key in keys for part in key)


@given(ANY_TEXT)
def test_normalisation_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@given(ANY_TEXT, ANY_TEXT)
def test_the_rule_is_symmetric(a, b):
    assert same_song(a, "Song", b, "Song") == same_song(b, "Song", a, "Song")


@given(TITLES, GENERIC)
def test_a_generic_qualifier_keeps_the_key(title, qualifier):
    assert match_key("Band", f"{title} {qualifier}") == match_key("Band", title)


@given(TITLES, NAMED)
def test_a_named_version_never_has_the_key_without_it(title, qualifier):
    named = match_key("Band", f"{title} {qualifier}")
    assert named != match_key("Band", title)
    assert named.recording
