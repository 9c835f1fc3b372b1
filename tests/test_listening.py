"""The listening rules: what counts as heard, and when a play qualifies."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mopidy_mtscrobble.listening import Listening, Rules, parse_stream_title

from .support.builders import track

T0_WALL = 1_700_000_000.0


def listening(**rules) -> Listening:
    return Listening(Rules(**rules))


def play_for(seconds: float, length_s: float = 200, **rules):
    """Start a track at mono 0, let it play `seconds`, then end it there."""
    rules_ = listening(**rules)
    rules_.started(track(length_s), T0_WALL, 0.0)
    return rules_.ended(int(seconds * 1000), seconds)


def test_full_play_qualifies_with_the_start_time_as_timestamp():
    rules = listening()
    rules.started(track(200), T0_WALL + 0.7, 10.0)
    play = rules.ended(200_000, 210.0)
    assert play is not None
    assert play.started_at == int(T0_WALL)
    assert play.listened_ms == 200_000


def test_skip_before_threshold_does_not_qualify():
    assert play_for(100, length_s=200) is None


def test_threshold_percent_of_length_qualifies():
    assert play_for(180, length_s=200, threshold_percent=90) is not None
    assert play_for(179.9, length_s=200, threshold_percent=90) is None


def test_cap_qualifies_long_tracks_early():
    assert play_for(240, length_s=3600, cap_seconds=240) is not None
    assert play_for(239, length_s=3600, cap_seconds=240) is None


def test_cap_zero_means_percentage_only():
    assert play_for(240, length_s=3600, cap_seconds=0) is None
    assert play_for(3240, length_s=3600, cap_seconds=0) is not None


def test_threshold_50_percent_edge():
    assert play_for(50, length_s=100, threshold_percent=50) is not None
    assert play_for(49.9, length_s=100, threshold_percent=50) is None


def test_threshold_100_percent_needs_the_whole_track():
    assert play_for(100, length_s=100, threshold_percent=100) is not None
    assert play_for(99.9, length_s=100, threshold_percent=100) is None


def test_track_of_exactly_30_seconds_never_qualifies():
    assert play_for(30, length_s=30) is None
    assert play_for(30.001, length_s=30.001) is not None


def test_pause_time_is_not_listened_time():
    rules = listening()
    rules.started(track(200), T0_WALL, 0.0)
    rules.paused(50_000, 50.0)
    rules.resumed(50_000, 1050.0)  # paused for 1000 s
    play = rules.ended(100_000, 1100.0)
    assert play is None
    assert rules.play is None


def test_forward_seek_skips_the_part_in_between():
    rules = listening()
    rules.started(track(200), T0_WALL, 0.0)
    rules.seeked(190_000, 10.0)
    assert rules.ended(200_000, 20.0) is None


def test_seeking_back_counts_the_replayed_part():
    rules = listening()
    rules.started(track(200), T0_WALL, 0.0)
    rules.seeked(0, 100.0)  # heard 0-100, back to the start
    play = rules.ended(80_000, 180.0)  # heard 0-80 again
    assert play is not None
    assert play.listened_ms == 180_000


def test_listened_time_never_exceeds_the_track_length():
    rules = listening(threshold_percent=100)
    rules.started(track(100), T0_WALL, 0.0)
    rules.seeked(0, 90.0)
    play = rules.ended(100_000, 190.0)
    assert play.listened_ms == 100_000


def test_time_without_position_progress_is_not_heard():
    rules = listening()
    rules.started(track(200), T0_WALL, 0.0)
    # 200 s passed but the player only got to 20 s (buffering)
    assert rules.ended(20_000, 200.0) is None


def test_repeating_a_track_gives_a_new_play_each_time():
    rules = listening()
    first = rules.started(track(100), T0_WALL, 0.0) or rules.ended(100_000, 100.0)
    second = rules.started(track(100), T0_WALL + 100, 100.0) or rules.ended(
        100_000, 200.0
    )
    assert first is not None
    assert second is not None
    assert first is not second
    assert second.started_at == first.started_at + 100


def test_a_play_qualifies_once_even_if_ticked_again():
    rules = listening()
    rules.started(track(100), T0_WALL, 0.0)
    assert rules.tick(95.0) is not None
    assert rules.tick(99.0) is None
    assert rules.ended(100_000, 100.0) is None


def test_timer_delay_is_the_listening_still_needed():
    rules = listening(threshold_percent=50)
    rules.started(track(100), T0_WALL, 0.0)
    assert rules.seconds_until_qualified(10.0) == pytest.approx(40.0)
    rules.paused(10_000, 10.0)
    assert rules.seconds_until_qualified(500.0) is None
    rules.resumed(10_000, 500.0)
    assert rules.seconds_until_qualified(505.0) == pytest.approx(35.0)


@pytest.mark.parametrize(
    ("kwargs", "rule_kwargs"),
    [
        ({"artist": None}, {}),
        ({"title": None}, {}),
        ({"uri": "tunein:station:1"}, {"excluded_uri_schemes": frozenset({"tunein"})}),
    ],
)
def test_plays_without_artist_or_title_or_with_excluded_scheme_are_not_scrobbled(
    kwargs, rule_kwargs, caplog
):
    caplog.set_level("DEBUG", logger="mopidy_mtscrobble")
    rules = listening(**rule_kwargs)
    rules.started(track(200, **kwargs), T0_WALL, 0.0)
    assert rules.seconds_until_qualified(0.0) is None
    assert rules.ended(200_000, 200.0) is None
    assert "Not scrobbling" in caplog.text


def test_too_little_listening_is_logged_at_debug_with_the_numbers(caplog):
    caplog.set_level("DEBUG", logger="mopidy_mtscrobble")
    play_for(10, length_s=200)
    assert "heard 10.0 s of the 180.0 s needed" in caplog.text


def stream(uri="http://radio.example/stream"):
    return track(None, artist=None, title="Radio Example", uri=uri)


def test_each_stream_title_is_a_play_of_its_own_not_chosen_by_user():
    rules = listening(radio_min_seconds=60)
    rules.started(stream(), T0_WALL, 0.0)
    assert rules.stream_title("Band - Song", T0_WALL + 5, 5.0) is None
    play = rules.stream_title("Other Band - Other Song", T0_WALL + 100, 100.0)
    assert play is not None
    assert (play.track.artist, play.track.title) == ("Band", "Song")
    assert play.chosen_by_user is False
    assert play.started_at == int(T0_WALL + 5)
    assert play.track.uri == "http://radio.example/stream"


def test_stream_title_heard_less_than_radio_min_seconds_is_not_scrobbled():
    rules = listening(radio_min_seconds=60)
    rules.started(stream(), T0_WALL, 0.0)
    rules.stream_title("Band - Song", T0_WALL, 0.0)
    assert rules.stream_title("Band - Next", T0_WALL + 59, 59.0) is None


def test_stream_title_qualifies_on_the_timer_while_still_playing():
    rules = listening(radio_min_seconds=60)
    rules.started(stream(), T0_WALL, 0.0)
    rules.stream_title("Band - Song", T0_WALL, 0.0)
    assert rules.seconds_until_qualified(0.0) == pytest.approx(60.0)
    assert rules.tick(60.0) is not None


def test_unparsable_stream_titles_are_not_scrobbled():
    rules = listening(radio_min_seconds=60)
    rules.started(stream(), T0_WALL, 0.0)
    rules.stream_title("Station jingle", T0_WALL, 0.0)
    assert rules.seconds_until_qualified(0.0) is None
    assert rules.ended(None, 500.0) is None


def test_scrobble_radio_off_scrobbles_no_titles():
    rules = listening(scrobble_radio=False)
    rules.started(stream(), T0_WALL, 0.0)
    rules.stream_title("Band - Song", T0_WALL, 0.0)
    assert rules.ended(None, 500.0) is None


def test_stream_titles_on_a_normal_track_are_ignored():
    rules = listening()
    rules.started(track(200), T0_WALL, 0.0)
    assert rules.stream_title("Band - Song", T0_WALL, 1.0) is None
    assert rules.play.track.artist == "Artist"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Band - Song", ("Band", "Song")),
        ("  Band  -  Song - Live  ", ("Band", "Song - Live")),
        ("Band-Song", None),
        (" - Song", None),
        ("Band - ", None),
        ("", None),
    ],
)
def test_parse_stream_title(title, expected):
    assert parse_stream_title(title) == expected


# Property tests over random event sequences.

LENGTH_MS = st.integers(min_value=1_000, max_value=1_000_000)
STEP = st.one_of(
    st.tuples(st.just("wait"), st.floats(min_value=0, max_value=400)),
    st.tuples(st.just("pause"), st.just(0)),
    st.tuples(st.just("resume"), st.just(0)),
    st.tuples(st.just("seek"), st.floats(min_value=0, max_value=1)),
    st.tuples(st.just("tick"), st.just(0)),
)


class Player:
    """A model of a player: position moves with time while playing."""

    def __init__(self, rules: Listening, length_ms: int) -> None:
        self.rules, self.length_ms = rules, length_ms
        self.now, self.position, self.playing = 0.0, 0.0, True
        self.wall_played_ms = 0.0
        self.finished = False
        self.qualified = []
        self.rules.started(track(length_ms / 1000), T0_WALL, 0.0)

    def heard(self) -> float:
        return self.rules.play.listened_at(self.now, None)

    def step(self, kind: str, value: float) -> None:
        rules = self.rules
        if self.finished:
            return
        if kind == "wait":
            if self.playing:
                # A player at the end of a track ends it: time stops counting there.
                value = min(value, (self.length_ms - self.position) / 1000)
                self.position += value * 1000
                self.wall_played_ms += value * 1000
                self.finished = self.position >= self.length_ms
            self.now += value
            return
        if kind == "pause" and self.playing:
            self.playing = False
            self.qualified.append(rules.paused(int(self.position), self.now))
        elif kind == "resume" and not self.playing:
            self.playing = True
            self.qualified.append(rules.resumed(int(self.position), self.now))
        elif kind == "seek":
            self.position = value * self.length_ms
            self.qualified.append(rules.seeked(int(self.position), self.now))
        elif kind == "tick":
            self.qualified.append(rules.tick(self.now))


@settings(max_examples=300, deadline=None)
@given(length_ms=LENGTH_MS, steps=st.lists(STEP, max_size=30))
def test_listened_time_never_exceeds_wall_time_played_nor_length(length_ms, steps):
    player = Player(listening(), length_ms)
    for kind, value in steps:
        player.step(kind, value)
        heard = player.heard()
        assert heard <= player.wall_played_ms + 1e-6
        assert heard <= length_ms


@settings(max_examples=300, deadline=None)
@given(
    length_ms=LENGTH_MS,
    steps=st.lists(STEP, max_size=30),
    pause_s=st.floats(min_value=0, max_value=10_000),
)
def test_pauses_never_add_listened_time(length_ms, steps, pause_s):
    player = Player(listening(), length_ms)
    for kind, value in steps:
        player.step(kind, value)
    player.step("pause", 0)
    before = player.heard()
    player.step("wait", pause_s)
    assert player.heard() == before


@settings(max_examples=300, deadline=None)
@given(
    length_ms=LENGTH_MS,
    steps=st.lists(STEP, max_size=30),
    target=st.floats(min_value=0, max_value=1),
)
def test_seeking_never_adds_listened_time_by_itself(length_ms, steps, target):
    player = Player(listening(), length_ms)
    for kind, value in steps:
        player.step(kind, value)
    before = player.heard()
    player.step("seek", target)
    assert player.heard() == pytest.approx(before)


@settings(max_examples=300, deadline=None)
@given(
    length_ms=LENGTH_MS,
    threshold=st.integers(min_value=50, max_value=100),
    cap=st.integers(min_value=0, max_value=600),
    steps=st.lists(STEP, max_size=30),
)
def test_a_play_qualifies_exactly_when_heard_reaches_the_requirement(
    length_ms, threshold, cap, steps
):
    rules = listening(threshold_percent=threshold, cap_seconds=cap)
    player = Player(rules, length_ms)
    for kind, value in steps:
        player.step(kind, value)
    heard = player.heard()
    final = rules.ended(None, player.now)
    qualified = [p for p in [*player.qualified, final] if p is not None]
    needed = length_ms * threshold / 100
    if cap:
        needed = min(needed, cap * 1000)
    assert len(qualified) <= 1
    if length_ms <= 30_000:
        assert qualified == []
    elif heard >= needed + 10:
        assert len(qualified) == 1
    elif heard < needed - 10:
        assert qualified == []
