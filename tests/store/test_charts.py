"""The listening charts (store.charts): plays per local day, top lists and
totals per period, and the chart tables the triggers keep equal to `history`."""

from __future__ import annotations

import contextlib
import datetime
import sqlite3
import zoneinfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mopidy_mtscrobble.store import DB_FILENAME, Store
from mopidy_mtscrobble.store.charts import CHARTS, PERIODS, SECONDS, window_starts
from mopidy_mtscrobble.store.database import sql_file

from ..support.history_rows import INSERT, add_play, play_row

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# 2026-03-29 12:00 in Berlin: summer time began at 02:00 that day (a 23-hour day).
NOW = datetime.datetime(2026, 3, 29, 12, 0, tzinfo=BERLIN).timestamp()
DAY_S = 86_400


@pytest.fixture
def store(tmp_path):
    opened = Store.open(tmp_path, NOW)
    yield opened
    opened.close()


def local(day: int, hour: int, minute: int = 0) -> int:
    """A time in March 2026 in Berlin."""
    return int(datetime.datetime(2026, 3, day, hour, minute, tzinfo=BERLIN).timestamp())


def test_plays_per_day_follow_local_midnights(store):
    add_play(store, local(29, 0, 30), "A", "One")  # after local midnight: today
    add_play(store, local(28, 23, 59), "A", "One")  # yesterday, local
    add_play(store, local(28, 0, 1), "A", "Two")
    add_play(store, local(27, 23, 0), "B", "Three")
    days = store.charts.daily(NOW, BERLIN)
    assert len(days) == 30
    assert days[-1].date == datetime.date(2026, 3, 29)
    assert days[0].date == datetime.date(2026, 2, 28)
    assert [d.plays for d in days[-3:]] == [1, 2, 1]
    monday = store.charts.daily(local(30, 12), BERLIN)
    assert monday[-1].start_s - monday[-2].start_s == 23 * 3600  # summer time began


def test_every_outcome_counts_as_listening(store):
    for outcome in ("queued", "excluded", "private", "imported"):
        add_play(store, local(29, 10), "A", outcome, outcome=outcome)
    page = store.charts.page(NOW, BERLIN)
    assert [p.plays for p in page.periods] == [4, 4, 4, 4]
    assert page.days[-1].plays == 4


def test_listening_time_is_heard_else_the_length_else_nothing(store):
    add_play(store, local(29, 9), "A", "One", duration_s=300, heard_s=120)
    add_play(store, local(29, 10), "A", "Two", duration_s=200, heard_s=None)
    add_play(store, local(29, 11), "A", "Three", duration_s=None, heard_s=None)
    chart = store.charts.page(NOW, BERLIN).periods[0]
    assert (chart.plays, chart.seconds) == (3, 320)
    assert chart.artists[0].seconds == 320


def test_periods_count_their_local_days(store):
    add_play(store, local(23, 0, 0), "Week", "Edge")  # the 7 days' first minute
    add_play(store, local(22, 23, 59), "Month", "Before the week")
    add_play(store, int(NOW) - 40 * DAY_S, "Year", "Before the month")
    add_play(store, int(NOW) - 400 * DAY_S, "Old", "Before the year")
    page = store.charts.page(NOW, BERLIN)
    plays = {p.period: p.plays for p in page.periods}
    assert plays == {"7d": 1, "30d": 2, "12m": 3, "all": 4}
    assert sum(day.plays for day in page.days) == plays["30d"]


def test_top_lists_are_most_played_first_ties_by_name(store):
    for artist, track, times in [("B", "x", 3), ("A", "y", 3), ("C", "z", 5)]:
        for n in range(times):
            add_play(store, local(29, 1, n), artist, track, album=f"{artist} LP")
    chart = store.charts.page(NOW, BERLIN).periods[0]
    assert [(e.names, e.plays) for e in chart.artists] == [
        (("C",), 5), (("A",), 3), (("B",), 3)
    ]  # fmt: skip
    assert chart.tracks[0].names == ("C", "z")
    assert chart.albums[0].names == ("C", "C LP")


def test_albums_belong_to_the_album_artist_and_plays_without_one_are_left_out(store):
    add_play(store, local(29, 1), "Guest", "One", album="Mix", album_artist="DJ")
    add_play(store, local(29, 2), "DJ", "Two", album="Mix", album_artist="")
    add_play(store, local(29, 3), "DJ", "Three", album=None)
    chart = store.charts.page(NOW, BERLIN).periods[0]
    assert [(e.names, e.plays) for e in chart.albums] == [(("DJ", "Mix"), 2)]


def test_top_lists_hold_ten(store):
    for n in range(15):
        add_play(store, local(29, 1, n), f"Artist {n:02}", "Song")
    chart = store.charts.page(NOW, BERLIN).periods[-1]
    assert len(chart.artists) == 10


def test_windows_move_with_the_days(store):
    add_play(store, local(25, 12), "A", "One")
    assert store.charts.page(NOW, BERLIN).periods[0].plays == 1
    later = NOW + 4 * DAY_S  # the 25th has left the 7 days
    assert store.charts.page(later, BERLIN).periods[0].plays == 0
    assert store.charts.page(NOW, BERLIN).periods[0].plays == 1  # the clock went back


def test_the_upgrade_counts_the_history_there_is(tmp_path):
    db = sqlite3.connect(tmp_path / DB_FILENAME)
    for step in range(1, 15):
        db.executescript(sql_file(f"upgrade-v{step}.sql"))
        db.execute(f"PRAGMA user_version = {step}")
    db.execute(INSERT, play_row(local(29, 1), "A", "One", album="LP"))
    db.commit()
    db.close()
    opened = Store.open(tmp_path, NOW)
    chart = opened.charts.page(NOW, BERLIN).periods[-1]
    opened.close()
    assert (chart.plays, chart.artists[0].plays, chart.albums[0].plays) == (1, 1, 1)


# The property: whatever plays come and go, and wherever the windows move,
# every chart table equals the GROUP BY over history it stands for.

NAMES = st.sampled_from(["A", "B", "C", "a", "Ä"])
PLAY = st.fixed_dictionaries(
    {
        "played_at": st.one_of(
            st.integers(int(NOW) - 50 * DAY_S, int(NOW) + DAY_S),
            st.integers(int(NOW) - 800 * DAY_S, int(NOW) + DAY_S),
        ),
        "artist": NAMES,
        "track": NAMES,
        "album": st.one_of(st.none(), st.just(""), NAMES),
        "album_artist": st.one_of(st.none(), st.just(""), NAMES),
        "duration_s": st.one_of(st.none(), st.integers(0, 600)),
        "heard_s": st.one_of(st.none(), st.integers(0, 600)),
    }
)
STEP = st.one_of(
    st.tuples(st.just("add"), PLAY),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("change"), st.integers(0, 50), PLAY),
    # Moves by hours (windows move by a day or a few) and by years (they refill).
    st.tuples(st.just("move"), st.integers(-40 * 24, 40 * 24)),
    st.tuples(st.just("move"), st.integers(-800 * 24, 800 * 24)),
)


def chart_rows(db, table: str) -> set[tuple]:
    return {tuple(row) for row in db.read(f"SELECT * FROM {table}")}  # noqa: S608


def expected_rows(db, table: str) -> set[tuple]:
    _, expressions, counted = CHARTS[table]
    grouped = ", ".join(expressions)
    rows = db.read(
        f"SELECT w.period, {grouped}, count(*), sum({SECONDS}) "  # noqa: S608
        f"FROM history JOIN chart_windows AS w ON played_at >= w.start_s "
        f"WHERE {counted} GROUP BY w.period, {grouped}"
    )
    return {tuple(row) for row in rows}


def expected_totals(db) -> set[tuple]:
    rows = db.read(
        f"SELECT w.period, count(h.id), coalesce(sum({SECONDS}), 0) "  # noqa: S608
        f"FROM chart_windows AS w LEFT JOIN history AS h ON h.played_at >= w.start_s "
        f"GROUP BY w.period"
    )
    return {tuple(row) for row in rows}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(STEP, max_size=40))
def test_chart_tables_always_equal_the_history_grouped(tmp_path_factory, steps):
    store = Store.open(tmp_path_factory.mktemp("charts"), NOW)
    try:
        for step in steps:
            run_step(store, step)
        store.charts.move_windows(window_starts(NOW, BERLIN))
        db = store.db
        for table in CHARTS:
            assert chart_rows(db, table) == expected_rows(db, table), table
        assert chart_rows(db, "chart_totals") == expected_totals(db)
    finally:
        store.close()


def run_step(store, step) -> None:
    ids = [row[0] for row in store.db.read("SELECT id FROM history ORDER BY id")]
    kind = step[0]
    if kind == "add":
        add_play(store, **step[1])  # the same play twice: history keeps one
    elif kind == "delete" and ids:
        with store.db.write() as db:
            db.execute("DELETE FROM history WHERE id = ?", (ids[step[1] % len(ids)],))
    elif kind == "change" and ids:
        values = step[2]
        sets = ", ".join(f"{name} = :{name}" for name in values)
        # A change that makes it another play's twin is refused.
        with store.db.write() as db, contextlib.suppress(sqlite3.IntegrityError):
            db.execute(
                f"UPDATE history SET {sets} WHERE id = :id",  # noqa: S608
                {**values, "id": ids[step[1] % len(ids)]},
            )
    elif kind == "move":
        store.charts.move_windows(window_starts(NOW + step[1] * 3600, BERLIN))


def test_period_names_are_the_schemas():
    assert [name for name, _, _ in PERIODS] == ["7d", "30d", "12m", "all"]
