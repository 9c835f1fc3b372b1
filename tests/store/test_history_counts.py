"""The listening history's counts by origin and outcome (schema 19), kept by
triggers for /mtscrobble/metrics, always equal a count of the history."""

from __future__ import annotations

import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from mopidy_mtscrobble.store import DB_FILENAME, Store

from ..support.history_rows import INSERT, play_row
from .databases import NOW

OUTCOMES = ("queued", "excluded", "private", "imported")
COUNTED = "SELECT origin, outcome, count(*) FROM history GROUP BY 1, 2"

changes = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 30), st.sampled_from(OUTCOMES)),
        st.tuples(st.just("delete"), st.integers(0, 30), st.none()),
        st.tuples(st.just("change"), st.integers(0, 30), st.sampled_from(OUTCOMES)),
        st.tuples(st.just("prune"), st.integers(0, 30), st.none()),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(changes)
def test_the_counts_always_equal_a_count_of_the_history(tmp_path_factory, steps):
    path = tmp_path_factory.mktemp("counts")
    store = Store.open(path, NOW)
    try:
        for kind, n, outcome in steps:
            with store.db.write() as db:
                if kind == "add":
                    db.execute(
                        INSERT, play_row(1000 + n, "A", f"T{n}", outcome=outcome)
                    )
                elif kind == "delete":
                    db.execute("DELETE FROM history WHERE played_at = ?", (1000 + n,))
                elif kind == "change":
                    origin = "imported" if outcome == "imported" else "mopidy"
                    db.execute(
                        "UPDATE OR IGNORE history SET origin = ?, outcome = ? "
                        "WHERE played_at = ?",
                        (origin, outcome, 1000 + n),
                    )
                else:
                    db.execute("DELETE FROM history WHERE played_at < ?", (1000 + n,))
            counted = {(o, c): k for o, c, k in store.db.read(COUNTED)}
            assert store.delivery_stats.history_outcomes() == counted
    finally:
        store.close()


def test_an_upgrade_counts_the_history_there_is(tmp_path):
    store = Store.open(tmp_path, NOW)
    with store.db.write() as db:
        for n, outcome in enumerate(["queued", "queued", "excluded", "imported"]):
            db.execute(INSERT, play_row(1000 + n, "A", f"T{n}", outcome=outcome))
    store.close()
    db = sqlite3.connect(tmp_path / DB_FILENAME)
    db.executescript(
        "DROP TRIGGER history_counted; DROP TRIGGER history_uncounted; "
        "DROP TRIGGER history_recounted; DROP TABLE history_counts; "
        "DROP TRIGGER history_follows_sent_names; "
        "ALTER TABLE history DROP COLUMN heard_artist; "
        "ALTER TABLE history DROP COLUMN heard_track; "
        "ALTER TABLE history DROP COLUMN heard_album; "
        "ALTER TABLE history DROP COLUMN heard_album_artist; "
        "PRAGMA user_version = 18;"
    )
    db.close()
    store = Store.open(tmp_path, NOW)
    try:
        assert store.delivery_stats.history_outcomes() == {
            ("mopidy", "queued"): 2,
            ("mopidy", "excluded"): 1,
            ("imported", "imported"): 1,
        }
    finally:
        store.close()
