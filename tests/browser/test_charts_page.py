"""The Listening section (charts) in headless Chromium against a real Mopidy,
its history seeded: what it draws matches the API's numbers, at desktop and
phone width. Screenshots: _local/screenshots/charts-desktop.png, charts-phone.png."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from playwright.sync_api import expect, sync_playwright

from mopidy_mtscrobble.store import Store

from ..support.history_rows import add_play
from ..support.mopidy_server import running_mopidy
from .harness import (  # noqa: F401 - fixtures
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    WAIT_MS,
    lastfm,
    mopidy_settings,
)

DAY_S = 86_400
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
LONG_NAME = "Godspeed You! Black Emperor" * 4  # longer than a phone's line


def seed(data_dir, now: int) -> None:
    """A month of plays over a few artists, and some older ones."""
    store = Store.open(data_dir, now)
    try:
        for day in range(30):
            for n in range(day % 7):
                add_play(store, now - day * DAY_S - n * 600, f"Artist {n}",
                         f"Track {n}", album=f"Album {n}")  # fmt: skip
        add_play(store, now - 3600, LONG_NAME, "Storm", album="Lift", outcome="private")
        for year in range(1, 3):
            add_play(store, now - year * 400 * DAY_S, "Old Band", "Old Song",
                     outcome="imported", heard_s=None)  # fmt: skip
    finally:
        store.close()


@pytest.fixture
def charts_mopidy(tmp_path, mopidy_settings):  # noqa: F811
    started = mopidy_settings
    seed(tmp_path / "data" / "mtscrobble", int(time.time()))
    with running_mopidy(
        tmp_path, started["settings"], started["extra"], started["env"]
    ) as server:
        yield server


def api_charts(server) -> dict:
    url = f"http://127.0.0.1:{server.http_port}/mtscrobble/api/charts"
    with urllib.request.urlopen(url, timeout=30) as answer:
        return json.load(answer)


def open_page(playwright, server, viewport):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport=viewport)
    page.policy_errors = []
    page.on("console", lambda m: "Content Security Policy" in m.text
            and page.policy_errors.append(m.text))  # fmt: skip
    page.goto(f"http://127.0.0.1:{server.http_port}/mtscrobble/")
    expect(page.locator("#charts-card")).to_have_attribute(
        "data-loaded", "true", timeout=WAIT_MS
    )
    return browser, page


def test_the_day_bars_and_top_lists_show_the_apis_numbers(charts_mopidy):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    data = api_charts(charts_mopidy)
    with sync_playwright() as playwright:
        browser, page = open_page(playwright, charts_mopidy, DESKTOP)
        bars = page.locator("#charts-days rect")
        expect(bars).to_have_count(30)
        drawn = bars.evaluate_all(
            "rs => rs.map(r => [r.dataset.date, +r.dataset.plays,"
            " +r.getAttribute('height')])"
        )
        most = max(day["plays"] for day in data["days"])
        assert [(d, p) for d, p, _ in drawn] == [
            (day["date"], day["plays"]) for day in data["days"]
        ]
        for _, plays, height in drawn:
            assert height == pytest.approx(plays / most * 100)
        title = page.locator("#charts-days svg > title").text_content()
        total = sum(day["plays"] for day in data["days"])
        assert f"{total} plays" in title
        rows = page.locator("#charts-days-rows tr td:last-child").all_text_contents()
        assert [int(n) for n in reversed(rows)] == [d["plays"] for d in data["days"]]

        for period in data["periods"]:
            page.locator(f"#charts-periods [data-period='{period['period']}']").click()
            expect(page.locator("#charts-total")).to_contain_text(
                f"{period['label']}: {period['plays']} plays"
            )
            names = page.locator("#charts-artists .chart-name").all_text_contents()
            assert names == [entry["artist"] for entry in period["artists"]]
            counts = page.locator("#charts-artists .chart-count").all_text_contents()
            assert counts == [
                f"{e['plays']} play{'s' if e['plays'] != 1 else ''}"
                for e in period["artists"]
            ]
            widths = page.locator("#charts-artists rect").evaluate_all(
                "rs => rs.map(r => +r.getAttribute('width'))"
            )
            top = period["artists"][0]["plays"]
            assert widths == pytest.approx(
                [e["plays"] / top * 100 for e in period["artists"]]
            )
        selected = page.locator("#charts-periods [aria-selected='true']")
        expect(selected).to_have_text("All time")
        assert "Old Band" in page.locator("#charts-artists").text_content()
        page.locator("#charts-periods [data-period='7d']").click()
        page.locator("#charts-card").screenshot(
            path=str(SCREENSHOTS / "charts-desktop.png")
        )
        assert page.policy_errors == []
        browser.close()
    print(f"screenshots in {SCREENSHOTS}")


def test_the_section_fits_a_phone_without_sideways_scrolling(charts_mopidy):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser, page = open_page(playwright, charts_mopidy, PHONE)
        expect(page.locator("#charts-artists li").first).to_be_visible()
        assert LONG_NAME in page.locator("#charts-artists").text_content()
        widths = page.evaluate(
            "[document.documentElement.scrollWidth,"
            " document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1] == PHONE["width"]
        card = page.locator("#charts-card").bounding_box()
        assert card["x"] >= 0
        assert card["x"] + card["width"] <= PHONE["width"]
        page.locator("#charts-card").screenshot(
            path=str(SCREENSHOTS / "charts-phone.png")
        )
        assert page.policy_errors == []
        browser.close()
    print(f"screenshots in {SCREENSHOTS}")
