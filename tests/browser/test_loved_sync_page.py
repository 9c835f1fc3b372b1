"""The two-way sync of loved tracks on the page: off (and how to turn it on)
by default; when on, its interval, its last check and the next. Headless
Chromium against a real Mopidy and the fake Last.fm server in its own process.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from ..support.mopidy_server import running_mopidy
from .harness import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, WAIT_MS, save_session
from .harness import lastfm as lastfm  # the fixture: the fake in its process

SYNC_INTERVAL_MIN = 60


def open_page(tmp_path, lastfm, interval: int):
    """A logged-in Mopidy with `loved_sync_interval` = interval, its page open."""
    save_session(tmp_path)
    settings = {
        "network": "custom",
        "api_url": lastfm.url,
        "api_key": lastfm.api_key,
        "api_secret": lastfm.api_secret,
        "loved_sync_interval": interval,
    }
    env = {"SSL_CERT_FILE": str(lastfm.bundle)}
    with (
        running_mopidy(tmp_path, settings, None, env) as mopidy,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 400, "height": 900})
        page.goto(f"http://127.0.0.1:{mopidy.http_port}/mtscrobble/")
        yield page
        browser.close()


@pytest.fixture
def page_sync_off(tmp_path, lastfm):
    yield from open_page(tmp_path, lastfm, 0)


@pytest.fixture
def page_sync_on(tmp_path, lastfm):
    lastfm.admin("loved", user="alice", tracks=[
        ["Sigur Rós", "Hoppípolla", 1_700_000_000],
        ["Beyoncé", "Halo", 1_700_000_100],
    ])  # fmt: skip
    yield from open_page(tmp_path, lastfm, SYNC_INTERVAL_MIN)


def test_the_sync_is_off_by_default_and_the_page_says_how_to_turn_it_on(
    page_sync_off,
):
    expect(page_sync_off.locator("#loved-sync")).to_have_text(
        "Two-way sync: off (loved tracks are imported once and on demand; "
        "set mtscrobble/loved_sync_interval to keep them in sync).",
        timeout=WAIT_MS,
    )


def test_the_page_shows_the_interval_the_last_sync_and_the_next(page_sync_on, lastfm):
    line = page_sync_on.locator("#loved-sync")
    expect(line).to_contain_text(
        f"Two-way sync: every {SYNC_INTERVAL_MIN} minutes;", timeout=WAIT_MS
    )
    lastfm.wait_for_request("user.getLovedTracks")
    expect(line).to_have_text(
        re.compile(rf"every {SYNC_INTERVAL_MIN} minutes; last .+, next .+\.$"),
        timeout=WAIT_MS,
    )
    expect(page_sync_on.locator("#loved-import")).to_contain_text(
        "Loved tracks: 2 songs", timeout=WAIT_MS
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page_sync_on.screenshot(path=str(SCREENSHOTS / "loved-sync.png"), full_page=True)
