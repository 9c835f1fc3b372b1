"""Connecting: `mopidy mtscrobble login` and `logout`."""

from __future__ import annotations

import argparse
import time

from ..datadir import prepare_data_dir
from ..errors import (
    CredentialsError,
    LastfmError,
    TokenExpiredError,
    TokenNotAuthorizedError,
    TransientError,
)
from ..lastfm import LastfmClient
from ..session import SessionFile
from .common import (
    EXIT_FAILED,
    EXIT_OK,
    Config,
    guarded,
    missing_credentials,
    settings_of,
)

LOGIN_POLL_S = 3.0
TOKEN_LIFETIME_S = 60 * 60


@guarded
def login(config: Config, args: argparse.Namespace) -> int:
    settings = settings_of(config)
    if missing_credentials(settings):
        return EXIT_FAILED
    data_dir = prepare_data_dir(config)
    client = LastfmClient(settings)
    network = settings.network_name
    try:
        token = client.get_token()
    except CredentialsError as exc:
        print(
            f"Error: {network} refused the API key or secret ({exc}). Check "
            "mtscrobble/api_key and mtscrobble/api_secret in mopidy.conf."
        )
        return EXIT_FAILED
    except TransientError as exc:
        print(f"Error: cannot reach {network}: {exc}. Check the network and try again.")
        return EXIT_FAILED
    print(f"Open this page, log in to {network} and allow access:\n")
    print(f"  {client.authorization_url(token=token)}\n")
    print("Waiting for your approval (Ctrl-C to cancel)...", flush=True)
    deadline = time.monotonic() + TOKEN_LIFETIME_S
    while time.monotonic() < deadline:
        time.sleep(args.poll_interval)
        try:
            session = client.get_session(token)
        except TokenNotAuthorizedError:
            continue
        except TransientError:
            continue  # a short outage while the user is approving
        except TokenExpiredError:
            break
        except LastfmError as exc:
            print(f"Error: logging in failed: {exc}")
            return EXIT_FAILED
        SessionFile(data_dir, settings.network).save(session)
        print(f"Connected to {network} as {session.username}")
        return EXIT_OK
    print(
        "The authorization expired before it was approved. "
        "Run 'mopidy mtscrobble login' again."
    )
    return EXIT_FAILED


@guarded
def logout(config: Config, _args: argparse.Namespace) -> int:
    settings = settings_of(config)
    sessions = SessionFile(prepare_data_dir(config), settings.network)
    if sessions.load() is None:
        print(f"Not logged in to {settings.network_name}.")
        return EXIT_OK
    sessions.clear()
    print(
        f"Logged out of {settings.network_name}. Queued scrobbles stay and are "
        "sent after the next login."
    )
    return EXIT_OK
