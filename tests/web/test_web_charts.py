"""GET /mtscrobble/api/charts: the Listening section's data through the HTTP app."""

from __future__ import annotations

import datetime
import sqlite3
import time

from mopidy_mtscrobble.store import DB_FILENAME, Store
from mopidy_mtscrobble.web.charts import ChartsHandler

from ..support.history_rows import add_play
from .case import WebCase

HOUR_S = 3600


class ChartsApiTest(WebCase):
    def setUp(self) -> None:
        super().setUp()
        ChartsHandler.tz = datetime.UTC
        self.addCleanup(setattr, ChartsHandler, "tz", None)

    def seed(self, plays) -> None:
        store = Store.open(self.data_dir, time.time())
        try:
            for played_at, artist, track, values in plays:
                add_play(store, played_at, artist, track, **values)
        finally:
            store.close()

    def test_the_page_gets_days_periods_totals_and_top_lists_in_one_answer(self):
        now = int(time.time())
        self.seed([
            (now - 60, "Low", "Quiet", {"album": "LP", "heard_s": 100}),
            (now - 120, "Low", "Loud", {"outcome": "private", "heard_s": 50}),
            (now - 400 * 24 * HOUR_S, "Old", "Song",
             {"outcome": "imported", "heard_s": None, "duration_s": 240}),
        ])  # fmt: skip
        code, body = self.request("GET", "/api/charts")
        assert code == 200
        assert len(body["days"]) == 30
        assert sum(day["plays"] for day in body["days"]) == 2
        periods = {p["period"]: p for p in body["periods"]}
        assert list(periods) == ["7d", "30d", "12m", "all"]
        week, ever = periods["7d"], periods["all"]
        assert (week["label"], week["plays"], week["seconds"]) == ("7 days", 2, 150)
        assert (ever["plays"], ever["seconds"], ever["start"]) == (3, 390, None)
        assert week["artists"] == [{"artist": "Low", "plays": 2, "seconds": 150}]
        assert week["tracks"][0] == {
            "artist": "Low", "track": "Loud", "plays": 1, "seconds": 50
        }  # fmt: skip
        assert week["albums"] == [
            {"artist": "Low", "album": "LP", "plays": 1, "seconds": 100}
        ]
        assert [a["artist"] for a in ever["artists"]] == ["Low", "Old"]

    def test_an_empty_history_has_empty_charts(self):
        code, body = self.request("GET", "/api/charts")
        assert code == 200
        assert {day["plays"] for day in body["days"]} == {0}
        assert [(p["plays"], p["artists"]) for p in body["periods"]] == [(0, [])] * 4

    def test_names_longer_than_an_answer_carries_are_cut(self):
        self.seed([(int(time.time()) - 60, "A" * 5000, "T", {})])
        body = self.request("GET", "/api/charts")[1]
        name = body["periods"][0]["artists"][0]["artist"]
        assert len(name) == 1024
        assert name.endswith("\u2026")

    def test_a_database_locked_by_another_program_is_503_saying_so(self):
        # The charts' windows move on the first read: that needs the write lock.
        holder = sqlite3.connect(self.data_dir / DB_FILENAME, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            code, body = self.request("GET", "/api/charts")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert code == 503
        assert "locked by another program" in body["error"]
        assert self.request("GET", "/api/charts")[0] == 200
