"""The fault campaign's fast subset (`make chaos` runs twenty seeds in full)."""

from __future__ import annotations

import pytest

from .campaign import run_seed, table


@pytest.mark.parametrize("seed", [1])
def test_a_seeded_campaign_loses_nothing_and_sends_nothing_twice(tmp_path, seed):
    outcome = run_seed(seed, tmp_path)
    print(table([outcome]))
    assert outcome.ok, table([outcome])
    assert outcome.plays == 1000
    assert outcome.simulated_days >= 20
    assert (outcome.duplicates, outcome.lost, outcome.waiting) == (0, 0, 0)
    assert sum(outcome.faults.values()) > 300
