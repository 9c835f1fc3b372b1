"""The fake Last.fm in a process of its own (`lastfm_process`), the settings
that send to it, and a session saved for it in a data directory."""

from __future__ import annotations

import json
import os

import pytest

from ..fakes.lastfm_process import LastfmProcess


@pytest.fixture
def lastfm_process(tmp_path):
    server = LastfmProcess(tmp_path)
    yield server
    server.stop()


def settings_for(server):
    return {
        "network": "custom",
        "api_url": server.url,
        "api_key": server.api_key,
        "api_secret": server.api_secret,
        "scrobble_threshold": 50,
        "scrobble_cap": 1,  # qualifies after one second of real listening
    }


def save_session(data_dir, server, user="alice"):
    key = server.admin("user", name=user)["session_key"]
    folder = data_dir / "mtscrobble"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "session.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump({"network": "custom", "key": key, "username": user}, file)
