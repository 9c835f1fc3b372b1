"""GET /mtscrobble/api/charts: everything the page's Listening section shows,
in one answer (see `store.charts`).

Days are the server's local days. Every play of the history counts, whatever
its outcome: a play kept out of scrobbling (by a rule, in private mode) was
still listened to.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from ..store.charts import ChartsPage, Entry, PeriodChart
from .base import JsonHandler, cap

# What each top list's names are called in the answer.
NAME_FIELDS = {
    "artists": ("artist",),
    "tracks": ("artist", "track"),
    "albums": ("artist", "album"),
}


def charts_answer(page: ChartsPage) -> dict[str, Any]:
    return {
        "days": [
            {"date": day.date.isoformat(), "start": day.start_s, "plays": day.plays}
            for day in page.days
        ],
        "periods": [_period(chart) for chart in page.periods],
    }


def _period(chart: PeriodChart) -> dict[str, Any]:
    return {
        "period": chart.period,
        "label": chart.label,
        "start": chart.start_s,
        "plays": chart.plays,
        "seconds": chart.seconds,
        **{
            kind: [_entry(entry, NAME_FIELDS[kind]) for entry in entries]
            for kind, entries in (
                ("artists", chart.artists),
                ("tracks", chart.tracks),
                ("albums", chart.albums),
            )
        },
    }


def _entry(entry: Entry, fields: tuple[str, ...]) -> dict[str, Any]:
    names = {field: cap(name) for field, name in zip(fields, entry.names, strict=True)}
    return {**names, "plays": entry.plays, "seconds": entry.seconds}


class ChartsHandler(JsonHandler):
    """GET: plays per day (30 days), and for 7 days, 30 days, 12 months and
    all time: plays, listening time, top 10 artists, tracks and albums."""

    # The server's local time zone (None); tests may set another.
    tz: datetime.tzinfo | None = None

    async def get(self) -> None:
        now, tz = time.time(), self.tz
        page = await self.context.in_store(lambda store: store.charts.page(now, tz))
        self.answer(200, charts_answer(page))
