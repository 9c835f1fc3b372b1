"""Delivery against faults outside the happy path: it never stops, never loses,
never sends twice, and recovers soon after the world does."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from mopidy_mtscrobble import delivery as delivery_module
from mopidy_mtscrobble.backoff import MAX_S as BACKOFF_MAX_S
from mopidy_mtscrobble.delivery import Delivery, State
from mopidy_mtscrobble.lastfm import Session
from mopidy_mtscrobble.listening import Track
from mopidy_mtscrobble.ratelimit import RateLimiter
from mopidy_mtscrobble.session import SessionFile
from mopidy_mtscrobble.store import NewScrobble

from ..fakes.lastfm import Fault
from ..support.delivery_harness import NOW, run_until_idle
from .plays import DAY, queue, states

HOUR = 3600


class CountingLimiter(RateLimiter):
    """The real limiter, counting the requests that pass it."""

    def __init__(self, clock) -> None:
        super().__init__(clock=clock.monotonic, sleep=clock.advance)
        self.requests = 0

    def acquire(self) -> None:
        super().acquire()
        self.requests += 1


def run_for(worker, clock, seconds, events=()):
    """Run rounds as the delivery thread would for `seconds` of fake time;
    `events` are (at, callable) pairs, called when their time comes."""
    end = clock.monotonic() + seconds
    pending = sorted(events, key=lambda e: e[0])
    while True:
        now = clock.monotonic()
        while pending and pending[0][0] <= now:
            pending.pop(0)[1]()
        delay = worker.run_round()
        if worker.consume_wake():
            delay = 0.0
        next_event = pending[0][0] if pending else end
        target = min(end, next_event, now + (delay if delay is not None else 1e9))
        if now >= end and not pending:
            return
        clock.advance(max(0.0, target - now))


def plays_every_4_minutes(worker, store, clock, minutes):
    """What the frontend does during `minutes`: a now-playing at each start,
    the play queued 3 minutes later when it has qualified."""
    events = []
    start = clock.monotonic()
    for n in range(minutes // 4):
        at = start + n * 240
        track = Track(uri=f"x:{n}", artist="Artist", title=f"Song {n}",
                      length_ms=230_000)  # fmt: skip
        events.append((at, lambda t=track: worker.now_playing(t)))

        def qualified(n=n, at=at):
            store.queue.enqueue(
                NewScrobble("Artist", f"Song {n}", int(NOW + at - start)), NOW
            )
            worker.queue_changed()

        events.append((at + 180, qualified))
    return events


def test_a_one_hour_server_outage_costs_few_requests_and_ends_within_the_cap(
    make_delivery, store, lastfm, clock
):
    worker = make_delivery()
    lastfm.fault_source = lambda method: Fault("http", status=503)
    run_for(worker, clock, HOUR, plays_every_4_minutes(worker, store, clock, 60))
    during = len(lastfm.requests)
    assert during <= 30
    lastfm.fault_source = None
    healthy_at = clock.monotonic()
    while store.queue.counts()["sent"] < 15:
        clock.advance(worker.run_round() or 1)
    # Its 503s may have been applied: sent again once the listing had its
    # window to show them.
    assert clock.monotonic() - healthy_at <= delivery_module.LISTING_WINDOW_S
    run_until_idle(worker, clock)
    assert store.queue.counts()["pending"] + store.queue.counts()["in_flight"] == 0
    assert len(lastfm.scrobbles_of("alice")) == 15
    looks = [r.arrived_at for r in lastfm.requests_for("user.getRecentTracks")]
    assert len([at for at in looks if at < healthy_at]) <= 1
    assert len(looks) <= 10  # at doubling gaps, not per entry or per retry


def test_a_one_hour_network_outage_costs_no_requests_and_ends_within_a_minute(
    make_delivery, store, lastfm, clock
):
    limiter = CountingLimiter(clock)
    worker = make_delivery(limiter=limiter)
    port = lastfm.port
    lastfm.stop()
    run_for(worker, clock, HOUR, plays_every_4_minutes(worker, store, clock, 60))
    assert limiter.requests <= 30
    lastfm.start(port)
    back_at = clock.monotonic()
    while store.queue.counts()["sent"] < 15:
        clock.advance(worker.run_round() or 1)
    assert clock.monotonic() - back_at <= 60
    assert len(lastfm.scrobbles_of("alice")) == 15


def test_a_day_long_outage_recovers_as_fast(make_delivery, store, lastfm, clock):
    queue(store, 3)
    worker = make_delivery()
    lastfm.fault_source = lambda method: Fault("lfm", code=11)
    run_for(worker, clock, 24 * HOUR)
    lastfm.fault_source = None
    healthy_at = clock.monotonic()
    run_until_idle(worker, clock)
    assert clock.monotonic() - healthy_at <= BACKOFF_MAX_S
    assert store.queue.counts()["sent"] == 3
    assert len(lastfm.scrobbles_of("alice")) == 3


def test_a_restart_sends_what_waits_at_once(make_delivery, store, lastfm, clock):
    lastfm.daily_limit = 0
    [entry] = queue(store)
    worker = make_delivery()
    run_for(worker, clock, 60)
    assert store.queue.get(entry).next_attempt_at > clock.wall() + HOUR / 2
    worker.close()  # Mopidy stops; the limit is lifted meanwhile
    lastfm.daily_limit = 2800
    again = make_delivery(user=None)
    assert again.step() == 0.0
    assert store.queue.get(entry).state == "sent"


def test_an_unexpected_error_in_a_round_is_logged_once_and_delivery_goes_on(
    make_delivery, store, lastfm, clock, caplog
):
    def broken(kind):
        raise RuntimeError("a bug in what runs after an import")

    worker = make_delivery(on_imported=broken)
    for _ in range(5):
        delay = worker.run_round()
        clock.advance(delay or 0)
    assert worker.unexpected_errors >= 2
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len([r for r in errors if "a bug in what runs" in r.getMessage()]) == 1
    ids = queue(store, 2)
    worker.queue_changed()
    run_until_idle(worker, clock, supervised=True)
    assert states(store, ids) == ["sent", "sent"]


def test_the_delivery_thread_never_ends_on_an_error(settings, tmp_path, lastfm):
    failures = threading.Event()

    def broken(kind):
        failures.set()
        raise RuntimeError("unexpected")

    key = lastfm.add_user("alice")
    SessionFile(tmp_path, "custom").save(Session(key=key, username="alice"))
    worker = Delivery(settings, tmp_path, on_imported=broken)
    worker.start()
    try:
        assert failures.wait(30)
        queue_store = delivery_store(tmp_path)
        queue(queue_store, 1, start=time.time() - 60)  # real time: a real thread
        queue_store.close()
        worker.queue_changed()
        lastfm.wait_for_request("track.scrobble", timeout_s=30)
        assert worker.alive()
    finally:
        worker.stop()
    assert not worker.alive()


def delivery_store(tmp_path):
    from mopidy_mtscrobble.store import Store

    return Store.open(tmp_path, NOW)


def test_delivery_that_cannot_open_says_why_and_starts_once_it_can(
    settings, tmp_path, lastfm, make_delivery
):
    holder = make_delivery()  # e.g. 'mopidy mtscrobble retry' holds the lock
    worker = Delivery(settings, tmp_path)
    worker.start()
    try:
        wait_for(lambda: worker.status().state == State.WAITING)
        assert "Another process" in worker.status().last_error
        holder.close()
        store = delivery_store(tmp_path)
        queue(store, 1, start=time.time() - 60)
        store.close()
        worker.queue_changed()  # a wake-up tries again at once
        lastfm.wait_for_request("track.scrobble", timeout_s=30)
        assert worker.status().state == State.CONNECTED
    finally:
        worker.stop()


def wait_for(condition, timeout_s=30):
    done = threading.Event()
    for _ in range(int(timeout_s / 0.05)):
        if condition():
            return
        done.wait(0.05)
    raise AssertionError("condition never became true")


def test_an_oversized_entry_is_found_by_halving_and_rejected_with_the_status(
    make_delivery, store, lastfm, clock
):
    lastfm.max_body_bytes = 20_000
    good = queue(store, 9)
    [big] = queue(store, 1, start=NOW - 1000, artist="A" * 30_000)
    run_until_idle(make_delivery(), clock)
    assert states(store, good) == ["sent"] * 9
    assert store.queue.get(big).state == "rejected"
    assert "HTTP 413" in store.queue.get(big).last_error


def test_without_recent_tracks_uncertain_entries_are_sent_again_once_with_a_warning(
    make_delivery, store, lastfm, clock, caplog
):
    lastfm.methods_missing = {"user.getRecentTracks"}
    lastfm.inject(Fault("lost", "track.scrobble"))
    ids = queue(store, 2)
    run_until_idle(make_delivery(), clock)
    assert states(store, ids) == ["sent", "sent"]
    assert "may appear twice" in caplog.text
    assert len(lastfm.scrobbles_of("alice")) == 4  # applied, lost, sent again
    assert len(lastfm.requests_for("user.getRecentTracks")) == 1


def test_checks_failing_while_the_server_answers_give_up_after_hours(
    make_delivery, store, lastfm, clock, caplog
):
    lastfm.inject(Fault("http", "track.scrobble", status=502))
    [uncertain] = queue(store, 1)
    lastfm.fault_source = lambda method: (
        Fault("odd") if method == "user.getRecentTracks" else None
    )
    worker = make_delivery()
    worker.step()  # the answer is lost: uncertain
    later = []
    for hour in range(16):  # a play an hour, each sent: the server answers
        later += queue(store, 1, start=NOW + hour * HOUR)
        worker.queue_changed()
        run_for(worker, clock, HOUR)
        if hour < 5:
            assert store.queue.get(uncertain).state == "in_flight"
    assert states(store, later) == ["sent"] * 16  # others never wait for it
    assert store.queue.get(uncertain).state == "sent"
    assert "may appear twice" in caplog.text


def test_uncertain_entries_expire_like_pending_ones(
    make_delivery, store, lastfm, clock
):
    [entry] = queue(store, 1, start=NOW - 13 * DAY)
    store.queue.mark_in_flight([entry], NOW)
    lastfm.fault_source = lambda method: (
        Fault("http", status=503) if method == "user.getRecentTracks" else None
    )
    worker = make_delivery()
    run_for(worker, clock, 2 * DAY)
    assert store.queue.get(entry).state == "rejected"
    assert "unknown" in store.queue.get(entry).last_error


def test_a_revoked_session_is_renewed_with_the_configured_password(
    make_delivery, store, lastfm, clock
):
    key = lastfm.add_user("bob", password="hunter2")
    SessionFile(store.path.parent, "custom").save(Session(key=key, username="bob"))
    lastfm.revoke(key)  # revoked before this start: the stored session is dead
    ids = queue(store, 2)
    worker = make_delivery(user=None, username="bob", password="hunter2")
    run_until_idle(worker, clock)
    assert states(store, ids) == ["sent", "sent"]
    assert worker.status().state == State.CONNECTED
    assert SessionFile(store.path.parent, "custom").load().key != key
    lastfm.revoke(SessionFile(store.path.parent, "custom").load().key)
    later = queue(store, 1, start=NOW - 100)
    worker.queue_changed()
    run_until_idle(worker, clock)  # and again while running
    assert states(store, later) == ["sent"]
    assert len(lastfm.requests_for("auth.getMobileSession")) == 2


def test_a_revoked_session_whose_password_is_refused_waits_for_a_login(
    make_delivery, store, lastfm, clock, caplog
):
    lastfm.add_user("bob", password="hunter2")
    ids = queue(store, 1)
    worker = make_delivery(user="bob", username="bob", password="changed")
    lastfm.revoke(SessionFile(store.path.parent, "custom").load().key)
    run_for(worker, clock, HOUR)
    assert worker.status().state == State.LOGIN_FAILED
    assert "mtscrobble/password" in caplog.text
    assert len(lastfm.requests_for("auth.getMobileSession")) == 1
    key = lastfm.add_user("bob")
    SessionFile(store.path.parent, "custom").save(Session(key=key, username="bob"))
    run_until_idle(worker, clock)  # 'mopidy mtscrobble login' from another process
    assert states(store, ids) == ["sent"]


def test_an_answer_applied_then_failed_with_8_is_not_sent_twice(
    make_delivery, store, lastfm, clock
):
    lastfm.inject(Fault("applied_error", "track.scrobble", code=8))
    ids = queue(store, 3)
    run_until_idle(make_delivery(), clock)
    assert states(store, ids) == ["sent"] * 3
    assert len(lastfm.scrobbles_of("alice")) == 3


def test_a_clock_set_back_neither_stalls_retries(make_delivery, store, lastfm, clock):
    lastfm.daily_limit = 0
    true_time = NOW - clock.monotonic()
    lastfm.clock = lambda: true_time + clock.monotonic()  # the server's is right
    [entry] = queue(store)
    worker = make_delivery()
    run_for(worker, clock, 60)  # over the limit: retried in an hour
    lastfm.daily_limit = 2800
    clock.jump(-2 * DAY)  # the retry time is now two days away by the clock
    run_for(worker, clock, HOUR + 60)
    assert store.queue.get(entry).state == "sent"


def test_a_clock_far_off_the_servers_is_warned_about_once(
    make_delivery, store, lastfm, clock, caplog
):
    lastfm.clock = lambda: clock.wall() + 3 * HOUR
    queue(store, 2)
    worker = make_delivery()
    run_until_idle(worker, clock)
    queue(store, 1, start=NOW + 100)
    worker.queue_changed()
    run_until_idle(worker, clock)
    assert caplog.text.count("The system clock is 3 hours behind") == 1


def test_uncertain_entries_wait_while_new_ones_go_during_an_outage(
    make_delivery, store, lastfm, clock
):
    lastfm.inject(Fault("http", "track.scrobble", status=503))
    first = queue(store, 1)
    worker = make_delivery()
    worker.step()
    second = queue(store, 1, start=NOW - 100)
    worker.queue_changed()
    run_until_idle(worker, clock)
    assert states(store, first + second) == ["sent", "sent"]
    lost, new, again = lastfm.requests_for("track.scrobble")
    assert new.params["track[0]"] == "Track 0"  # the second play, not held up
    assert new.arrived_at < lastfm.requests_for("user.getRecentTracks")[0].arrived_at
    assert again.arrived_at - lost.arrived_at >= delivery_module.LISTING_WINDOW_S


@pytest.mark.parametrize("kind", ["failed_no_error", "error_no_text", "not_utf8",
                                  "portal", "redirect", "odd"])  # fmt: skip
def test_unreadable_answers_to_every_call_never_stop_delivery(
    make_delivery, store, lastfm, clock, kind
):
    lastfm.inject(Fault(kind, count=6))
    ids = queue(store, 3)
    worker = make_delivery()
    worker.now_playing(Track(uri="x:1", artist="A", title="T", length_ms=200_000))
    run_until_idle(worker, clock, supervised=True)
    assert states(store, ids) == ["sent"] * 3
    assert len(lastfm.scrobbles_of("alice")) == 3
    assert worker.unexpected_errors == 0
    assert delivery_module.State(worker.status().state) == State.CONNECTED


def test_an_import_asked_for_before_delivery_opens_is_not_forgotten(
    settings, tmp_path, lastfm
):
    # The web API may ask while the delivery thread is still opening.
    worker = Delivery(settings, tmp_path)
    assert worker.start_import("loved")
    worker.open()
    try:
        assert worker.importing("loved")
        assert not worker.start_import("loved")
    finally:
        worker.close()
