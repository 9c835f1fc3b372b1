"""Whatever a server, proxy or captive portal answers: a result or a classified error.

Every answer that is not a well-formed success becomes a LastfmError whose
class says what delivery does: an "answer lost" (the request may have been
applied: scrobbles are checked before they are resent), a temporary error, a
refusal of the request's content, or a Last.fm error by its code.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mopidy_mtscrobble.errors import (
    AnswerLostError,
    HttpRefusedError,
    InvalidParametersError,
    LastfmError,
    NeedsReauthError,
    NoAnswerError,
    RateLimitedError,
    RequestError,
    TransientError,
)
from mopidy_mtscrobble.lastfm import LastfmClient, read_answer
from mopidy_mtscrobble.ratelimit import RateLimiter
from mopidy_mtscrobble.settings import Settings

from ..fakes.lastfm import Fault
from ..fakes.lastfm.server import AFTER_KINDS, BEFORE_KINDS

OK = b'<?xml version="1.0" encoding="UTF-8"?>\n<lfm status="ok"><token>t</token></lfm>'
PORTAL = b"<!DOCTYPE html><html><body>Accept the terms</body></html>"


@pytest.mark.parametrize(
    ("status", "body", "method", "error"),
    [
        (200, b'<lfm status="failed"><error code="6">Bad</error></lfm>',
         "track.scrobble", InvalidParametersError),
        (403, b'<lfm status="failed"><error code="9">Invalid session</error></lfm>',
         "track.scrobble", NeedsReauthError),
        # pylast raised IndexError on these two, AttributeError on the third.
        (200, b'<lfm status="failed"/>', "track.scrobble", AnswerLostError),
        (200, b'<lfm status="failed"><oops/></lfm>', "track.love", AnswerLostError),
        (200, b'<lfm status="failed"><error code="8"/></lfm>', "track.scrobble",
         AnswerLostError),
        (200, b'<lfm status="failed"><error code="\xc2\xb2">x</error></lfm>',
         "track.love", AnswerLostError),
        # pylast raised UnicodeDecodeError.
        (200, b'<?xml version="1.0"?><lfm status="ok">\xff\xfe</lfm>',
         "track.scrobble", AnswerLostError),
        (200, PORTAL, "track.scrobble", AnswerLostError),
        (200, b"", "track.scrobble", AnswerLostError),
        (200, b'<lfm status="maybe"/>', "track.scrobble", AnswerLostError),
        (200, b"<a>" * 50_000, "track.scrobble", AnswerLostError),
        (200, b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
              b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
              b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
              b'<lfm status="ok">&c;</lfm>',
         "track.scrobble", None),  # small entities are fine; expat refuses bombs
        (302, PORTAL, "track.scrobble", TransientError),
        (413, b"<html>Too large</html>", "track.scrobble", HttpRefusedError),
        (400, b"", "track.scrobble", HttpRefusedError),
        (429, b"", "track.scrobble", RateLimitedError),
        (404, b"<html>Not found</html>", "track.scrobble", RequestError),
        (407, b"", "track.love", RequestError),
        (503, b"<html>Bad gateway</html>", "track.love", AnswerLostError),
        (520, b"", "track.love", AnswerLostError),
        (503, b'<lfm status="failed"><error code="11">Offline</error></lfm>',
         "track.scrobble", AnswerLostError),
        (200, b'<lfm status="failed"><error code="16">Temp</error></lfm>',
         "track.love", TransientError),
        (500, OK, "auth.getToken", AnswerLostError),
    ],
)  # fmt: skip
def test_answers_are_classified(status, body, method, error):
    if error is None:
        assert read_answer(status, body, "Last.fm", method) is not None
        return
    with pytest.raises(error) as raised:
        read_answer(status, body, "Last.fm", method)
    if error is TransientError:
        assert not isinstance(raised.value, AnswerLostError)
    assert "Last.fm" in str(raised.value)


def test_temporary_errors_are_uncertain_only_for_scrobbles():
    body = b'<lfm status="failed"><error code="8">Failed</error></lfm>'
    with pytest.raises(AnswerLostError):
        read_answer(200, body, "Last.fm", "track.scrobble")
    with pytest.raises(TransientError) as raised:
        read_answer(200, body, "Last.fm", "track.love")
    assert not isinstance(raised.value, AnswerLostError)


def test_a_billion_laughs_is_refused_not_expanded():
    entities = "".join(
        f'<!ENTITY e{i} "{"".join(f"&e{i - 1};" for _ in range(10))}">'
        for i in range(1, 10)
    )
    body = (
        f'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY e0 "lol">{entities}]>'
        '<lfm status="ok">&e9;</lfm>'
    ).encode()
    with pytest.raises(AnswerLostError):
        read_answer(200, body, "Last.fm", "track.scrobble")


lfm_bodies = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.builds(
        lambda status, inner: f'<lfm status="{status}">{inner}</lfm>'.encode(),
        st.sampled_from(["ok", "failed", "", "x"]),
        st.sampled_from([
            "", "<error/>", '<error code="">t</error>', '<error code="29"/>',
            '<error code="-1">t</error>',
            '<error code="99999999999999999999">t</error>',
            "<scrobbles><scrobble/></scrobbles>",
            "<recenttracks><track/></recenttracks>",
        ]),
    ),
)  # fmt: skip


@given(st.integers(100, 999), lfm_bodies, st.sampled_from(
    ["track.scrobble", "track.love", "user.getRecentTracks", "auth.getSession"]
))  # fmt: skip
def test_any_answer_is_a_document_or_a_classified_error(status, body, method):
    with contextlib.suppress(LastfmError):
        read_answer(status, body, "Last.fm", method)


@pytest.fixture
def client(lastfm):
    settings = Settings(
        network="custom",
        api_url=lastfm.url,
        api_key=lastfm.api_key,
        api_secret=lastfm.api_secret,
    )
    made = LastfmClient(
        settings, session_key=lastfm.add_user("alice"), limiter=RateLimiter()
    )
    yield made
    made.close()


CALLS = {
    "track.scrobble": lambda c: c.scrobble([{"artist": "A", "track": "T",
                                             "timestamp": 1_700_000_000}]),
    "user.getRecentTracks": lambda c: c.recent_tracks("alice", 0, 2_000_000_000),
    "user.getLovedTracks": lambda c: c.loved_tracks("alice", 1),
    "user.getTopTracks": lambda c: c.top_tracks("alice", 1),
    "track.love": lambda c: c.love("A", "T"),
    "auth.getToken": lambda c: c.get_token(),
}  # fmt: skip


# Calls whose "ok" answer of any shape is harmless: nothing in it decides a
# fate. Not track.love: an "ok" holding anything but nothing is not its answer
# (the campaign found a love taken as done that the server never applied).
LENIENT = {"user.getLovedTracks", "user.getTopTracks"}


@pytest.mark.parametrize("kind", sorted(BEFORE_KINDS | AFTER_KINDS))
@pytest.mark.parametrize("method", sorted(CALLS))
def test_every_fault_the_fake_server_makes_is_a_lastfm_error(
    client, lastfm, kind, method
):
    lastfm.inject(Fault(kind, method, status=502, code=16, seconds=0.01))
    if kind == "odd" and method in LENIENT:
        CALLS[method](client)  # an empty page, or "done": nothing to misread
        return
    with pytest.raises(LastfmError) as raised:
        CALLS[method](client)
    applied_maybe = kind in AFTER_KINDS or kind in {"http", "hang", "reset"}
    if method == "track.scrobble" and applied_maybe:
        assert isinstance(raised.value, AnswerLostError)  # checked before resending
    if kind == "odd" and method == "track.love":
        assert isinstance(raised.value, AnswerLostError)  # sent again (harmless)
    if kind in {"hang", "reset", "lost"}:
        assert isinstance(raised.value, NoAnswerError)
        assert raised.value.network_level


def test_a_now_playing_item_in_recent_tracks_is_not_a_scrobble(client, lastfm):
    lastfm.now_playing.append({"user": "alice", "artist": "A", "track": "Now"})
    assert client.recent_tracks("alice", 0, 2_000_000_000) == []


def test_requests_carry_our_user_agent_but_others_keep_pylasts(client, lastfm):
    import pylast

    client.get_token()
    [request] = lastfm.requests_for("auth.getToken")
    assert request.user_agent.startswith("Mopidy-MTScrobble/")
    assert pylast.HEADERS.get("User-Agent", "").startswith("pylast")


def test_the_servers_date_is_reported(lastfm):
    seen = []
    settings = Settings(
        network="custom", api_url=lastfm.url, api_key=lastfm.api_key,
        api_secret=lastfm.api_secret,
    )  # fmt: skip
    lastfm.clock = lambda: 1_700_000_000.0
    client = LastfmClient(settings, on_server_date=seen.append)
    client.get_token()
    client.close()
    assert seen == [1_700_000_000.0]
