"""What the commands share: exit codes, errors shown as messages, asking a
running Mopidy, a progress line."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import MTScrobbleError
from ..settings import Settings

EXIT_OK = 0
EXIT_FAILED = 1
HTTP_TIMEOUT_S = 5.0

Config = Mapping[str, Any]
Runner = Callable[[Config, argparse.Namespace], int]


def utc(timestamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def settings_of(config: Config) -> Settings:
    return Settings.from_config(config["mtscrobble"])


def missing_credentials(settings: Settings) -> bool:
    """Says what to do when the API key or secret is missing."""
    problem = settings.credentials_problem()
    if problem:
        print(f"Error: {problem}")
    return problem is not None


def guarded(run: Runner) -> Runner:
    """Commands end with a message and an exit code, never a traceback."""

    def wrapper(config: Config, args: argparse.Namespace) -> int:
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


def ask_running_mopidy(
    config: Config, path: str, body: Mapping[str, Any] | None = None
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


class ProgressLine:
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
