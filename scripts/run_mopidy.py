"""`make run`: a real Mopidy with Mopidy-MTScrobble, on real Last.fm or in a demo.

With your API account in _local/secrets.conf, Mopidy talks to the real network.
Without one, the demo: the fake Last.fm server of the tests runs on 127.0.0.1
as the destination (logged in as "demo", with a few loved tracks and play counts
that match the demo music), so a newcomer sees the whole loop: a play queued,
sent and shown as scrobbled, loved tracks as a playlist. Nothing is sent to
Last.fm then. The demo server stops when Mopidy does.

Usage: python scripts/run_mopidy.py [--local DIR] [--music DIR] [-- MOPIDY-ARGS...]
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.fakes.lastfm_process import LastfmProcess  # noqa: E402

DEV_CONFIG = REPO / "dev" / "mopidy.conf"
DEMO_USER = "demo"
DEMO_SESSION_KEY = "demo0session0key0not0a0secret00"
FILE_MODE = 0o600
DAY_S = 86_400
# Loved on the demo server: three of the demo tracks and one song you do not have.
DEMO_LOVED = (
    ("The Demo Band", "Sunrise"),
    ("The Demo Band", "Sunset"),
    ("Björk & Friends", "Radio Song"),
    ("The Demo Band", "Moonrise"),
)
DEMO_PLAY_COUNTS = (
    ("The Demo Band", "Midday", 12),
    ("The Demo Band", "Sunrise", 7),
    ("Björk & Friends", "Radio Song", 3),
)


def has_api_account(secrets: pathlib.Path) -> bool:
    """True when secrets.conf sets an API key: then Mopidy uses the real network."""
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(secrets.read_text("utf-8"))
    except (OSError, configparser.Error):
        return False
    return bool(parser.get("mtscrobble", "api_key", fallback="").strip())


def write_private(path: pathlib.Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(path, FILE_MODE)


def start_demo_server(demo: pathlib.Path) -> tuple[LastfmProcess, pathlib.Path]:
    """The demo destination, and the Mopidy config file that points at it."""
    demo.mkdir(parents=True, exist_ok=True)
    server = LastfmProcess(demo, sessions={DEMO_USER: DEMO_SESSION_KEY})
    now = int(time.time())
    server.admin(
        "loved",
        user=DEMO_USER,
        tracks=[(a, t, now - i * DAY_S) for i, (a, t) in enumerate(DEMO_LOVED)],
    )
    server.admin("top", user=DEMO_USER, tracks=list(DEMO_PLAY_COUNTS))
    write_private(
        demo / "data" / "mtscrobble" / "session.json",
        json.dumps(
            {"network": "custom", "key": DEMO_SESSION_KEY, "username": DEMO_USER}
        ),
    )
    config = demo / "demo.conf"
    write_private(
        config,
        "[mtscrobble]\nnetwork = custom\n"
        f"api_url = {server.url}\napi_key = {server.api_key}\n"
        f"api_secret = {server.api_secret}\n",
    )
    return server, config


def mopidy_argv(
    local: pathlib.Path, music: pathlib.Path, config: pathlib.Path, data: pathlib.Path
) -> list[str]:
    return [
        str(pathlib.Path(sys.executable).parent / "mopidy"),
        "--config", f"{DEV_CONFIG}:{config}",
        "-o", f"core/data_dir={data}", "-o", f"core/cache_dir={local / 'cache'}",
        "-o", f"core/config_dir={local / 'config'}",
        "-o", f"file/media_dirs={music}|Demo music",
    ]  # fmt: skip


def run_until_exit(argv: list[str], env: dict[str, str]) -> int:
    """Run Mopidy until it exits; a SIGTERM sent here is passed on to it."""
    process = subprocess.Popen(argv, env=env)
    signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    # Ctrl-C reaches Mopidy from the terminal: here it only waits for Mopidy.
    signal.signal(signal.SIGINT, lambda *_: None)
    return process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--local", type=pathlib.Path, default=REPO / "_local")
    parser.add_argument("--music", type=pathlib.Path)
    parser.add_argument("mopidy_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    local = args.local.resolve()
    music = (args.music or local / "music").resolve()
    extra = [a for a in args.mopidy_args if a != "--"]
    for folder in ("cache", "config"):
        (local / folder).mkdir(parents=True, exist_ok=True)
    secrets = local / "secrets.conf"
    if has_api_account(secrets):
        os.chmod(secrets, FILE_MODE)
        argv = mopidy_argv(local, music, secrets, local / "data")
        return run_until_exit([*argv, *extra], dict(os.environ))
    server, config = start_demo_server(local / "demo")
    try:
        print(
            f"Demo mode: no API account in {secrets}, so plays go to a local "
            f"Last.fm-compatible test server at {server.url} (logged in as "
            f"'{DEMO_USER}'; nothing is sent to Last.fm). To use the real Last.fm, "
            f"put [mtscrobble] api_key and api_secret in {secrets} (see README.rst).",
            flush=True,
        )
        env = {**os.environ, "SSL_CERT_FILE": str(server.bundle)}
        argv = mopidy_argv(local, music, config, local / "demo" / "data")
        return run_until_exit([*argv, *extra], env)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
