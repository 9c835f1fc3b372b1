"""The fake ListenBrainz is as strict as the real one (../shared/LISTENBRAINZ.md),
and its Maloja as Maloja: what a client gets away with here, it gets away with
there. Raw requests, so that what the client never sends is tried too.
"""

from __future__ import annotations

import json
import pathlib
import signal
import ssl
import subprocess
import sys

import httpx
import pytest

from mopidy_mtscrobble.listenbrainz import ListenBrainzClient

from ..fakes.listenbrainz import FakeListenBrainz

NOW = 1_800_000_000
TOKEN = "alice-token-0001"
REPO_ROOT = pathlib.Path(__file__).parent.parent.parent


def one(at=NOW - 60, title="T", **metadata):
    metadata = {"artist_name": "A", "track_name": title, **metadata}
    return {"listened_at": at, "track_metadata": metadata}


def body(listen_type="single", payload=None):
    payload = [one()] if payload is None else payload
    return json.dumps({"listen_type": listen_type, "payload": payload}).encode()


@pytest.fixture
def fake():
    server = FakeListenBrainz(clock=lambda: float(NOW), rate_limit=None).start()
    server.add_user("alice", TOKEN)
    yield server
    server.stop()


@pytest.fixture
def http(fake):
    with httpx.Client(base_url=fake.base_url, verify=fake.client_context()) as made:
        yield made


def post(http, path, content, token=TOKEN, content_type="application/json"):
    headers = {"Authorization": f"Token {token}"} if token else {}
    if content_type:
        headers["Content-Type"] = content_type
    return http.post(path, content=content, headers=headers)


@pytest.mark.parametrize(
    ("token", "content", "status", "error"),
    [
        (None, body(), 401, "Authorization header"),
        ("wrong", body(), 401, "Invalid authorization token"),
        (TOKEN, b"{", 400, "Cannot parse JSON"),
        (TOKEN, b'{"listen_type":"single","payload":[NaN]}', 400, "Cannot parse"),
        (TOKEN, b'{"payload": []}', 400, "Invalid JSON document"),
        (TOKEN, body(payload=[]), 400, "does not contain any listens"),
        (TOKEN, body("many"), 400, "valid listen_type"),
        (TOKEN, body(payload=[one(), one()]), 400, "only one"),
        (TOKEN, body("import", [one()] * 1001), 400, "Too many listens"),
        (TOKEN, body(payload=[one(artist_name="A" * 10_300)]), 400, "too large"),
        (TOKEN, body("playing_now"), 400, "must not contain listened_at"),
        (TOKEN, body(payload=[one(NOW + 3600)]), 400, "too high"),
        (TOKEN, body(payload=[one(title=" ")]), 400, "track_name is empty"),
        (TOKEN, body(payload=[one(title="a\x00")]), 400, "not allowed"),
        (TOKEN, body(payload=[one(additional_info={"duration": 1, "duration_ms": 1})]),
         400, "both"),
        (TOKEN, body(payload=[one(additional_info={"recording_mbid": "x"})]),
         400, "MBID"),
        (TOKEN, body(payload=[one(additional_info={"tags": ["t" * 65]})]),
         400, "tags"),
        (TOKEN, body(payload=[{**one(), "extra": 1}]), 400, "may only contain"),
    ],
)  # fmt: skip
def test_a_submission_is_checked_in_the_real_order(http, fake, token, content,
                                                   status, error):  # fmt: skip
    answer = post(http, "/1/submit-listens", content, token)
    assert answer.status_code == status
    assert error in answer.json()["error"]
    assert fake.listens == []


def test_a_bad_listen_is_merged_into_the_answer_and_null_mbids_are_dropped(http, fake):
    bad = one(5)
    answer = post(http, "/1/submit-listens", body("import", [one(), bad]))
    assert answer.json()["listened_at"] == 5
    assert answer.json()["track_metadata"] == bad["track_metadata"]
    good = one(additional_info={"release_mbid": None, "artist_mbids": ["", None]},
               release_name="  ")  # fmt: skip
    assert post(http, "/1/submit-listens", body(payload=[good])).status_code == 200
    [kept] = fake.listens
    assert "release_name" not in kept["track_metadata"]
    assert kept["track_metadata"]["additional_info"]["artist_mbids"] == []


def test_submit_reads_the_body_whatever_the_content_type_but_feedback_does_not(http):
    assert post(http, "/1/submit-listens", body(), content_type=None).status_code == 200
    feedback = json.dumps({"recording_msid": "0f5e4a5d-1d4c-4c0c-9a47-ffbd6c5a9f3b",
                           "score": 1}).encode()  # fmt: skip
    path = "/1/feedback/recording-feedback"
    assert post(http, path, feedback, content_type="text/plain").status_code == 415
    assert post(http, path, feedback).status_code == 200
    bad = json.dumps({"recording_msid": "x", "score": 1}).encode()
    assert post(http, path, bad).status_code == 400


def test_validate_token_answers_200_for_a_bad_token_and_400_for_none(http):
    assert http.get("/1/validate-token").status_code == 400
    answer = http.get("/1/validate-token", params={"token": "nope"})
    assert answer.json() == {"code": 200, "message": "Token invalid.", "valid": False}
    answer = http.get("/1/validate-token", headers={"Authorization": f"Token {TOKEN}"})
    assert answer.json()["user_name"] == "alice"


@pytest.mark.parametrize(
    ("params", "status"),
    [({"count": "-1"}, 400), ({"min_ts": "x"}, 400),
     ({"min_ts": "5", "max_ts": "5"}, 400), ({"count": "5000"}, 200)],
)  # fmt: skip
def test_listen_reads_refuse_bad_bounds_and_cap_the_count(http, fake, params, status):
    for batch in range(2):
        payload = [one(NOW - 10_000 + batch * 1000 + i) for i in range(1000)]
        post(http, "/1/submit-listens", body("import", payload))
    answer = http.get("/1/user/alice/listens", params=params)
    assert answer.status_code == status
    if status == 200:
        assert answer.json()["payload"]["count"] == 1000
    assert http.get("/1/user/bob/listens").status_code == 404


def test_unknown_paths_are_404_with_a_json_error(http):
    answer = http.get("/2/validate-token")
    assert answer.status_code == 404
    assert answer.json()["code"] == 404


# Maloja.


@pytest.fixture
def maloja():
    server = FakeListenBrainz(clock=lambda: float(NOW), maloja_mode=True).start()
    server.add_user("NAME", TOKEN)
    yield server
    server.stop()


@pytest.fixture
def maloja_http(maloja):
    with httpx.Client(base_url=maloja.base_url, verify=maloja.client_context()) as made:
        yield made


def test_maloja_needs_json_and_a_key_anywhere(maloja_http, maloja):
    path = "/1/submit-listens"
    assert post(maloja_http, path, body(), content_type=None).status_code == 415
    assert post(maloja_http, path, body(), token="wrong").status_code == 401
    assert maloja_http.get("/1/validate-token").status_code == 401
    in_body = json.dumps({"listen_type": "single", "payload": [one()], "token": TOKEN})
    assert post(maloja_http, path, in_body.encode(), token=None).status_code == 200
    assert "x-ratelimit-limit" not in maloja_http.get("/1/validate-token").headers


def test_a_maloja_import_ends_at_its_first_problem(maloja_http, maloja):
    path = "/1/submit-listens"
    post(maloja_http, path, body(payload=[one(NOW - 10)]))
    answer = post(maloja_http, path, body("import", [
        one(NOW - 30), one(NOW - 10, title="Other"), one(NOW - 5),
    ]))  # fmt: skip
    assert answer.status_code == 409
    answer = post(maloja_http, path, body("import", [
        one(NOW - 40), one(NOW - 10), one(NOW - 3),
    ]))  # fmt: skip
    assert answer.status_code == 200  # a duplicate ends it, silently
    empty = post(maloja_http, path, body(payload=[one(NOW - 1, title="")]))
    assert empty.status_code == 500
    assert sorted(x["listened_at"] for x in maloja.listens) == [
        NOW - 40, NOW - 30, NOW - 10,
    ]  # fmt: skip
    invalid = maloja_http.get("/1/user/NAME/listens")
    assert invalid.json() == {"code": 200, "error": "Invalid Method"}


# In a process of its own.


def test_the_fake_runs_as_a_process_and_keeps_its_ca(tmp_path):
    ca_file, ca_key = tmp_path / "ca.pem", tmp_path / "ca.key"
    command = [sys.executable, "-m", "tests.fakes.listenbrainz",
               "--ca-file", str(ca_file), "--ca-key", str(ca_key),
               "--user", f"alice:{TOKEN}"]  # fmt: skip
    first_ca = b""
    for attempt in range(2):  # started again, it is trusted with the first CA
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
        )
        try:
            base_url = json.loads(process.stdout.readline())["base_url"]
            context = ssl.create_default_context(cafile=str(ca_file))
            if attempt == 0:
                first_ca = ca_file.read_bytes()
            client = ListenBrainzClient(TOKEN, base_url, verify=context)
            assert client.validate_token().user_name == "alice"
            client.close()
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
            process.stdout.close()
    assert ca_file.read_bytes() == first_ca
