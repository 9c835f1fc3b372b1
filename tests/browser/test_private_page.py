"""Private mode on the page, in headless Chromium against a real Mopidy."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .test_page import SCREENSHOTS, WAIT_MS, lastfm, mopidy, mopidy_settings, page  # noqa: F401


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
