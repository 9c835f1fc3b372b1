"""The import of past scrobbles into the listening history, against the fake
server through delivery: paging by time, resuming, what is left out."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mopidy_mtscrobble.commands.imports import progress
from mopidy_mtscrobble.kinds import HISTORY
from mopidy_mtscrobble.lastfm import PastPlay, read_answer
from mopidy_mtscrobble.lastfm.client import RECENT_TRACKS_PAGE_SIZE, _past
from mopidy_mtscrobble.store import Cursor, ImportedPlay, Store
from mopidy_mtscrobble.store.history_import import CURSOR_KEY

from ..fakes.lastfm import Fault
from ..support.delivery_harness import NOW, run_until_idle

RECENT = "user.getRecentTracks"


def past(count, newest=int(NOW) - 60, gap_s=30):
    """(artist, track, album, uts) of `count` scrobbles, newest first."""
    return [
        (f"Artist {i % 7}", f"Song {i}", f"Album {i % 3}", newest - i * gap_s)
        for i in range(count)
    ]


def history(store):
    rows = store.db.read(
        "SELECT played_at, artist, track, album, duration_s, heard_s, origin, outcome "
        "FROM history ORDER BY played_at DESC"
    )
    return [tuple(row) for row in rows]


def imported(store):
    return [
        (artist, track, album, played_at)
        for played_at, artist, track, album, _, _, origin, _ in history(store)
        if origin == "imported"
    ]


def recent_requests(lastfm):
    return [r.params for r in lastfm.requests_for(RECENT)]


def record_own_play(store, artist, track, played_at):
    """A play scrobbled from here, as the listening history records it."""
    with store.db.write() as db:  # the recording of live plays is `History`'s
        db.execute(
            "INSERT INTO history (played_at, artist, track, origin, outcome) "
            "VALUES (?, ?, ?, 'mopidy', 'queued')",
            (played_at, artist, track),
        )


def import_history(worker, clock):
    run_until_idle(worker, clock)  # the automatic imports (loved, play counts)
    assert worker.start_import(HISTORY.name) is True
    run_until_idle(worker, clock)


def test_every_past_scrobble_lands_in_the_history_marked_imported(
    make_delivery, store, lastfm, clock, caplog
):
    plays = past(450)
    lastfm.add_past_scrobbles("alice", plays)
    worker = make_delivery()
    with caplog.at_level(logging.INFO, "mopidy_mtscrobble"):
        import_history(worker, clock)
    assert imported(store) == plays
    rows = history(store)
    assert {(r[4], r[5], r[6], r[7]) for r in rows} == {
        (None, None, "imported", "imported")
    }
    job = store.jobs.get(HISTORY)
    assert (job.state, job.page, job.pages, job.total, job.fetched) == (
        "done", 3, 3, 450, 450,
    )  # fmt: skip
    assert (job.matched, job.unmatched) == (450, 0)
    assert "page 1 of 3 (200 added, 0 already in the history)" in caplog.text
    assert "Imported 450 past scrobbles: 450 added" in progress(HISTORY, job)


def test_pages_go_by_time_not_by_number(make_delivery, store, lastfm, clock):
    plays = past(450)
    lastfm.add_past_scrobbles("alice", plays)
    import_history(make_delivery(), clock)
    asked = recent_requests(lastfm)
    assert [(p["page"], p["limit"]) for p in asked] == [("1", "200")] * 3
    # Each from the oldest second seen, that second again (a page may end in
    # it): the last play of a page is the first of the next.
    assert [int(p["to"]) for p in asked] == [int(NOW), plays[199][3], plays[398][3]]
    assert RECENT_TRACKS_PAGE_SIZE == 200


def test_imported_plays_are_never_queued(make_delivery, store, lastfm, clock):
    lastfm.add_past_scrobbles("alice", past(30))
    import_history(make_delivery(), clock)
    assert store.db.read("SELECT count(*) AS n FROM plays")[0]["n"] == 0
    assert store.db.read("SELECT count(*) AS n FROM deliveries")[0]["n"] == 0
    assert len(lastfm.requests_for("track.scrobble")) == 0


def test_the_now_playing_item_is_left_out(make_delivery, store, lastfm, clock):
    lastfm.add_past_scrobbles("alice", past(3))
    lastfm.play_now("alice", "Playing", "Right Now")
    import_history(make_delivery(), clock)
    assert imported(store) == past(3)  # not "Playing - Right Now"
    assert store.jobs.get(HISTORY).fetched == 3


def test_scrobbles_made_while_importing_shift_nothing(
    make_delivery, store, lastfm, clock
):
    plays = past(450)
    lastfm.add_past_scrobbles("alice", plays)
    worker = make_delivery()
    run_until_idle(worker, clock)
    worker.start_import(HISTORY.name)
    worker.step()  # page 1
    newer = [("New", f"Scrobble {i}", "", int(NOW) - 5 - i) for i in range(150)]
    lastfm.add_past_scrobbles("alice", newer)
    run_until_idle(worker, clock)
    assert imported(store) == plays


def test_a_stopped_import_goes_on_from_where_it_stopped(
    make_delivery, store, lastfm, clock
):
    plays = past(1000)
    lastfm.add_past_scrobbles("alice", plays)
    worker = make_delivery()
    run_until_idle(worker, clock)
    worker.start_import(HISTORY.name)
    worker.step()
    worker.step()  # two pages, then Mopidy stops
    worker.close()
    assert store.jobs.get(HISTORY).state == "running"
    assert len(imported(store)) == 399  # the second page began with the first's last
    resumed = make_delivery(user=None, limiter=worker.limiter)  # the same process
    assert resumed.importing(HISTORY.name)
    run_until_idle(resumed, clock)
    assert imported(store) == plays  # nothing twice, nothing missing
    assert len(recent_requests(lastfm)) == 6  # 199 new plays a page
    assert store.history_import.cursor() is None  # done: no cursor kept


def test_importing_twice_adds_nothing_twice(make_delivery, store, lastfm, clock):
    lastfm.add_past_scrobbles("alice", past(250))
    worker = make_delivery()
    import_history(worker, clock)
    assert worker.start_import(HISTORY.name) is True
    run_until_idle(worker, clock)
    assert imported(store) == past(250)
    job = store.jobs.get(HISTORY)
    assert (job.run, job.state, job.matched, job.unmatched) == (2, "done", 0, 250)


def test_a_play_scrobbled_from_here_is_not_counted_twice(
    make_delivery, store, lastfm, clock
):
    plays = past(5)
    lastfm.add_past_scrobbles("alice", plays)
    artist, track, _, at = plays[2]
    record_own_play(store, artist.upper(), track.lower(), at + 2)  # clocks apart
    record_own_play(store, "Artist 0", "Song 0", plays[0][3] + 3)  # too far apart
    import_history(make_delivery(), clock)
    assert imported(store) == [p for p in plays if p != plays[2]]
    assert store.jobs.get(HISTORY).unmatched == 1


def test_an_account_with_no_scrobbles_is_a_finished_import(
    make_delivery, store, lastfm, clock
):
    import_history(make_delivery(), clock)
    job = store.jobs.get(HISTORY)
    assert (job.state, job.fetched, job.matched) == ("done", 0, 0)


def test_scrobbles_without_a_time_are_left_out_and_the_rest_kept(
    make_delivery, store, lastfm, clock, caplog
):
    plays = past(10)
    lastfm.add_past_scrobbles("alice", plays[:4] + plays[5:])
    lastfm.add_past_scrobbles("alice", [plays[4]], undated=True)
    with caplog.at_level(logging.WARNING, "mopidy_mtscrobble"):
        import_history(make_delivery(), clock)
    assert imported(store) == plays[:4] + plays[5:]
    assert "left out 1 without a time" in caplog.text


@pytest.mark.parametrize(
    "fault",
    [
        Fault("lfm", method=RECENT, code=29),
        Fault("lfm", method=RECENT, code=8),
        Fault("not_utf8", method=RECENT),
        Fault("odd", method=RECENT),
        Fault("http", method=RECENT, status=503),
    ],
    ids=["rate-limit-29", "operation-failed-8", "not-utf8", "unreadable", "http-503"],
)
def test_a_failed_page_is_asked_again_later_and_nothing_is_lost(
    make_delivery, store, lastfm, clock, fault
):
    plays = past(450)
    lastfm.add_past_scrobbles("alice", plays)
    worker = make_delivery()
    run_until_idle(worker, clock)
    worker.start_import(HISTORY.name)
    worker.step()
    lastfm.inject(fault)
    delay = worker.step()
    assert delay is not None
    assert delay > 0
    assert store.jobs.get(HISTORY).page == 1
    run_until_idle(worker, clock)
    assert imported(store) == plays
    asked = [int(p["to"]) for p in recent_requests(lastfm)]
    assert asked[1] == asked[2] == plays[199][3]  # the same page again


def test_error_29_slows_every_request_down(make_delivery, store, lastfm, clock):
    lastfm.add_past_scrobbles("alice", past(450))
    worker = make_delivery()
    run_until_idle(worker, clock)
    worker.start_import(HISTORY.name)
    lastfm.inject(Fault("lfm", method=RECENT, code=29))
    worker.step()
    assert worker.limiter.paused_for() > 0


def test_pages_unreadable_every_time_fail_the_import_keeping_what_came(
    make_delivery, store, lastfm, clock
):
    lastfm.add_past_scrobbles("alice", past(450))
    worker = make_delivery()
    run_until_idle(worker, clock)
    worker.start_import(HISTORY.name)
    worker.step()
    lastfm.inject(Fault("odd", method=RECENT, count=50))
    run_until_idle(worker, clock)
    job = store.jobs.get(HISTORY)
    assert job.state == "failed"
    assert "10 times in a row" in job.error
    assert len(imported(store)) == 200
    assert "import-history' again" in progress(HISTORY, job)
    assert not worker.importing(HISTORY.name)
    lastfm.faults.clear()
    asked_before = len(recent_requests(lastfm))
    assert worker.start_import(HISTORY.name) is True  # goes on from the cursor
    run_until_idle(worker, clock)
    assert len(imported(store)) == 450
    going_on = [int(p["to"]) for p in recent_requests(lastfm)[asked_before:]]
    assert going_on[0] == past(450)[199][3]
    assert store.jobs.get(HISTORY).state == "done"


def test_an_invalid_request_fails_the_import_at_once(
    make_delivery, store, lastfm, clock
):
    lastfm.add_past_scrobbles("alice", past(10))
    worker = make_delivery()
    run_until_idle(worker, clock)
    worker.start_import(HISTORY.name)
    lastfm.inject(Fault("lfm", method=RECENT, code=6))
    run_until_idle(worker, clock)
    job = store.jobs.get(HISTORY)
    assert job.state == "failed"
    assert "error 6" in job.error


def test_names_beyond_ascii_are_kept_as_written(make_delivery, store, lastfm, clock):
    odd = [
        ("Bj\u00f6rk \u65e5\u672c", "\u00bfQu\u00e9? \U0001f3b5", "", int(NOW) - 100)
    ]
    lastfm.add_past_scrobbles("alice", odd)
    import_history(make_delivery(), clock)
    assert imported(store) == [(a, t, None, at) for a, t, _, at in odd]


# The store's page-keeping, for any plays and own plays.

names = st.sampled_from(
    ["Song", "song", "SONG", "Other", "\u00c9t\u00e9", "\u00e9T\u00c9"]
)


@settings(max_examples=60, deadline=None)
@given(
    plays=st.lists(
        st.tuples(names, names, st.integers(0, 40)), max_size=25, unique=True
    ),
    own=st.lists(st.tuples(names, names, st.integers(0, 40)), max_size=10, unique=True),
)
def test_a_page_adds_each_new_play_once_and_none_of_ours(tmp_path_factory, plays, own):
    store = Store.open(tmp_path_factory.mktemp("h"), NOW)
    try:
        for artist, track, at in own:
            record_own_play(store, artist, track, 1000 + at)
        imports = store.history_import
        imports.start("alice", NOW)
        page = [ImportedPlay(a, t, None, 1000 + at) for a, t, at in plays]
        first = imports.save_page(page, Cursor(999), 1, len(page), NOW)
        again = imports.save_page(page, Cursor(999), 1, len(page), NOW)

        def ours(a, t, at):
            return any(
                a.casefold() == oa.casefold()
                and t.casefold() == ot.casefold()
                and abs(at - oat) <= 2
                for oa, ot, oat in own
            )

        expected = {(1000 + at, a, t) for a, t, at in plays if not ours(a, t, at)}
        rows = store.db.read(
            "SELECT played_at, artist, track FROM history WHERE origin = 'imported'"
        )
        assert {tuple(r) for r in rows} == expected
        assert first.added == len(expected)
        assert again.added == 0
        assert store.history_import.cursor() == Cursor(999)
        kept = store.db.read(
            "SELECT value FROM delivery_status WHERE key = ?", (CURSOR_KEY,)
        )
        assert kept[0]["value"] == "999"
    finally:
        store.close()


# Last.fm's own answer (recorded by pylast's tests: User.test_get_recent_tracks_
# from_to), trimmed of its images: a now-playing item first, then one scrobble.
RECORDED = b"""<?xml version="1.0" encoding="UTF-8"?>
<lfm status="ok">
  <recenttracks user="RJ" page="1" perPage="11" totalPages="1" total="1">
    <track nowplaying="true">
      <artist mbid="3df914b9-e0bc-493c-875a-c412f84ecdad">Crazy Frog</artist>
      <name>Axel F</name>
      <streamable>0</streamable>
      <mbid>5edf0422-8bec-48ac-8478-320900e2eba7</mbid>
      <album mbid="">Crazy Frog Presents Crazy Hits</album>
      <url>https://www.last.fm/music/Crazy+Frog/_/Axel+F</url>
    </track>
    <track>
      <artist mbid="">Johnny Cash</artist>
      <name>Ring of Fire</name>
      <streamable>0</streamable>
      <mbid>8e85d1cb-a82e-47ed-b412-325360adec71</mbid>
      <album mbid="ede12196-5b0c-4ccf-9caf-950574a69e5e">The Best Of</album>
      <url>https://www.last.fm/music/Johnny+Cash/_/Ring+of+Fire</url>
      <date uts="1311261170">21 Jul 2011, 15:12</date>
    </track>
  </recenttracks>
</lfm>
"""


def test_last_fms_own_answer_reads_as_one_past_play():
    doc = read_answer(200, RECORDED, "Last.fm", RECENT)
    plays, undated = _past(doc.getElementsByTagName("recenttracks")[0])
    assert plays == [PastPlay("Johnny Cash", "Ring of Fire", "The Best Of", 1311261170)]
    assert undated == 0


def batch(count, at, first=0):
    """`count` scrobbles sharing one second, as an album scrobbled at once."""
    return [
        (f"Band {i % 3}", f"Track {i}", "Album", at)
        for i in range(first, first + count)
    ]


def test_scrobbles_sharing_a_page_boundary_second_are_each_imported_once(
    make_delivery, store, lastfm, clock, caplog
):
    """450 scrobbles, 30 in the second where the first page ends (15 of them
    were never imported when the next page began a second earlier)."""
    plays = past(185) + batch(30, past(186)[185][3]) + past(450, gap_s=30)[215:]
    assert len(plays) == 450
    lastfm.add_past_scrobbles("alice", plays)
    with caplog.at_level(logging.INFO, "mopidy_mtscrobble"):
        import_history(make_delivery(), clock)
    assert sorted(imported(store)) == sorted(plays)
    job = store.jobs.get(HISTORY)
    assert (job.state, job.fetched, job.matched, job.unmatched) == (
        "done", 450, 450, 0,
    )  # fmt: skip
    assert "Imported 450 past scrobbles: 450 added" in progress(HISTORY, job)


def test_a_whole_page_in_one_second_goes_on_by_page_number(
    make_delivery, store, lastfm, clock
):
    second = int(NOW) - 600
    plays = batch(450, second) + past(50, newest=second - 60)
    lastfm.add_past_scrobbles("alice", plays)
    import_history(make_delivery(), clock)
    assert sorted(imported(store)) == sorted(plays)
    asked = [(int(p["to"]), p["page"]) for p in recent_requests(lastfm)]
    assert asked[:3] == [(int(NOW), "1"), (second, "2"), (second, "3")]
    assert store.jobs.get(HISTORY).state == "done"
