"""The page in headless Chromium (Debian's package, driven by Playwright) against
a real Mopidy with this extension and the fake Last.fm server in its own process.

Screenshots go to _local/screenshots/ (git-ignored).
"""

from __future__ import annotations

import functools
import http.server
import re
import threading

import pytest
from playwright.sync_api import expect, sync_playwright

from ..fakes.listenbrainz_process import ListenBrainzProcess
from ..support.mopidy_server import running_mopidy
from . import harness
from .harness import CHROMIUM, CHROMIUM_ARGS, EVIL_TITLE, SCREENSHOTS, WAIT_MS, play

# The fixtures, shared with the other pages' tests.
lastfm = harness.lastfm
mopidy_settings = harness.mopidy_settings
mopidy = harness.mopidy
page = harness.page


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


def test_the_page_works_under_its_content_security_policy(page, mopidy):
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.reload()
    play(mopidy)
    expect(page.locator("#love")).to_be_visible(timeout=WAIT_MS)
    page.locator("#love").click()
    expect(page.locator("#message")).to_contain_text("Loved", timeout=WAIT_MS)
    policy = page.evaluate(
        "fetch('/mtscrobble/').then(r => r.headers.get('Content-Security-Policy'))"
    )
    assert "default-src 'self'" in policy
    assert violations == []


def test_love_acts_on_the_track_the_page_shows(page, mopidy):
    play(mopidy)
    expect(page.locator("#love")).to_be_visible(timeout=WAIT_MS)
    with page.expect_request("**/mtscrobble/api/love") as sent:
        page.locator("#love").click()
    assert sent.value.post_data_json == {"uri": mopidy.track_uri}
    expect(page.locator("#unlove")).to_be_visible(timeout=WAIT_MS)


@pytest.fixture
def other_origin(tmp_path):
    """A page on another origin (another port of this host): a web client."""
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "index.html").write_text("<!DOCTYPE html><title>Client</title>")
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:
        pass


def test_an_allowed_origin_passes_the_browsers_preflight_and_others_do_not(
    tmp_path, lastfm, other_origin
):
    settings = {
        "network": "custom",
        "api_url": lastfm.url,
        "api_key": lastfm.api_key,
        "api_secret": lastfm.api_secret,
    }
    extra = {"http": {"allowed_origins": other_origin}}
    env = {"SSL_CERT_FILE": str(lastfm.bundle)}
    with (
        running_mopidy(tmp_path, settings, extra, env) as mopidy,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        api = f"http://127.0.0.1:{mopidy.http_port}/mtscrobble/api"
        ask = """url => fetch(url, {method: "POST", body: "{}",
                     headers: {"Content-Type": "application/json"}})
                 .then(r => r.status, e => "refused: " + e.message)"""
        page.goto(f"http://{other_origin}/")
        assert page.evaluate(ask, f"{api}/retry") == 202
        status = page.evaluate(
            "url => fetch(url, {headers: {'Content-Type': 'application/json'}})"
            ".then(r => r.json()).then(b => b.queue.pending)",
            f"{api}/status",
        )
        assert status == 0
        # The same page on an origin Mopidy does not know: the browser refuses.
        page.goto(f"http://localhost:{other_origin.split(':')[1]}/")
        assert page.evaluate(ask, f"{api}/retry").startswith("refused")
        browser.close()


LB_TOKEN = "browser-listenbrainz-token-00000001"


def test_each_destination_has_its_line_and_no_token_reaches_the_page(
    tmp_path, lastfm, mopidy_settings
):
    listenbrainz = ListenBrainzProcess(tmp_path, {"alice": LB_TOKEN})
    try:
        lastfm.bundle.write_text(
            lastfm.bundle.read_text() + listenbrainz.ca_file.read_text()
        )
        settings = {
            **mopidy_settings["settings"],
            "listenbrainz": f"lb {LB_TOKEN} {listenbrainz.base_url}",
        }
        with (
            running_mopidy(tmp_path, settings, mopidy_settings["extra"],
                           mopidy_settings["env"]) as mopidy,
            sync_playwright() as playwright,
        ):  # fmt: skip
            mopidy.track_uri = mopidy_settings["uri"]
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 400, "height": 900})
            page.goto(f"http://127.0.0.1:{mopidy.http_port}/mtscrobble/")
            lines = page.locator("#destinations li")
            expect(lines).to_have_count(2, timeout=WAIT_MS)
            expect(lines.nth(1)).to_contain_text(
                "ListenBrainz (lb): connected as alice", timeout=WAIT_MS
            )
            play(mopidy)
            expect(lines.nth(0)).to_contain_text("1 sent in the last 24 h",
                                                 timeout=WAIT_MS)  # fmt: skip
            expect(lines.nth(1)).to_contain_text("1 sent in the last 24 h",
                                                 timeout=WAIT_MS)  # fmt: skip
            page.screenshot(path=str(SCREENSHOTS / "destinations.png"),
                            full_page=True)  # fmt: skip
            assert LB_TOKEN not in page.content()
            status = page.evaluate(
                "fetch('/mtscrobble/api/status').then(r => r.text())"
            )
            assert LB_TOKEN not in status
            browser.close()
        assert len(listenbrainz.state()["listens"]) == 1
    finally:
        listenbrainz.stop()


def test_corrections_are_made_from_the_page_and_from_a_recent_scrobble(
    page, mopidy, lastfm
):
    expect(page.locator("#connection")).to_have_text(
        re.compile("connected as alice"), timeout=WAIT_MS
    )
    expect(page.locator("#corrections li")).to_have_text(["No corrections."])
    page.click("#correction-new")
    page.fill("#match-artist", "  TESTER ")
    page.fill("#to-artist", "The Tester")
    page.click("#correction-save")
    expect(page.locator("#message")).to_have_text("Saved the correction.")
    expect(page.locator("#corrections li")).to_have_text(
        ["artist \u201cTESTER\u201d \u2192 artist \u201cThe Tester\u201dEditDelete"]
    )
    # The running Mopidy sends the next play as the correction says.
    play(mopidy)
    entry = page.locator("#recent li").first
    expect(entry).to_contain_text(f"The Tester \u2013 {EVIL_TITLE}", timeout=WAIT_MS)
    expect(entry).to_have_attribute("data-state", "scrobbled", timeout=WAIT_MS)
    assert [s["artist"] for s in lastfm.state()["scrobbles"]] == ["The Tester"]
    # Edit on the entry: without "remember", a scrobble sent already is not
    # edited, and the page says why.
    entry.get_by_role("button", name="Edit").click()
    expect(page.locator("#to-artist")).to_have_value("The Tester")
    page.fill("#to-track", "Renamed")
    page.uncheck("#correction-remember")
    page.click("#correction-save")
    expect(page.locator("#message")).to_contain_text(
        "cannot be edited: it was sent already to lastfm"
    )
    expect(page.locator("#correction-form")).to_be_visible()
    page.check("#correction-remember")
    page.click("#correction-save")
    expect(page.locator("#message")).to_have_text(
        "Saved the correction; 0 waiting scrobble(s) corrected."
    )
    expect(page.locator("#correction-form")).to_be_hidden()
    expect(page.locator("#corrections li")).to_have_count(2)
    expect(page.locator("#corrections")).to_contain_text("track \u201cRenamed\u201d")
    page.screenshot(path=str(SCREENSHOTS / "corrections.png"), full_page=True)
    assert page.dialogs == []
