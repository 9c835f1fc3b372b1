"""The local clock against the server's, and steps of the local clock. Pure.

Play times are read from the local clock. Two things can go wrong with it:
it is wrong (a Raspberry Pi without a real-time clock before NTP has set it),
and it jumps (NTP setting it, a user changing it). Waits use the monotonic
clock, so neither stretches or shortens them; what still uses wall time (the
14-day limit, retry times kept in the database) is checked here.
"""

from __future__ import annotations

import datetime
import logging

logger = logging.getLogger(__name__)

# Further apart than this, the local clock is reported as wrong.
CLOCK_OFF_WARNING_S = 5 * 60.0
# A server time older than this is not trusted for expiring plays.
SERVER_TIME_VALID_S = 24 * 60 * 60.0
# A change of (wall - monotonic) larger than this between two looks is a step.
STEP_S = 60.0


class ServerClock:
    """What time the server thinks it is, from the Date header of its answers."""

    def __init__(self, network: str) -> None:
        self._network = network
        self._offset_s: float | None = None  # server wall - local wall
        self._seen_mono: float | None = None
        self._server_at_seen: float | None = None
        self._warned_offset_s: float | None = None

    def observe(self, server_wall: float, local_wall: float, local_mono: float) -> None:
        self._offset_s = server_wall - local_wall
        self._seen_mono = local_mono
        self._server_at_seen = server_wall
        off = self._offset_s
        if abs(off) <= CLOCK_OFF_WARNING_S:
            if self._warned_offset_s is not None:
                logger.info("The system clock agrees with %s again", self._network)
            self._warned_offset_s = None
            return
        if self._warned_offset_s is not None and abs(off - self._warned_offset_s) < 60:
            return  # said already
        self._warned_offset_s = off
        logger.warning(
            "The system clock is %s %s %s's clock. Plays are timed by the "
            "system clock, so the server may refuse them as too old or too new: "
            "check the time settings (NTP, e.g. 'timedatectl status').",
            _duration(abs(off)),
            "behind" if off > 0 else "ahead of",
            self._network,
        )

    def now(self, local_mono: float) -> float | None:
        """The server's current time, if it answered within the last day."""
        if self._seen_mono is None or self._server_at_seen is None:
            return None
        elapsed = local_mono - self._seen_mono
        if not 0 <= elapsed <= SERVER_TIME_VALID_S:
            return None
        return self._server_at_seen + elapsed

    @property
    def offset_s(self) -> float | None:
        return self._offset_s


class StepDetector:
    """Notices when the wall clock jumps relative to the monotonic one."""

    def __init__(self) -> None:
        self._difference: float | None = None

    def step(self, wall: float, mono: float) -> float:
        """The size of the jump since the last look (0.0 when none)."""
        difference = wall - mono
        previous, self._difference = self._difference, difference
        if previous is None or abs(difference - previous) <= STEP_S:
            return 0.0
        return difference - previous


def _duration(seconds: float) -> str:
    if seconds >= 2 * 86_400:
        return f"{seconds / 86_400:.0f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 60:.0f} minutes"


def describe_step(seconds: float) -> str:
    moved = "forward" if seconds > 0 else "back"
    return f"{moved} by {_duration(abs(seconds))}"


def utc(timestamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
