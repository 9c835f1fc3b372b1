"""Loves and unloves sent to ListenBrainz as recording feedback, against the
fake server: the recording by the track's own id or a metadata lookup, once;
what cannot be identified, said once; failures of the action and of the
connection told apart. Time is the test's; nothing sleeps."""

from __future__ import annotations

import logging
import random

import pytest

from mopidy_mtscrobble.delivery.feedback import FeedbackSender
from mopidy_mtscrobble.errors import (
    RateLimitedError,
    TokenRefusedError,
    UnreachableError,
)
from mopidy_mtscrobble.listenbrainz import ListenBrainzClient, Timeouts
from mopidy_mtscrobble.store import LocalMatch, Store

from ..fakes.listenbrainz import FakeListenBrainz, Fault
from ..support.mopidy_server import free_port

NOW = 1_800_000_000
LB = "listenbrainz"
KNOWN = "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"
FOUND = "0f5e4a5d-1d4c-4c0c-9a47-ffbd6c5a9f3b"
TOKEN = "alice-token-0001"
SHORT = Timeouts(connect_s=5.0, read_s=5.0)


class Clock:
    """Wall time for the store, the sender and the fake server alike."""

    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now - NOW


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def fake(clock):
    server = FakeListenBrainz(clock=clock, rate_limit=None).start()
    server.add_user("alice", TOKEN)
    yield server
    server.stop()


@pytest.fixture
def store(tmp_path):
    opened = Store.open(tmp_path, NOW)
    yield opened
    opened.close()


@pytest.fixture
def make_sender(fake, store, clock):
    clients = []

    def make(token=TOKEN, base_url=None, server=fake):
        client = ListenBrainzClient(
            token, base_url or server.base_url, verify=server.client_context(),
            timeouts=SHORT, clock=clock,
        )  # fmt: skip
        clients.append(client)
        queue = store.love_queue_to(LB)
        return FeedbackSender(client, queue, clock, random.Random(1))

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def sender(make_sender):
    return make_sender()


def love(store, artist="Artist", track="Title", mbid=None):
    store.loves.love(artist, track, LocalMatch(f"local:{track}"), (LB,), NOW, mbid)
    return store.love_queue_to(LB).due(NOW, 1000)[-1].id


def unlove(store, artist="Artist", track="Title", mbid=None):
    store.loves.unlove([], (artist, track), (LB,), NOW, mbid)
    return store.love_queue_to(LB).due(NOW, 1000)[-1].id


def run_until_idle(sender, max_steps=20):
    for _ in range(max_steps):
        if sender.step() is None:
            return
    raise AssertionError("the sender never went idle")


def lookup_answer(recording):
    return {
        "artist_credit_name": "Artist", "artist_mbids": [],
        "recording_mbid": recording, "recording_name": "Title",
        "release_mbid": None, "release_name": None,
    }  # fmt: skip


def state(store, action_id):
    return store.love_queue_to(LB).get(action_id)


def test_a_love_with_the_tracks_own_recording_is_sent_without_a_lookup(
    fake, store, sender
):
    action_id = love(store, mbid=KNOWN)
    assert sender.step() == 0.0
    assert sender.step() is None
    assert fake.feedback == {("alice", KNOWN): 1}
    assert fake.requests_for("lookup") == []
    assert (state(store, action_id).state, state(store, action_id).sent_at) == (
        "sent", NOW,
    )  # fmt: skip


def test_a_love_is_sent_for_the_recording_the_lookup_finds_looked_up_once(
    fake, store, sender
):
    fake.add_lookup("Artist", "Title", lookup_answer(FOUND))
    action_id = love(store)
    assert sender.step() == 0.0  # the lookup: one request a step
    assert state(store, action_id).recording_mbid == FOUND
    assert fake.feedback == {}
    run_until_idle(sender)
    assert fake.feedback == {("alice", FOUND): 1}
    assert len(fake.requests_for("lookup")) == 1
    assert state(store, action_id).state == "sent"


def test_a_recording_found_is_not_looked_up_again_after_a_failure(
    fake, store, sender, clock
):
    fake.add_lookup("Artist", "Title", lookup_answer(FOUND))
    love(store)
    fake.inject(Fault("http", "feedback", status=503))
    sender.step()
    wait = sender.step()
    assert wait > 0
    clock.now += wait
    run_until_idle(sender)
    assert fake.feedback == {("alice", FOUND): 1}
    assert len(fake.requests_for("lookup")) == 1


def test_an_unlove_clears_the_feedback_with_score_zero(fake, store, sender):
    love(store, mbid=KNOWN)
    run_until_idle(sender)
    action_id = unlove(store, mbid=KNOWN)
    run_until_idle(sender)
    assert [r.json()["score"] for r in fake.requests_for("feedback")] == [1, 0]
    assert fake.feedback == {}
    assert state(store, action_id).state == "sent"


def test_an_unidentified_love_is_said_once_and_listed(
    fake, store, sender, clock, caplog
):
    caplog.set_level(logging.INFO, "mopidy_mtscrobble")
    fake.inject(Fault("http", "lookup", status=503))  # first, a retry
    action_id = love(store, "Nobody", "Unknown")
    wait = sender.step()
    clock.now += wait
    run_until_idle(sender)
    assert fake.feedback == {}
    assert len(fake.requests_for("lookup")) == 2
    said = [r for r in caplog.records if "Nobody - Unknown" in r.getMessage()]
    assert [r.levelno for r in said] == [logging.INFO]
    assert "knows no recording" in said[0].getMessage()
    [listed] = store.loves.listing(("unidentified",), 10)
    assert (listed.id, listed.destination) == (action_id, LB)
    assert "knows no recording by this artist and title" in listed.last_error
    assert sender.step() is None
    assert len(said) == 1


def test_a_server_failure_is_retried_later_with_a_backoff(fake, store, sender, clock):
    action_id = love(store, mbid=KNOWN)
    fake.inject(Fault("http", "feedback", status=503, count=2))
    first = sender.step()
    waiting = state(store, action_id)
    assert (waiting.state, waiting.attempts) == ("pending", 1)
    assert "503" in waiting.last_error
    assert waiting.next_attempt_at == int(NOW + first)
    # Nothing is due before then, and nothing is asked of the server.
    clock.now += first / 2
    assert sender.step() == pytest.approx(int(NOW + first) - clock.now)
    assert len(fake.requests_for("feedback")) == 1
    clock.now = waiting.next_attempt_at
    second = sender.step()
    assert second > first  # the backoff grows
    clock.now += second
    run_until_idle(sender)
    assert state(store, action_id).state == "sent"
    assert sender.backoff.failures == 0


def test_a_refusal_rejects_the_action_with_the_servers_reason(
    fake, store, sender, caplog
):
    caplog.set_level(logging.INFO, "mopidy_mtscrobble")
    action_id = love(store, mbid=KNOWN)
    fake.inject(Fault("refuse", "feedback", status=400, message="Bad recording."))
    assert sender.step() == 0.0
    rejected = state(store, action_id)
    assert rejected.state == "rejected"
    assert "Bad recording." in rejected.last_error
    assert store.love_queue_to(LB).refused() == [rejected]
    assert sender.step() is None
    assert len(fake.requests_for("feedback")) == 1


def test_a_refused_token_is_raised_and_the_action_kept(store, make_sender):
    sender = make_sender(token="not-a-known-token")
    action_id = love(store, mbid=KNOWN)
    with pytest.raises(TokenRefusedError):
        sender.step()
    kept = state(store, action_id)
    assert (kept.state, kept.attempts, kept.next_attempt_at) == ("pending", 0, None)


def test_a_rate_limit_is_raised_with_the_wait_and_the_action_kept(
    store, clock, make_sender
):
    fake = FakeListenBrainz(clock=clock, rate_limit=1, rate_window_s=10).start()
    try:
        fake.add_user("alice", TOKEN)
        sender = make_sender(server=fake)
        first, second = love(store, mbid=KNOWN), love(store, "A", "B", mbid=FOUND)
        assert sender.step() == 0.0
        with pytest.raises(RateLimitedError) as raised:
            sender.step()
        assert 0 < raised.value.wait_s <= 10
        assert state(store, first).state == "sent"
        kept = state(store, second)
        assert (kept.state, kept.attempts, kept.next_attempt_at) == (
            "pending", 0, None,
        )  # fmt: skip
        clock.now += raised.value.wait_s
        run_until_idle(sender)
        assert state(store, second).state == "sent"
    finally:
        fake.stop()


def test_no_network_is_raised_and_the_action_kept(store, make_sender):
    port = free_port()  # nothing listens there
    sender = make_sender(base_url=f"https://127.0.0.1:{port}")
    action_id = love(store, mbid=KNOWN)
    with pytest.raises(UnreachableError) as raised:
        sender.step()
    assert raised.value.network_level
    kept = state(store, action_id)
    assert (kept.state, kept.attempts, kept.next_attempt_at) == ("pending", 0, None)


def test_actions_go_oldest_first_one_request_a_step(fake, store, sender):
    love(store, "A", "One", mbid=KNOWN)
    unlove(store, "A", "One", mbid=KNOWN)
    love(store, "B", "Two", mbid=FOUND)
    for sent in range(1, 4):
        assert sender.step() == 0.0
        assert len(fake.requests) == sent
    assert sender.step() is None
    assert fake.feedback == {("alice", FOUND): 1}


def test_an_unlove_never_overtakes_a_love_waiting_to_be_tried_again(
    fake, store, sender, clock
):
    # Found by the fault campaign: the unlove went first, then the love was
    # tried again, and the server showed loved what was last unloved.
    love(store, mbid=KNOWN)
    fake.inject(Fault("http", "feedback", status=503))
    wait = sender.step()
    assert wait > 0
    store.loves.unlove([], ("Artist", "Title"), (LB,), NOW, KNOWN)
    assert sender.step() == pytest.approx(wait, abs=1)  # none before the love
    assert len(fake.requests_for("feedback")) == 1
    clock.now += wait
    run_until_idle(sender)
    assert [r.json()["score"] for r in fake.requests_for("feedback")] == [1, 1, 0]
    assert fake.feedback == {}
