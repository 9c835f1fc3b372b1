"""Imports and loves: `import-loved`, `sync-playcounts`, `love`, `unlove`."""

from __future__ import annotations

import argparse
import pathlib
import time

from ..datadir import prepare_data_dir
from ..delivery import Delivery
from ..errors import StorageError
from ..kinds import HISTORY, ImportKind
from ..settings import Settings
from ..store import Job, Store
from .common import (
    EXIT_FAILED,
    EXIT_OK,
    Config,
    ProgressLine,
    Runner,
    ask_running_mopidy,
    guarded,
    missing_credentials,
    settings_of,
)
from .history_import import history_progress

PROGRESS_POLL_S = 1.0
IMPORT_WAIT_S = 6 * 60 * 60.0  # the largest imports take minutes, not hours


def progress(kind: ImportKind, job: Job | None) -> str:
    """A line saying how far an import got."""
    if kind is HISTORY:
        return history_progress(job)
    if job is None:
        return "Waiting for the import to start..."
    imported = kind.imported.format(count=job.fetched)
    if job.state == "running":
        if job.pages is None:
            return f"Importing {kind.label}: starting..."
        return (
            f"Importing {kind.label}: page {job.page} of {job.pages} "
            f"({job.fetched} of {job.total} songs)"
        )
    if job.state == "matching":
        return f"{imported}; matching them to your library..."
    if job.state == "failed":
        return f"Importing {kind.label} failed: {job.error}"
    return f"{imported}: {job.matched} in your library, {job.unmatched} not found."


def _job(data_dir: pathlib.Path, kind: ImportKind) -> Job | None:
    store = Store.open(data_dir, time.time())
    try:
        return store.jobs.get(kind)
    finally:
        store.close()


def _follow(data_dir: pathlib.Path, kind: ImportKind, earlier_run: int) -> int:
    """Show a running Mopidy's import (a run after `earlier_run`) until it ends."""
    line = ProgressLine()
    deadline = time.monotonic() + IMPORT_WAIT_S
    try:
        while time.monotonic() < deadline:
            job = _job(data_dir, kind)
            if job is not None and job.run <= earlier_run:
                job = None  # the earlier import's row; ours has not started
            line.show(progress(kind, job))
            if job is not None and job.state in ("done", "failed"):
                return EXIT_OK if job.state == "done" else EXIT_FAILED
            time.sleep(PROGRESS_POLL_S)
    finally:
        line.done()
    print("Still importing; 'mopidy mtscrobble status' shows how far it got.")
    return EXIT_OK


def _import_directly(config: Config, settings: Settings, kind: ImportKind) -> int:
    delivery = Delivery(settings, prepare_data_dir(config))
    try:
        delivery.open()
    except StorageError:
        print(
            "A running Mopidy uses this data directory, but it could not be asked "
            "to import (is its HTTP server enabled?)."
        )
        return EXIT_FAILED
    line = ProgressLine()
    try:
        delivery.start_import(kind.name)
        while delivery.importing(kind.name):
            delay = delivery.step()
            job = delivery.job(kind.name)
            if job is not None and job.state == "running":
                line.show(progress(kind, job))
            if delivery.importing(kind.name) and delay != 0.0:
                line.done()
                result = delivery.status()
                print(
                    f"The import paused ({result.last_error or result.state}). "
                    "It goes on from there when Mopidy runs, or when you run "
                    "this command again."
                )
                return EXIT_FAILED
        job = delivery.job(kind.name)
    finally:
        line.done()
        delivery.close()
    if job is None or job.state == "failed":
        print(progress(kind, job))
        return EXIT_FAILED
    if kind is HISTORY:
        print(progress(kind, job))
        return EXIT_OK
    print(
        f"{kind.imported.format(count=job.fetched)}. Mopidy matches them to your "
        "library when it runs."
    )
    return EXIT_OK


def import_command(kind: ImportKind) -> Runner:
    """The command that imports `kind` again: asks a running Mopidy, else does it."""

    @guarded
    def run(config: Config, _args: argparse.Namespace) -> int:
        settings = settings_of(config)
        if missing_credentials(settings):
            return EXIT_FAILED
        data_dir = prepare_data_dir(config)
        earlier = _job(data_dir, kind)
        earlier_run = earlier.run if earlier is not None else 0
        asked = ask_running_mopidy(config, kind.api_path)
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
            print(f"The running Mopidy imports your {kind.label}.")
        return _follow(data_dir, kind, earlier_run)

    run.__name__ = kind.command
    return run


def love_command(love: bool) -> Runner:
    """`love` or `unlove`: asks the running Mopidy, which knows the track."""

    @guarded
    def run(config: Config, args: argparse.Namespace) -> int:
        body = {"uri": args.uri} if args.uri else {}
        asked = ask_running_mopidy(config, "love" if love else "unlove", body)
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
            f"{settings_of(config).network_name} is told as soon as it can be reached."
        )
        return EXIT_OK

    run.__name__ = "love" if love else "unlove"
    return run
