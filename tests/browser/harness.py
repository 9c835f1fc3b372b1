"""What the browser tests share: headless Chromium (Debian's package, driven by
Playwright) on the page of a real Mopidy with this extension, and the fake
Last.fm server in its own process.

Screenshots go to _local/screenshots/ (git-ignored).
"""

from __future__ import annotations

import json
import os
import pathlib

import pytest
from playwright.sync_api import sync_playwright

from ..fakes.lastfm_process import LastfmProcess
from ..support.audio_files import write_track
from ..support.mopidy_server import running_mopidy

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


def save_session(tmp_path: pathlib.Path) -> None:
    """Alice's session in Mopidy's data directory (mode 0600), as a login leaves it."""
    data = tmp_path / "data" / "mtscrobble"
    data.mkdir(parents=True)
    fd = os.open(data / "session.json", os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump({"network": "custom", "key": SESSION_KEY, "username": "alice"}, file)


@pytest.fixture
def mopidy_settings(tmp_path, lastfm):
    """What `mopidy` runs with: a logged-in session, the evil track."""
    folder = tmp_path / "music"
    uri = write_track(folder / "evil.ogg", artist="Tester", title=EVIL_TITLE)
    save_session(tmp_path)
    settings = {
        "network": "custom",
        "api_url": lastfm.url,
        "api_key": lastfm.api_key,
        "api_secret": lastfm.api_secret,
        "scrobble_threshold": 50,
        "scrobble_cap": 2,
        # The fake's list is never late: a scrobble whose answer was a 503 is
        # sent again at the first look that misses it, not 30 minutes later.
        "lost_answer_wait": 0,
    }
    extra = {"file": {"media_dirs": str(folder), "metadata_timeout": 10_000}}
    env = {"SSL_CERT_FILE": str(lastfm.bundle)}
    return {"settings": settings, "extra": extra, "env": env, "uri": uri}


@pytest.fixture
def mopidy(tmp_path, mopidy_settings):
    started = mopidy_settings
    with running_mopidy(
        tmp_path, started["settings"], started["extra"], started["env"]
    ) as server:
        server.track_uri = started["uri"]
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
