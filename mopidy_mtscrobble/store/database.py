"""The SQLite database: opening, upgrading, transactions, and what counts as damage.

Writes are committed before the caller goes on, in WAL mode with full fsync,
so a crash or power cut after a call returns loses nothing. The schema is
versioned with `PRAGMA user_version`, one upgrade script per version
(`sql/upgrade-vN.sql`), each in a transaction of its own.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import pathlib
import sqlite3
from collections.abc import Iterator
from importlib import resources
from typing import Any

from ..errors import StorageError

logger = logging.getLogger(__name__)

DB_FILENAME = "mtscrobble.db"
SCHEMA_VERSION = 20
LOCK_WAIT_SECONDS = 10.0
FILE_MODE = 0o600
SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26


def sql_file(name: str) -> str:
    """A script of the package's `sql` folder."""
    package = resources.files(__name__.split(".")[0])
    return package.joinpath("sql", name).read_text("utf-8")


class Database:
    """One connection to the database; use it from one thread."""

    def __init__(
        self, connection: sqlite3.Connection, path: pathlib.Path, lock_wait_s: float
    ) -> None:
        self._db = connection
        self.path = path
        self._lock_wait_s = lock_wait_s

    @classmethod
    def open(
        cls,
        directory: pathlib.Path,
        now_s: float,
        lock_wait_s: float = LOCK_WAIT_SECONDS,
        repair: bool = False,
        checkpoints: bool = True,
    ) -> Database:
        """Open (creating or upgrading) the database.

        A damaged database is moved aside and a new one created only with
        `repair`: the frontend asks for it once, at Mopidy's start, before
        anything else has the file open, and only then is the whole file
        checked (PRAGMA quick_check: 0.4 s at 400,000 plays here, far longer on
        a Raspberry Pi's SD card). Every other opener (the backend, the web
        app, each command, a reopening) finds damage where it reads, gets a
        StorageError saying so, and never renames a file others may use.
        Without `checkpoints`, this connection never copies the write-ahead
        log into the database (slow at times): others do it.
        """
        path = directory / DB_FILENAME
        try:
            return cls(
                _connect(path, lock_wait_s, checkpoints, check=repair),
                path,
                lock_wait_s,
            )
        except sqlite3.DatabaseError as exc:
            if _is_locked(exc):
                raise _locked_error(path, lock_wait_s) from None
            if not _is_corrupt(exc):
                raise StorageError(f"Cannot open the database {path}: {exc}.") from None
            if not repair:
                raise _damaged_error(path, exc) from None
            aside = _move_aside(path, now_s)
            logger.error(
                "The database %s was damaged (%s). It was moved to %s and a new "
                "one was created; scrobbles queued in the old one are not sent.",
                path,
                exc,
                aside,
            )
        try:
            return cls(_connect(path, lock_wait_s, checkpoints), path, lock_wait_s)
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"Cannot create the database {path}: {exc}.") from None

    def close(self) -> None:
        self._db.close()

    def read(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._failure(exc, "read") from None

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A transaction: committed at the end, rolled back on an error."""
        try:
            with self._db:
                yield self._db
        except sqlite3.DatabaseError as exc:
            raise self._failure(exc, "write to") from None

    def changes(self) -> int:
        """A number that changes whenever another connection commits (SQLite's
        `data_version`): a cheap way to tell that nothing changed."""
        return int(self.read("PRAGMA data_version")[0][0])

    def checkpoint(self) -> None:
        """Copy what the write-ahead log holds into the database, if no reader
        is in the way (never waits for one)."""
        self.read("PRAGMA wal_checkpoint(PASSIVE)")

    def _failure(self, exc: sqlite3.DatabaseError, verb: str) -> StorageError:
        if _is_locked(exc):
            return _locked_error(self.path, self._lock_wait_s)
        if _is_corrupt(exc):
            return _damaged_error(self.path, exc)
        return StorageError(f"Cannot {verb} the database {self.path}: {exc}.")


def _connect(
    path: pathlib.Path, lock_wait_s: float, checkpoints: bool, check: bool = False
) -> sqlite3.Connection:
    # Create the file ourselves so it is private from the first byte. Only when
    # it is new: closing any descriptor of an open database would drop the
    # POSIX locks SQLite holds for this process's other connections.
    try:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            pass
        else:
            os.close(fd)
        os.chmod(path, FILE_MODE)
    except OSError as exc:
        raise StorageError(
            f"Cannot use the database file {path}: {exc.strerror or exc}. "
            "It must be a file the Mopidy user can read and write."
        ) from None
    db = sqlite3.connect(path, timeout=lock_wait_s, isolation_level=None)
    try:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA foreign_keys = ON")
        if not checkpoints:
            db.execute("PRAGMA wal_autocheckpoint = 0")
        if check and db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("database disk image is malformed")
        _upgrade(db, path)
        # From here on, `with db:` commits or rolls back each write.
        db.isolation_level = "DEFERRED"
    except BaseException:
        db.close()
        raise
    return db


def _upgrade(db: sqlite3.Connection, path: pathlib.Path) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"The database {path} was written by a newer Mopidy-MTScrobble "
            f"(schema {version}, this one knows {SCHEMA_VERSION}). "
            "Upgrade Mopidy-MTScrobble again."
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            # Another connection (Mopidy's backend, say) may have upgraded meanwhile.
            if db.execute("PRAGMA user_version").fetchone()[0] >= target:
                db.execute("COMMIT")
                continue
            logger.info("Upgrading the database %s to schema version %d", path, target)
            for statement in statements(sql_file(f"upgrade-v{target}.sql")):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {target:d}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def statements(script: str) -> list[str]:
    """A script's statements, to run in a transaction of ours
    (executescript() would commit on its own)."""
    found, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            found.append(buffer.strip())
            buffer = ""
    return [s for s in found if s]


def _is_locked(exc: sqlite3.DatabaseError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    """Only a damaged file: not a lock, a full disk, or a constraint."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)
    text = str(exc)
    return "malformed" in text or "not a database" in text


def _damaged_error(path: pathlib.Path, exc: BaseException) -> StorageError:
    return StorageError(
        f"The database {path} is damaged ({exc}). Restart Mopidy: at its start "
        "Mopidy-MTScrobble moves the damaged file aside and starts a new one.",
        damaged=True,
    )


def _locked_error(path: pathlib.Path, waited_s: float) -> StorageError:
    return StorageError(
        f"The database {path} is locked by another program; waited "
        f"{waited_s:g} s. Close whatever has it open (for example an sqlite3 "
        "shell, or a second Mopidy with the same data_dir)."
    )


def _move_aside(path: pathlib.Path, now_s: float) -> pathlib.Path:
    """Rename the database (and its WAL files) to a name no other file has."""
    stamp = datetime.datetime.fromtimestamp(now_s, datetime.UTC).strftime(
        "%Y%m%dT%H%M%SZ"
    )
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    number = 1
    while any(pathlib.Path(f"{aside}{s}").exists() for s in ("", "-wal", "-shm")):
        number += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{number}")
    try:
        for suffix in ("", "-wal", "-shm"):
            source = pathlib.Path(f"{path}{suffix}")
            if source.exists():
                source.rename(f"{aside}{suffix}")
    except OSError as exc:
        raise StorageError(
            f"The database {path} is damaged and cannot be moved aside "
            f"({exc.strerror or exc}). Move or delete it by hand, then restart "
            "Mopidy."
        ) from None
    return aside
