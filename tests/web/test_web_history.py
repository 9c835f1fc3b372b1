"""GET /mtscrobble/api/history: the listening history exported, streamed."""

from __future__ import annotations

import csv
import io
import json
import time

from mopidy_mtscrobble.history_export import COLUMNS, PAGE_ROWS
from mopidy_mtscrobble.store import HistoryPlay, Store

from .case import WebCase

PLAYED_AT = 1_700_000_000


class HistoryApiTest(WebCase):
    def seed(self, plays: int) -> None:
        store = Store.open(self.data_dir, time.time())
        try:
            with store.db.write() as db:
                db.executemany(
                    "INSERT INTO history (played_at, artist, track, heard_s) "
                    "VALUES (?, 'Artist', ?, 200)",
                    [(PLAYED_AT + n, f"T{n}") for n in range(plays)],
                )
            store.history.record(
                HistoryPlay(PLAYED_AT - 1, "Kids", "Wheels", outcome="excluded",
                            reason='exclude_artists "kids*"')
            )  # fmt: skip
        finally:
            store.close()

    def test_csv_streams_every_play_oldest_first(self):
        self.seed(PAGE_ROWS + 5)  # more than a page
        answer = self.fetch("/api/history?format=csv")
        assert answer.code == 200
        assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert "listening-history.csv" in answer.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(answer.body.decode(), newline="")))
        assert list(rows[0]) == list(COLUMNS)
        assert len(rows) == PAGE_ROWS + 6
        assert (rows[0]["artist"], rows[0]["outcome"]) == ("Kids", "excluded")
        assert rows[0]["reason"] == 'exclude_artists "kids*"'
        assert [r["track"] for r in rows[1:4]] == ["T0", "T1", "T2"]
        assert rows[1]["played_at"] == "2023-11-14T22:13:20Z"

    def test_jsonl_since_a_time_gives_listens_from_then(self):
        self.seed(10)
        answer = self.fetch("/api/history?format=jsonl&since=2023-11-14T22:13:25Z")
        assert answer.code == 200
        assert answer.headers["Content-Type"] == "application/x-ndjson"
        listens = [json.loads(line) for line in answer.body.decode().splitlines()]
        assert [x["listened_at"] for x in listens] == list(
            range(PLAYED_AT + 5, PLAYED_AT + 10)
        )
        assert listens[0]["track_metadata"]["track_name"] == "T5"

    def test_an_empty_history_is_a_header_alone(self):
        answer = self.fetch("/api/history?format=csv")
        assert answer.code == 200
        assert answer.body.decode().splitlines() == [",".join(COLUMNS)]

    def test_an_unknown_format_is_refused_naming_the_formats(self):
        code, body = self.request("GET", "/api/history?format=xml")
        assert code == 400
        assert body["error"] == "Unknown export format 'xml': use csv or jsonl."
        code, body = self.request("GET", "/api/history")
        assert code == 400
        assert "use csv or jsonl" in body["error"]

    def test_an_unreadable_date_is_refused_saying_what_to_write(self):
        code, body = self.request("GET", "/api/history?format=csv&since=soon")
        assert code == 400
        assert body["error"].startswith("'soon' is not a date: write YYYY-MM-DD")
