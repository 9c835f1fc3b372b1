"""Each destination's state, queue and last error, as `mopidy mtscrobble
status`, `queue --to` and the API's overview show them."""

from __future__ import annotations

import time

from mopidy_mtscrobble.delivery.overview import overview
from mopidy_mtscrobble.destinations import ListenBrainzDestination
from mopidy_mtscrobble.settings import Settings
from mopidy_mtscrobble.store import LocalMatch, NewScrobble, Store

from ..commands.harness import data_dir, run_command
from ..support.secret_scan import note_secret

TOKEN = "lb-status-token-0001"
LB = ListenBrainzDestination("lb", TOKEN, "https://lb.example.org")


def settings_with_lb(**overrides):
    note_secret(TOKEN)
    values = {"network": "off", "listenbrainz": (LB,)}
    values.update(overrides)
    return values


def open_store(tmp_path):
    folder = data_dir(tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return Store.open(folder, time.time())


def queue_played(store, destinations, count=2):
    now = time.time()
    return [
        store.plays.enqueue(
            NewScrobble("A", f"T{i}", int(now) - 600 + i), destinations, now
        )
        for i in range(count)
    ]


def test_overview_reads_what_each_destination_saved(tmp_path):
    store = open_store(tmp_path)
    try:
        ids = queue_played(store, ("lastfm", "lb"))
        store.queue_to("lb").mark_rejected(ids[0], "refused: too high")
        store.delivery_status.save_for(
            "lb", {"state": "token refused", "username": None,
                   "last_error": "the token was refused"}, time.time(),
        )  # fmt: skip
        settings = Settings(
            network="custom", api_url="https://x.org/2.0/", api_key="k",
            api_secret="s", listenbrainz=(LB,),
        )  # fmt: skip
        lastfm, lb = overview(
            settings, store, time.time(), {"state": "connected"}, "al"
        )
    finally:
        store.close()
    assert (lastfm.kind, lastfm.connected, lastfm.counts["pending"]) == (
        "lastfm", True, 2,
    )  # fmt: skip
    assert (lb.kind, lb.state, lb.connected) == ("listenbrainz", "token refused", False)
    assert "mtscrobble/listenbrainz" in lb.message
    assert lb.counts == {"pending": 1, "in_flight": 0, "rejected": 1,
                         "sent_last_24h": 0}  # fmt: skip
    assert lb.last_error == "the token was refused"


def test_a_destination_never_started_says_so(tmp_path):
    store = open_store(tmp_path)
    try:
        [lb] = overview(Settings(**settings_with_lb()), store, time.time(), {}, None)
    finally:
        store.close()
    assert lb.state == "not started"
    assert not lb.connected


def test_status_command_shows_each_destination(tmp_path):
    store = open_store(tmp_path)
    try:
        queue_played(store, ("lb",), 3)
        store.delivery_status.save_for(
            "lb", {"state": "connected", "username": "bob"}, time.time()
        )
    finally:
        store.close()
    result = run_command(tmp_path, settings_with_lb(), "mtscrobble", "status")
    assert "lb (ListenBrainz (lb)): connected as bob" in result.stdout
    assert "3 pending, 0 in flight" in result.stdout
    assert result.returncode == 0
    assert TOKEN not in result.stdout


def test_status_command_fails_when_a_destination_is_not_connected(tmp_path):
    store = open_store(tmp_path)
    store.close()
    result = run_command(tmp_path, settings_with_lb(), "mtscrobble", "status")
    assert "lb (ListenBrainz (lb)): not started yet" in result.stdout
    assert result.returncode != 0


def test_queue_lists_one_destination(tmp_path):
    store = open_store(tmp_path)
    try:
        [entry] = queue_played(store, ("lb",), 1)
        store.queue_to("lb").mark_rejected(entry, "listened_at is too high")
    finally:
        store.close()
    result = run_command(
        tmp_path, settings_with_lb(), "mtscrobble", "queue", "--to", "lb"
    )
    assert "rejected: listened_at is too high" in result.stdout
    result = run_command(tmp_path, settings_with_lb(), "mtscrobble", "queue")
    assert "rejected: listened_at is too high" in result.stdout  # the first: lb
    result = run_command(
        tmp_path, settings_with_lb(), "mtscrobble", "queue", "--to", "nowhere"
    )
    assert result.returncode != 0
    assert "No destination 'nowhere'" in result.stdout


def test_status_counts_loves_per_destination(tmp_path):
    store = open_store(tmp_path)
    now = time.time()
    store.loves.love("Artist", "Song", LocalMatch("local:1"), ("lastfm", "lb"), now)
    [action] = store.love_queue_to("lb").due(now, 1)
    store.love_queue_to("lb").mark_unidentified(action.id, "no recording")
    store.close()
    settings = settings_with_lb(network="lastfm", api_key="k", api_secret="s")
    lines = run_command(tmp_path, settings, "mtscrobble", "status").stdout.splitlines()
    said = (
        "Loves and unloves to {}: {} waiting to be sent, 0 refused, {} not identified"
    )
    assert said.format("lastfm", 1, 0) in lines
    assert said.format("lb", 0, 1) in lines
