"""Several destinations at once: each play delivered to each exactly once, and
one destination down never holds back another (each has its own worker,
state, backoff and queue)."""

from __future__ import annotations

import threading

from mopidy_mtscrobble.delivery import State
from mopidy_mtscrobble.listening import Track
from mopidy_mtscrobble.store import NewScrobble

from ..fakes.lastfm import Fault as LastfmFault
from ..fakes.listenbrainz import Fault
from ..support.delivery_harness import NOW

HOUR = 3600
BOTH = ("lastfm", "lb")


def run_both(workers, clock, seconds, events=()):
    """Rounds of every worker, as their threads would run them, for `seconds`
    of fake time; `events` are (at, callable) pairs called when their time comes."""
    end = clock.monotonic() + seconds
    pending = sorted(events, key=lambda e: e[0])
    wake = dict.fromkeys(workers, clock.monotonic())
    while True:
        now = clock.monotonic()
        while pending and pending[0][0] <= now:
            pending.pop(0)[1]()
        for worker in workers:
            if worker.consume_wake() or wake[worker] <= now:
                delay = worker.run_round()
                wake[worker] = now + (delay if delay is not None else 1e9)
        if now >= end and not pending:
            return
        target = min(end, pending[0][0] if pending else end, *wake.values())
        clock.advance(max(0.0, target - now))


def plays_every_4_minutes(workers, store, clock, minutes):
    events = []
    start = clock.monotonic()
    for n in range(minutes // 4):
        at = start + n * 240
        track = Track(uri=f"x:{n}", artist="Artist", title=f"Song {n}",
                      length_ms=230_000)  # fmt: skip

        def started(track=track):
            for worker in workers:
                worker.now_playing(track)

        def qualified(n=n, at=at):
            scrobble = NewScrobble("Artist", f"Song {n}", int(NOW + at - start))
            store.plays.enqueue(scrobble, BOTH, NOW)
            for worker in workers:
                worker.queue_changed()

        events += [(at, started), (at + 180, qualified)]
    return events


def test_listenbrainz_keeps_flowing_while_lastfm_is_down_for_an_hour(
    make_delivery, make_lb_delivery, store, lastfm, listenbrainz, clock
):
    lastfm_worker, lb_worker = make_delivery(), make_lb_delivery()
    lastfm.fault_source = lambda method: LastfmFault("http", status=503)
    events = plays_every_4_minutes((lastfm_worker, lb_worker), store, clock, 60)
    run_both((lastfm_worker, lb_worker), clock, HOUR, events)
    assert len(listenbrainz.listens_of("alice")) == 15
    assert store.queue_to("lb").counts()["sent"] == 15
    assert lastfm.scrobbles_of("alice") == []
    assert lastfm_worker.status().state == State.RETRYING
    assert lb_worker.status().state == State.CONNECTED
    lastfm.fault_source = None
    run_both((lastfm_worker, lb_worker), clock, HOUR)
    assert len(lastfm.scrobbles_of("alice")) == 15
    assert len(listenbrainz.listens_of("alice")) == 15
    assert len(listenbrainz.requests_for("submit-listens")) >= 15


def test_lastfm_keeps_flowing_while_listenbrainz_is_down_for_an_hour(
    make_delivery, make_lb_delivery, store, lastfm, listenbrainz, clock
):
    lastfm_worker, lb_worker = make_delivery(), make_lb_delivery()
    lb_worker.step()  # the token was checked before the outage
    listenbrainz.fault_source = lambda call: Fault("http", status=503)
    events = plays_every_4_minutes((lastfm_worker, lb_worker), store, clock, 60)
    run_both((lastfm_worker, lb_worker), clock, HOUR, events)
    assert len(lastfm.scrobbles_of("alice")) == 15
    assert listenbrainz.listens_of("alice") == []
    assert lb_worker.status().state == State.RETRYING
    outage_requests = len(listenbrainz.requests)
    assert outage_requests <= 40  # backoff, not a request per play
    listenbrainz.fault_source = None
    run_both((lastfm_worker, lb_worker), clock, 4 * HOUR)
    assert len(listenbrainz.listens_of("alice")) == 15
    assert store.queue_to("lb").counts()["sent"] == 15
    assert len(lastfm.scrobbles_of("alice")) == 15


def test_a_refused_token_holds_back_only_its_own_destination(
    make_delivery, make_lb_delivery, store, lastfm, listenbrainz, clock
):
    lastfm_worker = make_delivery()
    refused = make_lb_delivery(name="old", token="revoked-token-12345")
    good = make_lb_delivery(name="lb", user="bob")
    store.plays.enqueue(NewScrobble("A", "T", int(NOW - 60)), ("lastfm", "old", "lb"),
                        NOW)  # fmt: skip
    run_both((lastfm_worker, refused, good), clock, 600)
    assert refused.status().state == State.TOKEN_REFUSED
    assert store.queue_to("old").counts()["pending"] == 1
    assert len(listenbrainz.listens_of("bob")) == 1
    assert len(lastfm.scrobbles_of("alice")) == 1


def test_a_listenbrainz_server_that_hangs_never_holds_back_lastfm(
    make_delivery, make_lb_delivery, store, lastfm, listenbrainz
):
    """Real threads: ListenBrainz's submission hangs; Last.fm's goes out."""
    lastfm_worker, lb_worker = make_delivery(), make_lb_delivery()
    hanging = threading.Event()

    def hang_submissions(call):
        if call != "submit-listens":
            return None
        hanging.set()
        return Fault("hang", seconds=None)

    listenbrainz.fault_source = hang_submissions
    for worker in (lastfm_worker, lb_worker):
        worker.close()  # the threads open them again
    lastfm_worker.start()
    lb_worker.start()
    try:
        store.plays.enqueue(NewScrobble("A", "T", int(NOW - 60)), BOTH, NOW)
        lb_worker.queue_changed()
        assert hanging.wait(30)  # ListenBrainz's thread waits for an answer
        lastfm_worker.queue_changed()
        lastfm.wait_for_request("track.scrobble", timeout_s=30)
        assert len(lastfm.scrobbles_of("alice")) == 1
        assert store.queue_to("lb").counts()["in_flight"] == 1
    finally:
        listenbrainz.stop()  # ends the hang
        lastfm_worker.stop()
        lb_worker.stop()
    assert not lb_worker.alive()
