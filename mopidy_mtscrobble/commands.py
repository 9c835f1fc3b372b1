"""The `mopidy mtscrobble ...` commands.

login, logout, status, queue, retry, import-loved, sync-playcounts, love, unlove.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from .compat import Subcommand
from .compat import build_command as _build
from .datadir import prepare_data_dir
from .delivery import MAX_AGE_S, Delivery, State
from .errors import (
    CredentialsError,
    LastfmError,
    MTScrobbleError,
    StorageError,
    TokenExpiredError,
    TokenNotAuthorizedError,
    TransientError,
)
from .lastfm import LastfmClient
from .session import SessionFile
from .settings import API_ACCOUNT_URL, Settings
from .store import Store

EXIT_OK = 0
EXIT_FAILED = 1
LOGIN_POLL_S = 3.0
TOKEN_LIFETIME_S = 60 * 60
HTTP_TIMEOUT_S = 5.0
DEFAULT_QUEUE_LIMIT = 50
DIRECT_RETRY_MAX_ROUNDS = 1000
PROGRESS_POLL_S = 1.0
IMPORT_WAIT_S = 6 * 60 * 60.0  # the largest imports take minutes, not hours


def _utc(timestamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _settings(config: Mapping[str, Any]) -> Settings:
    return Settings.from_config(config["mtscrobble"])


def _credentials_problem(settings: Settings) -> str | None:
    missing = settings.missing_credentials()
    if not missing:
        return None
    keys = " and ".join(f"mtscrobble/{k}" for k in missing)
    return (
        f"{keys} not set. Create an API account at {API_ACCOUNT_URL} and put its "
        "key and secret in the [mtscrobble] section of mopidy.conf."
    )


def _missing_credentials(settings: Settings) -> bool:
    """Says what to do when the API key or secret is missing."""
    problem = _credentials_problem(settings)
    if problem:
        print(f"Error: {problem}")
    return problem is not None


def _guarded(run: Callable[[Mapping[str, Any], argparse.Namespace], int]):
    """Commands end with a message and an exit code, never a traceback."""

    def wrapper(config: Mapping[str, Any], args: argparse.Namespace) -> int:
        try:
            return run(config, args)
        except MTScrobbleError as exc:
            print(f"Error: {exc}")
            return EXIT_FAILED
        except KeyboardInterrupt:
            print("\nCancelled.")
            return EXIT_FAILED

    wrapper.__name__ = run.__name__
    return wrapper


# login / logout


@_guarded
def login(config: Mapping[str, Any], args: argparse.Namespace) -> int:
    settings = _settings(config)
    if _missing_credentials(settings):
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


@_guarded
def logout(config: Mapping[str, Any], _args: argparse.Namespace) -> int:
    settings = _settings(config)
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


# status / queue


def _connection(
    settings: Settings, session, saved: Mapping[str, str | None]
) -> tuple[bool, str]:
    problem = _credentials_problem(settings)
    if problem:
        return False, f"not connected: {problem}"
    state = saved.get("state")
    if state == State.BAD_CREDENTIALS:
        return False, (
            f"not connected: {settings.network_name} refused the API key "
            "or secret. Check mtscrobble/api_key and mtscrobble/api_secret."
        )
    if session is None:
        if state == State.LOGIN_FAILED:
            return False, (
                "not connected: logging in with mtscrobble/username and "
                "mtscrobble/password failed. Check them."
            )
        if settings.username and settings.password:
            return (
                False,
                "not connected yet: Mopidy logs in with mtscrobble/username at startup",
            )
        return False, "not connected: run 'mopidy mtscrobble login'"
    if state == State.NEEDS_REAUTH:
        return False, (
            f"session revoked: {settings.network_name} no longer accepts it. "
            "Run 'mopidy mtscrobble login' again."
        )
    if state == State.RETRYING:
        return True, (
            f"connected as {session.username}; {settings.network_name} "
            "is not reachable for now"
        )
    return True, f"connected as {session.username}"


@_guarded
def status(config: Mapping[str, Any], _args: argparse.Namespace) -> int:
    settings = _settings(config)
    data_dir = prepare_data_dir(config)
    session = SessionFile(data_dir, settings.network).load()
    now = time.time()
    store = Store.open(data_dir, now)
    try:
        counts = store.counts()
        sent_today = store.count_sent_since(now - 86_400)
        oldest = store.oldest_waiting()
        saved = store.status()
        jobs = {kind: store.job(kind) for kind in WHAT}
        matched = {kind: store.match_counts(kind) for kind in WHAT}
        loves = store.love_action_counts()
    finally:
        store.close()
    connected, text = _connection(settings, session, saved)
    print(f"Connection: {text}")
    print(f"Network: {settings.network_name}")
    print(
        f"Queue: {counts['pending']} pending, {counts['in_flight']} in flight, "
        f"{counts['rejected']} rejected, {sent_today} sent in the last 24 h"
    )
    if oldest is not None:
        print(
            f"Oldest waiting: {oldest.artist} - {oldest.track}, played "
            f"{_utc(oldest.timestamp)}, expires {_utc(oldest.timestamp + MAX_AGE_S)}"
        )
    if saved.get("last_error"):
        print(f"Last error: {saved['last_error']}")
    if saved.get("next_retry_at") and int(saved["next_retry_at"]) > now:
        print(f"Next retry: {_utc(int(saved['next_retry_at']))}")
    for kind, label in (("loved", "Loved tracks"), ("playcounts", "Play counts")):
        job, songs = jobs[kind], matched[kind]
        if job is None:
            print(f"{label}: not imported yet (after the first login)")
        elif job.state in ("running", "matching", "failed"):
            print(_progress(kind, job))
        if songs["total"] or (job is not None and job.state == "done"):
            print(
                f"{label}: {songs['total']} songs, {songs['matched']} in your "
                f"library, {songs['missing']} not found"
                + (f", {songs['waiting']} still to match" if songs["waiting"] else "")
            )
    if loves["pending"] or loves["rejected"]:
        print(
            f"Loves and unloves: {loves['pending']} waiting to be sent, "
            f"{loves['rejected']} refused"
        )
    print(f"Data directory: {data_dir}")
    return EXIT_OK if connected else EXIT_FAILED


@_guarded
def queue(config: Mapping[str, Any], args: argparse.Namespace) -> int:
    data_dir = prepare_data_dir(config)
    states = ("rejected",) if args.rejected else ("pending", "in_flight", "rejected")
    store = Store.open(data_dir, time.time())
    try:
        entries = store.by_states(states, args.limit)
        counts = store.counts()
    finally:
        store.close()
    if not entries:
        print("No rejected scrobbles." if args.rejected else "The queue is empty.")
        return EXIT_OK
    for entry in entries:
        line = (
            f"#{entry.id:<6} {entry.state:<9} {_utc(entry.timestamp)}  "
            f"{entry.artist} - {entry.track}"
        )
        if entry.state == "rejected":
            line += f"  [rejected: {entry.last_error}]"
        elif entry.last_error:
            line += f"  [{entry.attempts} attempts; last error: {entry.last_error}]"
        print(line)
    total = sum(counts[s] for s in states)
    if total > len(entries):
        print(f"... and {total - len(entries)} more (use --limit)")
    return EXIT_OK


# retry


def _ask_running_mopidy(
    config: Mapping[str, Any], path: str, body: Mapping[str, Any] | None = None
) -> tuple[int, dict[str, Any]] | None:
    """POST to a running Mopidy's API: (HTTP status, answer), or None if none runs."""
    http = config.get("http") or {}
    if not http.get("enabled", True):
        return None
    host = str(http.get("hostname") or "127.0.0.1")
    if host in ("::", "0.0.0.0", ""):  # noqa: S104 - listening everywhere: ask locally
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    request = urllib.request.Request(
        f"http://{host}:{http.get('port', 6680)}/mtscrobble/api/{path}",
        data=json.dumps(body or {}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as answer:  # noqa: S310 - our own server
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        if error.code == 404 and "json" not in (error.headers["Content-Type"] or ""):
            return None  # a Mopidy without this extension's web app
        try:
            return error.code, json.load(error)
        except ValueError:
            return error.code, {"error": f"HTTP {error.code}"}
    except (OSError, ValueError):
        return None


@_guarded
def retry(config: Mapping[str, Any], _args: argparse.Namespace) -> int:
    asked = _ask_running_mopidy(config, "retry")
    if asked is not None and asked[0] == 202:
        print("Asked the running Mopidy to send the queue now.")
        return EXIT_OK
    settings = _settings(config)
    if _missing_credentials(settings):
        return EXIT_FAILED
    delivery = Delivery(settings, prepare_data_dir(config))
    try:
        delivery.open()
    except StorageError:
        print(
            "A running Mopidy is sending the queue, but it could not be asked to "
            "retry now (is its HTTP server enabled?). It retries on its own; "
            "'mopidy mtscrobble status' shows when."
        )
        return EXIT_FAILED
    try:
        before = delivery.counts()
        for _ in range(DIRECT_RETRY_MAX_ROUNDS):
            if delivery.step() != 0.0:
                break
        after = delivery.counts()
        result = delivery.status()
    finally:
        delivery.close()
    sent = after["sent"] - before["sent"]
    waiting = after["pending"] + after["in_flight"]
    print(f"Sent {sent} scrobbles; {waiting} waiting, {after['rejected']} rejected.")
    if waiting and result.state != State.CONNECTED:
        print(f"Delivery is {result.state}: {result.last_error or 'see status'}")
        return EXIT_FAILED
    return EXIT_OK


# import-loved / sync-playcounts / love / unlove

WHAT = {"loved": "loved tracks", "playcounts": "play counts"}
API_PATH = {"loved": "import-loved", "playcounts": "sync-playcounts"}


def _imported(kind: str, songs: int) -> str:
    if kind == "loved":
        return f"Imported {songs} loved tracks"
    return f"Imported the play counts of {songs} songs"


def _progress(kind: str, job) -> str:
    what = WHAT[kind]
    if job is None:
        return "Waiting for the import to start..."
    if job.state == "running":
        if job.pages is None:
            return f"Importing {what}: starting..."
        return (
            f"Importing {what}: page {job.page} of {job.pages} "
            f"({job.fetched} of {job.total} songs)"
        )
    if job.state == "matching":
        return f"{_imported(kind, job.fetched)}; matching them to your library..."
    if job.state == "failed":
        return f"Importing {what} failed: {job.error}"
    return (
        f"{_imported(kind, job.fetched)}: {job.matched} in your library, "
        f"{job.unmatched} not found."
    )


class _ProgressLine:
    """One line rewritten in place on a terminal; new lines otherwise."""

    def __init__(self) -> None:
        self._last = ""
        self._tty = sys.stdout.isatty()

    def show(self, text: str) -> None:
        if text == self._last:
            return
        if self._tty:
            print(f"\r{text:<{len(self._last)}}", end="", flush=True)
        else:
            print(text, flush=True)
        self._last = text

    def done(self) -> None:
        if self._tty and self._last:
            print()


def _job(data_dir, kind: str):
    store = Store.open(data_dir, time.time())
    try:
        return store.job(kind)
    finally:
        store.close()


def _follow_import(data_dir, kind: str, earlier_run: int) -> int:
    """Show a running Mopidy's import (a run after `earlier_run`) until it ends."""
    line = _ProgressLine()
    deadline = time.monotonic() + IMPORT_WAIT_S
    try:
        while time.monotonic() < deadline:
            job = _job(data_dir, kind)
            if job is not None and job.run <= earlier_run:
                job = None  # the earlier import's row; ours has not started
            line.show(_progress(kind, job))
            if job is not None and job.state in ("done", "failed"):
                return EXIT_OK if job.state == "done" else EXIT_FAILED
            time.sleep(PROGRESS_POLL_S)
    finally:
        line.done()
    print("Still importing; 'mopidy mtscrobble status' shows how far it got.")
    return EXIT_OK


def _import_directly(config: Mapping[str, Any], settings: Settings, kind: str) -> int:
    delivery = Delivery(settings, prepare_data_dir(config))
    try:
        delivery.open()
    except StorageError:
        print(
            "A running Mopidy uses this data directory, but it could not be asked "
            "to import (is its HTTP server enabled?)."
        )
        return EXIT_FAILED
    line = _ProgressLine()
    try:
        delivery.start_import(kind)
        while delivery.importing(kind):
            delay = delivery.step()
            job = delivery.job(kind)
            if job is not None and job.state == "running":
                line.show(_progress(kind, job))
            if delivery.importing(kind) and delay != 0.0:
                line.done()
                result = delivery.status()
                print(
                    f"The import paused ({result.last_error or result.state}). "
                    "It goes on from there when Mopidy runs, or when you run "
                    "this command again."
                )
                return EXIT_FAILED
        job = delivery.job(kind)
    finally:
        line.done()
        delivery.close()
    if job is None or job.state == "failed":
        print(_progress(kind, job))
        return EXIT_FAILED
    print(
        f"{_imported(kind, job.fetched)}. Mopidy matches them to your library "
        "when it runs."
    )
    return EXIT_OK


def _import_command(kind: str):
    @_guarded
    def run(config: Mapping[str, Any], _args: argparse.Namespace) -> int:
        settings = _settings(config)
        if _missing_credentials(settings):
            return EXIT_FAILED
        data_dir = prepare_data_dir(config)
        earlier = _job(data_dir, kind)
        earlier_run = earlier.run if earlier is not None else 0
        asked = _ask_running_mopidy(config, API_PATH[kind])
        if asked is None:
            return _import_directly(config, settings, kind)
        status_code, answer = asked
        if status_code == 409:
            print("An import is already running; showing its progress.")
            earlier_run = 0
        elif status_code != 202:
            print(f"Error: {answer.get('error', status_code)}")
            return EXIT_FAILED
        else:
            print(f"The running Mopidy imports your {WHAT[kind]}.")
        return _follow_import(data_dir, kind, earlier_run)

    run.__name__ = API_PATH[kind]
    return run


def _love_command(love: bool):
    @_guarded
    def run(config: Mapping[str, Any], args: argparse.Namespace) -> int:
        body = {"uri": args.uri} if args.uri else {}
        asked = _ask_running_mopidy(config, "love" if love else "unlove", body)
        if asked is None:
            print(
                "Error: no running Mopidy answered (is its HTTP server enabled?). "
                "Loving a track needs Mopidy running, to know the track."
            )
            return EXIT_FAILED
        status_code, answer = asked
        if status_code != 200:
            print(f"Error: {answer.get('error', status_code)}")
            return EXIT_FAILED
        verb = "Loved" if love else "Unloved"
        print(
            f"{verb}: {answer['artist']} - {answer['track']} ({answer['uri']}). "
            f"{_settings(config).network_name} is told as soon as it can be reached."
        )
        return EXIT_OK

    run.__name__ = "love" if love else "unlove"
    return run


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
        help="List queued and rejected scrobbles, with reasons.",
        run=queue,
        arguments=(
            (("--rejected",), {"action": "store_true", "help": "only rejected ones"}),
            (
                ("--limit",),
                {
                    "type": int,
                    "default": DEFAULT_QUEUE_LIMIT,
                    "help": "at most this many lines",
                },
            ),
        ),
    ),
    Subcommand(
        name="retry",
        help="Send the queue now: asks a running Mopidy, or sends it directly.",
        run=retry,
    ),
    Subcommand(
        name="import-loved",
        help="Import your loved tracks again (replaces the imported set).",
        run=_import_command("loved"),
    ),
    Subcommand(
        name="sync-playcounts",
        help="Sync your play counts again (replaces the synced numbers).",
        run=_import_command("playcounts"),
    ),
    Subcommand(
        name="love",
        help="Love the current track, or the track with the given URI.",
        run=_love_command(love=True),
        arguments=((("uri",), {"nargs": "?", "help": "a track URI"}),),
    ),
    Subcommand(
        name="unlove",
        help="Unlove the current track, or the track with the given URI.",
        run=_love_command(love=False),
        arguments=((("uri",), {"nargs": "?", "help": "a track URI"}),),
    ),
)


def build_command() -> Any:
    return _build("Scrobble to Last.fm and manage Mopidy-MTScrobble.", SUBCOMMANDS)
