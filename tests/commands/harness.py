"""The command tests' harness: `mopidy mtscrobble ...` run in this process with
a config as Mopidy makes it, against the fake Last.fm in a process of its own
(the `server` fixture), and a data directory to look into."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import os

import pylast
import pytest

from mopidy_mtscrobble.commands import SUBCOMMANDS
from mopidy_mtscrobble.store import NewScrobble, Store

from ..fakes.lastfm_process import LastfmProcess
from ..support.mopidy_server import free_port
from ..support.secret_scan import note_text


@pytest.fixture
def server(tmp_path):
    process = LastfmProcess(tmp_path)
    pylast.SSL_CONTEXT.load_verify_locations(str(process.ca_file))
    yield process
    process.stop()


@dataclasses.dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str = ""


def run_command(tmp_path, settings, *argv, env=None, extra=None):
    """A `mopidy mtscrobble ...` command run in this process: the same runner
    Mopidy calls, with a config as Mopidy makes it (`env` is for the fake's CA,
    which this process trusts already)."""
    name, *rest = argv[1:] if argv[0] == "mtscrobble" else argv
    [command] = [c for c in SUBCOMMANDS if c.name == name]
    parser = argparse.ArgumentParser(prog=f"mopidy mtscrobble {name}")
    for flags, options in command.arguments:
        parser.add_argument(*flags, **options)
    args = parser.parse_args(rest)
    config = {
        "core": {"data_dir": str(tmp_path / "data")},
        "http": {"enabled": True, "hostname": "127.0.0.1", "port": free_port()},
        "proxy": {},
        "mtscrobble": dict(settings),
    }
    for section, values in (extra or {}).items():
        config.setdefault(section, {}).update(values)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = command.run(config, args)
    note_text(output.getvalue())
    return Result(code, output.getvalue())


def settings_for(server, **overrides):
    values = {
        "network": "custom",
        "api_url": server.url,
        "api_key": server.api_key,
        "api_secret": server.api_secret,
    }
    values.update(overrides)
    return values


def env_for(server):
    return {"SSL_CERT_FILE": str(server.bundle)}


def data_dir(tmp_path):
    return tmp_path / "data" / "mtscrobble"


def save_session(tmp_path, server, user="alice"):
    key = server.admin("user", name=user)["session_key"]
    folder = data_dir(tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / "session.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump({"network": "custom", "key": key, "username": user}, file)
    return key


def enqueue(tmp_path, *tracks, age_s=600):
    import time

    folder = data_dir(tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    store = Store.open(folder, time.time())
    ids = [
        store.queue.enqueue(
            NewScrobble(
                artist="Artist", track=t, timestamp=int(time.time()) - age_s + i
            ),
            time.time(),
        )
        for i, t in enumerate(tracks)
    ]
    return store, ids
