"""`correct add|list|edit|delete`: saved corrections, "always send X as Y".

The command writes the database directly, like the others, also while
Mopidy runs: Mopidy reads the corrections at each play it queues, so a
change counts from the next play on, with no restart.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from ..datadir import prepare_data_dir
from ..store import Correction, Store
from ..store.corrections import FIELDS
from .common import EXIT_FAILED, EXIT_OK, Config, guarded

ACTIONS = ("add", "list", "edit", "delete")
OPTIONS = {  # argument: correction field
    "artist": "match_artist",
    "track": "match_track",
    "album": "match_album",
    "to_artist": "artist",
    "to_track": "track",
    "to_album": "album",
}
ARGUMENTS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("action",), {"choices": ACTIONS, "help": "what to do"}),
    (("id",), {"nargs": "?", "type": int, "help": "a correction's number (edit, "
                                                   "delete)"}),
    (("--artist",), {"help": "the artist it matches"}),
    (("--track",), {"help": "the track it matches (default: any)"}),
    (("--album",), {"help": "the album it matches (default: any)"}),
    (("--to-artist",), {"help": "the artist to send instead"}),
    (("--to-track",), {"help": "the track to send instead"}),
    (("--to-album",), {"help": "the album to send instead"}),
    (
        ("--apply-waiting",),
        {"action": "store_true", "help": "also correct the plays still waiting"},
    ),
)  # fmt: skip


def describe(found: Correction) -> str:
    """One line: what a correction matches and what it sends instead."""

    def names(values: list[str | None]) -> str:
        return ", ".join(
            f"{name} {value!r}"
            for name, value in zip(FIELDS, values, strict=True)
            if value is not None
        )

    matched = names([found.match_artist, found.match_track, found.match_album])
    sent = names([found.artist, found.track, found.album])
    return f"#{found.id}: {matched} -> {sent}"


@guarded
def correct(config: Config, args: argparse.Namespace) -> int:
    if args.action in ("edit", "delete") and args.id is None:
        print(f"Error: give the number of the correction to {args.action} "
              "(see `mopidy mtscrobble correct list`).")  # fmt: skip
        return EXIT_FAILED
    given = {
        field: getattr(args, option)
        for option, field in OPTIONS.items()
        if getattr(args, option) is not None
    }
    now = time.time()
    store = Store.open(prepare_data_dir(config), now)
    try:
        if args.action == "list":
            found = store.corrections.list()
            for correction in found:
                print(describe(correction))
            if not found:
                print("No corrections saved (add one with `correct add`).")
            return EXIT_OK
        if args.action == "delete":
            store.corrections.delete(args.id)
            print(f"Deleted correction #{args.id}.")
            return EXIT_OK
        if args.action == "add":
            saved = store.corrections.add(given, now)
            print(f"Saved {describe(saved)}")
        else:
            old = store.corrections.get(args.id)
            fields = [f"match_{name}" for name in FIELDS] + list(FIELDS)
            values = {field: getattr(old, field) for field in fields}
            saved = store.corrections.update(args.id, values | given, now)
            print(f"Changed {describe(saved)}")
        print("It counts for the plays queued from now on.")
        if args.apply_waiting:
            changed = store.corrections.apply_to_waiting(saved.id)
            print(f"Corrected {changed} play(s) still waiting to be sent.")
    finally:
        store.close()
    return EXIT_OK
