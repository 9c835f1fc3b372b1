"""Heard time is what played: a stall to buffer (Mopidy still "playing", the
position standing still) is not heard, for stream titles and tracks alike."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mopidy_mtscrobble.listening import TIMER_SLACK_MS, Listening, Rules

from .support.builders import track

T0_WALL = 1_700_000_000.0
RADIO_MIN_S = 60


def radio() -> Listening:
    rules = Listening(Rules(radio_min_seconds=RADIO_MIN_S))
    rules.started(track(None, uri="http://radio.example/stream"), T0_WALL, 0.0)
    return rules


def test_a_stream_title_is_not_heard_while_the_stream_stalls():
    rules = radio()
    rules.stream_title("Band - Song", T0_WALL + 2, 2.0, 1_000)
    # 60 s later by the clock, but 20 s of it stalled: 40 s heard.
    assert rules.tick(62.0, 41_000) is None
    assert rules.play.listened_at(62.0) == 40_000
    assert rules.seconds_until_qualified(62.0) == 20
    play = rules.tick(82.0, 61_000)
    assert play is not None
    assert play.track.title == "Song"


def test_a_title_change_ends_the_title_where_the_stream_is():
    rules = radio()
    rules.stream_title("Band - Song", T0_WALL + 2, 2.0, 1_000)
    finished = rules.stream_title("Band - Next", T0_WALL + 51, 51.0, 31_000)
    assert finished is None  # 30 s heard, not the 49 s that passed
    assert rules.play.stretch_start_position_ms == 31_000
    assert rules.tick(111.0, 91_000).track.title == "Next"


def test_between_two_reads_time_counts_as_it_passes():
    rules = radio()
    rules.stream_title("Band - Song", T0_WALL, 0.0, 0)
    rules.tick(30.0, 20_000)  # 10 s stalled so far
    assert rules.play.listened_at(35.0) == 25_000
    assert rules.progress(35.0).listened_s == 25.0
    assert rules.seconds_until_qualified(35.0) == 35


def test_without_a_position_the_time_that_passed_counts():
    rules = radio()
    rules.stream_title("Band - Song", T0_WALL, 0.0, None)  # the core could not say
    assert rules.tick(30.0, 1_000) is None
    assert rules.play.listened_at(30.0) == 30_000
    assert rules.tick(60.0, None) is not None


def test_a_position_before_the_title_began_is_not_taken_as_nothing_heard():
    rules = radio()
    rules.stream_title("Band - Song", T0_WALL, 0.0, 50_000)
    rules.tick(20.0, 65_000)
    # The stream started over at 0 (reconnected): the time since the last
    # read counts, not "nothing heard since the title began".
    assert rules.tick(40.0, 3_000) is None
    assert rules.play.listened_at(40.0) == 35_000


def test_a_track_that_stalls_qualifies_on_what_played():
    rules = Listening(Rules())
    rules.started(track(200), T0_WALL, 0.0)  # needs 180 s
    assert rules.tick(180.1, 150_000) is None  # 30 s of buffering
    assert rules.seconds_until_qualified(180.1) == pytest.approx(30)
    assert rules.ended(170_000, 200.0) is None
    assert rules.play is None


@settings(max_examples=300, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.booleans(), st.integers(1, 40_000), st.booleans()),
        min_size=1,
        max_size=40,
    )
)
def test_heard_is_what_played_whatever_the_stalls(steps):
    """Playing and stalling stretches at random, the position read at some of
    their ends: every read and the end see exactly what played, in between
    never more than the time that passed, and a title qualifies only once
    what played is enough."""
    finished = []
    rules = Listening(
        Rules(radio_min_seconds=RADIO_MIN_S),
        on_finished=lambda play, enough: finished.append(play),
    )
    rules.started(track(None, uri="http://radio.example/stream"), T0_WALL, 0.0)
    rules.stream_title("Band - Song", T0_WALL, 0.0, 0)
    play = rules.play
    mono_s, played_ms, qualified_at_ms = 0.0, 0, None
    for playing, ms, read in steps:
        mono_s += ms / 1000
        played_ms += ms if playing else 0
        if read:
            if rules.tick(mono_s, played_ms) is not None:
                qualified_at_ms = played_ms
            assert play.listened_at(mono_s) == pytest.approx(played_ms)
        else:
            assert play.listened_at(mono_s) <= mono_s * 1000 + 1e-6
    if qualified_at_ms is not None:
        assert qualified_at_ms + TIMER_SLACK_MS >= RADIO_MIN_S * 1000
    rules.ended(played_ms, mono_s)
    assert finished[-1] is play
    assert play.listened_ms == pytest.approx(played_ms)
    assert play.qualified == (played_ms + TIMER_SLACK_MS >= RADIO_MIN_S * 1000)
