"""A pylast Mopidy-MTScrobble cannot use: Mopidy says so, in one line, no traceback."""

from __future__ import annotations

import os
import subprocess

import pytest

from mopidy_mtscrobble import dependency_problem
from mopidy_mtscrobble.compat import MOPIDY_MAJOR

from ..support.mopidy_server import (
    UNWRAPPED_LOGS,
    command_config,
    mopidy_command,
    run_mopidy_command,
)


@pytest.fixture
def old_pylast(tmp_path):
    """A pylast 5.0.0 without httpx (like Debian 12's 4.1), first on the path."""
    site = tmp_path / "old-site"
    (site / "pylast").mkdir(parents=True)
    (site / "pylast" / "__init__.py").write_text('__version__ = "5.0.0"\n')
    info = site / "pylast-5.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pylast\nVersion: 5.0.0\n"
    )
    (info / "RECORD").write_text("")
    paths = [str(site), os.environ.get("PYTHONPATH", "")]
    return {"PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def test_the_installed_pylast_is_usable():
    assert dependency_problem() is None


def test_mopidy_deps_reports_an_old_pylast_without_a_traceback(tmp_path, old_pylast):
    result = run_mopidy_command(tmp_path, {}, "deps", env=old_pylast)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    assert "pylast: 5.0.0" in output


def test_a_command_with_an_old_pylast_says_the_extension_is_disabled_and_why(
    tmp_path, old_pylast
):
    # As a user runs it: Mopidy's INFO lines shown.
    config = command_config(tmp_path, {}, {"logging": {"verbosity": 0}})
    result = subprocess.run(
        mopidy_command("--config", str(config), "mtscrobble", "status"),
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, **UNWRAPPED_LOGS, **old_pylast},
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output
    if MOPIDY_MAJOR >= 4:
        # Mopidy 4 checks no requirements: our self-check says what is wrong.
        assert "found pylast 5.0.0, which cannot be used" in output
        assert "pylast<7.1,>=6.0" in output
    else:
        assert "pylast<7.1,>=6.0 required, but found pylast 5.0.0" in output
        assert "Unable to run command provided by disabled extension" in output
