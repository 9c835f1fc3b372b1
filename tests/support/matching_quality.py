"""The matching rule's precision and recall on its own cases.

PYTHONPATH=. python -m tests.support.matching_quality
"""

from __future__ import annotations

import dataclasses

from mopidy_mtscrobble.matching import same_song

from .matching_cases import DIFFERENT, SAME


@dataclasses.dataclass(frozen=True)
class Quality:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0


def quality() -> Quality:
    """Both orders of each pair count: the rule must be symmetric."""
    said_same = [same_song(*a, *b) for x, y in SAME for a, b in ((x, y), (y, x))]
    said_diff = [same_song(*a, *b) for x, y in DIFFERENT for a, b in ((x, y), (y, x))]
    return Quality(
        true_positives=sum(said_same),
        false_positives=sum(said_diff),
        false_negatives=len(said_same) - sum(said_same),
    )


def main() -> None:
    q = quality()
    print(
        f"{len(SAME)} pairs the same song, {len(DIFFERENT)} not (both orders each): "
        f"precision {q.precision:.2f}, recall {q.recall:.2f} "
        f"({q.false_positives} false matches, {q.false_negatives} missed)"
    )


if __name__ == "__main__":
    main()
