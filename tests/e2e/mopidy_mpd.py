"""What the end-to-end tests share: a real Mopidy with Mopidy-MPD and the file
backend, `mpc`, tagged audio files, and the fake Last.fm server as a process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time

from ..support.mopidy_server import free_port, running_mopidy

SESSION_KEY = "e2e0session0key0000000000000000a"
TRACK_SECONDS = 31


def listen(seconds: float) -> None:
    """Let real-time playback go on: listening takes the time it takes."""
    threading.Event().wait(seconds)


def start(tmp_path, lastfm, folder, **settings):
    session_dir = tmp_path / "data" / "mtscrobble"
    session_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(
        session_dir / "session.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600
    )
    with os.fdopen(fd, "w") as file:
        json.dump({"network": "custom", "key": SESSION_KEY, "username": "alice"}, file)
    mpd_port = free_port()
    values = {
        "network": "custom",
        "api_url": lastfm.url,
        "api_key": lastfm.api_key,
        "api_secret": lastfm.api_secret,
        **settings,
    }
    extra = {
        "mpd": {"enabled": "true", "hostname": "127.0.0.1", "port": mpd_port},
        "file": {"media_dirs": str(folder), "metadata_timeout": 10_000},
    }
    context = running_mopidy(
        tmp_path, values, extra, {"SSL_CERT_FILE": str(lastfm.bundle)}
    )
    return context, mpd_port


def mpc(port: int, *args: str, timeout: float = 30) -> str:
    result = subprocess.run(
        ["mpc", "-h", "127.0.0.1", "-p", str(port), *args],
        capture_output=True, text=True, timeout=timeout, check=True,
    )  # fmt: skip
    return result.stdout


IDLE_RECHECK_S = 5
TRACK_END_TIMEOUT_S = 90


def play_only(port: int, uri: str) -> None:
    """Make `uri` the whole tracklist and play it, as an MPD client does."""
    mpc(port, "clear")
    mpc(port, "add", uri)
    mpc(port, "play")


def wait_until_stopped(port: int) -> None:
    """Block on MPD's own player events until playback has stopped."""
    wait_for_player(port, playing=False)


def wait_for_player(port: int, playing: bool) -> None:
    """Block on MPD's own player events until playback is (or is not) playing.

    An event that comes between `status` and `idle` would be missed, so the
    idle wait is re-checked every few seconds.
    """
    deadline = time.monotonic() + TRACK_END_TIMEOUT_S
    while ("[playing]" in mpc(port, "status")) != playing:
        assert time.monotonic() < deadline, f"playing never became {playing}"
        try:
            mpc(port, "idle", "player", timeout=IDLE_RECHECK_S)
        except subprocess.TimeoutExpired:
            continue


def mpd(port: int, *words: str) -> str:
    """One MPD command, as a client sends it; its answer ("OK" or "ACK ...")."""
    quoted = " ".join(
        '"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"' for w in words[1:]
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        answer = connection.makefile("r", encoding="utf-8")
        assert answer.readline().startswith("OK MPD")
        connection.sendall(f"{words[0]} {quoted}\n".encode())
        while True:
            line = answer.readline().strip()
            if line == "OK" or line.startswith("ACK"):
                return line
