"""`rematch`: match the library again now (new tracks in, removed ones out)."""

from __future__ import annotations

import argparse

from .common import EXIT_FAILED, EXIT_OK, Config, ask_running_mopidy, guarded


@guarded
def rematch(config: Config, _args: argparse.Namespace) -> int:
    """Asks the running Mopidy, the one that can read the library."""
    asked = ask_running_mopidy(config, "rematch")
    if asked is None:
        # Only a running Mopidy has the library's backends to ask.
        print(
            "No running Mopidy answered (is its HTTP server enabled?). Mopidy "
            "rematches your library each time it starts, and every "
            "mtscrobble/rematch_interval minutes while it runs."
        )
        return EXIT_OK
    status_code, answer = asked
    if status_code != 202:
        print(f"Error: {answer.get('error', status_code)}")
        return EXIT_FAILED
    print(
        "The running Mopidy rematches your library: new tracks are matched to "
        "your loved and counted songs, removed ones unmatched. "
        "'mopidy mtscrobble status' shows the counts when it is done."
    )
    return EXIT_OK
