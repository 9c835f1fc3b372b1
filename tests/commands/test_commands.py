"""`mopidy mtscrobble login|logout|status|queue|retry` against the fake Last.fm."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import pylast
import pytest

from mopidy_mtscrobble.destinations import ListenBrainzDestination
from mopidy_mtscrobble.store import LocalMatch

from ..fakes.listenbrainz import FakeListenBrainz
from ..support.mopidy_server import (
    UNWRAPPED_LOGS,
    command_config,
    free_port,
    mopidy_command,
    run_mopidy_command,
    running_mopidy,
)
from ..support.secret_scan import note_text
from . import harness
from .harness import data_dir, enqueue, env_for, run_command, save_session, settings_for

server = harness.server  # the fixture: the fake Last.fm in a process of its own


class LoginProcess:
    """`mopidy mtscrobble login` running, read line by line."""

    def __init__(self, tmp_path, settings, env):
        config = command_config(tmp_path, settings)
        self.process = subprocess.Popen(
            mopidy_command("-q", "--config", str(config), "mtscrobble", "login",
                           "--poll-interval", "0.1"),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, **UNWRAPPED_LOGS, **env},
        )  # fmt: skip
        self.lines: list[str] = []

    def read_until(self, pattern: str) -> re.Match:
        for line in self.process.stdout:
            self.lines.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        raise AssertionError("output ended without a match:\n" + "".join(self.lines))

    def finish(self) -> tuple[int, str]:
        rest, _ = self.process.communicate(timeout=60)
        output = "".join(self.lines) + rest
        note_text(output)
        return self.process.returncode, output


def token_from(url: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["token"][0]


def test_login_waits_for_approval_then_stores_a_private_session(tmp_path, server):
    login = LoginProcess(tmp_path, settings_for(server), env_for(server))
    url = login.read_until(r"(https://\S+/api/auth/\S+)").group(1)
    assert f"api_key={server.api_key}" in url
    server.wait_for_request("auth.getSession")  # asked before approval: error 14
    server.admin("user", name="alice")
    server.admin("authorize", token=token_from(url), user="alice")
    code, output = login.finish()
    assert code == 0, output
    assert f"Connected to {server.url} as alice" in output
    session = data_dir(tmp_path) / "session.json"
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    outcomes = [r["outcome"] for r in server.state()["requests"]
                if r["method"] == "auth.getSession"]  # fmt: skip
    assert "error 14" in outcomes
    assert outcomes[-1] == "ok"
    status = run_mopidy_command(tmp_path, settings_for(server), "mtscrobble", "status",
                                env=env_for(server))  # fmt: skip
    assert status.returncode == 0, status.stdout
    assert "Connection: connected as alice" in status.stdout


def test_login_says_to_start_again_when_the_token_expires(tmp_path, server):
    login = LoginProcess(tmp_path, settings_for(server), env_for(server))
    login.read_until(r"Waiting for your approval")
    server.admin("expire_tokens")
    code, output = login.finish()
    assert code == 1
    assert "expired before it was approved" in output
    assert "mopidy mtscrobble login" in output
    assert not (data_dir(tmp_path) / "session.json").exists()


@pytest.mark.parametrize(
    "overrides",
    [{"api_secret": "0" * 32}, {"api_key": "f" * 32}],
    ids=["wrong secret (13)", "unknown API key (10)"],
)
def test_login_with_refused_credentials_says_which_keys_to_check(
    tmp_path, server, overrides
):
    result = run_command(
        tmp_path, settings_for(server, **overrides), "mtscrobble", "login",
        env=env_for(server),
    )  # fmt: skip
    assert result.returncode == 1
    assert "refused the API key or secret" in result.stdout
    assert "mtscrobble/api_key and mtscrobble/api_secret" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_login_with_the_network_down_says_so(tmp_path, server):
    closed_port = free_port()  # nothing listens there
    settings = settings_for(server, api_url=f"https://127.0.0.1:{closed_port}/2.0/")
    result = run_command(tmp_path, settings, "mtscrobble", "login",
                                env=env_for(server))  # fmt: skip
    assert result.returncode == 1
    assert "cannot reach" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_login_without_credentials_says_where_to_get_them(tmp_path):
    result = run_command(tmp_path, {}, "mtscrobble", "login")
    assert result.returncode == 1
    assert "https://www.last.fm/api/account/create" in result.stdout


def test_logout_forgets_the_session_and_keeps_the_queue(tmp_path, server):
    save_session(tmp_path, server)
    store, _ = enqueue(tmp_path, "Kept")
    store.close()
    result = run_command(tmp_path, settings_for(server), "mtscrobble", "logout")
    assert result.returncode == 0
    assert "Logged out" in result.stdout
    assert not (data_dir(tmp_path) / "session.json").exists()
    status = run_command(tmp_path, settings_for(server), "mtscrobble", "status")
    assert "Queue: 1 pending" in status.stdout
    assert "not connected: run 'mopidy mtscrobble login'" in status.stdout


def test_queue_lists_pending_and_rejected_entries_with_reasons(tmp_path, server):
    store, ids = enqueue(tmp_path, "Waiting", "Refused")
    store.queue.mark_rejected(ids[1], "artist ignored by the server (code 1)")
    store.close()
    result = run_command(tmp_path, settings_for(server), "mtscrobble", "queue")
    assert result.returncode == 0
    assert re.search(r"#1 +pending .*Artist - Waiting", result.stdout)
    assert "[rejected: artist ignored by the server (code 1)]" in result.stdout
    only = run_command(tmp_path, settings_for(server), "mtscrobble", "queue",
                              "--rejected")  # fmt: skip
    assert "Waiting" not in only.stdout
    assert "Refused" in only.stdout
    limited = run_command(tmp_path, settings_for(server), "mtscrobble", "queue",
                                 "--limit", "1")  # fmt: skip
    assert "... and 1 more (use --limit)" in limited.stdout


def test_queue_lists_loves_not_sent_with_their_destination_and_reason(tmp_path, server):
    store, _ = enqueue(tmp_path)
    store.loves.love("Nobody", "Unknown", LocalMatch("local:1"), ("listenbrainz",), 0)
    [action] = store.love_queue_to("listenbrainz").due(0, 1)
    store.love_queue_to("listenbrainz").mark_unidentified(
        action.id, "ListenBrainz knows no recording by this artist and title"
    )
    store.close()
    lb = ListenBrainzDestination("listenbrainz", "a-token", "https://127.0.0.1:9/")
    settings = settings_for(server, listenbrainz=(lb,))
    result = run_command(tmp_path, settings, "mtscrobble", "queue",
                         "--to", "listenbrainz")  # fmt: skip
    assert result.returncode == 0
    assert "The queue is empty." in result.stdout
    assert (
        "love   unidentified at listenbrainz: Nobody - Unknown  [ListenBrainz knows "
        "no recording by this artist and title]"
    ) in result.stdout


def test_retry_without_a_running_mopidy_sends_directly(tmp_path, server):
    save_session(tmp_path, server)
    store, _ = enqueue(tmp_path, "One", "Two")
    store.close()
    result = run_command(tmp_path, settings_for(server), "mtscrobble", "retry",
                                env=env_for(server))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Sent 2 scrobbles; 0 waiting, 0 rejected." in result.stdout
    assert len(server.state()["scrobbles"]) == 2


def test_retry_asks_a_running_mopidy(tmp_path, server):
    save_session(tmp_path, server)
    store, _ = enqueue(tmp_path, "Delayed")
    store.close()
    server.admin("fault", kind="lfm", method="track.scrobble", code=11)
    settings = settings_for(server)
    with running_mopidy(tmp_path, settings, env=env_for(server)) as mopidy:
        mopidy.log.wait_for(r"Delivery attempt 1 failed")
        result = run_mopidy_command(
            tmp_path, settings, "mtscrobble", "retry", env=env_for(server),
            extra={"http": {"port": mopidy.http_port}},
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Asked the running Mopidy" in result.stdout
        # Its backoff ends now (the scrobble, whose answer was an error 11,
        # is looked for in the listing, not sent again at once).
        mopidy.log.wait_for(r"Retrying delivery now, as asked")
    assert len(server.state()["scrobbles"]) == 0


def test_revoked_session_shows_in_status_and_a_new_login_resumes_without_restart(
    tmp_path, server
):
    key = save_session(tmp_path, server)
    server.admin("revoke", session_key=key)
    store, _ = enqueue(tmp_path, "Patient")
    store.close()
    settings = settings_for(server)
    with running_mopidy(tmp_path, settings, env=env_for(server)) as mopidy:
        mopidy.log.wait_for(r"no longer accepts this session")
        status = run_mopidy_command(tmp_path, settings, "mtscrobble", "status",
                                    env=env_for(server))  # fmt: skip
        assert status.returncode == 1
        assert "session revoked" in status.stdout
        assert "Run 'mopidy mtscrobble login' again" in status.stdout
        login = LoginProcess(tmp_path, settings, env_for(server))
        url = login.read_until(r"(https://\S+/api/auth/\S+)").group(1)
        server.admin("authorize", token=token_from(url), user="alice")
        assert login.finish()[0] == 0
        mopidy.log.wait_for(r"Sent 1 scrobbles")
    assert [s["track"] for s in server.state()["scrobbles"]] == ["Patient"]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_browser_login_callback_turns_the_token_into_a_session(tmp_path, server):

    from mopidy_mtscrobble.lastfm import LastfmClient
    from mopidy_mtscrobble.settings import Settings

    pylast.SSL_CONTEXT.load_verify_locations(str(server.ca_file))
    settings = settings_for(server)
    client = LastfmClient(Settings(**settings))
    with running_mopidy(tmp_path, settings, env=env_for(server)) as mopidy:
        api = f"http://127.0.0.1:{mopidy.http_port}/mtscrobble/api"
        json_type = {"Content-Type": "application/json"}

        def callback() -> str:
            """The callback address a login started on the page comes back to."""
            status, body = post(f"{api}/login", headers=json_type)
            assert status == 200, body
            query = urllib.parse.urlsplit(body["url"]).query
            return urllib.parse.parse_qs(query)["cb"][0]

        base = callback()
        assert get(base)[0] == 400  # no token
        unapproved = client.get_token()
        status, page = get(f"{callback()}?token={unapproved}")
        assert status == 403
        assert "not allowed" in page
        token = client.get_token()
        server.admin("user", name="dave")
        server.admin("authorize", token=token, user="dave")
        stranger = f"http://127.0.0.1:{mopidy.http_port}/mtscrobble/auth/callback"
        status, page = get(f"{stranger}/made-up-state?token={token}")
        assert status == 403  # a token coming back on no login of ours
        assert "not started here" in page
        status, page = get(f"{base}?token={token}")
        assert status == 403  # each state is good for one try only
        status, page = get(f"{callback()}?token={token}")
        assert status == 200
        assert "as dave" in page
        mopidy.log.wait_for(r"Connected to .* as dave")
    saved = json.loads((data_dir(tmp_path) / "session.json").read_text())
    assert saved["username"] == "dave"
    assert saved["key"] not in mopidy.log.text


def post(url, body=b"{}", headers=None):
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers=headers or {})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_retry_endpoint_refuses_other_origins_and_non_json(tmp_path, server):
    with running_mopidy(tmp_path, settings_for(server), env=env_for(server)) as mopidy:
        url = f"http://127.0.0.1:{mopidy.http_port}/mtscrobble/api/retry"
        json_type = {"Content-Type": "application/json"}
        assert post(url, headers={"Content-Type": "text/plain"})[0] == 415
        status, body = post(url, headers={**json_type, "Origin": "http://evil.example"})
        assert status == 403
        assert "allowed_origins" in body["error"]
        assert post(url, headers=json_type) == (202, {"retrying": True})


def loved(count):
    return [(f"Artist {i % 7}", f"Song {i}", 1_600_000_000 - i) for i in range(count)]


def test_import_loved_without_a_running_mopidy_imports_directly(tmp_path, server):
    save_session(tmp_path, server)
    server.admin("loved", user="alice", tracks=loved(1500))
    settings = settings_for(server)
    result = run_command(tmp_path, settings, "mtscrobble", "import-loved",
                                env=env_for(server))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "page 1 of 2 (1000 of 1500 songs)" in result.stdout
    assert "Imported 1500 loved tracks. Mopidy matches them" in result.stdout
    status = run_command(tmp_path, settings, "mtscrobble", "status",
                                env=env_for(server))  # fmt: skip
    assert (
        "Loved tracks: 1500 songs, 0 in your library, 0 not found, 1500 still to match"
        in (status.stdout)
    )


def test_sync_playcounts_without_a_running_mopidy_syncs_directly(tmp_path, server):
    save_session(tmp_path, server)
    settings = settings_for(server)
    run_command(tmp_path, settings, "mtscrobble", "import-loved",
                       env=env_for(server))  # fmt: skip
    server.admin("top", user="alice", tracks=[["A", "Song", 12], ["B", "Tune", 3]])
    result = run_command(tmp_path, settings, "mtscrobble", "sync-playcounts",
                                env=env_for(server))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Imported the play counts of 2 songs. Mopidy matches" in result.stdout
    status = run_command(tmp_path, settings, "mtscrobble", "status",
                                env=env_for(server))  # fmt: skip
    assert "Play counts: 2 songs, 0 in your library, 0 not found, 2 still to match" in (
        status.stdout
    )


def test_import_loved_paused_by_the_network_says_so(tmp_path, server):
    save_session(tmp_path, server)
    server.admin("loved", user="alice", tracks=loved(10))
    server.admin("fault", kind="http", method="user.getLovedTracks", status=503)
    result = run_command(tmp_path, settings_for(server), "mtscrobble",
                                "import-loved", env=env_for(server))  # fmt: skip
    assert result.returncode == 1
    assert "The import paused (" in result.stdout
    assert "goes on from there when Mopidy runs" in result.stdout


def show_database_files(directory) -> None:
    """The data directory's files and the import jobs, for a failure's report."""
    for entry in sorted(directory.iterdir()):
        info = entry.stat()
        print(f"{entry.name}: {info.st_size} bytes, inode {info.st_ino}")
    database = sqlite3.connect(directory / "mtscrobble.db", timeout=5)
    try:
        for row in database.execute("SELECT * FROM jobs"):
            print("jobs:", row)
    except sqlite3.Error as exc:
        print("jobs could not be read:", exc)
    finally:
        database.close()


def test_import_loved_asks_a_running_mopidy_and_shows_its_progress(tmp_path, server):
    save_session(tmp_path, server)
    server.admin("loved", user="alice", tracks=loved(2500))
    settings = settings_for(server)
    with running_mopidy(tmp_path, settings, env=env_for(server)) as mopidy:
        # The first start imports on its own, once.
        mopidy.log.wait_for(r"Loved tracks: 0 in your library, 2500 not found")
        inode = (data_dir(tmp_path) / "mtscrobble.db").stat().st_ino
        try:
            result = run_mopidy_command(
                tmp_path, settings, "mtscrobble", "import-loved",
                env=env_for(server), extra={"http": {"port": mopidy.http_port}},
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            # Once (run 63), the command waited 120 s for an import Mopidy
            # had started and fetched (it saw no job row of it at all), and
            # Mopidy's next open of the database failed with "disk I/O
            # error": as if the database had been replaced. Say what is there.
            print(f"mtscrobble.db was inode {inode} before the command")
            show_database_files(data_dir(tmp_path))
            raise
        assert result.returncode == 0, result.stdout + result.stderr
        assert "The running Mopidy imports your loved tracks." in result.stdout
        assert (
            "Imported 2500 loved tracks: 0 in your library, 2500 not found."
            in result.stdout
        )
    pages = [
        r["params"]["page"]
        for r in server.state()["requests"]
        if r["method"] == "user.getLovedTracks"
    ]
    assert pages == ["1", "2", "3", "1", "2", "3"]


def test_love_needs_a_running_mopidy(tmp_path, server):
    result = run_command(tmp_path, settings_for(server), "mtscrobble", "love",
                                "file:///nowhere.ogg", env=env_for(server))  # fmt: skip
    assert result.returncode == 1
    assert "Loving a track needs Mopidy running" in result.stdout


def test_love_api_checks_its_input(tmp_path, server):
    json_type = {"Content-Type": "application/json"}
    with running_mopidy(tmp_path, settings_for(server), env=env_for(server)) as mopidy:
        api = f"http://127.0.0.1:{mopidy.http_port}/mtscrobble/api"
        status, body = post(f"{api}/love", b"{not json", json_type)
        assert (status, body["error"]) == (400, "The request body is not valid JSON")
        status, body = post(f"{api}/love", b"[]", json_type)
        assert (status, body["error"]) == (
            400,
            "The request body must be a JSON object",
        )
        status, body = post(f"{api}/love", b'{"uri": 5}', json_type)
        assert (status, body["error"]) == (400, "'uri' must be a string")
        status, body = post(f"{api}/unlove", b'{"url": "x"}', json_type)
        assert (status, body["error"]) == (400, "Unknown field(s): url")
        status, body = post(f"{api}/love", b"{}", json_type)
        assert status == 409
        assert "Nothing is playing" in body["error"]
        status, body = post(f"{api}/love", b'{"uri": "nothing:here"}', json_type)
        assert status == 400  # not a library URI: not even looked up
        assert "Only tracks of your library" in body["error"]
        status, body = post(f"{api}/love", b'{"uri": "file:///no/such.ogg"}', json_type)
        assert (status, body["error"]) == (
            404,
            "No track has the URI file:///no/such.ogg",
        )
        huge = json.dumps({"uri": "x" * 70_000}).encode()
        assert post(f"{api}/love", huge, json_type)[0] == 413
        status, body = post(f"{api}/love", b"{}", {**json_type, "Origin": "http://x.y"})
        assert status == 403
        assert get(f"{api}/track")[0] == 415  # a lookup needs JSON, like a change


def test_a_second_import_while_one_runs_is_refused(tmp_path, server):
    save_session(tmp_path, server)
    server.admin("loved", user="alice", tracks=loved(10))
    server.admin("fault", kind="hang", method="user.getLovedTracks", seconds=30)
    json_type = {"Content-Type": "application/json"}
    with running_mopidy(tmp_path, settings_for(server), env=env_for(server)) as mopidy:
        server.wait_for_request("user.getLovedTracks")
        url = f"http://127.0.0.1:{mopidy.http_port}/mtscrobble/api/import-loved"
        status, body = post(url, b"{}", json_type)
        assert (status, body) == (
            409,
            {"error": "An import of loved tracks is already running"},
        )


def test_retry_without_a_running_mopidy_sends_to_every_destination(
    tmp_path, server, monkeypatch
):
    fake = FakeListenBrainz().start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", fake.ca_file(tmp_path / "lb-ca.pem"))
        lb = ListenBrainzDestination("lb", fake.add_user("alice"), fake.base_url)
        save_session(tmp_path, server)
        store, _ = enqueue(tmp_path, "One", "Two")
        store.plays.resend(to="lb", since_s=0, now_s=0)  # queued for both
        store.close()
        settings = settings_for(server, listenbrainz=(lb,))
        result = run_command(tmp_path, settings, "mtscrobble", "retry")
        assert result.returncode == 0, result.stdout
        assert "Sent 2 scrobbles; 0 waiting, 0 rejected." in result.stdout
        assert "Sent 2 listens to lb; 0 waiting, 0 rejected." in result.stdout
        assert len(server.state()["scrobbles"]) == 2
        assert sorted(x["track_metadata"]["track_name"]
                      for x in fake.listens_of("alice")) == ["One", "Two"]  # fmt: skip
    finally:
        fake.stop()
