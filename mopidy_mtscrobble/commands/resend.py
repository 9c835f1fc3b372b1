"""`resend --to NAME --since DATE`: old plays for a destination added later.

A play is queued for the destinations configured when it qualified. A
destination added later gets older plays only when asked, here: each play
since the date that the destination has no state for is queued for it (one
it has sent, refused or still holds is left as it is, so nothing goes twice).
"""

from __future__ import annotations

import argparse
import datetime
import time

from ..datadir import prepare_data_dir
from ..delivery import MAX_AGE_S
from ..destinations import LASTFM
from ..store import Store
from .common import (
    EXIT_FAILED,
    EXIT_OK,
    Config,
    ask_running_mopidy,
    guarded,
    settings_of,
    utc,
)

DATE_FORMATS = "YYYY-MM-DD or YYYY-MM-DDTHH:MM (your local time, or with +HH:MM or Z)"


class DateError(ValueError):
    pass


def parse_since(text: str, now_s: float) -> float:
    """A date or date and time as the user writes it: seconds since the epoch.

    Without a time zone it is the machine's local time. Raises `DateError`
    with what to write instead.
    """
    text = text.strip()
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise DateError(f"{text!r} is not a date: write {DATE_FORMATS}.") from None
    try:
        since = when.timestamp()  # naive: local time
    except (OverflowError, OSError, ValueError):
        raise DateError(f"{text!r} is out of range.") from None
    if since > now_s:
        raise DateError(f"{text!r} is in the future: nothing has been played since.")
    return since


@guarded
def resend(config: Config, args: argparse.Namespace) -> int:
    settings = settings_of(config)
    names = settings.destinations
    if args.to not in names:
        configured = ", ".join(names) if names else "none"
        print(
            f"Error: no destination named {args.to!r} is configured "
            f"(configured: {configured})."
        )
        return EXIT_FAILED
    now = time.time()
    try:
        since = parse_since(args.since, now)
    except DateError as exc:
        print(f"Error: {exc}")
        return EXIT_FAILED
    store = Store.open(prepare_data_dir(config), now)
    try:
        queued = store.plays.resend(to=args.to, since_s=since, now_s=now)
    finally:
        store.close()
    print(
        f"Queued {queued} plays since {utc(since)} for {args.to} (plays it has "
        "already sent, refused or queued are left as they are)."
    )
    if queued and args.to == LASTFM and since < now - MAX_AGE_S:
        print(
            "Plays older than 14 days will be refused: Last.fm takes scrobbles "
            "up to 14 days old."
        )
    if not queued:
        return EXIT_OK
    asked = ask_running_mopidy(config, "retry")
    if asked is not None and asked[0] == 202:
        print("Asked the running Mopidy to send them now.")
    else:
        print(
            "Mopidy sends them when it next starts or queues a play (with its "
            "HTTP server on, this command asks a running Mopidy to send them at "
            "once)."
        )
    return EXIT_OK
