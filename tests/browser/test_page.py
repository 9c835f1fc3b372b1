"""The page in headless Chromium (Debian's package, driven by Playwright) against
a real Mopidy with this extension and the fake Last.fm server in its own process.

Screenshots go to _local/screenshots/ (git-ignored).
"""

from __future__ import annotations

import json
import os
import pathlib
import re

import pytest
from playwright.sync_api import expect, sync_playwright

from ..audio_files import write_track
from ..lastfm_process import LastfmProcess
from ..mopidy_server import running_mopidy

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync",
]  # fmt: skip
SCREENSHOTS = pathlib.Path(__file__).parent.parent.parent / "_local" / "screenshots"
SESSION_KEY = "browser0session0key000000000000b"
EVIL_TITLE = "<img src=x onerror=alert(1)>"
WAIT_MS = 60_000


@pytest.fixture
def lastfm(tmp_path):
    server = LastfmProcess(tmp_path, sessions={"alice": SESSION_KEY})
    yield server
    server.stop()


@pytest.fixture
def mopidy(tmp_path, lastfm):
    folder = tmp_path / "music"
    uri = write_track(folder / "evil.ogg", artist="Tester", title=EVIL_TITLE)
    data = tmp_path / "data" / "mtscrobble"
    data.mkdir(parents=True)
    fd = os.open(data / "session.json", os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump({"network": "custom", "key": SESSION_KEY, "username": "alice"}, file)
    settings = {
        "network": "custom",
        "api_url": lastfm.url,
        "api_key": lastfm.api_key,
        "api_secret": lastfm.api_secret,
        "scrobble_threshold": 50,
        "scrobble_cap": 2,
    }
    extra = {"file": {"media_dirs": str(folder), "metadata_timeout": 10_000}}
    env = {"SSL_CERT_FILE": str(lastfm.bundle)}
    with running_mopidy(tmp_path, settings, extra, env) as server:
        server.track_uri = uri
        yield server


@pytest.fixture
def page(mopidy):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 400, "height": 900})
        page.dialogs = []
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message),
                                          dialog.dismiss()))  # fmt: skip
        page.goto(f"http://127.0.0.1:{mopidy.http_port}/mtscrobble/")
        yield page
        browser.close()


def play(mopidy) -> None:
    mopidy.rpc("core.tracklist.clear")
    mopidy.rpc("core.tracklist.add", uris=[mopidy.track_uri])
    mopidy.rpc("core.playback.play")


def test_a_queued_scrobble_shows_as_queued_then_as_scrobbled(page, mopidy, lastfm):
    expect(page.locator("#connection")).to_have_text(
        re.compile("connected as alice"), timeout=WAIT_MS
    )
    # The first send fails (HTTP 503): the scrobble waits in the queue a while.
    lastfm.admin("fault", kind="http", method="track.scrobble", status=503)
    play(mopidy)
    entry = page.locator("#recent li").first
    expect(entry).to_have_attribute("data-state", "queued", timeout=WAIT_MS)
    expect(entry.locator(".state")).to_have_text("queued")
    page.screenshot(path=str(SCREENSHOTS / "queued.png"), full_page=True)
    expect(entry).to_have_attribute("data-state", "scrobbled", timeout=WAIT_MS)
    page.screenshot(path=str(SCREENSHOTS / "scrobbled.png"), full_page=True)
    assert [s["track"] for s in lastfm.state()["scrobbles"]] == [EVIL_TITLE]


def test_metadata_is_shown_as_text_and_runs_nothing(page, mopidy):
    play(mopidy)
    expect(page.locator("#listening")).to_have_text(
        f"Tester \u2013 {EVIL_TITLE}", timeout=WAIT_MS
    )
    expect(page.locator("#recent li").first).to_contain_text(
        EVIL_TITLE, timeout=WAIT_MS
    )
    assert page.locator("main img").count() == 0
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.dialogs == []
    page.screenshot(path=str(SCREENSHOTS / "text-only.png"), full_page=True)


def test_the_import_button_shows_progress_and_the_result(page, mopidy, lastfm):
    lastfm.admin("loved", user="alice", tracks=[
        [f"Artist {i}", f"Song {i}", 1_700_000_000 - i] for i in range(2500)
    ])  # fmt: skip
    loved = page.locator("#loved-import")
    expect(loved).to_contain_text("not found", timeout=WAIT_MS)  # the first import
    lastfm.admin("latency", seconds=2.5)  # slow pages: the 2 s refresh sees them
    page.locator("#import-loved").click()
    expect(page.locator("#message")).to_have_text("Importing your loved tracks…")
    expect(loved).to_have_text(re.compile(r"importing page \d of 3"), timeout=WAIT_MS)
    page.screenshot(path=str(SCREENSHOTS / "importing.png"), full_page=True)
    expect(loved).to_have_text(
        "Loved tracks: 2500 songs, 0 in your library, 2500 not found.",
        timeout=WAIT_MS,
    )
    page.screenshot(path=str(SCREENSHOTS / "imported.png"), full_page=True)
