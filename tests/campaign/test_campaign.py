"""The fault campaign's fast subset (`make chaos` runs twenty seeds in full)."""

from __future__ import annotations

import pytest

from .campaign import DESTINATIONS, USER_ACTIONS, run_seed, table


@pytest.mark.parametrize("seed", [1])
def test_a_seeded_campaign_loses_nothing_and_sends_nothing_twice(tmp_path, seed):
    # A shorter seed than make chaos runs: two destinations cost twice the time.
    outcome = run_seed(seed, tmp_path, plays=400, days=8)
    print(table([outcome]))
    assert outcome.ok, table([outcome])
    assert outcome.plays == 400
    assert outcome.simulated_days >= 8
    for name in DESTINATIONS:
        at = outcome.at[name]
        assert (at.duplicates, at.lost, at.waiting) == (0, 0, 0), name
        assert at.accepted + at.rejected.total() == outcome.qualified, name
        assert at.faults.total() > 100, name
        assert at.loves_as_left > 0, name
    mirror = {k: v for k, v in outcome.faults.items() if k.startswith("mirror")}
    assert sum(mirror.values()) >= 3, mirror  # clients edited the loved M3U file
    assert any("cut" in kind for kind in mirror), mirror  # one cut off mid-line
    for action in USER_ACTIONS:  # the user changed tens of queued plays
        assert outcome.faults[f"user {action}"] >= 10, action
    listenbrainz = outcome.at["lb"]
    assert listenbrainz.resends.seen_before == 0
    assert listenbrainz.resends.after_clear_answer == 0
