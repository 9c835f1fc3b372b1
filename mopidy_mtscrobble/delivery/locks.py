"""The data directory's delivery locks: one process delivers to a destination."""

from __future__ import annotations

import fcntl
import os
import pathlib

from ..errors import StorageError


def take_lock(data_dir: pathlib.Path, filename: str, what: str) -> int:
    """Lock `filename` in `data_dir` for this process; returns the open file,
    whose closing releases it. StorageError if another process holds it."""
    path = data_dir / filename
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StorageError(
            f"Cannot open {path}: {exc.strerror or exc}. The data directory "
            "must belong to the user Mopidy runs as."
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise StorageError(
            f"Another process is already sending {what} in {data_dir} "
            "(a running Mopidy with the same data_dir, or a 'mopidy mtscrobble' "
            "command)."
        ) from None
    return fd
