"""What waits, and sending it: `status`, `queue` and `retry`."""

from __future__ import annotations

import argparse
import time
from typing import Any, Protocol

from mopidy import httpclient

from ..datadir import prepare_data_dir
from ..delivery import MAX_AGE_S, Delivery, State, Status, describe
from ..delivery.listenbrainz import ListenBrainzDelivery
from ..delivery.loved_sync import describe_sync, sync_status
from ..delivery.overview import LASTFM_KIND, overview
from ..destinations import LASTFM
from ..errors import StorageError
from ..kinds import HISTORY, KINDS
from ..session import SessionFile
from ..store import Store
from .common import (
    EXIT_FAILED,
    EXIT_OK,
    Config,
    ask_running_mopidy,
    guarded,
    missing_credentials,
    settings_of,
    utc,
)
from .imports import progress
from .queue_edits import change_entry, edit_notes

DEFAULT_QUEUE_LIMIT = 50
# Loves and unloves that will not be sent, listed with their reasons.
LOVES_NOT_SENT = ("rejected", "unidentified")
DIRECT_RETRY_MAX_ROUNDS = 1000
SECONDS_PER_DAY = 86_400


@guarded
def status(config: Config, _args: argparse.Namespace) -> int:
    settings = settings_of(config)
    data_dir = prepare_data_dir(config)
    session = SessionFile(data_dir, settings.network).load()
    now = time.time()
    store = Store.open(data_dir, now)
    try:
        counts = store.queue.counts()
        sent_today = store.queue.count_sent_since(now - SECONDS_PER_DAY)
        oldest = store.queue.oldest_waiting()
        saved = store.delivery_status.load()
        jobs = {kind: store.jobs.get(kind) for kind in KINDS}
        matched = {kind: store.songs.match_counts(kind) for kind in KINDS}
        history_job = store.history_import.job()
        loves = {
            name: store.love_queue_to(name).counts() for name in settings.destinations
        }
        username = session.username if session else None
        destinations = overview(settings, store, now, saved, username)
        synced = sync_status(
            settings.loved_sync_interval, store.loved_sync.state(), now
        )
    finally:
        store.close()
    connected, text = describe(
        settings, saved.get("state"), username, saved.get("last_error")
    )
    if len(destinations) > 1 or settings.network == "off":
        print_destinations(destinations)
        connected = all(d.connected for d in destinations)
    print(f"Connection: {text}")
    print(f"Network: {settings.network_name}")
    print(
        f"Queue: {counts['pending']} pending, {counts['in_flight']} in flight, "
        f"{counts['rejected']} rejected, {sent_today} sent in the last 24 h"
    )
    if oldest is not None:
        print(
            f"Oldest waiting: {oldest.artist} - {oldest.track}, played "
            f"{utc(oldest.timestamp)}, expires {utc(oldest.timestamp + MAX_AGE_S)}"
        )
    if saved.get("last_error"):
        print(f"Last error: {saved['last_error']}")
    next_retry = saved.get("next_retry_at")
    if next_retry and int(next_retry) > now:
        print(f"Next retry: {utc(int(next_retry))}")
    for kind in KINDS:
        job, songs = jobs[kind], matched[kind]
        if job is None:
            print(f"{kind.title}: not imported yet (after the first login)")
        elif job.state in ("running", "matching", "failed"):
            print(progress(kind, job))
        if songs["total"] or (job is not None and job.state == "done"):
            print(
                f"{kind.title}: {songs['total']} songs, {songs['matched']} in your "
                f"library, {songs['missing']} not found"
                + (f", {songs['waiting']} still to match" if songs["waiting"] else "")
            )
    if history_job is not None:
        print(progress(HISTORY, history_job))
    if settings.network != "off":
        print(describe_sync(synced, utc))
    for name, c in loves.items():
        if c["pending"] or c["rejected"] or c["unidentified"]:
            print(
                f"Loves and unloves to {name}: {c['pending']} waiting to be sent, "
                f"{c['rejected']} refused, {c['unidentified']} not identified"
            )
    print(f"Data directory: {data_dir}")
    return EXIT_OK if connected else EXIT_FAILED


def print_destinations(destinations: list[Any]) -> None:
    """One line per destination, then its queue."""
    print("Destinations:")
    for d in destinations:
        c = d.counts
        print(f"  {d.name} ({d.server}): {d.message}")
        print(
            f"    queue: {c['pending']} pending, {c['in_flight']} in flight, "
            f"{c['rejected']} rejected, {c['sent_last_24h']} sent in the last 24 h"
        )
        if d.kind != LASTFM_KIND and d.last_error:
            print(f"    last error: {d.last_error}")


@guarded
def queue(config: Config, args: argparse.Namespace) -> int:
    if getattr(args, "action", None):
        return change_entry(config, args)
    data_dir = prepare_data_dir(config)
    states = ("rejected",) if args.rejected else ("pending", "in_flight", "rejected")
    configured = settings_of(config).destinations
    to = getattr(args, "to", None) or (configured or (LASTFM,))[0]
    if to not in configured:
        names = ", ".join(configured)
        print(f"No destination {to!r} is configured; the destinations: {names}")
        return EXIT_FAILED
    store = Store.open(data_dir, time.time())
    try:
        entries = store.queue_to(to).by_states(states, args.limit)
        counts = store.queue_to(to).counts()
        held = store.editing.held_ids()
        loves = [
            action
            for action in store.loves.listing(LOVES_NOT_SENT, args.limit)
            if action.destination == to
        ]
    finally:
        store.close()
    if not entries:
        print("No rejected scrobbles." if args.rejected else "The queue is empty.")
    for entry in entries:
        line = (
            f"#{entry.id:<6} {entry.state:<9} {utc(entry.timestamp)}  "
            f"{entry.artist} - {entry.track}"
        )
        line += edit_notes(entry, entry.id in held)
        if entry.state == "rejected":
            line += f"  [rejected: {entry.last_error}]"
        elif entry.last_error:
            line += f"  [{entry.attempts} attempts; last error: {entry.last_error}]"
        print(line)
    total = sum(counts[s] for s in states) + (0 if args.rejected else counts["held"])
    if total > len(entries):
        print(f"... and {total - len(entries)} more (use --limit)")
    for action in loves:
        print(
            f"{action.action:<6} {action.state} at {action.destination}: "
            f"{action.artist} - {action.track}  [{action.last_error}]"
        )
    return EXIT_OK


@guarded
def retry(config: Config, _args: argparse.Namespace) -> int:
    asked = ask_running_mopidy(config, "retry")
    if asked is not None and asked[0] == 202:
        print("Asked the running Mopidy to send the queue now.")
        return EXIT_OK
    settings = settings_of(config)
    data_dir = prepare_data_dir(config)
    proxy = httpclient.format_proxy(config.get("proxy") or {})
    ok = True
    if settings.network != "off":
        if missing_credentials(settings):
            ok = False
        else:
            ok = _send_directly(Delivery(settings, data_dir), "scrobbles") and ok
    for destination in settings.listenbrainz:
        worker = ListenBrainzDelivery(
            destination, data_dir, proxy=proxy, now_playing_enabled=False
        )
        ok = _send_directly(worker, f"listens to {destination.name}") and ok
    return EXIT_OK if ok else EXIT_FAILED


class _Direct(Protocol):
    """What `retry` needs of a delivery (Last.fm's or a ListenBrainz one's)."""

    def open(self) -> None: ...
    def close(self) -> None: ...
    def step(self) -> float | None: ...
    def counts(self) -> dict[str, int]: ...
    def status(self) -> Status: ...


def _send_directly(delivery: _Direct, what: str) -> bool:
    """Send what waits for one destination now, in this process; whether
    nothing is left blocked."""
    try:
        delivery.open()
    except StorageError:
        print(
            f"A running Mopidy is sending the {what}, but it could not be asked "
            "to retry now (is its HTTP server enabled?). It retries on its own; "
            "'mopidy mtscrobble status' shows when."
        )
        return False
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
    print(f"Sent {sent} {what}; {waiting} waiting, {after['rejected']} rejected.")
    if waiting and result.state != State.CONNECTED:
        print(f"Delivery is {result.state}: {result.last_error or 'see status'}")
        return False
    return True
