"""`pause [30m|1h|today|forever]`, `resume`, `skip`: private mode (see `private`).

They write to the database, which a running Mopidy reads when a play starts,
is announced or qualifies: no need to reach Mopidy itself. `skip` keeps out
the play in progress now (the one that started at or before this moment), so
the next track is scrobbled again.
"""

from __future__ import annotations

import argparse
import time

from ..datadir import prepare_data_dir
from ..private import DURATIONS, PrivateState, pause_until
from ..store import Store
from .common import EXIT_OK, Config, guarded, settings_of

DURATION_HELP = (
    "30m, 1h, today (until midnight, local time) or forever (until resumed); "
    "default: private_default in [mtscrobble]"
)


def _open(config: Config) -> Store:
    return Store.open(prepare_data_dir(config), time.time())


def describe(state: PrivateState, now_s: float) -> str:
    if state.active(now_s):
        return f"Private mode: not scrobbling {state.until_text()}."
    return "Private mode is off: plays are scrobbled."


@guarded
def pause(config: Config, args: argparse.Namespace) -> int:
    duration = args.duration or settings_of(config).private_default
    now = time.time()
    until = pause_until(duration, now)
    store = _open(config)
    try:
        state = store.private.pause(until, now)
    finally:
        store.close()
    print(f"{describe(state, now)} Resume with: mopidy mtscrobble resume")
    return EXIT_OK


@guarded
def resume(config: Config, args: argparse.Namespace) -> int:
    now = time.time()
    store = _open(config)
    try:
        state = store.private.resume(now)
    finally:
        store.close()
    print(describe(state, now))
    return EXIT_OK


@guarded
def skip(config: Config, args: argparse.Namespace) -> int:
    now = time.time()
    store = _open(config)
    try:
        store.private.skip(now)
    finally:
        store.close()
    print(
        "The track playing now will not be scrobbled (if it has not been "
        "queued already); the next one will be."
    )
    return EXIT_OK


SUBCOMMAND_ARGUMENTS = (
    (
        ("duration",),
        {"nargs": "?", "choices": tuple(DURATIONS), "help": DURATION_HELP},
    ),
)
