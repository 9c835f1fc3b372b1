"""The queue view and the one-off edit, in headless Chromium against a real
Mopidy.

Mopidy runs without a Last.fm session: plays queued for Last.fm wait, and
nothing sends them while a test looks. The tests queue them through the store,
as the frontend does, in the data directory the running Mopidy uses.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect, sync_playwright

from mopidy_mtscrobble.store import NewScrobble, Store

from ..support.mopidy_server import running_mopidy
from .harness import (  # noqa: F401 - fixtures
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    WAIT_MS,
    lastfm,
)

LASTFM = "lastfm"
PAGE_SIZE = 10  # app.js: QUEUE_PAGE_SIZE


@pytest.fixture
def mopidy(tmp_path, lastfm):  # noqa: F811
    """Mopidy with the fake Last.fm configured and nobody logged in."""
    settings = {
        "network": "custom",
        "api_url": lastfm.url,
        "api_key": lastfm.api_key,
        "api_secret": lastfm.api_secret,
    }
    env = {"SSL_CERT_FILE": str(lastfm.bundle)}
    with running_mopidy(tmp_path, settings, {}, env) as server:
        server.data_dir = tmp_path / "data" / "mtscrobble"
        yield server


@pytest.fixture
def store(mopidy):
    opened = Store.open(mopidy.data_dir, time.time())
    yield opened
    opened.close()


@pytest.fixture
def page(mopidy):
    """The page; each dialog is accepted or dismissed as the test says in
    `page.answers` (True: accept), and its text kept in `page.dialogs`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 400, "height": 900})
        page.dialogs, page.answers = [], []

        def answer(dialog) -> None:
            page.dialogs.append(dialog.message)
            if page.answers and page.answers.pop(0):
                dialog.accept()
            else:
                dialog.dismiss()

        page.on("dialog", answer)
        yield page
        browser.close()


def open_page(page, mopidy) -> None:
    page.goto(f"http://127.0.0.1:{mopidy.http_port}/mtscrobble/")


def queue_plays(store: Store, count: int) -> list[int]:
    now = time.time()
    queue = store.queue_to(LASTFM)
    plays = [
        NewScrobble(f"Artist {i:02}", f"Track {i:02}", int(now) - 1000 + i, "Album")
        for i in range(count)
    ]
    return [queue.enqueue(p, now) for p in plays]


def entry(page, play_id: int):
    return page.locator(f"#queue-plays li[data-id='{play_id}']")


def test_the_queue_view_pages_through_the_waiting_plays(page, mopidy, store):
    ids = queue_plays(store, PAGE_SIZE + 3)
    open_page(page, mopidy)
    shown = page.locator("#queue-plays li")
    expect(page.locator("#queue-range")).to_have_text(
        "1\u201310 of 13", timeout=WAIT_MS
    )
    expect(shown).to_have_count(PAGE_SIZE)
    expect(shown.first).to_contain_text("Artist 00 \u2013 Track 00 · Album")
    expect(shown.first.locator(".state")).to_have_text("lastfm: pending")
    expect(page.locator("#queue-previous")).to_be_disabled()
    page.screenshot(path=str(SCREENSHOTS / "queue-page-1.png"), full_page=True)
    page.click("#queue-next")
    expect(page.locator("#queue-range")).to_have_text("11\u201313 of 13")
    expect(shown).to_have_count(3)
    assert [int(i) for i in shown.evaluate_all("ns => ns.map(n => n.dataset.id)")] == (
        ids[PAGE_SIZE:]
    )
    expect(page.locator("#queue-next")).to_be_disabled()
    page.screenshot(path=str(SCREENSHOTS / "queue-page-2.png"), full_page=True)
    page.click("#queue-previous")
    expect(page.locator("#queue-range")).to_have_text("1\u201310 of 13")
    expect(shown.first).to_have_attribute("data-id", str(ids[0]))
    assert page.dialogs == []


def test_an_entry_is_edited_then_held_and_released(page, mopidy, store):
    [play_id, _other] = queue_plays(store, 2)
    open_page(page, mopidy)
    shown = entry(page, play_id)
    expect(shown).to_contain_text("Artist 00 \u2013 Track 00", timeout=WAIT_MS)
    expect(shown.locator(".heard")).to_have_count(0)
    shown.get_by_role("button", name="Edit").click()
    form = shown.locator("form.queue-edit")
    expect(form.locator("input[name=track]")).to_have_value("Track 00")
    form.locator("input[name=artist]").fill("The Artist")
    form.locator("input[name=track]").fill("Better Name")
    form.locator("input[name=album]").fill("")
    form.locator("input[name=album_artist]").fill("Various")
    page.screenshot(path=str(SCREENSHOTS / "queue-edit.png"), full_page=True)
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#message")).to_have_text(
        f"Edited scrobble #{play_id}: sent as The Artist \u2013 Better Name "
        "(album by Various)."
    )
    expect(form).to_have_count(0)
    expect(shown.locator(".names")).to_have_text(
        "The Artist \u2013 Better Name (album by Various)"
    )
    expect(shown.locator(".heard")).to_have_text(
        " heard as Artist 00 \u2013 Track 00 · Album"
    )
    edited = store.editing.get(play_id)
    assert (edited.artist, edited.track, edited.album, edited.album_artist) == (
        "The Artist", "Better Name", None, "Various",
    )  # fmt: skip
    assert (edited.heard_artist, edited.heard_track) == ("Artist 00", "Track 00")

    shown.get_by_role("button", name="Hold").click()
    expect(shown.locator(".held-mark")).to_have_text("held")
    expect(page.locator("#message")).to_contain_text(f"Held scrobble #{play_id}")
    assert store.editing.get(play_id).held
    page.screenshot(path=str(SCREENSHOTS / "queue-held.png"), full_page=True)
    shown.get_by_role("button", name="Release").click()
    expect(shown.locator(".held-mark")).to_have_count(0)
    expect(shown.get_by_role("button", name="Hold")).to_be_visible()
    assert not store.editing.get(play_id).held


def test_a_refused_edit_shows_the_reason_and_keeps_what_was_typed(page, mopidy, store):
    [play_id] = queue_plays(store, 1)
    open_page(page, mopidy)
    shown = entry(page, play_id)
    shown.get_by_role("button", name="Edit").click(timeout=WAIT_MS)
    shown.locator("input[name=track]").fill(" ")
    shown.get_by_role("button", name="Save").click()
    expect(page.locator("#message")).to_contain_text("needs its track")
    expect(shown.locator("input[name=artist]")).to_have_value("Artist 00")
    # Deleted meanwhile (the CLI, another page): 404, said, and the form closes.
    store.editing.delete(play_id)
    shown.locator("input[name=track]").fill("Again")
    shown.get_by_role("button", name="Save").click()
    expect(page.locator("#message")).to_contain_text(
        f"There is no scrobble #{play_id} in the queue"
    )
    expect(page.locator("#queue-range")).to_have_text("Nothing waits to be sent.")


def test_a_queue_entry_is_deleted_only_once_the_dialog_is_accepted(page, mopidy, store):
    [first, second] = queue_plays(store, 2)
    open_page(page, mopidy)
    expect(page.locator("#queue-range")).to_have_text("1\u20132 of 2", timeout=WAIT_MS)
    page.answers.append(False)
    entry(page, first).get_by_role("button", name="Delete").click()
    expect(page.locator("#queue-range")).to_have_text("1\u20132 of 2")
    assert page.dialogs == [
        "Delete the scrobble Artist 00 \u2013 Track 00 · Album? It is gone for good."
    ]
    assert store.editing.get(first) is not None
    page.answers.append(True)
    entry(page, first).get_by_role("button", name="Delete").click()
    expect(page.locator("#message")).to_have_text(f"Deleted scrobble #{first}.")
    expect(entry(page, first)).to_have_count(0)
    expect(page.locator("#queue-range")).to_have_text("1\u20131 of 1")
    assert store.editing.get(first) is None
    assert store.editing.get(second) is not None
    assert len(page.dialogs) == 2


def test_a_recent_queued_entry_is_edited_once_without_a_correction(page, mopidy, store):
    [play_id] = queue_plays(store, 1)
    open_page(page, mopidy)
    recent = page.locator("#recent li").first
    expect(recent).to_have_attribute("data-state", "queued", timeout=WAIT_MS)
    recent.get_by_role("button", name="Edit").click()
    expect(page.locator("#to-track")).to_have_value("Track 00")
    page.fill("#to-track", "Fixed Once")
    page.uncheck("#correction-remember")
    page.click("#correction-save")
    expect(page.locator("#message")).to_have_text(
        "Edited only this scrobble: sent as Artist 00 \u2013 Fixed Once · Album."
    )
    expect(page.locator("#correction-form")).to_be_hidden()
    expect(recent).to_contain_text("Artist 00 \u2013 Fixed Once")
    expect(entry(page, play_id).locator(".heard")).to_contain_text("Track 00")
    expect(page.locator("#corrections li")).to_have_text(["No corrections."])
    edited = store.editing.get(play_id)
    assert (edited.track, edited.heard_track, edited.album) == (
        "Fixed Once", "Track 00", "Album",
    )  # fmt: skip
    assert store.corrections.list() == []
    page.screenshot(path=str(SCREENSHOTS / "queue-edit-once.png"), full_page=True)
    # With "remember for next time": a correction, applied to the waiting play.
    recent.get_by_role("button", name="Edit").click()
    page.fill("#to-artist", "Artist Zero")
    page.click("#correction-save")
    expect(page.locator("#message")).to_have_text(
        "Saved the correction; 1 waiting scrobble(s) corrected."
    )
    expect(recent).to_contain_text(re.compile("^Artist Zero \u2013 Fixed Once"))
    assert store.editing.get(play_id).artist == "Artist Zero"
