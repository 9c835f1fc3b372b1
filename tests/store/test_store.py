"""The durable store: SQLite, versioned schema, corruption and locks."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys

import pytest

from mopidy_mtscrobble.destinations import LASTFM
from mopidy_mtscrobble.errors import StorageError
from mopidy_mtscrobble.store import DB_FILENAME, SCHEMA_VERSION, NewScrobble, Store

from .databases import NOW, build_database_at_version, damage_the_queue_table, scrobble


@pytest.fixture
def store(tmp_path):
    opened = Store.open(tmp_path, NOW)
    yield opened
    opened.close()


def test_new_database_is_at_the_current_schema_in_wal_mode(store, tmp_path):
    db = sqlite3.connect(tmp_path / DB_FILENAME)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_database_file_is_private(store, tmp_path):
    store.queue.enqueue(scrobble(), NOW)
    for name in (DB_FILENAME, f"{DB_FILENAME}-wal"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, name


def test_enqueued_entry_keeps_every_field_as_pending(store):
    entry_id = store.queue.enqueue(scrobble(chosen_by_user=False), NOW)
    entry = store.queue.get(entry_id)
    assert (entry.artist, entry.track, entry.album, entry.album_artist) == (
        "Artist", "Title", "Album", "Album Artist",
    )  # fmt: skip
    assert entry.track_number == 3
    assert entry.duration_s == 200
    assert entry.mbid == "0383dadf-2a4e-4d10-a46a-e9e041da8eb3"
    assert entry.chosen_by_user is False
    assert entry.timestamp == int(NOW) - 300
    assert entry.uri == "local:track:1"
    assert entry.state == "pending"
    assert entry.attempts == 0
    assert entry.last_error is None
    assert entry.next_attempt_at is None
    assert entry.created_at == int(NOW)
    assert entry.sent_at is None


def test_entry_is_committed_when_enqueue_returns(store, tmp_path):
    entry_id = store.queue.enqueue(scrobble(), NOW)
    other = sqlite3.connect(tmp_path / DB_FILENAME)
    assert other.execute("SELECT id FROM plays").fetchall() == [(entry_id,)]
    other.close()


def test_the_same_play_is_queued_once(store):
    first = store.queue.enqueue(scrobble(), NOW)
    assert store.queue.enqueue(scrobble(), NOW) == first
    assert store.queue.counts()["pending"] == 1


def test_counts_cover_every_state(store):
    store.queue.enqueue(scrobble(), NOW)
    assert store.queue.counts() == {
        "pending": 1,
        "in_flight": 0,
        "sent": 0,
        "rejected": 0,
        "held": 0,
    }


def test_entries_survive_reopening(tmp_path):
    first = Store.open(tmp_path, NOW)
    entry_id = first.queue.enqueue(scrobble(), NOW)
    first.close()
    again = Store.open(tmp_path, NOW)
    assert again.queue.get(entry_id).artist == "Artist"
    again.close()


def test_old_sent_history_is_pruned_but_pending_entries_stay(store, tmp_path):
    old = store.queue.enqueue(scrobble(timestamp=1000), NOW)
    kept = store.queue.enqueue(scrobble(timestamp=2000), NOW)
    pending = store.queue.enqueue(scrobble(timestamp=3000), NOW)
    db = sqlite3.connect(tmp_path / DB_FILENAME)
    with db:
        db.execute(
            "UPDATE deliveries SET state='sent', sent_at=? WHERE play_id=?",
            (int(NOW) - 91 * 86400, old),
        )
        db.execute(
            "UPDATE deliveries SET state='sent', sent_at=? WHERE play_id=?",
            (int(NOW) - 89 * 86400, kept),
        )
    db.close()
    assert store.plays.prune_history(90, NOW) == 1
    assert store.queue.get(old) is None
    assert store.queue.get(kept) is not None
    assert store.queue.get(pending) is not None


def test_recent_lists_newest_first(store):
    store.queue.enqueue(scrobble(timestamp=1000, track="A"), NOW)
    store.queue.enqueue(scrobble(timestamp=2000, track="B"), NOW)
    assert [s.track for s in store.queue.recent(10)] == ["B", "A"]


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_upgrade_from_every_older_version(tmp_path, version):
    build_database_at_version(tmp_path / DB_FILENAME, version)
    opened = Store.open(tmp_path, NOW)
    entry_id = opened.queue.enqueue(scrobble(), NOW)
    assert opened.queue.get(entry_id).state == "pending"
    opened.close()
    db = sqlite3.connect(tmp_path / DB_FILENAME)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


PLAYS_VERSION = 5  # plays and their deliveries; before, a table of scrobbles
OLD_QUEUE = [
    # id, track, timestamp, state, attempts, last_error, next_attempt_at, sent_at
    (1, "Waiting", 1000, "pending", 2, "daily scrobble limit", 5000, None),
    (2, "Unknown", 2000, "in_flight", 1, "timed out", 4000, None),
    (3, "Landed", 3000, "sent", 0, None, None, 3500),
    (4, "Refused", 4000, "rejected", 0, "artist ignored (code 1)", None, None),
]


@pytest.mark.parametrize("version", range(1, PLAYS_VERSION))
def test_upgrade_keeps_every_queued_scrobble_in_its_state_for_lastfm(tmp_path, version):
    build_database_at_version(tmp_path / DB_FILENAME, version)
    db = sqlite3.connect(tmp_path / DB_FILENAME)
    with db:
        db.executemany(
            "INSERT INTO scrobbles (id, artist, track, album, album_artist, "
            "track_number, duration_s, mbid, chosen_by_user, timestamp, uri, state, "
            "attempts, last_error, next_attempt_at, created_at, sent_at) VALUES "
            "(?, 'Artist', ?, 'Album', 'AA', 3, 200, 'mbid', 0, ?, 'local:1', ?, ?, "
            "?, ?, 900, ?)",
            OLD_QUEUE,
        )
    db.close()
    opened = Store.open(tmp_path, NOW)
    try:
        assert opened.plays.play_count() == len(OLD_QUEUE)
        assert opened.plays.counts_by_destination() == {
            LASTFM: {"pending": 1, "in_flight": 1, "sent": 1, "rejected": 1}
        }
        for row in OLD_QUEUE:
            entry = opened.queue.get(row[0])
            assert (
                entry.id, entry.track, entry.timestamp, entry.state, entry.attempts,
                entry.last_error, entry.next_attempt_at, entry.sent_at,
            ) == row  # fmt: skip
            assert (entry.artist, entry.album, entry.album_artist) == (
                "Artist", "Album", "AA",
            )  # fmt: skip
            assert (entry.track_number, entry.duration_s, entry.mbid) == (
                3, 200, "mbid",
            )  # fmt: skip
            assert (entry.chosen_by_user, entry.uri) == (False, "local:1")
            assert (entry.created_at, entry.queued_at, entry.in_flight_at) == (
                900, 900, None,
            )  # fmt: skip
        # Nothing is sent again: only the waiting entry is due; the one in
        # flight is checked first.
        assert [e.id for e in opened.queue.due(NOW, 50)] == [1]
        assert [e.id for e in opened.queue.in_flight()] == [2]
        # The same play queued again is still the one play.
        assert opened.queue.enqueue(scrobble(track="Landed", timestamp=3000), NOW) == 3
    finally:
        opened.close()


def test_database_from_a_newer_version_is_refused_and_left_alone(tmp_path):
    db = sqlite3.connect(tmp_path / DB_FILENAME)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StorageError, match="newer Mopidy-MTScrobble"):
        Store.open(tmp_path, NOW)
    assert (tmp_path / DB_FILENAME).exists()


def test_corrupt_database_is_moved_aside_and_replaced_when_asked(tmp_path, caplog):
    (tmp_path / DB_FILENAME).write_bytes(b"this is not an SQLite database" * 100)
    opened = Store.open(tmp_path, NOW, repair=True)
    aside = tmp_path / f"{DB_FILENAME}.corrupt-20231114T221320Z"
    assert aside.read_bytes().startswith(b"this is not")
    assert opened.queue.counts()["pending"] == 0
    opened.close()
    assert str(aside) in caplog.text
    assert "damaged" in caplog.text


def test_other_openers_report_a_damaged_database_and_leave_it_alone(tmp_path):
    garbage = b"this is not an SQLite database" * 100
    (tmp_path / DB_FILENAME).write_bytes(garbage)
    with pytest.raises(StorageError, match=r"damaged.*Restart Mopidy") as error:
        Store.open(tmp_path, NOW)
    assert error.value.damaged
    assert (tmp_path / DB_FILENAME).read_bytes() == garbage
    assert list(tmp_path.glob("*.corrupt-*")) == []


def test_two_damaged_databases_in_one_second_are_both_kept(tmp_path):
    for content in (b"first garbage " * 100, b"second garbage " * 100):
        (tmp_path / DB_FILENAME).write_bytes(content)
        Store.open(tmp_path, NOW, repair=True).close()
        (tmp_path / DB_FILENAME).unlink()
    kept = sorted(p.read_bytes()[:6] for p in tmp_path.glob("*.corrupt-*"))
    assert kept == [b"first ", b"second"]


def test_an_error_that_is_not_damage_never_moves_the_database(tmp_path):
    # A database whose upgrade fails (here: a table in the way) is not damaged.
    db = sqlite3.connect(tmp_path / DB_FILENAME)
    db.executescript("CREATE TABLE scrobbles (x); PRAGMA user_version = 0;")
    db.close()
    with pytest.raises(StorageError, match="Cannot open") as error:
        Store.open(tmp_path, NOW, repair=True)
    assert not error.value.damaged
    assert list(tmp_path.glob("*.corrupt-*")) == []


def test_a_database_path_that_cannot_be_used_is_a_storage_error(tmp_path):
    (tmp_path / DB_FILENAME).symlink_to(tmp_path / "gone" / "elsewhere.db")
    with pytest.raises(StorageError, match="must be a file the Mopidy user"):
        Store.open(tmp_path, NOW, repair=True)


def test_a_replay_at_the_same_second_is_queued_a_second_later(store):
    first = store.queue.enqueue(scrobble(), NOW, distinct=True)
    again = store.queue.enqueue(
        scrobble(), NOW, distinct=False
    )  # the same play, retried
    replay = store.queue.enqueue(scrobble(), NOW, distinct=True)  # a new play
    assert again == first
    assert replay != first
    assert store.queue.get(replay).timestamp == store.queue.get(first).timestamp + 1


def test_values_sqlite_cannot_keep_do_not_stop_a_play(store):
    entry = store.queue.enqueue(
        scrobble(artist="Caf\udce9", track_number=2**70, duration_s=-(2**70)), NOW
    )
    kept = store.queue.get(entry)
    assert kept.artist == "Caf\ufffd"
    assert (kept.track_number, kept.duration_s) == (None, None)


def test_locked_database_is_waited_for_then_reported(tmp_path):
    Store.open(tmp_path, NOW).close()
    holder = sqlite3.connect(tmp_path / DB_FILENAME, isolation_level=None)
    # Like another program that keeps the database to itself: not even reads pass.
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageError, match="locked by another program") as error:
            Store.open(tmp_path, NOW, lock_wait_s=0.1)
        assert str(tmp_path / DB_FILENAME) in str(error.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_write_while_locked_is_reported_as_storage_error(tmp_path):
    store = Store.open(tmp_path, NOW, lock_wait_s=0.1)
    holder = sqlite3.connect(tmp_path / DB_FILENAME, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageError, match="locked"):
            store.queue.enqueue(scrobble(), NOW)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.queue.enqueue(scrobble(), NOW) == 1
    store.close()


def test_opening_another_connection_keeps_this_process_locks(tmp_path):
    # Closing any descriptor of the file would drop this process's POSIX locks;
    # another process closing its connection would then think itself the last
    # one and remove the WAL under our feet ("disk I/O error").
    first = Store.open(tmp_path, NOW)
    first.queue.enqueue(NewScrobble(artist="A", track="One", timestamp=1), NOW)
    Store.open(tmp_path, NOW).close()  # e.g. the matcher's connection
    subprocess.run(
        [sys.executable, "-c",
         "import pathlib, sys; from mopidy_mtscrobble.store import Store; "
         "Store.open(pathlib.Path(sys.argv[1]), 0).close()", str(tmp_path)],
        check=True, timeout=60,
    )  # fmt: skip
    assert (tmp_path / f"{DB_FILENAME}-wal").exists()
    first.queue.enqueue(NewScrobble(artist="A", track="Two", timestamp=2), NOW)
    assert first.queue.counts()["pending"] == 2
    first.close()


def test_damage_found_while_running_is_reported_as_damage(tmp_path):
    store = Store.open(tmp_path, NOW)
    for i in range(300):
        store.queue.enqueue(scrobble(track=f"Track {i} " * 20, timestamp=i), NOW)
    damage_the_queue_table(tmp_path / DB_FILENAME)
    with pytest.raises(StorageError, match="Restart Mopidy") as error:
        store.queue.recent(1000)
    store.close()
    assert error.value.damaged


def statements_run_by_open(monkeypatch, tmp_path, **options) -> list[str]:
    run: list[str] = []
    connect = sqlite3.connect

    def traced(*args, **kwargs):
        connection = connect(*args, **kwargs)
        connection.set_trace_callback(run.append)
        return connection

    monkeypatch.setattr(sqlite3, "connect", traced)
    Store.open(tmp_path, NOW, **options).close()
    return run


def test_only_the_start_of_mopidy_checks_the_whole_file(monkeypatch, tmp_path):
    Store.open(tmp_path, NOW).close()  # created and upgraded
    checked = statements_run_by_open(monkeypatch, tmp_path, repair=True)
    others = statements_run_by_open(monkeypatch, tmp_path)
    assert "PRAGMA quick_check" in checked
    assert "PRAGMA quick_check" not in others


def damage_pages(path) -> None:
    """Garbage over the pages after the first two: the header stays valid."""
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[2 * page :] = b"\xa5" * (len(data) - 2 * page)
    path.write_bytes(bytes(data))


def open_and_count(folder) -> None:
    opened = Store.open(folder, NOW)
    try:
        opened.queue.counts()
    finally:
        opened.close()


def test_damage_inside_the_file_is_found_where_another_opener_reads(tmp_path):
    store = Store.open(tmp_path, NOW)
    for number in range(300):
        store.queue.enqueue(scrobble(track=f"Song {number}"), NOW + number)
    store.db.checkpoint()
    store.close()
    (tmp_path / f"{DB_FILENAME}-wal").unlink(missing_ok=True)
    damage_pages(tmp_path / DB_FILENAME)
    with pytest.raises(StorageError, match="damaged") as error:
        open_and_count(tmp_path)
    assert error.value.damaged
    Store.open(tmp_path, NOW, repair=True).close()  # the next start moves it aside
    assert len(list(tmp_path.glob("*.corrupt-*"))) == 1
