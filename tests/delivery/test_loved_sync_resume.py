"""A full comparison of the loved sync cut short by a stop goes on from the
page it reached (schema 18 keeps the pass and the songs its pages listed),
unless songs were unloved on the server meanwhile: then the rest of the list
moved up, and the comparison starts over. The real delivery rounds against
the fake Last.fm server, in fake time."""

from __future__ import annotations

from ..support.delivery_harness import clock, make_delivery, settings, store
from .loved_songs import (
    DAY,
    INTERVAL_MIN,
    loved_names,
    loved_requests,
    loved_tracks,
    run_until,
    synced,
)

__all__ = ["clock", "make_delivery", "settings", "store", "synced"]

LOVED = 3500  # four pages of 1,000


def pages_asked(lastfm, since):
    """The pages read since request `since` (one slowed down is asked again)."""
    requests = lastfm.requests_for("user.getLovedTracks")[since:]
    return [int(r.params["page"]) for r in requests if r.outcome != "error 29"]


def stop_after_pages(worker, clock, lastfm, pages):
    """Rounds until the full comparison read `pages` pages, then a stop."""
    before = loved_requests(lastfm)
    while loved_requests(lastfm) - before < pages:
        delay = worker.step()
        assert delay is not None
        clock.advance(delay)
    worker.close()


def start_full_comparison(synced, store, clock):
    worker, _ = synced(loved_tracks(LOVED))
    compared_at = store.loved_sync.state().compared_at
    clock.advance(compared_at + DAY + INTERVAL_MIN * 60 - clock.wall())
    return worker


def test_a_comparison_cut_short_goes_on_from_the_page_it_reached(
    synced, make_delivery, store, lastfm, clock
):
    worker = start_full_comparison(synced, store, clock)
    stop_after_pages(worker, clock, lastfm, 2)
    assert store.sync_pass.load().page == 2
    asked = loved_requests(lastfm)

    restarted = make_delivery(loved_sync_interval=INTERVAL_MIN)
    run_until(restarted, clock, clock.wall() + 60)

    assert pages_asked(lastfm, asked) == [3, 4]
    assert store.sync_pass.load() is None
    assert store.loved_sync.state().compared_at >= clock.wall() - 120
    assert len(loved_names(store)) == LOVED  # nothing taken as unloved


def test_a_song_unloved_on_the_server_meanwhile_starts_the_comparison_over(
    synced, make_delivery, store, lastfm, clock
):
    worker = start_full_comparison(synced, store, clock)
    stop_after_pages(worker, clock, lastfm, 2)
    lastfm.loved["alice"] = [t for t in lastfm.loved["alice"] if t["track"] != "Song 5"]
    asked = loved_requests(lastfm)

    restarted = make_delivery(loved_sync_interval=INTERVAL_MIN)
    run_until(restarted, clock, clock.wall() + 60)

    # Page 3 shows the list shrank: the comparison reads it all again.
    assert pages_asked(lastfm, asked) == [3, 1, 2, 3, 4]
    assert ("Artist 5", "Song 5") not in loved_names(store)
    assert len(loved_names(store)) == LOVED - 1
    assert store.sync_pass.load() is None


def test_another_users_comparison_is_not_resumed(
    synced, make_delivery, store, lastfm, clock
):
    worker = start_full_comparison(synced, store, clock)
    stop_after_pages(worker, clock, lastfm, 2)
    lastfm.add_loved("bob", loved_tracks(3))
    asked = loved_requests(lastfm)

    restarted = make_delivery(user="bob", loved_sync_interval=INTERVAL_MIN)
    run_until(restarted, clock, clock.wall() + 60)

    assert 3 not in pages_asked(lastfm, asked)
    assert store.sync_pass.load() is None
