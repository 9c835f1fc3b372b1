"""Rules that keep plays out: each rule, the globs, and their config keys."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mopidy_mtscrobble.exclusions import Exclusions, excluded_by, glob_matches
from mopidy_mtscrobble.listening import Rules, Track, ineligibility
from mopidy_mtscrobble.settings import Settings

from .support.ext_config import section

TRACK = Track(
    uri="local:track:Kids/song.mp3",
    artist="Kids Band",
    title="Wheels on the Bus",
    album="Songs for Kids",
    album_artist="Various Artists",
    length_ms=200_000,
    genre="Children's Music",
)
NONE = Exclusions(podcasts_and_audiobooks=False)


@pytest.mark.parametrize(
    ("rules", "track_changes", "rule"),
    [
        (Exclusions(artists=("kids*",)), {}, 'rule exclude_artists "kids*"'),
        (Exclusions(artists=("various*",)), {}, 'rule exclude_artists "various*"'),
        (Exclusions(albums=("*FOR KIDS",)), {}, 'rule exclude_albums "*FOR KIDS"'),
        (Exclusions(titles=("wheels on the ?us",)), {},
         'rule exclude_titles "wheels on the ?us"'),
        (Exclusions(genres=("children*",)), {}, 'rule exclude_genres "children*"'),
        (Exclusions(uri_prefixes=("LOCAL:track:Kids/",)), {},
         'rule exclude_uri_prefixes "LOCAL:track:Kids/"'),
        (Exclusions(shorter_than_minutes=4), {}, "rule exclude_shorter_than 4 min"),
        (Exclusions(longer_than_minutes=3), {}, "rule exclude_longer_than 3 min"),
        (Exclusions(), {"uri": "podcast+https://example.org/feed.xml#ep1"},
         "rule exclude_podcasts_and_audiobooks (a podcast episode)"),
        (Exclusions(), {"uri": "spotify:episode:abc"},
         "rule exclude_podcasts_and_audiobooks (a podcast episode)"),
        (Exclusions(), {"genre": "Hörbuch"},
         'rule exclude_podcasts_and_audiobooks (genre "Hörbuch")'),
        (Exclusions(), {"genre": "AUDIOBOOKS"},
         'rule exclude_podcasts_and_audiobooks (genre "AUDIOBOOKS")'),
    ],
)  # fmt: skip
def test_each_rule_keeps_the_play_out_and_names_itself(rules, track_changes, rule):
    track = dataclasses.replace(TRACK, **track_changes)
    assert excluded_by(track, rules) == rule
    assert ineligibility(track, Rules(exclusions=rules)) == rule


@pytest.mark.parametrize(
    ("rules", "track_changes"),
    [
        (Exclusions(artists=("kids",)), {}),  # a glob matches the whole name
        (Exclusions(shorter_than_minutes=3), {}),
        (Exclusions(longer_than_minutes=4), {}),
        (Exclusions(longer_than_minutes=1), {"length_ms": None}),  # a stream
        (Exclusions(), {"genre": "Spoken Word"}),  # comedy and poetry too
        (NONE, {"genre": "Podcast"}),  # exclude_podcasts_and_audiobooks = false
        (NONE, {"uri": "podcast+http://example.org/f.xml#1"}),
    ],
)
def test_a_play_no_rule_matches_is_scrobbled(rules, track_changes):
    track = dataclasses.replace(TRACK, **track_changes)
    assert excluded_by(track, rules) is None


def test_the_podcast_rule_is_on_by_default():
    podcast = dataclasses.replace(TRACK, uri="podcast+https://example.org/f.xml#1")
    assert ineligibility(podcast, Settings().rules()) is not None
    assert ineligibility(TRACK, Settings().rules()) is None


@given(st.text(), st.text())
def test_a_glob_never_raises_on_any_text(pattern, text):
    assert glob_matches(pattern, text) in (True, False)


@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E).filter(
            lambda c: c not in "*?[]!"
        ),
        min_size=1,
    )
)
def test_a_glob_matches_regardless_of_case_and_width(name):
    wide = "".join(chr(ord(c) + 0xFEE0) for c in name)  # full-width forms
    assert glob_matches(name.upper(), name.lower())
    assert glob_matches(name.lower() + "*", wide.upper() + " and more")
    assert glob_matches(wide, name)


def schema_errors(schema, **values):
    _, errors = schema.deserialize(section(**values))
    return errors


def test_the_rules_are_read_from_the_config(schema):
    result, errors = schema.deserialize(section(
        exclude_artists="kids*\n*Christmas*", exclude_uri_prefixes="spotify:episode:",
        exclude_shorter_than="2", exclude_podcasts_and_audiobooks="false",
    ))  # fmt: skip
    assert errors == {}
    rules = Settings.from_config(result).exclusions
    assert rules.artists == ("kids*", "*Christmas*")
    assert rules.uri_prefixes == ("spotify:episode:",)
    assert rules.shorter_than_minutes == 2
    assert rules.podcasts_and_audiobooks is False


@pytest.mark.parametrize(
    ("values", "key", "message"),
    [
        ({"exclude_artists": "*"}, "exclude_artists", "matches every name"),
        ({"exclude_titles": "a, **"}, "exclude_titles", "matches every name"),
        ({"exclude_uri_prefixes": "spotify"}, "exclude_uri_prefixes", "its scheme"),
        ({"exclude_shorter_than": "-1"}, "exclude_shorter_than", "0"),
        ({"exclude_longer_than": "ten"}, "exclude_longer_than", ""),
        ({"exclude_shorter_than": "10", "exclude_longer_than": "5"},
         "exclude_longer_than", "more than exclude_shorter_than (10)"),
        ({"private_default": "2h"}, "private_default", "30m"),
    ],
)  # fmt: skip
def test_wrong_values_are_refused_naming_the_key(schema, values, key, message):
    errors = schema_errors(schema, **values)
    assert list(errors) == [key]
    assert message in errors[key]
