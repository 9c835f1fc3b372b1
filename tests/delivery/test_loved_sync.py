"""The two-way sync of loved tracks: the real delivery rounds against the fake
Last.fm server, in fake time; the conflict rule on its own."""

from __future__ import annotations

import time

import pylast
import pytest

from mopidy_mtscrobble.commands.common import utc
from mopidy_mtscrobble.delivery.loved_sync import sync_status
from mopidy_mtscrobble.destinations import LASTFM
from mopidy_mtscrobble.loved_sync import OurAction, keep_local_love, take_server_love
from mopidy_mtscrobble.store import LocalMatch, Store, SyncState

from ..commands.harness import data_dir, run_command, settings_for
from ..fakes.lastfm_process import LastfmProcess
from ..support.delivery_harness import NOW
from ..support.ext_config import section
from . import loved_songs
from .loved_songs import (
    DAY,
    INTERVAL_MIN,
    loved_names,
    loved_requests,
    loved_tracks,
    run_until,
)

HOUR = 3600
LASTFMS = (LASTFM,)

# The fixture: a delivery after the import and the first sync.
synced = loved_songs.synced


def test_the_sync_is_off_by_default_so_no_periodic_requests(
    make_delivery, lastfm, clock
):
    lastfm.add_loved("alice", loved_tracks(10))
    worker = make_delivery()
    run_until(worker, clock, NOW + 3 * DAY)
    assert loved_requests(lastfm) == 1  # the one-off import


def test_the_first_sync_compares_the_whole_list(synced, store, lastfm):
    synced(loved_tracks(2500))
    # The import's 3 pages, then the first sync's 3.
    assert loved_requests(lastfm) == 6
    assert store.loved_sync.state().newest_loved_at == int(NOW - DAY)


def test_a_love_made_on_the_server_appears_within_one_interval(
    synced, store, lastfm, clock
):
    worker, changed = synced(loved_tracks(1500))
    loved_at = clock.wall() + 10
    lastfm.add_loved("alice", [("Sigur Rós", "Hoppípolla", loved_at)])
    run_until(worker, clock, loved_at + INTERVAL_MIN * 60)
    assert ("Sigur Rós", "Hoppípolla") in loved_names(store)
    [song] = [s for s in store.songs.loved() if s.artist == "Sigur Rós"]
    assert (song.source, song.loved_at, song.matched_at) == ("import", loved_at, None)
    assert changed == ["loved"]  # the matcher is woken


def test_checking_an_unchanged_list_of_10000_costs_one_request(synced, lastfm, clock):
    worker, _ = synced(loved_tracks(10_000))
    before = loved_requests(lastfm)
    run_until(worker, clock, clock.wall() + INTERVAL_MIN * 60)
    assert loved_requests(lastfm) - before <= 2
    assert loved_requests(lastfm) - before == 1


def test_an_unlove_made_on_the_server_goes_at_the_daily_comparison(
    synced, store, lastfm, clock
):
    worker, changed = synced(loved_tracks(30))
    compared_at = store.loved_sync.state().compared_at
    lastfm.loved["alice"] = [t for t in lastfm.loved["alice"] if t["track"] != "Song 3"]
    run_until(worker, clock, clock.wall() + 3 * HOUR)
    assert ("Artist 3", "Song 3") in loved_names(store)  # the cheap checks miss it
    run_until(worker, clock, compared_at + DAY + INTERVAL_MIN * 60)
    assert ("Artist 3", "Song 3") not in loved_names(store)
    assert len(loved_names(store)) == 29
    assert changed == ["loved"]
    assert store.loved_sync.state().compared_at >= compared_at + DAY


def test_loved_here_then_unloved_there_later_is_unloved(synced, store, lastfm, clock):
    worker, _ = synced(loved_tracks(5))
    store.loves.love(
        "Björk", "Jóga", LocalMatch("local:joga", "Jóga"), LASTFMS, clock.wall()
    )
    worker.queue_changed()
    run_until(worker, clock, clock.wall() + 60)
    assert [t["track"] for t in lastfm.loved["alice"]][-1] == "Jóga"  # ours reached it
    clock.advance(HOUR)
    lastfm.loved["alice"] = [t for t in lastfm.loved["alice"] if t["track"] != "Jóga"]
    run_until(worker, clock, clock.wall() + DAY + HOUR)
    assert ("Björk", "Jóga") not in loved_names(store)


def test_unloved_here_then_loved_there_later_is_loved(synced, store, lastfm, clock):
    worker, _ = synced([("Air", "La femme d'argent", NOW - DAY)])
    [song] = store.songs.loved()
    store.loves.unlove([song], ("Air", "La femme d'argent"), LASTFMS, clock.wall())
    run_until(worker, clock, clock.wall() + 60)  # our unlove is sent
    assert lastfm.loved["alice"] == []
    clock.advance(HOUR)
    lastfm.add_loved("alice", [("Air", "La femme d'argent", clock.wall())])
    run_until(worker, clock, clock.wall() + INTERVAL_MIN * 60)
    assert loved_names(store) == {("Air", "La femme d'argent")}


def test_a_server_love_older_than_our_unlove_stays_unloved(
    synced, store, lastfm, clock
):
    worker, _ = synced([("Air", "Playground Love", NOW - DAY)])
    [song] = store.songs.loved()
    unloved_at = clock.wall()
    store.loves.unlove([song], ("Air", "Playground Love"), LASTFMS, unloved_at)
    run_until(worker, clock, clock.wall() + 60)
    # The server lists it again, with a love older than our unlove.
    lastfm.add_loved("alice", [("Air", "Playground Love", unloved_at - HOUR)])
    run_until(worker, clock, clock.wall() + DAY + HOUR)  # checks and a comparison
    assert loved_names(store) == set()


def pending(action, at):
    return OurAction(action, at, pending=True)


def sent(action, at):
    return OurAction(action, at, pending=False)


@pytest.mark.parametrize(
    ("server_loved_at", "ours", "taken"),
    [
        (100, None, True),  # loved elsewhere, nothing here: theirs
        (100, pending("unlove", 50), False),  # our unlove waits: ours is newer
        (100, sent("unlove", 50), True),  # loved again there after our unlove
        (100, sent("unlove", 150), False),  # our unlove came after their love
        (100, sent("love", 150), True),
        (100, pending("love", 150), True),
    ],
)
def test_a_server_love_is_taken_unless_our_unlove_is_later(
    server_loved_at, ours, taken
):
    assert take_server_love(server_loved_at, ours) is taken


@pytest.mark.parametrize(
    ("loved_at", "ours", "kept"),
    [
        (100, None, False),  # unloved there after our love reached it
        (100, sent("love", 100), False),
        (100, pending("love", 100), True),  # our love waits to be sent: ours
        (1000, None, True),  # loved here while the list was being read
    ],
)
def test_a_song_missing_from_the_server_list_goes_unless_ours_is_later(
    loved_at, ours, kept
):
    assert keep_local_love(loved_at, ours, compared_from=500) is kept


@pytest.mark.parametrize(
    ("value", "minutes"), [("0", 0), ("", 0), ("15", 15), ("180", 180)]
)
def test_sync_intervals_accepted(schema, value, minutes):
    result, errors = schema.deserialize(section(loved_sync_interval=value))
    assert errors == {}
    assert result["loved_sync_interval"] == minutes


@pytest.mark.parametrize("value", ["1", "14", "-5"])
def test_an_interval_below_the_minimum_is_refused(schema, value):
    _, errors = schema.deserialize(section(loved_sync_interval=value))
    assert "loved_sync_interval" in errors


def test_an_interval_below_the_minimum_is_refused_at_startup_naming_the_key(
    extension,
):
    """The extension's schema, which Mopidy (3.4 and 4.0) checks at startup,
    refuses it under the key; Mopidy then disables the extension with it."""
    _, errors = extension.get_config_schema().deserialize(
        section(loved_sync_interval="5")
    )
    message = str(errors["loved_sync_interval"])
    assert "must be 0 (off) or at least 15" in message
    assert "Last.fm limits how often" in message


@pytest.fixture
def server(tmp_path):
    """The fake server in a process of its own, as the commands' tests use."""
    process = LastfmProcess(tmp_path)
    pylast.SSL_CONTEXT.load_verify_locations(str(process.ca_file))
    yield process
    process.stop()


def status_of(tmp_path, server, **overrides):
    return run_command(tmp_path, settings_for(server, **overrides), "status").stdout


def test_status_says_the_sync_is_off_and_how_to_turn_it_on(tmp_path, server):
    assert (
        "Loved tracks sync: off (imported once and on demand; set "
        "mtscrobble/loved_sync_interval to keep them in sync)"
    ) in status_of(tmp_path, server)


def test_status_shows_the_last_sync_and_the_next(tmp_path, server):
    folder = data_dir(tmp_path)
    folder.mkdir(parents=True)
    store = Store.open(folder, time.time())
    last = int(time.time()) - 600
    store.loved_sync.save(SyncState("alice", last, last - 3600, last - 9000))
    store.close()
    text = status_of(tmp_path, server, loved_sync_interval=60)
    assert (
        f"Loved tracks sync: every 60 minutes; last {utc(last)} (whole list "
        f"{utc(last - 3600)}), next {utc(last + 3600)}"
    ) in text


def test_sync_status_for_the_api():
    state = SyncState("alice", 1000, 900, 800)
    assert sync_status(0, state, 2000) == dict.fromkeys(
        ("interval_minutes", "last_check_at", "last_full_at", "next_check_at")
    )
    assert sync_status(15, state, 1100) == {
        "interval_minutes": 15,
        "last_check_at": 1000,
        "last_full_at": 900,
        "next_check_at": 1900,
    }
    assert sync_status(15, SyncState(), 1100)["next_check_at"] == 1100  # at once
