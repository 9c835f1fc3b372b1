"""Loved tracks: the import from the fake server, the store, love and unlove queued."""

from __future__ import annotations

import logging

from mopidy_mtscrobble.destinations import LASTFM
from mopidy_mtscrobble.kinds import LOVED
from mopidy_mtscrobble.matching import key_parts
from mopidy_mtscrobble.store import LocalMatch, SongEntry

from ..fakes.lastfm import Fault
from ..support.delivery_harness import NOW, run_until_idle
from .loved_songs import loved_names, loved_tracks

LASTFMS = (LASTFM,)


def entry(artist, track, loved_at=int(NOW)):
    return SongEntry(artist, track, loved_at, *key_parts(artist, track))


def pages_asked(lastfm):
    return [int(r.params["page"]) for r in lastfm.requests_for("user.getLovedTracks")]


def test_first_start_with_a_session_imports_every_page(
    make_delivery, store, lastfm, clock, caplog
):
    lastfm.add_loved("alice", loved_tracks(3500))
    imported = []
    worker = make_delivery(on_imported=imported.append)
    with caplog.at_level(logging.INFO, "mopidy_mtscrobble"):
        run_until_idle(worker, clock)
    assert pages_asked(lastfm) == [1, 2, 3, 4]
    assert {r.params["limit"] for r in lastfm.requests_for("user.getLovedTracks")} == {
        "1000"
    }
    assert store.songs.match_counts(LOVED)["total"] == 3500
    assert loved_names(store) == {(a, t) for a, t, _ in loved_tracks(3500)}
    job = store.jobs.get(LOVED)
    assert (job.state, job.page, job.pages, job.total, job.fetched) == (
        "matching",
        4,
        4,
        3500,
        3500,
    )
    assert imported == ["loved", "playcounts"]  # the play counts follow
    assert "page 1 of 4 (1000 of 3500 songs)" in caplog.text
    assert "page 4 of 4 (3500 of 3500 songs)" in caplog.text


def test_the_automatic_import_happens_once(make_delivery, store, lastfm, clock):
    lastfm.add_loved("alice", loved_tracks(10))
    worker = make_delivery()
    run_until_idle(worker, clock)
    worker.close()
    again = make_delivery(user=None)
    run_until_idle(again, clock)
    assert pages_asked(lastfm) == [1]


def test_no_loved_tracks_is_a_finished_import(make_delivery, store, lastfm, clock):
    run_until_idle(make_delivery(), clock)
    assert store.jobs.get(LOVED).state == "matching"
    assert store.songs.match_counts(LOVED)["total"] == 0


def test_import_stopped_midway_resumes_from_the_next_page(
    make_delivery, store, lastfm, clock
):
    lastfm.add_loved("alice", loved_tracks(2500))
    worker = make_delivery()
    worker.step()  # page 1
    worker.step()  # page 2
    worker.close()  # Mopidy stops
    assert store.jobs.get(LOVED).state == "running"
    resumed = make_delivery(user=None)
    assert resumed.importing("loved")
    run_until_idle(resumed, clock)
    assert pages_asked(lastfm) == [1, 2, 3]
    assert store.songs.match_counts(LOVED)["total"] == 2500


def test_network_failure_during_an_import_backs_off_then_goes_on(
    make_delivery, store, lastfm, clock
):
    lastfm.add_loved("alice", loved_tracks(2500))
    worker = make_delivery()
    worker.step()
    lastfm.inject(Fault("http", method="user.getLovedTracks", status=503, count=2))
    delay = worker.step()
    assert delay > 0
    assert store.jobs.get(LOVED).page == 1
    run_until_idle(worker, clock)
    assert pages_asked(lastfm) == [1, 2, 2, 2, 3]
    assert store.songs.match_counts(LOVED)["total"] == 2500


def test_scrobbles_go_before_import_pages(make_delivery, store, lastfm, clock):
    from mopidy_mtscrobble.store import NewScrobble

    lastfm.add_loved("alice", loved_tracks(1500))
    store.queue.enqueue(NewScrobble("A", "T", int(NOW) - 60), NOW)
    run_until_idle(make_delivery(), clock)
    methods = [
        r.method
        for r in lastfm.requests
        if r.method in {"track.scrobble", "user.getLovedTracks"}
    ]
    assert methods == ["track.scrobble", "user.getLovedTracks", "user.getLovedTracks"]


def test_asking_for_an_import_while_one_runs_is_refused(
    make_delivery, store, lastfm, clock
):
    lastfm.add_loved("alice", loved_tracks(1500))
    worker = make_delivery()
    run_until_idle(worker, clock)
    assert worker.start_import("loved") is True
    assert worker.start_import("loved") is False
    run_until_idle(worker, clock)
    assert worker.start_import("loved") is True


def test_a_new_import_replaces_the_imported_set(make_delivery, store, lastfm, clock):
    lastfm.add_loved("alice", [("Old", "Gone", NOW - 100), ("Kept", "Song", NOW - 50)])
    worker = make_delivery()
    run_until_idle(worker, clock)
    lastfm.loved["alice"] = [
        {"artist": "Kept", "track": "Song", "uts": int(NOW) - 50},
        {"artist": "New", "track": "One", "uts": int(NOW) - 10},
    ]
    worker.start_import("loved")
    run_until_idle(worker, clock)
    assert loved_names(store) == {("Kept", "Song"), ("New", "One")}


def import_set(store, names):
    store.jobs.start(LOVED, "alice", NOW)
    store.jobs.save_page(LOVED, 1, 1, len(names), [entry(a, t) for a, t in names])
    store.jobs.finish(LOVED, NOW)


def test_loves_and_unloves_not_sent_yet_win_over_an_import(store):
    import_set(store, [("Unloved", "Here")])
    store.loves.unlove(
        store.songs.loved_for("local:x", key_parts("Unloved", "Here")),
        ("Unloved", "Here"),
        LASTFMS,
        NOW,
    )
    store.loves.love("Loved", "Here", LocalMatch("local:1", "Here"), LASTFMS, NOW)
    # The server has not seen either yet:
    import_set(store, [("Unloved", "Here"), ("Still", "Loved")])
    assert loved_names(store) == {("Loved", "Here"), ("Still", "Loved")}


def test_love_made_offline_is_sent_when_the_server_is_back(
    make_delivery, store, lastfm, clock
):
    worker = make_delivery()
    run_until_idle(worker, clock)
    lastfm.inject(Fault("reset", count=3))
    store.loves.love("Björk", "Jóga", LocalMatch("local:joga", "Jóga"), LASTFMS, NOW)
    worker.queue_changed()
    delay = worker.step()
    assert delay > 0
    assert store.loves.counts()["pending"] == 1
    run_until_idle(worker, clock)
    assert store.loves.counts() == {
        "pending": 0, "sent": 1, "rejected": 0, "unidentified": 0
    }  # fmt: skip
    assert [(t["artist"], t["track"]) for t in lastfm.loved["alice"]] == [
        ("Björk", "Jóga")
    ]


def test_unlove_uses_the_names_the_network_knows(make_delivery, store, lastfm, clock):
    lastfm.add_loved("alice", [("Beyoncé", "Halo", NOW - 100)])
    worker = make_delivery()
    run_until_idle(worker, clock)
    [loved] = store.songs.loved_for(
        "local:halo", key_parts("BEYONCE", "Halo (Remastered)")
    )
    store.loves.unlove([loved], ("BEYONCE", "Halo (Remastered)"), LASTFMS, NOW)
    run_until_idle(worker, clock)
    [request] = lastfm.requests_for("track.unlove")
    assert (request.params["artist"], request.params["track"]) == ("Beyoncé", "Halo")
    assert lastfm.loved["alice"] == []
    assert store.songs.match_counts(LOVED)["total"] == 0


def test_love_refused_as_invalid_is_kept_with_the_reason(
    make_delivery, store, lastfm, clock
):
    worker = make_delivery()
    run_until_idle(worker, clock)
    lastfm.inject(Fault("lfm", method="track.love", code=6))
    store.loves.love("A", "B", LocalMatch("local:b", "B"), LASTFMS, NOW)
    run_until_idle(worker, clock)
    [action] = store.love_queue_to(LASTFM).refused()
    assert "Invalid parameters" in action.last_error
