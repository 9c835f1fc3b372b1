"""The extension inside a real `mopidy` process."""

from __future__ import annotations

import re
import sqlite3

import pytest

from mopidy_mtscrobble import __version__

from ..support.mopidy_server import run_mopidy_command, running_mopidy
from ..support.secret_scan import note_secret

CREDENTIALS = {"api_key": "k" * 32, "api_secret": "TOPSECRETVALUE"}


def test_mopidy_deps_lists_the_extension(tmp_path):
    result = run_mopidy_command(tmp_path, {}, "deps")
    assert result.returncode == 0, result.stderr
    # The distribution name as installed: "Mopidy-MTScrobble" or normalized.
    assert re.search(rf"(?i)mopidy[-_]mtscrobble: {__version__}", result.stdout)
    assert "pylast" in result.stdout


def test_mopidy_config_shows_the_section_with_secrets_masked(tmp_path):
    result = run_mopidy_command(
        tmp_path, {**CREDENTIALS, "password": "PW-42"}, "config"
    )
    assert result.returncode == 0, result.stderr
    assert "[mtscrobble]" in result.stdout
    assert "api_secret = ********" in result.stdout
    assert "TOPSECRETVALUE" not in result.stdout
    assert "PW-42" not in result.stdout


def test_mopidy_config_masks_the_listenbrainz_tokens(tmp_path):
    lb_token = "LB-TOKEN-SECRET-0001"
    note_secret(lb_token)
    lines = f"\n  lb {lb_token}\n  maloja {lb_token}2 https://maloja.example.org"
    result = run_mopidy_command(
        tmp_path, {**CREDENTIALS, "listenbrainz": lines}, "config"
    )
    assert result.returncode == 0, result.stderr
    assert "listenbrainz = ********" in result.stdout
    assert lb_token not in result.stdout + result.stderr


def test_mopidy_starts_with_the_extension_enabled(tmp_path):
    with running_mopidy(tmp_path, CREDENTIALS) as mopidy:
        mopidy.log.wait_for(r"Mopidy-MTScrobble started: scrobbling to Last\.fm")
        assert (tmp_path / "data" / "mtscrobble").is_dir()
        assert mopidy.rpc("core.get_version")
    assert "TOPSECRETVALUE" not in mopidy.log.text


def test_missing_credentials_log_one_error_and_mopidy_stays_up(tmp_path):
    with running_mopidy(tmp_path, {}) as mopidy:
        line = mopidy.log.wait_for(r"mtscrobble/api_key and mtscrobble/api_secret")
        assert "ERROR" in line.split()[:3]  # Mopidy 4 may put the time first
        assert "https://www.last.fm/api/account/create" in mopidy.log.text
        assert mopidy.rpc("core.playback.get_state") == "stopped"


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"network": "custom"}, "mtscrobble/api_url"),
        ({"scrobble_threshold": "20"}, "mtscrobble/scrobble_threshold"),
        ({"network": "myspace"}, "mtscrobble/network"),
        ({"listenbrainz": "lb"}, "mtscrobble/listenbrainz"),
        ({"network": "off"}, "mtscrobble/listenbrainz"),
    ],
)
def test_misconfigured_extension_is_disabled_and_mopidy_stays_up(tmp_path, values, key):
    with running_mopidy(tmp_path, {**CREDENTIALS, **values}) as mopidy:
        mopidy.log.wait_for(key)
        assert mopidy.rpc("core.get_uri_schemes")
        assert "Mopidy-MTScrobble started" not in mopidy.log.text


def test_unusable_data_dir_is_reported_and_mopidy_stays_up(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "mtscrobble").write_text("a file in the way")
    with running_mopidy(tmp_path, CREDENTIALS) as mopidy:
        line = mopidy.log.wait_for(r"Mopidy-MTScrobble is not running")
        assert str(tmp_path / "data" / "mtscrobble") in line
        assert mopidy.rpc("core.get_version")


def test_status_command_reports_missing_credentials_with_exit_code(tmp_path):
    result = run_mopidy_command(tmp_path, {}, "mtscrobble", "status")
    assert result.returncode == 1
    assert "mtscrobble/api_key and mtscrobble/api_secret not set" in result.stdout
    assert "Queue: 0 pending" in result.stdout


def test_status_command_says_how_to_connect(tmp_path):
    result = run_mopidy_command(tmp_path, CREDENTIALS, "mtscrobble", "status")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "not connected: run 'mopidy mtscrobble login'" in result.stdout
    assert "Network: Last.fm" in result.stdout
    assert "TOPSECRETVALUE" not in result.stdout + result.stderr


def test_corrupt_database_is_moved_aside_and_mopidy_stays_up(tmp_path):
    data = tmp_path / "data" / "mtscrobble"
    data.mkdir(parents=True)
    (data / "mtscrobble.db").write_bytes(b"garbage, not SQLite " * 200)
    with running_mopidy(tmp_path, CREDENTIALS) as mopidy:
        line = mopidy.log.wait_for(r"was damaged")
        assert "mtscrobble.db.corrupt-" in line
        assert mopidy.rpc("core.get_version")
    # Its -wal and -shm go with it, when an opener of ours made them before
    # the frontend moved it (our actors open the database at start, side by
    # side): seen once, three files matched.
    moved = sorted(p.name for p in data.glob("mtscrobble.db.corrupt-*"))
    [aside] = [n for n in moved if not n.endswith(("-wal", "-shm"))]
    assert {n.removeprefix(aside) for n in moved} <= {"", "-wal", "-shm"}
    assert (data / aside).read_bytes().startswith(b"garbage")


def test_locked_database_is_reported_and_mopidy_stays_up(tmp_path):
    data = tmp_path / "data" / "mtscrobble"
    data.mkdir(parents=True)
    holder = sqlite3.connect(data / "mtscrobble.db", isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("CREATE TABLE squatter (x)")
    try:
        with running_mopidy(tmp_path, CREDENTIALS) as mopidy:
            line = mopidy.log.wait_for(r"is locked by another program")
            assert str(data / "mtscrobble.db") in line
            assert mopidy.rpc("core.get_version")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
