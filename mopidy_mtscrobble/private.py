"""Private mode: no scrobbles and no "now playing" for a while, or for one play.

Pure: the time and the time zone are passed in. The state itself lives in the
database (`store.private`), so it survives a restart and the commands can set
it while Mopidy runs; the frontend reads it when a play starts, is announced
or qualifies.
"""

from __future__ import annotations

import dataclasses
import datetime

SECONDS_PER_MINUTE = 60
# How long `pause` lasts, by the name the CLI, API and config use.
DURATIONS: dict[str, str] = {
    "30m": "for 30 minutes",
    "1h": "for 1 hour",
    "today": "until the end of the day",
    "forever": "until resumed",
}
DURATION_MINUTES = {"30m": 30, "1h": 60}
DEFAULT_DURATION = "1h"


class DurationError(ValueError):
    pass


def pause_until(
    duration: str, now_s: float, tz: datetime.tzinfo | None = None
) -> float | None:
    """When a pause of `duration` asked at `now_s` ends (UTC unix seconds);
    None: until resumed. "today" ends at the next midnight in `tz` (None: the
    machine's local time)."""
    if duration not in DURATIONS:
        raise DurationError(
            f"{duration!r} is not a duration: use one of {', '.join(DURATIONS)}"
        )
    if duration == "forever":
        return None
    if duration == "today":
        now = datetime.datetime.fromtimestamp(now_s, tz).astimezone(tz)
        tomorrow = now.date() + datetime.timedelta(days=1)
        midnight = datetime.datetime.combine(tomorrow, datetime.time(), now.tzinfo)
        return midnight.timestamp()
    return now_s + DURATION_MINUTES[duration] * SECONDS_PER_MINUTE


@dataclasses.dataclass(frozen=True)
class PrivateState:
    """Private mode as stored. `until_s`: the end of a pause (None with
    `paused`: until resumed); `skip_at`: when "skip this track" was asked."""

    paused: bool = False
    until_s: float | None = None
    skip_at: float | None = None

    def active(self, now_s: float) -> bool:
        """Whether scrobbling and now playing are paused at `now_s`."""
        return self.paused and (self.until_s is None or now_s < self.until_s)

    def skips(self, started_at: float, now_s: float) -> bool:
        """Whether a play that started at `started_at` is kept out: private
        mode is on, or "skip" was asked while it played (at or after its start)."""
        if self.active(now_s):
            return True
        return self.skip_at is not None and self.skip_at >= started_at

    def until_text(self, tz: datetime.tzinfo | None = None) -> str:
        """When it ends, as the log and page say it: "until 14:30"."""
        if self.until_s is None:
            return "until resumed"
        end = datetime.datetime.fromtimestamp(self.until_s, tz).astimezone(tz)
        return f"until {end:%H:%M}"
