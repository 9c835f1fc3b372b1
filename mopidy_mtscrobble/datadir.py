"""The extension's directory under Mopidy's `[core] data_dir`.

It must stay usable by the user Mopidy runs as: a command run as root against
the service's directory (Debian's /var/lib/mopidy, owned by `mopidy`) is
refused, with the command line to run as that user instead, because every file
root made there (the database's journal, the session) would lock the service
out. A directory or file Mopidy cannot write is reported with the `chown`
that gives it back.
"""

from __future__ import annotations

import grp
import os
import pathlib
import pwd
import shlex
import sys
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

from mopidy import ext

from .errors import StorageError

EXT_NAME = "mtscrobble"
ROOT_UID = 0


class _Extension(ext.Extension):
    """Only to ask Mopidy where this extension's data goes, by its own rule."""

    ext_name = EXT_NAME


def prepare_data_dir(config: Mapping[str, Any]) -> pathlib.Path:
    """Create (if needed) and check the data directory, or raise StorageError."""
    core_dir = pathlib.Path(os.path.expanduser(str(config["core"]["data_dir"])))
    expected = core_dir / EXT_NAME
    _refuse_root_in_anothers_directory(expected)
    try:
        # Several actors prepare it at startup: Mopidy's mkdir alone would race.
        expected.mkdir(parents=True, exist_ok=True)
        path = pathlib.Path(_Extension.get_data_dir(config))
        # Proves we can create files there, whoever we run as.
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if expected.exists() and not expected.is_dir():
            reason = "a file is in the way, not a directory"
            remedy = "Make it a directory the Mopidy user can write to"
        else:
            remedy = ownership_remedy(expected)
        raise StorageError(
            f"Cannot use the data directory {expected}: {reason}. "
            f"{remedy}, or change [core] data_dir in mopidy.conf."
        ) from None
    _check_files_writable(path)
    return path


def ownership_remedy(path: pathlib.Path) -> str:
    """What to run so that the user Mopidy runs as can write `path` again."""
    owner = _owner_of_data(path)
    if owner is None:
        return "Make it a directory the Mopidy user can write to"
    user, group = owner
    target = path if path.exists() else path.parent
    return (
        f"Give it back to the user Mopidy runs as: "
        f"sudo chown -R {user}:{group} {shlex.quote(str(target))}"
    )


def _owner_of_data(path: pathlib.Path) -> tuple[str, str] | None:
    """(user, group) that should own the data: the owner of Mopidy's data_dir,
    or, when root owns that, the user we run as."""
    try:
        info = path.parent.stat()
        uid, gid = info.st_uid, info.st_gid
    except OSError:
        return None
    if uid == ROOT_UID:
        uid, gid = os.geteuid(), os.getegid()
    if uid == ROOT_UID:
        return None  # root owns it and runs us: nothing to give back
    return _name(pwd.getpwuid, uid), _name(grp.getgrgid, gid)


def _name(lookup: Callable[[int], Any], number: int) -> str:
    try:
        return str(lookup(number)[0])
    except KeyError:
        return str(number)


def _refuse_root_in_anothers_directory(path: pathlib.Path) -> None:
    if os.geteuid() != ROOT_UID:
        return
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is None:
        return
    owner_uid = existing.stat().st_uid
    if owner_uid == ROOT_UID:
        return
    user = _name(pwd.getpwuid, owner_uid)
    service = _extension_args()
    raise StorageError(
        f"This runs as root, but {existing} belongs to {user}: files root made "
        f"there would lock Mopidy out. Run it as {user} instead: "
        f"{_as_user_command(user)}"
        + (f" (Debian's Mopidy service: sudo mopidyctl {service})" if service else "")
    )


def _as_user_command(user: str) -> str:
    argv = list(sys.argv)
    if not argv or not argv[0] or argv[0].endswith("__main__.py"):
        argv[:1] = [sys.executable, "-m", "mopidy"]
    return shlex.join(["sudo", "-u", user, *argv])


def _extension_args() -> str:
    """`mtscrobble ...` as on our command line, or '' when not a command of ours."""
    argv = sys.argv[1:]
    if EXT_NAME not in argv:
        return ""
    return shlex.join(argv[argv.index(EXT_NAME) :])


def _check_files_writable(path: pathlib.Path) -> None:
    """Every file here must be writable: a journal or session made by another
    user (root) would fail later, in the middle of something."""
    try:
        entries = list(path.iterdir())
    except OSError:
        return
    for entry in entries:
        if not entry.is_file() or os.access(entry, os.W_OK):
            continue
        try:
            # Not writable, or gone since the listing: SQLite's journal comes
            # and goes while another of our actors opens the database.
            owner = _name(pwd.getpwuid, entry.stat().st_uid)
        except FileNotFoundError:
            continue
        else:
            raise StorageError(
                f"Cannot use the data directory {path}: {entry.name} there "
                f"belongs to {owner} and Mopidy cannot write it. "
                f"{ownership_remedy(path)}."
            )
