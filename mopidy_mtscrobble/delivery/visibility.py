"""When to look for entries whose answer was lost, and when to give up looking.

A server lists what it received only after a while (Last.fm's recent tracks,
ListenBrainz's listens): a look made too soon misses an entry that arrived,
and sending it again then makes a duplicate. So the first look waits
`first_look_s` after the submission, the next ones come at doubling gaps up to
`max_gap_s`, and an entry is sent again only when a look made `window_s`
after the submission still does not list it. Both senders use this.

A submission time after `now` means the clock was set back since (a kill
mid-send leaves a time the clock step did not move): the senders set such
times to now (`DestinationQueue.bring_back_sent_times`), so the window starts
then; `overdue` takes a look set as far ahead as due.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Visibility:
    first_look_s: float
    max_gap_s: float
    window_s: float

    def first_look(self, sent_at: float, earliest: float) -> float:
        """When to look first for entries sent at `sent_at`, not before
        `earliest` (the end of a backoff)."""
        return max(earliest, sent_at + self.first_look_s)

    def given_up(self, sent_at: float, now: float) -> bool:
        """Whether a look now that does not list it means it never arrived."""
        return now >= sent_at + self.window_s  # as `next_look` ends: exactly

    def next_look(self, sent_at: float, now: float) -> float:
        """When to look again for an entry not listed yet: the gap doubles
        (it is the time since the submission), and the last look is made at
        the window's end."""
        gap = min(max(now - sent_at, self.first_look_s), self.max_gap_s)
        return min(now + gap, sent_at + self.window_s)

    def overdue(self, look_at: float, now: float, slack_s: float) -> bool:
        """Whether a look set for `look_at` is due now: its time has come, or
        it is further ahead than any look is ever set (`slack_s`: the longest
        backoff it may also wait for), so the clock went back since."""
        return look_at <= now or look_at > now + self.window_s + slack_s

    def describe(self) -> str:
        """The window in words, for the log and the queue's reasons."""
        if self.window_s < 60:
            return f"{self.window_s:g} s"
        minutes = self.window_s / 60
        return f"{minutes / 60:g} h" if minutes >= 60 else f"{minutes:g} min"
