"""`mopidy mtscrobble queue edit|hold|release|delete ID`: the editable queue
(see `store.editing`), changed in the database directly, as a running Mopidy
sees it at its next round; after a release, a running Mopidy is asked to send
at once (else its delivery notices within a minute)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from .. import queue_edits
from ..datadir import prepare_data_dir
from ..store import Scrobble, Store
from .common import EXIT_FAILED, EXIT_OK, Config, ask_running_mopidy

ACTIONS = ("edit", "hold", "release", "delete")
# `queue edit` options, each a name of the play.
NAME_OPTIONS = {
    "artist": "--artist",
    "track": "--track",
    "album": "--album",
    "album_artist": "--album-artist",
}
ARGUMENTS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (
        ("action",),
        {"nargs": "?", "choices": ACTIONS, "help": "change one queued scrobble"},
    ),
    (("id",), {"nargs": "?", "type": int, "help": "the scrobble's number (#N)"}),
    *(
        ((option,), {"dest": name, "help": f"queue edit: the {option[2:]} to send"})
        for name, option in NAME_OPTIONS.items()
    ),
    (
        ("--yes",),
        {"action": "store_true", "help": "queue delete: do not ask to confirm"},
    ),
)


def change_entry(
    config: Config,
    args: argparse.Namespace,
    ask: Callable[[str], str] | None = None,
    interactive: Callable[[], bool] | None = None,
) -> int:
    """One change to entry `args.id` (raises `MTScrobbleError` when refused).
    A delete is confirmed with `ask` (input) on a terminal (`interactive`)."""
    ask = ask or input
    interactive = interactive or sys.stdin.isatty
    if args.id is None:
        print(
            f"Which scrobble? Give its number: mopidy mtscrobble queue {args.action} ID"
        )
        return EXIT_FAILED
    changes = {
        n: getattr(args, n) for n in NAME_OPTIONS if getattr(args, n, None) is not None
    }
    if args.action == "edit" and not changes:
        options = ", ".join(NAME_OPTIONS.values())
        print(f"Nothing to edit: give at least one of {options}.")
        return EXIT_FAILED
    if args.action == "delete" and not args.yes:
        if not interactive():
            print(
                f"Deleting scrobble #{args.id} cannot be undone; to delete it "
                "without a terminal to confirm on, add --yes."
            )
            return EXIT_FAILED
        answer = ask(f"Delete scrobble #{args.id} for good? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was deleted.")
            return EXIT_FAILED
    store = Store.open(prepare_data_dir(config), time.time())
    try:
        if args.action == "edit":
            entry = queue_edits.edit(store, args.id, changes)
            print(
                f"Scrobble #{entry.id} will be sent as {entry.artist} - {entry.track}"
                + (f" [{entry.album}]" if entry.album else "")
                + "."
            )
        elif args.action == "hold":
            store.editing.hold(args.id)
            print(f"Scrobble #{args.id} is held: it is sent nowhere until released.")
        elif args.action == "release":
            store.editing.release(args.id)
            ask_running_mopidy(config, f"queue/{args.id}/release")
            print(f"Scrobble #{args.id} is released: it is sent with the queue.")
        else:
            store.editing.delete(args.id)
            print(f"Scrobble #{args.id} is deleted.")
    finally:
        store.close()
    return EXIT_OK


def edit_notes(entry: Scrobble, held: bool) -> str:
    """What the queue listing adds to an entry: held, and the names it was
    heard with when it is sent with others."""
    notes = "  [held]" if held else ""
    heard = (entry.heard_artist, entry.heard_track)
    if heard != (entry.artist, entry.track) and None not in heard:
        notes += f"  [heard as {entry.heard_artist} - {entry.heard_track}]"
    elif entry.heard_album != entry.album and entry.heard_album is not None:
        notes += f"  [heard on {entry.heard_album}]"
    return notes
