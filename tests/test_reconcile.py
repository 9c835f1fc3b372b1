"""Which uncertain scrobbles already landed: both names, a second or two, one each."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from mopidy_mtscrobble.reconcile import SLACK_S, landed_ids


@dataclasses.dataclass(frozen=True)
class Entry:
    id: int
    artist: str
    track: str
    timestamp: int
    mbid: str | None = None


@dataclasses.dataclass(frozen=True)
class Landed:
    artist: str
    title: str
    timestamp: int
    mbid: str = ""


def test_both_the_artist_and_the_title_must_match():
    waiting = [Entry(1, "Artist", "Song", 100)]
    assert landed_ids(waiting, [], [Landed("Artist", "Other Song", 100)]) == set()
    assert landed_ids(waiting, [], [Landed("Other Artist", "Song", 100)]) == set()
    assert landed_ids(waiting, [], [Landed("Artist", "Song", 100)]) == {1}


def test_names_match_as_the_matching_rule_folds_them():
    waiting = [Entry(1, "Björk", "Jóga - 2011 Remaster", 100)]
    assert landed_ids(waiting, [], [Landed("BJORK", "Joga", 101)]) == {1}


def test_a_musicbrainz_id_is_enough_when_the_server_renamed_the_track():
    mbid = "0383dadf-2a4e-4d10-a46a-e9e041da8eb3"
    waiting = [Entry(1, "Artist", "Song (Radio Mix)", 100, mbid)]
    assert landed_ids(waiting, [], [Landed("Artiste", "Chanson", 100, mbid)]) == {1}


def test_the_time_may_differ_by_a_second_or_two_only():
    waiting = [Entry(1, "A", "S", 100)]
    assert landed_ids(waiting, [], [Landed("A", "S", 100 + SLACK_S)]) == {1}
    assert landed_ids(waiting, [], [Landed("A", "S", 100 + SLACK_S + 1)]) == set()


def test_one_landed_scrobble_vouches_for_one_entry_only():
    waiting = [Entry(1, "A", "S", 100), Entry(2, "A", "S", 101)]
    assert len(landed_ids(waiting, [], [Landed("A", "S", 100)])) == 1
    both = landed_ids(waiting, [], [Landed("A", "S", 100), Landed("A", "S", 101)])
    assert both == {1, 2}


def test_entries_already_sent_claim_their_scrobbles_first():
    sent = [Entry(7, "A", "S", 100)]
    waiting = [Entry(1, "A", "S", 101)]
    assert landed_ids(waiting, sent, [Landed("A", "S", 100)]) == set()


def test_the_closest_time_is_claimed():
    waiting = [Entry(1, "A", "S", 100), Entry(2, "A", "S", 102)]
    landed = [Landed("A", "S", 102), Landed("A", "S", 100)]
    assert landed_ids(waiting, [], landed) == {1, 2}


names = st.sampled_from(["A", "B", "Song", "song", "Other"])
entries = st.lists(st.tuples(names, names, st.integers(0, 20)), max_size=8, unique=True)


@given(entries, st.lists(st.tuples(names, names, st.integers(0, 20)), max_size=8))
def test_never_more_entries_found_than_landed_scrobbles(waiting, landed):
    found = landed_ids(
        [Entry(i, a, t, ts) for i, (a, t, ts) in enumerate(waiting)],
        [],
        [Landed(a, t, ts) for a, t, ts in landed],
    )
    assert len(found) <= len(landed)
    assert found <= set(range(len(waiting)))
