"""The `mopidy mtscrobble ...` commands."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from .compat import Subcommand
from .compat import build_command as _build
from .datadir import prepare_data_dir
from .errors import MTScrobbleError
from .settings import Settings

EXIT_OK = 0
EXIT_FAILED = 1


def status(config: Mapping[str, Any], _args: argparse.Namespace) -> int:
    settings = Settings.from_config(config["mtscrobble"])
    print(f"Network: {settings.network_name}")
    missing = settings.missing_credentials()
    if missing:
        print(
            "API credentials: missing " + ", ".join(f"mtscrobble/{k}" for k in missing)
        )
    else:
        print("API credentials: set")
    try:
        print(f"Data directory: {prepare_data_dir(config)}")
    except MTScrobbleError as exc:
        print(f"Data directory: unusable. {exc}")
        return EXIT_FAILED
    return EXIT_FAILED if missing else EXIT_OK


SUBCOMMANDS = (
    Subcommand(
        name="status",
        help="Show the network, whether credentials are set, and where data lives.",
        run=status,
    ),
)


def build_command() -> Any:
    return _build("Scrobble to Last.fm and manage Mopidy-MTScrobble.", SUBCOMMANDS)
