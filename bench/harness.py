"""What the benchmarks share: a delivery logged in to the fake server, the table."""

from __future__ import annotations

import pathlib
import sys

import pylast

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from mopidy_mtscrobble.delivery import Delivery
from mopidy_mtscrobble.lastfm import Session
from mopidy_mtscrobble.session import SessionFile
from mopidy_mtscrobble.settings import Settings
from tests.fake_lastfm import FakeLastfm


def logged_in_delivery(server: FakeLastfm, folder: pathlib.Path, user: str) -> Delivery:
    """An opened Delivery in `folder`, with a session of `user` on `server`."""
    pylast.SSL_CONTEXT.load_verify_locations(server.ca_file(folder / "ca.pem"))
    key = server.add_user(user)
    SessionFile(folder, "custom").save(Session(key=key, username=user))
    settings = Settings(
        network="custom",
        api_url=server.url,
        api_key=server.api_key,
        api_secret=server.api_secret,
    )
    worker = Delivery(settings, folder)
    worker.open()
    return worker


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    print(f"\n{title}")
    print(f"{'measure':<{width}} | value")
    print(f"{'-' * width}-+-{'-' * 14}")
    for name, value in rows:
        print(f"{name:<{width}} | {value}")
