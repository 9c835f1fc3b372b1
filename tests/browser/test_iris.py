"""Our playlists in the real Iris (3.70, the most used Mopidy web client), in
headless Chromium against a real Mopidy with Mopidy's M3U backend.

Iris's Playlists page lists only some URI schemes (`m3u:`, `spotify:`, ...):
ours are there as their M3U mirrors, and Iris's Remove track on the loved one
unloves the track.
"""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest
from playwright.sync_api import expect, sync_playwright

from mopidy_mtscrobble.backend import PLAYLIST_URI

from ..support.audio_files import write_track
from ..support.mopidy_server import running_mopidy
from .harness import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, WAIT_MS

WEBSOCKET_OPENED = r"New WebSocket connection from"
# Mopidy's answer to Iris's core.get_uri_schemes (a list of names, m3u among them).
SCHEMES_ANSWERED = r'Sent WebSocket message .*"result": \[[^\]{]*"m3u"'
PLAYLISTS_LINK = "a[href='/iris/library/playlists']"
# Iris's interface settings, as its first-run form saves them (no usage
# reports: nothing is sent out of the machine).
SET_UP = {"initial_setup_complete": True, "allow_reporting": False}

pytest.importorskip("mopidy_iris", reason="Mopidy-Iris is in the browser env only")


@pytest.fixture
def mopidy(tmp_path):
    """Mopidy with Iris, the file and M3U backends, and one loved track."""
    music = tmp_path / "music"
    uri = write_track(music / "loved.ogg", artist="Singer", title="Loved Song")
    (tmp_path / "playlists").mkdir()
    extra = {
        "file": {"media_dirs": str(music), "metadata_timeout": 10_000},
        "m3u": {"playlists_dir": str(tmp_path / "playlists")},
        # Mopidy says at DEBUG when a web client connects (Iris, below).
        "loglevels": {"mopidy.http": "debug"},
    }
    # ListenBrainz only, to a server that is never reached while a test looks.
    settings = {"network": "off", "listenbrainz": "lb token0 https://127.0.0.1:9/"}
    with running_mopidy(tmp_path, settings, extra) as server:
        server.log.wait_for(r"Mopidy-MTScrobble started")
        server.log.wait_for(r"Our playlists are mirrored as M3U playlists")
        playlist = server.rpc("core.playlists.lookup", uri=PLAYLIST_URI)
        playlist["tracks"] = [{"__model__": "Track", "uri": uri}]
        assert server.rpc("core.playlists.save", playlist=playlist), server.log.text
        yield server


@pytest.fixture
def iris(mopidy):
    """Iris, set up by its URL (its own way to preconfigure a client), so its
    first-run form never shows: that form's Save reloads the page 200 ms later,
    and under load before Iris has stored the answer, so the form came back."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        setup = urllib.parse.urlencode({"ui": json.dumps(SET_UP)})
        page.goto(f"http://127.0.0.1:{mopidy.http_port}/iris/?{setup}")
        # No sign on Iris's page says when it is ready; Mopidy's log does: its
        # Playlists page shows only the URI schemes Mopidy answered with, and
        # was seen empty when opened before that answer.
        mopidy.log.wait_for(WEBSOCKET_OPENED)
        mopidy.log.wait_for(SCHEMES_ANSWERED)
        try:
            page.locator(PLAYLISTS_LINK).click(timeout=WAIT_MS)
        except Exception:
            page.screenshot(
                path=str(SCREENSHOTS / "iris-not-ready.png"), full_page=True
            )
            raise
        yield page
        browser.close()


def loved_uris(mopidy) -> list[str]:
    playlist = mopidy.rpc("core.playlists.lookup", uri=PLAYLIST_URI)
    return [t["uri"] for t in playlist.get("tracks", [])]


def wait_until(
    condition, timeout_s: float = WAIT_MS / 1000, interval_s: float = 0.2
) -> None:
    """Polls what a real server does on its own time; fails at the deadline."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(interval_s)


def test_iris_playlists_page_lists_ours(iris, mopidy):
    loved = iris.get_by_text("Loved on Last.fm (synced)", exact=True)
    expect(loved).to_be_visible(timeout=WAIT_MS)
    expect(iris.get_by_text("Most played on Last.fm (synced)")).to_be_visible()
    expect(iris.get_by_text("1 tracks")).to_be_visible()
    iris.screenshot(path=str(SCREENSHOTS / "iris-playlists.png"), full_page=True)


def test_removing_a_track_in_iris_unloves_it(iris, mopidy):
    iris.get_by_text("Loved on Last.fm (synced)", exact=True).click(timeout=WAIT_MS)
    track = iris.get_by_text("Loved Song", exact=True)
    track.click(button="right", timeout=WAIT_MS)
    iris.get_by_text("Remove", exact=True).click()
    wait_until(lambda: loved_uris(mopidy) == [])
    iris.screenshot(path=str(SCREENSHOTS / "iris-removed.png"), full_page=True)
