"""`mopidy mtscrobble import-history` and POST /api/import-history: the import
of past scrobbles started from the command line and the page."""

from __future__ import annotations

import time

from mopidy_mtscrobble.kinds import HISTORY
from mopidy_mtscrobble.store import Store

from ..fakes.lastfm import Fault
from ..web.case import WebCase
from .harness import (  # the command harness and its fake server
    data_dir,
    env_for,
    run_command,
    save_session,
    server,  # noqa: F401 - the fixture
    settings_for,
)

RECENT = "user.getRecentTracks"


def past(count, newest=1_600_000_000):
    return [
        [f"Artist {i % 7}", f"Song {i}", "Album", newest - 60 * i] for i in range(count)
    ]


def imported_count(tmp_path):
    store = Store.open(data_dir(tmp_path), time.time())
    try:
        rows = store.db.read(
            "SELECT count(*) AS n FROM history WHERE origin = 'imported'"
        )
        return rows[0]["n"]
    finally:
        store.close()


def test_import_history_without_a_running_mopidy_imports_directly(
    tmp_path,
    server,  # noqa: F811
):
    save_session(tmp_path, server)
    server.admin("past", user="alice", plays=past(450))
    settings = settings_for(server)
    result = run_command(
        tmp_path, settings, "mtscrobble", "import-history", env=env_for(server)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Importing past scrobbles: page 1 of 3 (200 of 450" in result.stdout
    assert (
        "Imported 450 past scrobbles: 450 added to the listening history, "
        "0 were there already." in result.stdout
    )
    assert imported_count(tmp_path) == 450
    again = run_command(
        tmp_path, settings, "mtscrobble", "import-history", env=env_for(server)
    )
    assert "0 added to the listening history, 450 were there already" in again.stdout
    assert imported_count(tmp_path) == 450
    status = run_command(
        tmp_path, settings, "mtscrobble", "status", env=env_for(server)
    )
    assert "Imported 450 past scrobbles: 0 added" in status.stdout


def test_import_history_paused_by_the_network_goes_on_when_run_again(
    tmp_path,
    server,  # noqa: F811
):
    save_session(tmp_path, server)
    server.admin("past", user="alice", plays=past(450))
    settings = settings_for(server)
    run_command(tmp_path, settings, "mtscrobble", "import-loved", env=env_for(server))
    server.admin("fault", kind="lfm", method=RECENT, code=8)
    paused = run_command(
        tmp_path, settings, "mtscrobble", "import-history", env=env_for(server)
    )
    assert paused.returncode == 1
    assert "The import paused (" in paused.stdout
    assert "goes on from there when Mopidy runs" in paused.stdout
    result = run_command(
        tmp_path, settings, "mtscrobble", "import-history", env=env_for(server)
    )
    assert result.returncode == 0, result.stdout
    assert imported_count(tmp_path) == 450


class TestImportFromThePage(WebCase):
    def test_import_history_starts_and_refuses_a_second_import(self):
        self.lastfm.inject(Fault("hang", method=RECENT, seconds=60))
        try:
            assert self.request("POST", "/api/import-history") == (
                202,
                {"importing": True},
            )
            assert self.request("POST", "/api/import-history") == (
                409,
                {"error": f"An import of {HISTORY.label} is already running"},
            )
            self.lastfm.wait_for_request(RECENT)  # the job started before its page
            code, status = self.request("GET", "/api/status")
            assert code == 200
            assert status["imports"]["history"]["state"] == "running"
        finally:
            self.lastfm.release_hangs()

    def test_the_page_shows_the_import_and_its_button(self):
        code, page = self.request("GET", "/")
        assert code == 200
        assert 'id="import-history"' in page
        assert 'id="history-import"' in page
