"""When a sender looks for what a lost answer carried (delivery/visibility.py):
never a resend before the window ends, a last look at its end, few looks."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from mopidy_mtscrobble.delivery.listenbrainz.sender import LISTING as LISTENBRAINZ
from mopidy_mtscrobble.delivery.scrobbles import LISTING as LASTFM
from mopidy_mtscrobble.delivery.visibility import Visibility

SCHEDULES = st.sampled_from([LASTFM, LISTENBRAINZ]) | st.builds(
    lambda first, doublings, gaps: Visibility(
        first, first * 2**doublings, first * 2**doublings * gaps
    ),
    st.floats(0.5, 600),
    st.integers(0, 8),
    st.floats(1, 20),
)
SENT_AT = st.integers(1_000_000_000, 2_000_000_000)


def looks(schedule: Visibility, sent_at: float, earliest: float) -> list[float]:
    """Every look made for an entry no listing ever shows."""
    at = [schedule.first_look(sent_at, earliest)]
    while not schedule.given_up(sent_at, at[-1]):
        at.append(schedule.next_look(sent_at, at[-1]))
        assert len(at) < 40, "the looks never end"
    return at


@given(SCHEDULES, SENT_AT, st.floats(0, 7200))
def test_a_resend_comes_only_after_a_look_at_the_windows_end(schedule, sent, late):
    made = looks(schedule, sent, earliest=sent + late)
    assert made[0] >= sent + schedule.first_look_s
    assert all(b > a for a, b in itertools.pairwise(made))
    assert made[-1] >= sent + schedule.window_s
    assert all(not schedule.given_up(sent, at) for at in made[:-1])


@given(SCHEDULES, SENT_AT)
def test_the_gaps_double_up_to_their_limit(schedule, sent):
    made = looks(schedule, sent, earliest=sent)
    gaps = [b - a for a, b in itertools.pairwise(made)]
    assert all(gap <= schedule.max_gap_s + 1e-6 for gap in gaps)
    assert all(b >= a or b == gaps[-1] for a, b in itertools.pairwise(gaps))


def test_the_numbers_each_server_gets():
    assert (LASTFM.first_look_s, LASTFM.max_gap_s, LASTFM.window_s) == (30, 600, 1800)
    assert LASTFM.describe() == "30 min"
    assert LISTENBRAINZ.describe() == "3 h"
    assert looks(LASTFM, 0, 0) == [30, 60, 120, 240, 480, 960, 1560, 1800]
    assert len(looks(LISTENBRAINZ, 0, 0)) == 12
