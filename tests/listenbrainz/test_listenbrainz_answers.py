"""Whatever a ListenBrainz server, Maloja, a proxy or a captive portal answers:
a JSON object, or an error whose class says what delivery does with it.
"""

from __future__ import annotations

import contextlib
import json

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mopidy_mtscrobble.errors import (
    AnswerLostError,
    ConnectionLostError,
    HttpRefusedError,
    InvalidParametersError,
    LastfmError,
    ListenRefusedError,
    NoAnswerError,
    NotSupportedError,
    RateLimitedError,
    RequestError,
    TokenRefusedError,
    TransientError,
    UnreachableError,
    WrongAddressError,
)
from mopidy_mtscrobble.listenbrainz import RateLimit, read_answer
from mopidy_mtscrobble.listenbrainz.answers import Exchange, network_error

SECRET = "s3cr3t-token-0123456789"
SUBMIT = Exchange("ListenBrainz", "submit-listens (import)", True, True, SECRET)
NOW_PLAYING = Exchange("ListenBrainz", "submit-listens (playing_now)", False, True)
READ = Exchange("ListenBrainz", "listens", False, False, SECRET)
BAD_LISTEN = json.dumps({
    "code": 400, "error": "Value for key listened_at is too low.",
    "listened_at": 5, "track_metadata": {"artist_name": "A", "track_name": "T"},
}).encode()  # fmt: skip
MALOJA_401 = b'{"status":"failure","error":{"type":"authentication_fail","desc":"no"}}'
PORTAL = b"<!DOCTYPE html><html><body>Accept the terms</body></html>"


@pytest.mark.parametrize(
    ("status", "body", "exchange", "error"),
    [
        (400, BAD_LISTEN, SUBMIT, ListenRefusedError),
        (400, b'{"code":400,"error":"bad"}', NOW_PLAYING, ListenRefusedError),
        (400, b'{"code":400,"error":"min_ts should be less than max_ts"}', READ,
         InvalidParametersError),
        (400, b"", READ, RequestError),
        (400, PORTAL, SUBMIT, RequestError),  # a proxy's: not about the listens
        (400, b'{"code":400}', SUBMIT, RequestError),
        (401, b'{"code":401,"error":"Invalid authorization token."}', SUBMIT,
         TokenRefusedError),
        (401, MALOJA_401, READ, TokenRefusedError),
        (404, b'{"code":404,"error":"Cannot find user: bob"}', READ, WrongAddressError),
        (404, PORTAL, SUBMIT, WrongAddressError),
        (409, b'{"status":"failure","error":{"desc":"exists"}}', SUBMIT,
         ListenRefusedError),
        (413, b"<html>Too large</html>", SUBMIT, HttpRefusedError),
        (415, b"Unsupported Media Type", SUBMIT, RequestError),
        (403, b"", READ, RequestError),
        (408, b"", READ, TransientError),
        (429, b'{"code":429,"error":"slow down"}', SUBMIT, RateLimitedError),
        (500, b'{"code":500,"error":"queue down"}', SUBMIT, AnswerLostError),
        (503, PORTAL, READ, TransientError),
        (500, b"", NOW_PLAYING, TransientError),
        (302, PORTAL, SUBMIT, TransientError),
        (200, PORTAL, SUBMIT, AnswerLostError),
        (200, PORTAL, READ, TransientError),
        (200, b'{"status": "o', SUBMIT, AnswerLostError),
        (200, b"[]", SUBMIT, AnswerLostError),
        (200, b"NaN", READ, TransientError),
        (200, b'{"x": NaN}', READ, TransientError),
        (200, b"\xff\xfe", SUBMIT, AnswerLostError),
        (200, b"[" * 100_000, SUBMIT, AnswerLostError),
        (200, b'{"code":200,"error":"Invalid Method"}', READ, NotSupportedError),
        (200, b'{"status":"ok"}', SUBMIT, None),
        (204, b"", SUBMIT, AnswerLostError),
    ],
)  # fmt: skip
def test_answers_are_classified(status, body, exchange, error):
    if error is None:
        assert read_answer(status, body, None, exchange) == {"status": "ok"}
        return
    with pytest.raises(error) as raised:
        read_answer(status, body, None, exchange)
    if error is TransientError:
        assert not isinstance(raised.value, AnswerLostError)
    assert "ListenBrainz" in str(raised.value)


def test_only_a_failed_submission_of_listens_is_uncertain():
    for exchange in (READ, NOW_PLAYING):
        with pytest.raises(TransientError) as raised:
            read_answer(502, b"", None, exchange)
        assert not isinstance(raised.value, AnswerLostError)
    with pytest.raises(AnswerLostError):
        read_answer(502, b"", None, SUBMIT)


def test_a_refused_import_names_the_bad_listen():
    with pytest.raises(ListenRefusedError) as raised:
        read_answer(400, BAD_LISTEN, None, SUBMIT)
    assert raised.value.listen == {
        "listened_at": 5, "track_metadata": {"artist_name": "A", "track_name": "T"},
    }  # fmt: skip
    assert "too low" in str(raised.value)
    assert "A - T at 5" in str(raised.value)


def test_a_server_that_echoes_the_token_does_not_get_it_into_our_text():
    body = json.dumps({"code": 401, "error": f"Token {SECRET} is unknown"}).encode()
    with pytest.raises(TokenRefusedError) as raised:
        read_answer(401, body, None, SUBMIT)
    assert SECRET not in str(raised.value)
    assert "(hidden)" in str(raised.value)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-RateLimit-Limit": "30", "X-RateLimit-Remaining": "0",
          "X-RateLimit-Reset-In": "7", "X-RateLimit-Reset": "1000"},
         RateLimit(30, 0, 7.0)),
        ({"X-RateLimit-Reset": "1005"}, RateLimit(None, None, 5.0)),
        ({"X-RateLimit-Reset": "900"}, RateLimit(None, None, 0.0)),
        ({"X-RateLimit-Remaining": "-1", "X-RateLimit-Reset-In": "9999999"},
         RateLimit(None, None, 3600.0)),
        ({"X-RateLimit-Limit": "٣"}, None),
        ({"Retry-After": "12"}, RateLimit(None, None, 12.0)),  # a proxy's
        ({"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}, None),
        ({}, None),
    ],
)  # fmt: skip
def test_rate_limit_headers_are_read_from_any_answer(headers, expected):
    assert RateLimit.of(headers, now=1000.4) == expected


@pytest.mark.parametrize(("rate", "wait"), [(RateLimit(30, 0, 4.0), 4.0), (None, 10.0)])
def test_a_429_says_how_long_to_wait(rate, wait):
    with pytest.raises(RateLimitedError) as raised:
        read_answer(429, b"{}", rate, READ)
    assert raised.value.wait_s == wait


@pytest.mark.parametrize(
    ("exc", "exchange", "error"),
    [
        (httpx.ConnectError("[Errno 111] refused"), SUBMIT, UnreachableError),
        (httpx.ConnectTimeout("timed out"), SUBMIT, UnreachableError),
        (httpx.PoolTimeout("timed out"), SUBMIT, UnreachableError),
        (httpx.ProxyError("407"), SUBMIT, UnreachableError),
        (httpx.ReadTimeout("timed out"), SUBMIT, NoAnswerError),
        (httpx.RemoteProtocolError("disconnected"), SUBMIT, NoAnswerError),
        (httpx.WriteError("broken pipe"), SUBMIT, NoAnswerError),
        (httpx.ReadTimeout("timed out"), READ, ConnectionLostError),
        (httpx.ReadError("reset"), NOW_PLAYING, ConnectionLostError),
        (httpx.UnsupportedProtocol("ftp"), READ, RequestError),
    ],
)  # fmt: skip
def test_requests_without_an_answer_are_classified(exc, exchange, error):
    found = network_error(exc, exchange)
    assert type(found) is error
    if error in (NoAnswerError, ConnectionLostError, UnreachableError):
        assert found.network_level


bodies = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(
            ["code", "error", "message", "listened_at", "track_metadata", "status",
             "desc", "type", "artist_name", "track_name", "payload", "valid"]),
            inner, max_size=5),
        max_leaves=12,
    ).map(lambda v: json.dumps(v).encode()),
)  # fmt: skip
exchanges = st.sampled_from([SUBMIT, NOW_PLAYING, READ])
rates = st.one_of(st.none(), st.builds(
    RateLimit, st.none() | st.integers(0, 99), st.none() | st.integers(0, 99),
    st.none() | st.floats(0, 3600),
))  # fmt: skip


@given(st.integers(100, 999), bodies, rates, exchanges)
def test_any_answer_is_an_object_or_a_classified_error(status, body, rate, exchange):
    with contextlib.suppress(LastfmError):
        assert isinstance(read_answer(status, body, rate, exchange), dict)


@given(st.dictionaries(st.text(max_size=30), st.text(max_size=30), max_size=6))
def test_any_headers_are_a_rate_limit_or_none(headers):
    rate = RateLimit.of(headers, now=1000.0)
    assert rate is None or rate.reset_in_s is None or 0 <= rate.reset_in_s <= 3600
