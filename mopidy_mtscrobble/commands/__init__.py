"""The `mopidy mtscrobble ...` commands.

login, logout, status, queue, retry, resend, import-loved, sync-playcounts, love,
unlove, correct, rematch, export.
"""

from __future__ import annotations

from typing import Any

from ..compat import Subcommand
from ..compat import build_command as build
from ..kinds import IMPORTS
from .account import LOGIN_POLL_S, login, logout
from .corrections import ARGUMENTS as CORRECT_ARGUMENTS
from .corrections import correct
from .export import ARGUMENTS as EXPORT_ARGUMENTS
from .export import export_history
from .imports import import_command, love_command
from .private import SUBCOMMAND_ARGUMENTS as PAUSE_ARGUMENTS
from .private import pause, resume, skip
from .queue import DEFAULT_QUEUE_LIMIT, queue, retry, status
from .queue_edits import ARGUMENTS as QUEUE_EDIT_ARGUMENTS
from .rematch import rematch
from .resend import DATE_FORMATS, resend

SUBCOMMANDS = (
    Subcommand(
        name="login",
        help="Connect to the configured network by approving access in a browser.",
        run=login,
        arguments=(
            (
                ("--poll-interval",),
                {
                    "type": float,
                    "default": LOGIN_POLL_S,
                    "help": "seconds between checks for the approval",
                },
            ),
        ),
    ),
    Subcommand(
        name="logout", help="Forget the session; queued scrobbles stay.", run=logout
    ),
    Subcommand(
        name="status",
        help="Show the connection, the queue and the last error.",
        run=status,
    ),
    Subcommand(
        name="queue",
        help="List queued and rejected scrobbles, with reasons; edit, hold, "
        "release or delete one (queue edit|hold|release|delete ID).",
        run=queue,
        arguments=(
            (("--rejected",), {"action": "store_true", "help": "only rejected ones"}),
            (
                ("--to",),
                {"help": "a destination name (default: the first)"},
            ),
            (
                ("--limit",),
                {
                    "type": int,
                    "default": DEFAULT_QUEUE_LIMIT,
                    "help": "at most this many lines",
                },
            ),
            *QUEUE_EDIT_ARGUMENTS,
        ),
    ),
    Subcommand(
        name="retry",
        help="Send the queue now: asks a running Mopidy, or sends it directly.",
        run=retry,
    ),
    Subcommand(
        name="resend",
        help="Queue the plays since a date for a destination that does not have "
        "them (one added later).",
        run=resend,
        arguments=(
            (
                ("--to",),
                {"required": True, "metavar": "NAME", "help": "a destination"},
            ),
            (
                ("--since",),
                {"required": True, "metavar": "DATE", "help": DATE_FORMATS},
            ),
        ),
    ),
    *(
        Subcommand(
            name=kind.command,
            help=kind.help,
            run=import_command(kind),
        )
        for kind in IMPORTS
    ),
    Subcommand(
        name="love",
        help="Love the current track, or the track with the given URI.",
        run=love_command(love=True),
        arguments=((("uri",), {"nargs": "?", "help": "a track URI"}),),
    ),
    Subcommand(
        name="unlove",
        help="Unlove the current track, or the track with the given URI.",
        run=love_command(love=False),
        arguments=((("uri",), {"nargs": "?", "help": "a track URI"}),),
    ),
    Subcommand(
        name="correct",
        help="Saved corrections: always send an artist, track or album as "
        "other names (add, list, edit ID, delete ID).",
        run=correct,
        arguments=CORRECT_ARGUMENTS,
    ),
    Subcommand(
        name="pause",
        help="Private mode: no scrobbles nor now playing for a while.",
        run=pause,
        arguments=PAUSE_ARGUMENTS,
    ),
    Subcommand(name="resume", help="End private mode: scrobble again.", run=resume),
    Subcommand(name="skip", help="Do not scrobble the track playing now.", run=skip),
    Subcommand(
        name="rematch",
        help="Match your library again now: new tracks to loved and counted "
        "songs, removed ones unmatched (asks the running Mopidy).",
        run=rematch,
    ),
    Subcommand(
        name="export",
        help="Write your listening history as CSV or as JSON lines "
        "(ListenBrainz's listen format).",
        run=export_history,
        arguments=EXPORT_ARGUMENTS,
    ),
)


def build_command() -> Any:
    return build("Scrobble to Last.fm and manage Mopidy-MTScrobble.", SUBCOMMANDS)
