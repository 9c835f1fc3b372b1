"""The ListenBrainz client against the fake server over HTTPS: every call, every
fault classified (uncertain only where a submission may have been queued),
the size rules, a base URL with a path, Maloja, and the rate-limit headers.
"""

from __future__ import annotations

import pytest

from mopidy_mtscrobble.errors import (
    AnswerLostError,
    ConnectionLostError,
    InvalidParametersError,
    LastfmError,
    ListenRefusedError,
    NoAnswerError,
    NotSupportedError,
    RateLimitedError,
    TokenRefusedError,
    TransientError,
    UnreachableError,
    WrongAddressError,
)
from mopidy_mtscrobble.listenbrainz import (
    ListenBrainzClient,
    Play,
    Timeouts,
    batches,
    fitted,
    listen_of,
    playing_now_of,
)

from ..fakes.listenbrainz import FakeListenBrainz, Fault
from ..fakes.listenbrainz.server import AFTER_KINDS, BEFORE_KINDS
from ..support.mopidy_server import free_port

NOW = 1_800_000_000
RECORDING = "0f5e4a5d-1d4c-4c0c-9a47-ffbd6c5a9f3b"
SHORT = Timeouts(connect_s=5.0, read_s=5.0)


class Clock:
    """The fake server's time, moved by the test."""

    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def fake(clock):
    server = FakeListenBrainz(clock=clock, rate_limit=None).start()
    yield server
    server.stop()


def make_client(fake, token=None, base_url=None, timeouts=SHORT, clock=None):
    return ListenBrainzClient(
        token if token is not None else fake.add_user("alice", "alice-token-0001"),
        base_url or fake.base_url,
        verify=fake.client_context(),
        timeouts=timeouts,
        clock=clock or fake.clock,
    )


@pytest.fixture
def client(fake):
    made = make_client(fake)
    yield made
    made.close()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: connections are refused."""
    return free_port()


def listen(at=NOW - 300, **changes):
    return listen_of(Play(**{"artist": "Artist", "title": "Title", "started_at": at,
                             **changes}))  # fmt: skip


def test_a_valid_token_names_its_user_and_an_invalid_one_is_refused(fake, client):
    assert client.validate_token().user_name == "alice"
    other = make_client(fake, token="not-a-known-token")
    with pytest.raises(TokenRefusedError, match="not valid"):
        other.validate_token()
    other.close()


def test_every_request_says_who_we_are_and_carries_json_and_the_token(fake, client):
    client.validate_token()
    client.submit_single(listen())
    client.listens("alice")
    for request in fake.requests:
        assert request.headers["authorization"] == "Token alice-token-0001"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["user-agent"].startswith("Mopidy-MTScrobble/")


def test_a_listen_sent_is_listed_newest_first_within_exclusive_bounds(fake, client):
    for at in (NOW - 30, NOW - 20, NOW - 10):
        client.submit_single(listen(at, recording_mbid=RECORDING))
    found = client.listens("alice").listens
    assert [x.listened_at for x in found] == [NOW - 10, NOW - 20, NOW - 30]
    assert found[0].recording_mbid == RECORDING
    assert found[0].recording_msid
    assert (found[0].artist, found[0].title) == ("Artist", "Title")
    between = client.listens("alice", min_ts=NOW - 30, max_ts=NOW - 10).listens
    assert [x.listened_at for x in between] == [NOW - 20]
    after = client.listens("alice", min_ts=NOW - 31, count=2).listens
    assert [x.listened_at for x in after] == [NOW - 20, NOW - 30]


def test_a_duplicate_is_taken_silently_and_kept_once(fake, client):
    client.submit_single(listen())
    client.submit_single(listen())
    client.submit_import([listen(), listen(album="Other")])
    assert len(fake.listens_of("alice")) == 2  # another release: another listen


def test_listens_show_only_after_the_servers_lag(fake, client, clock):
    fake.lag_s = 5
    client.submit_single(listen())
    assert client.listens("alice").listens == []
    clock.now += 5
    assert len(client.listens("alice").listens) == 1


def test_a_large_history_goes_in_imports_the_server_takes(fake, client):
    plays = [
        fitted(listen(NOW - 10 * i, artist="A" * (1 + i * 7 % 12_000)))
        for i in range(2100)
    ]
    for batch in batches(plays):
        client.submit_import(batch)
    assert [len(r.json()["payload"]) for r in fake.requests_for("submit-listens")] == [
        1000, 1000, 100,
    ]  # fmt: skip
    assert len(fake.listens_of("alice")) == 2100


def test_the_client_sends_no_listen_the_server_would_refuse_as_too_large(client):
    with pytest.raises(ValueError, match="fitted"):
        client.submit_single(listen(artist="A" * 20_000))
    with pytest.raises(ValueError, match="1 to 1000"):
        client.submit_import([])


def test_a_refused_import_names_its_bad_listen(fake, client):
    bad = {"listened_at": 5, "track_metadata": {"artist_name": "B", "track_name": "T"}}
    with pytest.raises(ListenRefusedError) as refused:
        client.submit_import([listen(), bad])
    assert refused.value.listen == bad
    assert "too low" in str(refused.value)
    assert fake.listens_of("alice") == []  # one bad listen rejects the request


def test_a_listen_too_far_in_the_servers_future_is_refused(client, clock):
    with pytest.raises(ListenRefusedError, match="too high"):
        client.submit_single(listen(NOW + 3600))


@pytest.mark.parametrize(
    ("params", "error"),
    [({"min_ts": NOW, "max_ts": NOW}, InvalidParametersError),
     ({"user": "bob"}, WrongAddressError)],
)  # fmt: skip
def test_bad_reads_are_refused(client, params, error):
    user = params.pop("user", "alice")
    with pytest.raises(error):
        client.listens(user, **params)


def test_playing_now_is_shown_but_not_kept(fake, client, clock):
    client.submit_playing_now(playing_now_of(Play("A", "Now", 0, duration_ms=90_000)))
    metadata, until = fake.playing_now["alice"]
    assert metadata["track_name"] == "Now"
    assert until == NOW + 90
    assert fake.listens == []


def test_feedback_is_set_and_cleared(fake, client):
    client.send_feedback(1, recording_mbid=RECORDING.upper())
    assert fake.feedback == {("alice", RECORDING): 1}
    client.send_feedback(0, recording_mbid=RECORDING)
    assert fake.feedback == {}
    with pytest.raises(InvalidParametersError, match="recording_msid"):
        client.send_feedback(1, recording_msid="nope")
    with pytest.raises(ValueError, match="score"):
        client.send_feedback(2, recording_mbid=RECORDING)


def test_lookup_finds_a_recording_or_nothing(fake, client):
    fake.add_lookup("Artist", "Title", {
        "artist_credit_name": "Artist", "artist_mbids": [RECORDING],
        "recording_mbid": RECORDING, "recording_name": "Title",
        "release_mbid": RECORDING, "release_name": "R",
    })  # fmt: skip
    match = client.lookup("artist", "TITLE")
    assert (match.recording_mbid, match.artist_mbids) == (RECORDING, (RECORDING,))
    assert client.lookup("Nobody", "Nothing").recording_mbid is None
    asked = len(fake.requests)
    assert client.lookup("A" * 200, "T" * 51).recording_mbid is None
    assert len(fake.requests) == asked  # the server refuses names that long


CALLS = {
    "submit-listens": lambda c: c.submit_import([listen()]),
    "playing-now": lambda c: c.submit_playing_now(playing_now_of(Play("A", "T", 0))),
    "validate-token": lambda c: c.validate_token(),
    "listens": lambda c: c.listens("alice"),
    "feedback": lambda c: c.send_feedback(1, recording_mbid=RECORDING),
    "lookup": lambda c: c.lookup("A", "T"),
}  # fmt: skip
FAULT_CALL = {"playing-now": "submit-listens"}


@pytest.mark.parametrize("kind", sorted(BEFORE_KINDS | AFTER_KINDS))
@pytest.mark.parametrize("call", sorted(CALLS))
def test_every_fault_is_classified_and_uncertain_only_for_listens(
    fake, client, kind, call
):
    # A feedback answered with something other than {"status": "ok"} is not
    # taken as done either: the campaign found a love the server never stored.
    fake.inject(Fault(kind, FAULT_CALL.get(call, call), status=502, seconds=0.01))
    with pytest.raises(LastfmError) as raised:
        CALLS[call](client)
    error = raised.value
    assert isinstance(error, TransientError)
    uncertain = kind in AFTER_KINDS or kind in {"http", "hang", "reset"}
    if call == "submit-listens":
        assert isinstance(error, AnswerLostError) == (
            uncertain or kind in {"portal", "not_json", "odd"}
        )
    else:
        assert not isinstance(error, AnswerLostError)
    assert error.network_level == (kind in {"hang", "reset", "lost"})


def test_a_listen_applied_then_lost_is_found_by_reading_back(fake, client):
    fake.inject(Fault("lost", "submit-listens"))
    with pytest.raises(NoAnswerError):
        client.submit_single(listen())
    [seen] = client.listens("alice", min_ts=NOW - 301, max_ts=NOW - 299).listens
    assert seen.listened_at == NOW - 300


def test_a_read_timeout_is_uncertain_for_a_submission_only(fake):
    client = make_client(fake, timeouts=Timeouts(connect_s=5.0, read_s=0.3))
    fake.inject(Fault("hang", seconds=None, count=2))
    with pytest.raises(NoAnswerError, match="timed out"):
        client.submit_single(listen())
    with pytest.raises(ConnectionLostError):
        client.listens("alice")
    client.close()


def test_a_refused_connection_is_unreachable_not_uncertain():
    port = closed_port()
    client = ListenBrainzClient("t0ken", f"https://127.0.0.1:{port}")
    with pytest.raises(UnreachableError) as raised:
        client.submit_single(listen())
    assert not isinstance(raised.value, AnswerLostError)
    client.close()


def test_requests_go_through_mopidys_proxy(fake):
    port = closed_port()
    client = ListenBrainzClient(
        fake.add_user("alice", "alice-token-0001"), fake.base_url,
        proxy=f"http://127.0.0.1:{port}", verify=fake.client_context(),
    )  # fmt: skip
    with pytest.raises(UnreachableError):  # the proxy is down, not the server
        client.validate_token()
    assert fake.requests == []
    client.close()


@pytest.mark.parametrize("suffix", ["", "/", "/1", "/1/"])
def test_a_base_url_with_a_path_is_kept(clock, suffix):
    fake = FakeListenBrainz(clock=clock, rate_limit=None, prefix="/lb/api").start()
    try:
        client = make_client(fake, base_url=fake.base_url + suffix)
        assert client.validate_token().user_name == "alice"
        assert fake.requests[0].path == "/lb/api/1/validate-token"
        client.close()
    finally:
        fake.stop()


def test_a_wrong_base_url_is_a_wrong_address(fake):
    client = make_client(fake, base_url=fake.base_url + "/elsewhere")
    with pytest.raises(WrongAddressError):
        client.validate_token()
    client.close()
    with pytest.raises(WrongAddressError):
        ListenBrainzClient("t0ken", "ftp://example.org")


def test_rate_limit_headers_come_with_every_answer_and_429_says_when(clock):
    fake = FakeListenBrainz(clock=clock, rate_limit=3, rate_window_s=10).start()
    clock.now = NOW + 4  # windows end at multiples of 10 s
    try:
        client = make_client(fake)
        assert client.validate_token().rate.remaining == 2
        with pytest.raises(InvalidParametersError):
            client.listens("alice", min_ts=5, max_ts=1)
        assert client.rate_limit.remaining == 1
        rate = client.submit_single(listen()).rate
        assert (rate.limit, rate.remaining, rate.reset_in_s) == (3, 0, 6.0)
        with pytest.raises(RateLimitedError) as raised:
            client.listens("alice")
        assert raised.value.wait_s == 6.0
        assert client.rate_limit.remaining == 0
        clock.now += 6
        assert client.listens("alice").rate.remaining == 2
        client.close()
    finally:
        fake.stop()


def test_the_token_is_never_in_an_error_or_a_repr(fake, caplog):
    token = "alice-token-0001"
    client = make_client(fake)
    fake.inject(Fault("http", status=500))
    errors = []
    for call in (lambda: client.submit_single(listen()),
                 lambda: make_client(fake, token="bad token").validate_token(),
                 lambda: client.listens("nobody")):  # fmt: skip
        with pytest.raises(LastfmError) as raised:
            call()
        errors.append(raised.value)
    for text in [repr(client), *map(str, errors), *map(repr, errors), caplog.text]:
        assert token not in text
    client.close()


# Maloja's ListenBrainz API.


@pytest.fixture
def maloja(clock):
    server = FakeListenBrainz(clock=clock, maloja_mode=True).start()
    yield server
    server.stop()


def test_maloja_takes_listens_under_its_path_and_refuses_what_it_lacks(maloja):
    client = make_client(maloja, token=maloja.add_user("NAME", "maloja-key-0001"))
    assert client.base_url.endswith("/apis/listenbrainz")
    assert client.validate_token().user_name == "NAME"
    client.submit_single(listen())
    client.submit_playing_now(playing_now_of(Play("A", "T", 0)))
    assert [x["listened_at"] for x in maloja.listens] == [NOW - 300]
    for call in (
        lambda: client.listens("NAME"),
        lambda: client.lookup("A", "T"),
        lambda: client.send_feedback(1, recording_mbid=RECORDING),
    ):
        with pytest.raises(NotSupportedError):
            call()
    assert all(r.headers["content-type"] == "application/json" for r in maloja.requests)
    client.close()


def test_maloja_refuses_a_bad_key_and_a_second_taken_by_another_track(maloja):
    bad = make_client(maloja, token="unknown-key")
    with pytest.raises(TokenRefusedError):
        bad.validate_token()
    bad.close()
    client = make_client(maloja, token=maloja.add_user("NAME", "maloja-key-0001"))
    client.submit_single(listen())
    client.submit_single(listen())  # the same track in the same second: dropped
    with pytest.raises(ListenRefusedError):
        client.submit_single(listen(title="Another"))
    assert len(maloja.listens) == 1
    client.close()
