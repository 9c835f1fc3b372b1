"""`mopidy mtscrobble export`: the listening history as CSV or as JSON lines
in ListenBrainz's listen format, through the command Mopidy runs."""

from __future__ import annotations

import csv
import io
import json
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mopidy_mtscrobble.destinations import LASTFM
from mopidy_mtscrobble.history_export import (
    COLUMNS,
    PAGE_ROWS,
    ExportRefused,
    header,
    parse_since,
    render,
)
from mopidy_mtscrobble.store import HistoryEntry, HistoryPlay, NewScrobble, Store
from mopidy_mtscrobble.version import __version__

from .harness import data_dir, run_command

NOW = 1_700_000_000.0
DAY_S = 86_400


def seed(tmp_path):
    """A sent play, a queued one, one kept out by a rule and one in private."""
    folder = data_dir(tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    store = Store.open(folder, NOW)
    sent = store.plays.enqueue(
        NewScrobble("Sent, \"Quoted\"", "Song", int(NOW) - 2 * DAY_S, album="LP",
                    album_artist="AA", duration_s=200, uri="local:1"),
        (LASTFM,), NOW, heard_s=200,
    )  # fmt: skip
    store.queue.mark_sent([sent], NOW)
    store.plays.enqueue(
        NewScrobble("Waiting", "Other", int(NOW) - DAY_S), (LASTFM,), NOW
    )
    store.history.record(
        HistoryPlay(int(NOW) - 3 * DAY_S, "Kids Band", "Wheels", heard_s=190,
                    outcome="excluded", reason='exclude_artists "kids*"')
    )  # fmt: skip
    store.history.record(
        HistoryPlay(int(NOW), "Secret", "Song", heard_s=180, outcome="private",
                    reason="private mode (skipped)")
    )  # fmt: skip
    store.close()


def test_csv_has_every_play_oldest_first_with_what_became_of_it(tmp_path):
    seed(tmp_path)
    result = run_command(tmp_path, {}, "export", "--format", "csv")
    assert result.returncode == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == list(COLUMNS)
    assert [(r["artist"], r["outcome"], r["reason"]) for r in rows] == [
        ("Kids Band", "excluded", 'exclude_artists "kids*"'),
        ('Sent, "Quoted"', "sent", ""),
        ("Waiting", "queued", ""),
        ("Secret", "private", "private mode (skipped)"),
    ]
    assert rows[1]["played_at"] == "2023-11-12T22:13:20Z"
    assert (rows[1]["album"], rows[1]["album_artist"]) == ("LP", "AA")
    assert (rows[1]["duration_s"], rows[1]["heard_s"]) == ("200", "200")
    assert (rows[1]["uri"], rows[1]["origin"]) == ("local:1", "mopidy")


def test_jsonl_is_one_listenbrainz_listen_a_line(tmp_path):
    seed(tmp_path)
    result = run_command(tmp_path, {}, "export", "--format", "jsonl")
    assert result.returncode == 0
    listens = [json.loads(line) for line in result.stdout.splitlines()]
    assert [listen["listened_at"] for listen in listens] == sorted(
        listen["listened_at"] for listen in listens
    )
    sent = listens[1]
    assert set(sent) == {"listened_at", "track_metadata"}
    metadata = sent["track_metadata"]
    assert (metadata["artist_name"], metadata["track_name"]) == (
        'Sent, "Quoted"', "Song",
    )  # fmt: skip
    assert metadata["release_name"] == "LP"
    info = metadata["additional_info"]
    assert info["duration_ms"] == 200_000
    assert info["release_artist_name"] == "AA"
    assert info["submission_client"] == "Mopidy-MTScrobble"
    assert (info["mtscrobble_outcome"], info["mtscrobble_heard_s"]) == ("sent", 200)


def test_since_a_date_exports_the_plays_from_its_midnight_utc(tmp_path):
    seed(tmp_path)
    since = "2023-11-13"  # NOW - 1 day is 2023-11-13T22:13:20Z
    result = run_command(tmp_path, {}, "export", "--format", "csv", "--since", since)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["artist"] for r in rows] == ["Waiting", "Secret"]


def test_an_output_file_is_private_and_the_command_says_how_many(tmp_path):
    seed(tmp_path)
    out = tmp_path / "history.csv"
    result = run_command(
        tmp_path, {}, "export", "--format", "csv", "--output", str(out)
    )
    assert result.returncode == 0
    assert f"Exported 4 plays to {out} (csv)." in result.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert len(list(csv.DictReader(out.open(newline="")))) == 4


def test_an_unreadable_date_is_refused_saying_what_to_write(tmp_path):
    result = run_command(
        tmp_path, {}, "export", "--format", "csv", "--since", "last tuesday"
    )
    assert result.returncode == 1
    assert "Error: 'last tuesday' is not a date: write YYYY-MM-DD" in result.stdout


def test_an_output_that_cannot_be_written_says_so(tmp_path):
    seed(tmp_path)
    missing = tmp_path / "no" / "such" / "dir.csv"
    result = run_command(
        tmp_path, {}, "export", "--format", "csv", "--output", str(missing)
    )
    assert result.returncode == 1
    assert f"Error: cannot write {missing}" in result.stdout


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (None, 0),
        ("2023-11-14", 1_699_920_000),
        ("2023-11-14T22:13:20", 1_700_000_000),
        ("2023-11-14T22:13:20Z", 1_700_000_000),
        ("2023-11-14T23:13:20+01:00", 1_700_000_000),
    ],
)
def test_dates_are_read_as_utc_unless_they_say_otherwise(text, seconds):
    assert parse_since(text) == seconds


def test_a_history_over_many_pages_is_exported_whole(tmp_path):
    folder = data_dir(tmp_path)
    folder.mkdir(parents=True)
    store = Store.open(folder, NOW)
    plays = 2 * PAGE_ROWS + 3
    with store.db.write() as db:
        db.executemany(
            "INSERT INTO history (played_at, artist, track) VALUES (?, 'A', ?)",
            [(int(NOW) - n % 7, f"T{n}") for n in range(plays)],
        )
    store.close()
    result = run_command(tmp_path, {}, "export", "--format", "jsonl")
    tracks = [json.loads(x)["track_metadata"]["track_name"] for x in
              result.stdout.splitlines()]  # fmt: skip
    assert sorted(tracks) == sorted(f"T{n}" for n in range(plays))


def entry_of(artist, track, album=None, reason=None, outcome="queued"):
    return HistoryEntry(
        id=1, played_at=1_700_000_000, played_at_utc="2023-11-14T22:13:20Z",
        artist=artist, track=track, album=album, album_artist=None,
        duration_s=200, heard_s=190, uri="local:1", origin="mopidy",
        outcome=outcome, reason=reason,
    )  # fmt: skip


NAMES = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)


@settings(max_examples=100, deadline=None)
@given(artist=NAMES, track=NAMES, album=st.none() | NAMES, reason=st.none() | NAMES)
def test_csv_gives_back_any_names_as_they_were(artist, track, album, reason):
    entry = entry_of(artist, track, album, reason, outcome="excluded")
    text = header("csv") + render("csv", [entry])
    [row] = list(csv.DictReader(io.StringIO(text, newline="")))
    assert (row["artist"], row["track"]) == (artist, track)
    assert (row["album"], row["reason"]) == (album or "", reason or "")


@settings(max_examples=100, deadline=None)
@given(artist=NAMES, track=NAMES, album=st.none() | NAMES, reason=st.none() | NAMES)
def test_jsonl_lines_are_one_listen_each_with_any_names(artist, track, album, reason):
    entry = entry_of(artist, track, album, reason)
    [line] = render("jsonl", [entry]).splitlines()
    assert line.isascii()
    expected = {"artist_name": artist, "track_name": track}
    if album:
        expected["release_name"] = album
    expected["additional_info"] = {
        "media_player": "Mopidy", "submission_client": "Mopidy-MTScrobble",
        "submission_client_version": __version__, "duration_ms": 200_000,
        "mtscrobble_uri": "local:1", "mtscrobble_heard_s": 190,
        "mtscrobble_origin": "mopidy", "mtscrobble_outcome": "queued",
        **({"mtscrobble_reason": reason} if reason else {}),
    }  # fmt: skip
    assert json.loads(line) == {
        "listened_at": 1_700_000_000, "track_metadata": expected,
    }  # fmt: skip


@pytest.mark.parametrize("text", ["yesterday", "2023-13-01", "14/11/2023"])
def test_unreadable_dates_are_refused(text):
    with pytest.raises(ExportRefused, match="is not a date: write YYYY-MM-DD"):
        parse_since(text)
