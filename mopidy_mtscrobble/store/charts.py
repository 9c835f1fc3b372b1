"""The listening charts: plays per local day, top artists, tracks and albums,
and the listening time, over the last 7 days, 30 days, 12 months and all time.

Every play of `history` counts, whatever its outcome: a play kept out of
scrobbling (by a rule, in private mode) was still listened to. A play's
listening time is how long it was heard, or its length when that is not
known (imported plays), or nothing.

The charts are kept in tables (schema 15) that triggers on `history` update
with each play added, changed or removed. Each chart counts the plays at or
after its window's start; reading the charts first moves the windows to the
local days of `now_s`, adding or taking off only the plays in between.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime
import sqlite3

from .database import Database

# The charts' periods, in the page's order: name, label, local days (None: all time).
PERIODS: tuple[tuple[str, str, int | None], ...] = (
    ("7d", "7 days", 7),
    ("30d", "30 days", 30),
    ("12m", "12 months", 365),
    ("all", "All time", None),
)
DAILY_DAYS = 30
TOP_LIMIT = 10
SECONDS_PER_DAY = 86_400
END_OF_TIME_S = 2**63 - 1

# What each chart groups by, as the trigger of schema 15 does.
SECONDS = "coalesce(heard_s, duration_s, 0)"
CHARTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    # table: (its key columns, history's expressions for them, which plays count)
    "chart_artists": (("artist",), ("artist",), "1"),
    "chart_tracks": (("artist", "track"), ("artist", "track"), "1"),
    "chart_albums": (
        ("artist", "album"),
        ("coalesce(nullif(album_artist, ''), artist)", "album"),
        "coalesce(album, '') != ''",
    ),
}


@dataclasses.dataclass(frozen=True)
class Entry:
    """One line of a top list: the names it groups (artist; artist and track;
    album artist and album), its plays and listening time."""

    names: tuple[str, ...]
    plays: int
    seconds: int


@dataclasses.dataclass(frozen=True)
class PeriodChart:
    period: str
    label: str
    start_s: int | None  # None: all time
    plays: int
    seconds: int
    artists: list[Entry]
    tracks: list[Entry]
    albums: list[Entry]


@dataclasses.dataclass(frozen=True)
class Day:
    date: datetime.date
    start_s: int
    plays: int


@dataclasses.dataclass(frozen=True)
class ChartsPage:
    """Everything the page's Listening section shows."""

    days: list[Day]
    periods: list[PeriodChart]


def day_starts(now_s: float, days: int, tz: datetime.tzinfo | None) -> list[Day]:
    """The local days ending with `now_s`'s, oldest first (no plays counted);
    `tz` None: the machine's local time."""
    today = datetime.datetime.fromtimestamp(now_s, tz).date()
    found = []
    for back in range(days - 1, -1, -1):
        date = today - datetime.timedelta(days=back)
        midnight = datetime.datetime.combine(date, datetime.time(), tz)
        found.append(Day(date, int(midnight.timestamp()), 0))
    return found


def window_starts(now_s: float, tz: datetime.tzinfo | None) -> dict[str, int]:
    """Where each moving period starts: the local midnight that makes it its
    number of days, today included."""
    longest = max(days for _, _, days in PERIODS if days is not None)
    starts = day_starts(now_s, longest, tz)
    return {
        name: starts[-days].start_s for name, _, days in PERIODS if days is not None
    }


class Charts:
    def __init__(self, db: Database) -> None:
        self._db = db

    def page(self, now_s: float, tz: datetime.tzinfo | None = None) -> ChartsPage:
        """The charts at `now_s`, local days in `tz` (None: local time)."""
        self.move_windows(window_starts(now_s, tz))
        return ChartsPage(
            self.daily(now_s, tz), [self.period(p) for p, _, _ in PERIODS]
        )

    def daily(self, now_s: float, tz: datetime.tzinfo | None = None) -> list[Day]:
        """Plays per local day for the last DAILY_DAYS days, today last (plays
        dated later than now count as today's)."""
        days = day_starts(now_s, DAILY_DAYS, tz)
        starts = [day.start_s for day in days]
        counts = [0] * len(days)
        rows = self._db.read(
            "SELECT played_at FROM history WHERE played_at >= ?", (starts[0],)
        )
        for (played_at,) in rows:
            counts[bisect.bisect_right(starts, played_at) - 1] += 1
        return [
            dataclasses.replace(d, plays=n) for d, n in zip(days, counts, strict=True)
        ]

    def period(self, period: str) -> PeriodChart:
        """One period's totals and top lists, as its window stands."""
        label = {name: label for name, label, _ in PERIODS}[period]
        total = self._db.read(
            "SELECT t.plays, t.seconds, w.start_s FROM chart_totals AS t "
            "JOIN chart_windows AS w USING (period) WHERE period = ?",
            (period,),
        )[0]
        start = None if period == "all" else total["start_s"]
        return PeriodChart(
            period,
            label,
            start,
            total["plays"],
            total["seconds"],
            *(self.top(table, period) for table in CHARTS),
        )

    def top(self, table: str, period: str, limit: int = TOP_LIMIT) -> list[Entry]:
        """The most played of a chart table in a period, most played first
        (ties by name)."""
        keys = ", ".join(CHARTS[table][0])
        sql = TOP.format(table=table, keys=keys)
        rows = self._db.read(sql, (period, limit))
        width = len(CHARTS[table][0])
        return [Entry(tuple(row[:width]), row["plays"], row["seconds"]) for row in rows]

    def move_windows(self, starts: dict[str, int]) -> None:
        """Move the moving periods' windows to `starts`, counting in or out
        only the plays in between (or all of a window's, when it moved by
        more than its length). Nothing is written when none moved."""
        if self._windows() == starts:
            return
        lengths = {name: days for name, _, days in PERIODS}
        with self._db.write() as db:
            # Others may move them too: read them again under the lock.
            db.execute("BEGIN IMMEDIATE")
            current = {
                row["period"]: row["start_s"]
                for row in db.execute("SELECT period, start_s FROM chart_windows")
            }
            for period, new in starts.items():
                old = current[period]
                length_s = (lengths[period] or 0) * SECONDS_PER_DAY
                if old == new:
                    continue
                if abs(new - old) >= length_s:
                    _clear(db, period)
                    _count(db, period, new, None, +1)
                elif new > old:
                    _count(db, period, old, new, -1)
                else:
                    _count(db, period, new, old, +1)
                db.execute(
                    "UPDATE chart_windows SET start_s = ? WHERE period = ?",
                    (new, period),
                )

    def _windows(self) -> dict[str, int]:
        rows = self._db.read("SELECT period, start_s FROM chart_windows")
        return {row["period"]: row["start_s"] for row in rows if row["period"] != "all"}


# Table and column names below come from CHARTS, never from a request.
TOP = """
SELECT {keys}, plays, seconds FROM {table} WHERE period = ?
ORDER BY plays DESC, {keys} LIMIT ?
"""
PLAYS_BETWEEN = "played_at >= :start AND played_at < :end"
COUNT_TOTALS = f"""
UPDATE chart_totals SET
    plays = plays + :sign * (SELECT count(*) FROM history WHERE {PLAYS_BETWEEN}),
    seconds = seconds + :sign * (
        SELECT coalesce(sum({SECONDS}), 0) FROM history WHERE {PLAYS_BETWEEN})
WHERE period = :period
"""  # noqa: S608
COUNT_CHART = """
INSERT INTO {table} (period, {keys}, plays, seconds)
SELECT :period, {grouped}, :sign * count(*), :sign * sum({seconds})
FROM history WHERE {between} AND {counted} GROUP BY {grouped}
ON CONFLICT DO UPDATE SET
    plays = plays + excluded.plays, seconds = seconds + excluded.seconds
"""
CLEAR_CHART = "DELETE FROM {table} WHERE period = ?"
DROP_EMPTY = "DELETE FROM {table} WHERE period = ? AND plays <= 0"


def _clear(db: sqlite3.Connection, period: str) -> None:
    for table in CHARTS:
        db.execute(CLEAR_CHART.format(table=table), (period,))
    db.execute(
        "UPDATE chart_totals SET plays = 0, seconds = 0 WHERE period = ?", (period,)
    )


def _count(
    db: sqlite3.Connection, period: str, start: int, end: int | None, sign: int
) -> None:
    """Add (`sign` +1) or take off (-1) the plays of [start, end) to a period."""
    end = END_OF_TIME_S if end is None else end
    given = {"period": period, "start": start, "end": end, "sign": sign}
    db.execute(COUNT_TOTALS, given)
    for table, (keys, expressions, counted) in CHARTS.items():
        sql = COUNT_CHART.format(
            table=table,
            keys=", ".join(keys),
            grouped=", ".join(expressions),
            seconds=SECONDS,
            between=PLAYS_BETWEEN,
            counted=counted,
        )
        db.execute(sql, given)
        db.execute(DROP_EMPTY.format(table=table), (period,))
