from __future__ import annotations

import grp
import os
import pathlib
import pwd
import shutil
import subprocess
import tempfile

import pytest

from mopidy_mtscrobble.datadir import ownership_remedy, prepare_data_dir
from mopidy_mtscrobble.errors import StorageError

from .support.mopidy_server import UNWRAPPED_LOGS, command_config, mopidy_command
from .support.secret_scan import note_text


def config_with(data_dir):
    return {"core": {"data_dir": str(data_dir)}}


def test_data_dir_is_created_under_mopidys_data_dir(tmp_path):
    path = prepare_data_dir(config_with(tmp_path / "mopidy"))
    assert path == tmp_path / "mopidy" / "mtscrobble"
    assert path.is_dir()


def test_existing_data_dir_is_reused(tmp_path):
    first = prepare_data_dir(config_with(tmp_path))
    (first / "keep").write_text("x")
    assert (prepare_data_dir(config_with(tmp_path)) / "keep").exists()


def test_a_file_in_the_way_gives_a_message_naming_the_path(tmp_path):
    (tmp_path / "mtscrobble").write_text("not a directory")
    with pytest.raises(StorageError) as error:
        prepare_data_dir(config_with(tmp_path))
    message = str(error.value)
    assert str(tmp_path / "mtscrobble") in message
    assert "data_dir" in message


# Ownership: a command run as root against another user's data directory (the
# Debian service's /var/lib/mopidy, owned by `mopidy`) must not leave root's
# files there; a file Mopidy cannot write is reported with the chown to run.

NOBODY_UID = NOBODY_GID = 65534
as_root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


@pytest.fixture
def shared_dir():
    """A directory every user can reach (pytest's own tmp_path is root's alone)."""
    path = pathlib.Path(tempfile.mkdtemp(prefix="mtscrobble-owner-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def service_config(root: pathlib.Path) -> pathlib.Path:
    data = root / "data"
    data.mkdir(exist_ok=True)
    os.chown(data, NOBODY_UID, NOBODY_GID)
    path = command_config(root, {})
    path.chmod(0o644)
    return path


def run_as_root(config: pathlib.Path, *args: str):
    # (Runs as another user are in the Debian stage: this Python is root's.)
    result = subprocess.run(
        mopidy_command("-q", "--config", str(config), *args),
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, **UNWRAPPED_LOGS},
    )  # fmt: skip
    note_text(result.stdout + result.stderr)
    return result


@as_root_only
def test_root_is_refused_in_another_users_data_dir_with_the_command_to_run(
    shared_dir,
):
    config = service_config(shared_dir)
    result = run_as_root(config, "mtscrobble", "status")
    assert result.returncode == 1, result.stdout + result.stderr
    message = result.stdout
    assert "runs as root" in message
    assert f"belongs to {pwd.getpwuid(NOBODY_UID)[0]}" in message
    assert f"sudo -u {pwd.getpwuid(NOBODY_UID)[0]} " in message
    assert f"--config {config} mtscrobble status" in message
    assert "sudo mopidyctl mtscrobble status" in message
    assert list((shared_dir / "data").iterdir()) == []  # nothing left by root


@as_root_only
def test_the_chown_given_back_is_to_the_owner_of_mopidys_data_dir(shared_dir):
    service_config(shared_dir)
    folder = shared_dir / "data" / "mtscrobble"
    owner = pwd.getpwuid(NOBODY_UID)[0]
    group = grp.getgrgid(NOBODY_GID)[0]
    assert ownership_remedy(folder).endswith(
        f"sudo chown -R {owner}:{group} {shared_dir / 'data'}"
    )  # the folder does not exist yet: its parent
    folder.mkdir()
    assert ownership_remedy(folder).endswith(f"sudo chown -R {owner}:{group} {folder}")


def test_a_file_gone_between_listing_and_check_is_no_error(tmp_path, monkeypatch):
    """SQLite's journal comes and goes while another of our actors opens the
    database at startup: one listed, then gone, is skipped (it once stopped
    the frontend at startup with FileNotFoundError)."""
    path = prepare_data_dir(config_with(tmp_path))
    journal = path / "mtscrobble.db-journal"
    journal.write_text("x")
    real_access = os.access

    def access_after_the_journal_went(entry, mode):
        if pathlib.Path(entry) == journal:
            journal.unlink()  # the other actor's transaction ended meanwhile
        return real_access(entry, mode)

    monkeypatch.setattr(
        "mopidy_mtscrobble.datadir.os.access", access_after_the_journal_went
    )
    assert prepare_data_dir(config_with(tmp_path)) == path
    assert not journal.exists()
