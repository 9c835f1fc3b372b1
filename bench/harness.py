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
from tests.fakes.lastfm import FakeLastfm


def logged_in_delivery(server: FakeLastfm, folder: pathlib.Path, user: str) -> Delivery:
    """An opened Delivery in `folder`, with a session of `user` on `server`."""
    worker = lastfm_delivery(server, folder, user)
    worker.open()
    return worker


def lastfm_delivery(server: FakeLastfm, folder: pathlib.Path, user: str) -> Delivery:
    """A Delivery in `folder` with a session of `user` on `server`, not opened
    yet (its thread opens it, as Mopidy starts it)."""
    pylast.SSL_CONTEXT.load_verify_locations(server.ca_file(folder / "ca.pem"))
    key = server.add_user(user)
    SessionFile(folder, "custom").save(Session(key=key, username=user))
    settings = Settings(
        network="custom",
        api_url=server.url,
        api_key=server.api_key,
        api_secret=server.api_secret,
    )
    return Delivery(settings, folder)


def print_table(
    title: str, rows: list[tuple[str, ...]], columns: tuple[str, ...] = ("value",)
) -> None:
    """A measure per row, a value per column (a row may leave its last ones out)."""
    widths = [max(len("measure"), *(len(row[0]) for row in rows))]
    for i, column in enumerate(columns[:-1], start=1):
        widths.append(max(len(column), *(len(r[i]) for r in rows if len(r) > i)))

    def line(cells: tuple[str, ...]) -> str:
        padded = [f"{c:<{w}}" for c, w in zip(cells[:-1], widths, strict=False)]
        return " | ".join([*padded, cells[-1]])

    print(f"\n{title}")
    print(line(("measure", *columns)))
    print("-+-".join("-" * w for w in [*widths, 14]))
    for row in rows:
        print(line(row))
