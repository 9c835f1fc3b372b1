"""Delivery to a ListenBrainz-compatible destination, against the fake server
in fake time: batches, refusals, the token, rate limits, and exactly once
when an answer is lost (checked against the user's listens, after the
server's visibility lag, before anything is sent again)."""

from __future__ import annotations

import logging

import pytest

from mopidy_mtscrobble.delivery import State
from mopidy_mtscrobble.delivery.listenbrainz import (
    BLOCKED_RECHECK_S,
    VISIBILITY_FIRST_CHECK_S,
    VISIBILITY_WINDOW_S,
)
from mopidy_mtscrobble.errors import ListenRefusedError
from mopidy_mtscrobble.listenbrainz import ListenBrainzClient
from mopidy_mtscrobble.listening import Track
from mopidy_mtscrobble.store import LocalMatch, NewScrobble

from ..fakes.listenbrainz import FakeListenBrainz, Fault
from ..support.delivery_harness import NOW
from ..support.listenbrainz_harness import factory, play, plays, run_for, run_until_idle

HOUR = 3600


def states(store, ids, name="lb"):
    return [store.queue_to(name).get(i).state for i in ids]


def submits(fake):
    return fake.requests_for("submit-listens")


def test_the_token_is_checked_first_and_its_user_kept_for_status(
    make_lb_delivery, store, listenbrainz
):
    worker = make_lb_delivery(user="bob")
    worker.step()
    assert [r.call for r in listenbrainz.requests][:2] == ["validate-token", "listens"]
    status = worker.status()
    assert (status.state, status.username) == (State.CONNECTED, "bob")
    assert store.delivery_status.load_for("lb")["username"] == "bob"


def test_pending_plays_go_oldest_first_as_one_import(
    make_lb_delivery, store, listenbrainz, clock
):
    ids = plays(store, 30)
    worker = make_lb_delivery()
    run_until_idle(worker, clock)
    assert states(store, ids) == ["sent"] * 30
    [submit] = submits(listenbrainz)
    assert submit.json()["listen_type"] == "import"
    sent = [x["listened_at"] for x in submit.json()["payload"]]
    assert sent == sorted(sent)
    assert len(listenbrainz.listens_of("alice")) == 30


def test_a_backlog_goes_in_imports_of_the_servers_largest_size(
    make_lb_delivery, store, listenbrainz, clock
):
    ids = [play(store, n=n, at=NOW - 30 * 86_400 + n * 60) for n in range(2500)]
    worker = make_lb_delivery()
    run_until_idle(worker, clock)
    assert states(store, ids) == ["sent"] * 2500
    sizes = [len(s.json()["payload"]) for s in submits(listenbrainz)]
    assert sizes == [1000, 1000, 500]


def test_one_play_goes_as_a_single_listen_with_what_mopidy_knows(
    make_lb_delivery, store, listenbrainz, clock
):
    mbid = "0f5e4a5d-1d4c-4c0c-9a47-ffbd6c5a9f3b"
    release, artists = (
        "b84ee12a-09ef-421b-82de-0441a926375b",
        [
            "5b11f4ce-a62d-471e-81fc-a69a8278c7da",
            "f27ec8db-af05-4f36-916e-3d57f91ecf5e",
        ],
    )
    play(store, album="Album", track_number=3, duration_s=200, mbid=mbid,
         uri="spotify:track:x", release_mbid=release,
         artist_mbids=" ".join(artists))  # fmt: skip
    run_until_idle(make_lb_delivery(), clock)
    body = submits(listenbrainz)[0].json()
    assert body["listen_type"] == "single"
    metadata = body["payload"][0]["track_metadata"]
    info = metadata["additional_info"]
    assert metadata["release_name"] == "Album"
    assert info["recording_mbid"] == mbid
    assert info["release_mbid"] == release
    assert info["artist_mbids"] == artists
    assert info["duration_ms"] == 200_000
    assert info["tracknumber"] == 3
    assert info["music_service"] == "spotify.com"
    assert info["media_player_version"] == "3.4.2"


def test_only_this_destinations_states_change(make_lb_delivery, store, clock):
    ids = plays(store, 3, destinations=("lastfm", "lb"))
    run_until_idle(make_lb_delivery(), clock)
    assert states(store, ids) == ["sent"] * 3
    assert states(store, ids, "lastfm") == ["pending"] * 3


def test_a_listen_the_server_names_is_rejected_with_its_reason_and_the_rest_sent(
    make_lb_delivery, store, listenbrainz, clock
):
    ids = plays(store, 4)
    future = play(store, n=9, at=NOW + 2 * HOUR)  # the server: "too high"
    run_until_idle(make_lb_delivery(), clock)
    assert states(store, ids) == ["sent"] * 4
    rejected = store.queue_to("lb").get(future)
    assert rejected.state == "rejected"
    assert "listened_at is too high" in rejected.last_error
    assert len(submits(listenbrainz)) == 2
    assert len(listenbrainz.listens_of("alice")) == 4


class Unnamed(ListenBrainzClient):
    """A server that refuses a bad import without naming the bad listen."""

    def submit_import(self, listens):
        try:
            return super().submit_import(listens)
        except ListenRefusedError as exc:
            raise ListenRefusedError(str(exc), exc.code) from None


def test_a_refusal_naming_no_listen_is_narrowed_down_by_halving(
    make_lb_delivery, store, listenbrainz, clock
):
    ids = plays(store, 8)
    bad = play(store, n=20, at=NOW + 2 * HOUR)
    base = factory(listenbrainz, clock)

    def unnamed(destination, proxy=None):
        client = base(destination)
        client.__class__ = Unnamed
        return client

    worker = make_lb_delivery(client_factory=unnamed)
    run_until_idle(worker, clock)
    assert states(store, ids) == ["sent"] * 8
    assert store.queue_to("lb").get(bad).state == "rejected"
    assert len(listenbrainz.listens_of("alice")) == 8
    assert len(submits(listenbrainz)) <= 2 * 4 + 1  # about log2(9) rounds of two


def test_a_play_listens_py_refuses_is_rejected_before_sending(
    make_lb_delivery, store, listenbrainz, clock
):
    old = play(store, at=1_000_000_000)  # 2001: before ListenBrainz
    run_until_idle(make_lb_delivery(), clock)
    assert "before October 2002" in store.queue_to("lb").get(old).last_error
    assert submits(listenbrainz) == []


def test_a_refused_token_keeps_the_queue_and_says_what_to_do_once(
    make_lb_delivery, store, listenbrainz, clock, caplog
):
    ids = plays(store, 2)
    worker = make_lb_delivery(token="not-a-known-token-1234")
    with caplog.at_level(logging.WARNING):
        run_for(worker, clock, BLOCKED_RECHECK_S / 2)
    assert worker.status().state == State.TOKEN_REFUSED
    assert states(store, ids) == ["pending"] * 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "mtscrobble/listenbrainz" in warnings[0].getMessage()
    assert len(listenbrainz.requests) == 1  # not asked again and again
    saved = store.delivery_status.load_for("lb")
    assert saved["state"] == "token refused"


def test_a_token_refused_while_sending_blocks_until_it_is_fixed(
    make_lb_delivery, store, listenbrainz, clock
):
    worker = make_lb_delivery()
    worker.step()
    listenbrainz.tokens.clear()  # the user revoked it
    ids = plays(store, 2)
    worker.step()
    assert worker.status().state == State.TOKEN_REFUSED
    assert states(store, ids) == ["pending"] * 2
    assert store.queue_to("lb").get(ids[0]).attempts == 0


def test_a_wrong_address_keeps_the_queue(make_lb_delivery, store, listenbrainz, clock):
    ids = plays(store, 2)
    worker = make_lb_delivery(url=listenbrainz.base_url + "/nowhere")
    run_for(worker, clock, 60)
    status = worker.status()
    assert status.state == State.WRONG_ADDRESS
    assert "does not know this address" in status.last_error
    assert states(store, ids) == ["pending"] * 2


def test_an_empty_rate_window_is_waited_for_without_a_429(
    make_lb_delivery, store, clock, tmp_path
):
    fake = FakeListenBrainz(clock=clock.wall, rate_limit=3, rate_window_s=60).start()
    try:
        clock.advance(60 - clock.wall() % 60)  # a window begins
        worker = make_lb_delivery(fake=fake)
        play(store, n=0)
        assert worker.step() == 0.0  # validate, listens, submit: the window is full
        play(store, n=1)
        wait = worker.step()
        assert 50 <= wait <= 60
        assert [r.status for r in fake.requests] == [200, 200, 200]
        clock.advance(wait)
        run_until_idle(worker, clock)
        assert 429 not in [r.status for r in fake.requests]
        assert len(fake.listens_of("alice")) == 2
    finally:
        fake.stop()


def test_a_429_waits_reset_in_and_counts_no_attempt(make_lb_delivery, store, clock):
    fake = FakeListenBrainz(clock=clock.wall, rate_limit=3, rate_window_s=60).start()
    try:
        clock.advance(60 - clock.wall() % 60)
        worker = make_lb_delivery(fake=fake)
        worker.step()  # validate, listens: one request left in the window
        other = factory(fake, clock)(worker.destination)
        other.validate_token()  # another client of this address takes it
        other.close()
        [entry] = [play(store)]
        wait = worker.step()
        assert fake.requests[-1].status == 429
        assert 50 <= wait <= 60
        assert store.queue_to("lb").get(entry).state == "pending"
        assert store.queue_to("lb").get(entry).attempts == 0
        clock.advance(wait)
        run_until_idle(worker, clock)
        assert len(fake.listens_of("alice")) == 1
    finally:
        fake.stop()


@pytest.mark.parametrize("kind", ["lost", "malformed", "applied_http"])
def test_a_lost_answer_is_found_among_the_listens_and_not_sent_again(
    make_lb_delivery, store, listenbrainz, clock, kind
):
    ids = plays(store, 3)
    listenbrainz.inject(Fault(kind, call="submit-listens"))
    worker = make_lb_delivery()
    worker.step()
    assert states(store, ids) == ["in_flight"] * 3
    run_until_idle(worker, clock)
    assert states(store, ids) == ["sent"] * 3
    assert len(submits(listenbrainz)) == 1
    assert len(listenbrainz.listens_of("alice")) == 3


def test_a_shortened_listen_whose_answer_was_lost_is_found_as_sent(
    make_lb_delivery, store, listenbrainz, clock
):
    # Found by the campaign: a listen too large is sent shortened, and the
    # check looked for its full names, never found it and sent it again.
    [entry] = [play(store, album="Album " * 2_000)]
    long_title = store.plays.enqueue(
        NewScrobble(artist="Artist", track="Title " * 3_000, timestamp=int(NOW) - 60),
        ("lb",), NOW,
    )  # fmt: skip
    listenbrainz.inject(Fault("lost", call="submit-listens"))
    worker = make_lb_delivery()
    worker.step()
    assert states(store, [entry, long_title]) == ["in_flight"] * 2
    run_until_idle(worker, clock)
    assert states(store, [entry, long_title]) == ["sent"] * 2
    assert len(submits(listenbrainz)) == 1


def test_a_listen_not_visible_yet_is_not_sent_again_within_the_window(
    make_lb_delivery, store, listenbrainz, clock
):
    listenbrainz.lag_s = 20 * 60  # the server's writer is backed up
    [entry] = [play(store)]
    listenbrainz.inject(Fault("lost", call="submit-listens"))
    worker = make_lb_delivery()
    worker.step()
    run_for(worker, clock, 19 * 60)
    assert states(store, [entry]) == ["in_flight"]
    run_until_idle(worker, clock)
    assert states(store, [entry]) == ["sent"]
    assert len(submits(listenbrainz)) == 1
    checks = listenbrainz.requests_for("listens")
    assert 3 <= len(checks) <= 9  # first after 30 s, then at doubling gaps
    assert checks[1].arrived_at - checks[0].arrived_at >= VISIBILITY_FIRST_CHECK_S


def test_a_listen_not_found_after_the_window_is_sent_once_more(
    make_lb_delivery, store, listenbrainz, clock
):
    [entry] = [play(store)]
    listenbrainz.inject(Fault("http", call="submit-listens", status=503))
    worker = make_lb_delivery()
    worker.step()  # 503 before the server took it: it never arrived
    sent_at = clock.wall()
    run_for(worker, clock, VISIBILITY_WINDOW_S - 60)
    assert states(store, [entry]) == ["in_flight"]
    assert len(submits(listenbrainz)) == 1
    run_until_idle(worker, clock)
    assert states(store, [entry]) == ["sent"]
    [_first, second] = submits(listenbrainz)
    assert second.arrived_at - sent_at >= VISIBILITY_WINDOW_S
    assert len(listenbrainz.listens_of("alice")) == 1


def test_an_unreachable_server_costs_no_checks_until_it_answers(
    make_lb_delivery, store, listenbrainz, clock
):
    worker = make_lb_delivery()
    worker.step()
    ids = plays(store, 2)
    listenbrainz.inject(Fault("lost", call="submit-listens"))
    worker.step()
    listenbrainz.inject(Fault("reset", count=10**6))
    run_for(worker, clock, HOUR)
    listenbrainz.faults.clear()
    run_until_idle(worker, clock)
    assert states(store, ids) == ["sent"] * 2
    assert len(submits(listenbrainz)) == 1
    assert len(listenbrainz.listens_of("alice")) == 2


def test_maloja_gets_one_listen_per_request(make_lb_delivery, store, clock):
    maloja = FakeListenBrainz(clock=clock.wall, maloja_mode=True).start()
    try:
        ids = plays(store, 3)
        worker = make_lb_delivery(fake=maloja)
        run_until_idle(worker, clock)
        assert states(store, ids) == ["sent"] * 3
        bodies = [r.json() for r in submits(maloja)]
        assert [b["listen_type"] for b in bodies] == ["single"] * 3
        assert len(maloja.listens_of("alice")) == 3
    finally:
        maloja.stop()


def test_maloja_lost_answer_is_sent_once_more_with_a_warning(
    make_lb_delivery, store, clock, caplog
):
    maloja = FakeListenBrainz(clock=clock.wall, maloja_mode=True).start()
    try:
        [entry] = [play(store)]
        maloja.inject(Fault("lost", call="submit-listens"))
        worker = make_lb_delivery(fake=maloja)
        with caplog.at_level(logging.WARNING):
            run_until_idle(worker, clock)
        assert states(store, [entry]) == ["sent"]
        assert len(submits(maloja)) == 2
        assert len(maloja.listens_of("alice")) == 1  # the same second: ignored
        assert any("sent once more" in r.getMessage() for r in caplog.records)
    finally:
        maloja.stop()


def test_playing_now_is_sent_and_never_queued(
    make_lb_delivery, store, listenbrainz, clock
):
    worker = make_lb_delivery()
    worker.now_playing(Track(uri="local:x", artist="A", title="T", length_ms=200_000))
    worker.step()
    [submit] = submits(listenbrainz)
    assert submit.json()["listen_type"] == "playing_now"
    assert store.plays.play_count() == 0


def test_a_failing_playing_now_is_dropped(make_lb_delivery, store, listenbrainz, clock):
    worker = make_lb_delivery()
    worker.step()
    listenbrainz.inject(Fault("http", call="submit-listens", status=503))
    worker.now_playing(Track(uri="local:x", artist="A", title="T", length_ms=200_000))
    worker.step()
    worker.step()
    assert len(submits(listenbrainz)) == 1
    assert worker.status().state == State.CONNECTED


def test_a_playing_now_too_large_goes_shortened_and_is_no_unexpected_error(
    make_lb_delivery, listenbrainz
):
    """Found by the fault campaign: a title over the size of a listen."""
    worker = make_lb_delivery()
    title = "x" * 20_000 + " #7"
    worker.now_playing(Track(uri="local:x", artist="A", title=title, length_ms=1000))
    assert worker.run_round() is None
    [submit] = submits(listenbrainz)
    assert submit.status == 200
    assert submit.json()["payload"][0]["track_metadata"]["track_name"].startswith("x")
    assert worker.unexpected_errors == 0


def test_playing_now_off_sends_none(make_lb_delivery, listenbrainz):
    worker = make_lb_delivery(now_playing_enabled=False)
    worker.now_playing(Track(uri="local:x", artist="A", title="T", length_ms=200_000))
    worker.step()
    assert submits(listenbrainz) == []


def test_a_second_delivery_to_the_same_destination_cannot_start(
    make_lb_delivery, tmp_path
):
    from mopidy_mtscrobble.errors import StorageError

    make_lb_delivery()
    with pytest.raises(StorageError, match="already sending the listens to lb"):
        make_lb_delivery()
    make_lb_delivery(name="other")  # another destination: its own lock


def test_a_server_down_at_start_is_asked_again_after_the_backoff_only(
    make_lb_delivery, store, listenbrainz, clock
):
    listenbrainz.inject(Fault("http", call="validate-token", count=3, status=503))
    worker = make_lb_delivery()
    wait = worker.step()
    for n in range(5):  # new plays wake the worker: no request before the wait ends
        play(store, n=n)
        assert worker.step() is not None
    assert len(listenbrainz.requests_for("validate-token")) == 1
    assert worker.status().state == State.RETRYING
    clock.advance(wait)
    run_until_idle(worker, clock)
    assert len(listenbrainz.listens_of("alice")) == 5


# Loves and unloves, as recording feedback, after the listens.

KNOWN = "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"


def love(store, action="love", track="Loved", destinations=("lb",), mbid=KNOWN):
    match = LocalMatch(uri=f"local:track:{track}", name=track)
    if action == "love":
        store.loves.love("Artist", track, match, destinations, NOW, mbid)
    else:
        store.loves.unlove([], ("Artist", track), destinations, NOW, mbid)


def test_loves_and_unloves_go_as_feedback_after_the_listens(
    make_lb_delivery, store, listenbrainz, clock
):
    plays(store, 3)
    love(store)
    love(store, "unlove", track="Unloved",
         mbid="0f5e4a5d-1d4c-4c0c-9a47-ffbd6c5a9f3b")  # fmt: skip
    run_until_idle(make_lb_delivery(), clock)
    calls = [r.call for r in listenbrainz.requests]
    assert calls.index("submit-listens") < calls.index("feedback")
    assert listenbrainz.feedback == {("alice", KNOWN): 1}
    assert [r.json()["score"] for r in listenbrainz.requests_for("feedback")] == [1, 0]
    assert store.love_queue_to("lb").counts()["sent"] == 2
    assert store.love_queue_to("lastfm").counts()["pending"] == 0  # not queued there


def test_a_refused_token_on_a_love_keeps_it_for_later(
    make_lb_delivery, store, listenbrainz, clock
):
    worker = make_lb_delivery()
    worker.step()  # the token is accepted
    love(store)
    listenbrainz.inject(Fault("refuse", "feedback", status=401,
                             message="Invalid authorization token."))  # fmt: skip
    run_until_idle(worker, clock, max_steps=5)
    assert worker.status().state == State.TOKEN_REFUSED
    [action] = store.love_queue_to("lb").due(clock.wall(), 10)
    assert action.state == "pending"
    clock.advance(BLOCKED_RECHECK_S)
    run_until_idle(worker, clock)
    assert listenbrainz.feedback == {("alice", KNOWN): 1}
