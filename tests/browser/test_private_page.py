"""Private mode on the page, in headless Chromium against a real Mopidy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from ..support.mopidy_server import running_mopidy
from .harness import (  # noqa: F401 - fixtures
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    WAIT_MS,
    lastfm,
    mopidy,
    mopidy_settings,
    page,
    play,
)


def test_pausing_shows_a_banner_with_its_end_and_resume_ends_it(page):  # noqa: F811
    expect(page.locator("#private-pause")).to_have_text(
        "Pause scrobbling for 1 hour", timeout=WAIT_MS
    )
    page.locator("[data-pause='30m']").click()
    banner = page.locator("#private-banner")
    expect(banner).to_have_text(
        re.compile(r"^Private mode: not scrobbling until \d\d:\d\d$"), timeout=WAIT_MS
    )
    expect(page.locator("#private-resume")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "private.png"), full_page=True)
    page.locator("#private-resume").click()
    expect(banner).to_be_hidden(timeout=WAIT_MS)
    expect(page.locator("#private-off")).to_have_text("Plays are scrobbled.")
    page.locator("[data-pause='forever']").click()
    expect(banner).to_have_text(
        "Private mode: not scrobbling until resumed", timeout=WAIT_MS
    )


def test_the_track_playing_in_private_mode_says_so(page, mopidy):  # noqa: F811
    page.locator("[data-pause='forever']").click()
    expect(page.locator("#private-banner")).to_be_visible(timeout=WAIT_MS)
    play(mopidy)
    expect(page.locator("#listened-text")).to_have_text(
        "Not scrobbled: private mode (until resumed)", timeout=WAIT_MS
    )


@pytest.fixture
def excluding_mopidy(tmp_path, mopidy_settings):  # noqa: F811
    started = mopidy_settings
    settings = {**started["settings"], "exclude_artists": "test*"}
    with running_mopidy(tmp_path, settings, started["extra"], started["env"]) as server:
        server.track_uri = started["uri"]
        yield server


def test_an_excluded_play_shows_the_rule_that_keeps_it_out(excluding_mopidy):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 400, "height": 900})
        page.goto(f"http://127.0.0.1:{excluding_mopidy.http_port}/mtscrobble/")
        play(excluding_mopidy)
        expect(page.locator("#listened-text")).to_have_text(
            'Not scrobbled: rule exclude_artists "test*"', timeout=WAIT_MS
        )
        page.screenshot(path=str(SCREENSHOTS / "excluded.png"), full_page=True)
        browser.close()
