"""Sending one destination's queue as listens: oldest first, in imports,
exactly once.

Entries are marked in flight (committed) before a request goes out. When its
outcome is uncertain (a 5xx, a lost answer) they stay in flight and are
looked for among the user's listens (GET /1/user/NAME/listens) before any is
sent again. ListenBrainz makes a listen visible only once its writer has
stored it, usually within a second but later when its queue is backed up, and
it caches a listing up to an hour: so the first look is VISIBILITY_FIRST_CHECK_S
after the submission, then at doubling intervals up to RECHECK_MAX_GAP_S, and
an entry is sent again only when a listing made VISIBILITY_WINDOW_S after the
submission still lacks it (`visibility`). A listen sent twice anyway is
identical (built by the same pure function), and the server keeps one of
identical listens.

A server that cannot list listens (Maloja) cannot be checked: listens go one
per request there (an import stops at its first duplicate), and an uncertain
one is sent once more, with a WARNING.
"""

from __future__ import annotations

import logging

from ...backoff import MAX_S as BACKOFF_MAX_S
from ...errors import (
    HttpRefusedError,
    LastfmError,
    ListenRefusedError,
    NotSupportedError,
)
from ...listenbrainz import MAX_IMPORT_LISTENS, Play, batches, fitted, listen_of
from ...listenbrainz.client import MAX_LISTENS_COUNT
from ...store import DestinationQueue, Scrobble
from ..connection import HELD_POLL_S, Verdict
from ..visibility import Visibility
from .link import Link

logger = logging.getLogger(__name__)

VISIBILITY_FIRST_CHECK_S = 30.0
RECHECK_MAX_GAP_S = 30 * 60.0
VISIBILITY_WINDOW_S = 3 * 60 * 60.0  # longer than the server's listing cache
LISTING = Visibility(VISIBILITY_FIRST_CHECK_S, RECHECK_MAX_GAP_S, VISIBILITY_WINDOW_S)
# Due entries read at once: a whole import (sizes.batches splits by the bytes).
MAX_BATCH_LISTENS = MAX_IMPORT_LISTENS
CHECK_LIMIT = 100  # entries in flight looked for at once
CHECK_SLACK_S = 1  # the listing's bounds are exclusive
MAX_CHECK_PAGES = 10
SENT_AGAIN = "sent again: the answer was lost and it cannot be checked"
NOT_FOUND = "sent again: not among the listens {window} after it was sent"


class _Paused(Exception):
    """The server's rate window is full: the rest of a batch waits (unsent)."""


def play_of(entry: Scrobble, mopidy_version: str | None) -> Play:
    return Play(
        artist=entry.artist,
        title=entry.track,
        started_at=entry.timestamp,
        album=entry.album,
        track_number=entry.track_number,
        duration_ms=entry.duration_s * 1000 if entry.duration_s else None,
        recording_mbid=entry.mbid,
        release_mbid=entry.release_mbid,
        artist_mbids=tuple((entry.artist_mbids or "").split()),
        uri=entry.uri,
        mopidy_version=mopidy_version,
    )


class ListenSender:
    def __init__(
        self, link: Link, queue: DestinationQueue, mopidy_version: str | None
    ) -> None:
        self._link = link
        self._queue = queue
        self._mopidy_version = mopidy_version

    def step(self) -> float | None:
        """One request (a batch or a check): seconds until more is wanted."""
        link, queue = self._link, self._queue
        wait = link.backing_off()
        if wait is not None:
            return wait
        now = link.clock.wall()
        in_flight = queue.in_flight(CHECK_LIMIT)
        if queue.bring_back_sent_times(in_flight, now):
            in_flight = queue.in_flight(CHECK_LIMIT)
        checks = [e for e in in_flight if _due(e, now)]
        if checks and link.answered:
            return self._check(checks)
        entries = queue.due(now, 1 if not link.can_read else MAX_BATCH_LISTENS)
        listens = self._listens(entries)
        if not listens:
            if checks:  # the server did not answer lately: a check is the try
                return self._check(checks)
            return self._next_wake(now)
        first = batches(listens.values())[0]
        batch = [e for e in entries if e.id in listens][: len(first)]
        # As marked: the user may have edited, held or deleted some meanwhile.
        batch = self._marked(batch, now)
        if not batch:
            return 0.0
        listens = self._listens(batch)
        try:
            self._send(batch, listens)
        except _Paused:
            self._back_to_pending(batch, None, counts=False)
            return link.backing_off()
        except LastfmError as exc:
            self._apply(link.failed(exc), batch)
            return link.backing_off()
        link.succeeded()
        return 0.0

    def _marked(self, batch: list[Scrobble], now: float) -> list[Scrobble]:
        """Mark `batch` in flight; the entries marked, as many as fit one
        request with their names as marked (the rest go back to pending)."""
        marked = self._queue.mark_in_flight([e.id for e in batch], now)
        listens = self._listens(marked)
        marked = [e for e in marked if e.id in listens]
        if not marked:
            return []
        fits = len(batches(listens[e.id] for e in marked)[0])
        if fits < len(marked):
            ids = [e.id for e in marked[fits:]]
            self._queue.retry_later(ids, None, None, count=False)
        return marked[:fits]

    def _listens(self, entries: list[Scrobble]) -> dict[int, dict[str, object]]:
        """Each entry's listen; one that can never be valid is rejected here."""
        found = {}
        for entry in entries:
            try:
                found[entry.id] = fitted(
                    listen_of(play_of(entry, self._mopidy_version))
                )
            except ListenRefusedError as exc:
                self._reject(entry, str(exc))
        return found

    def _send(
        self, batch: list[Scrobble], listens: dict[int, dict[str, object]]
    ) -> None:
        """Send a batch. A listen the server names as bad is rejected and the
        rest sent; a refusal naming none is narrowed down by halving."""
        if not batch:
            return
        link = self._link
        if link.backing_off() is not None:
            raise _Paused
        client = link.client()
        link.attempt()
        try:
            if len(batch) == 1:
                done = client.submit_single(listens[batch[0].id])
            else:
                done = client.submit_import([listens[e.id] for e in batch])
        except (ListenRefusedError, HttpRefusedError) as exc:
            link.note_rate(client.rate_limit)
            named = getattr(exc, "listen", None)
            bad = _named(batch, named) if named else None
            if bad is not None or len(batch) == 1:
                bad = bad or batch[0]
                self._reject(bad, str(exc))
                self._send([e for e in batch if e is not bad], listens)
                return
            middle = len(batch) // 2
            self._send(batch[:middle], listens)
            self._send(batch[middle:], listens)
            return
        link.note_rate(done.rate)
        self._queue.mark_sent([e.id for e in batch], link.clock.wall())
        logger.info("Sent %d listens to %s", len(batch), link.name)

    def _reject(self, entry: Scrobble, reason: str) -> None:
        self._queue.mark_rejected(entry.id, reason)
        logger.info(
            "Rejected listen #%d %s - %s for %s: %s",
            entry.id, entry.artist, entry.track, self._link.name, reason,
        )  # fmt: skip

    def _apply(self, verdict: Verdict, batch: list[Scrobble]) -> None:
        """What a failed call means for the entries still in flight."""
        ids = [e.id for e in batch if _in_flight(self._queue.get(e.id))]
        if not ids:
            return
        if verdict.uncertain:
            now = self._link.clock.wall()
            when = LISTING.first_look(now, earliest=now)
            self._queue.note_failed_attempt(ids, verdict.reason, when)
        else:
            self._queue.retry_later(
                ids, verdict.reason, verdict.retry_at, verdict.counts
            )

    def _back_to_pending(
        self, batch: list[Scrobble], reason: str | None, counts: bool
    ) -> None:
        ids = [e.id for e in batch if _in_flight(self._queue.get(e.id))]
        self._queue.retry_later(ids, reason, None, count=counts)

    def _next_wake(self, now: float) -> float | None:
        times: list[float] = [
            e.next_attempt_at or 0 for e in self._queue.in_flight(CHECK_LIMIT)
        ]
        next_due = self._queue.next_due_at()
        if next_due is not None:
            times.append(next_due)
        elif self._queue.has_held():
            times.append(now + HELD_POLL_S)
        return max(0.0, min(times) - now) if times else None

    # Entries whose outcome is uncertain: looked for, not resent blind.

    def _check(self, entries: list[Scrobble]) -> float | None:
        link, queue = self._link, self._queue
        now = link.clock.wall()
        if not link.can_read:
            queue.retry_later([e.id for e in entries], SENT_AGAIN, None, count=False)
            logger.warning(
                "%s cannot list listens, so whether %d listens whose answer was "
                "lost arrived is unknown: they are sent once more (the server "
                "ignores an identical listen at the same second)",
                link.name,
                len(entries),
            )
            return 0.0
        start = min(e.timestamp for e in entries) - CHECK_SLACK_S
        end = max(e.timestamp for e in entries) + CHECK_SLACK_S
        try:
            seen = self._seen(start, end)
        except NotSupportedError:
            link.can_read = False  # learnt only now: as for Maloja
            return self._check(entries)
        except LastfmError as exc:
            self._apply(link.failed(exc, uncertain=True), entries)
            return link.backing_off()
        link.succeeded()
        found = [e.id for e in entries if _key(e) in seen]
        queue.mark_sent(found, now)
        late = [e for e in entries if e.id not in found]
        expired = [e.id for e in late if LISTING.given_up(_sent_at(e), now)]
        waiting = [e for e in late if e.id not in expired]
        reason = NOT_FOUND.format(window=LISTING.describe())
        queue.retry_later(expired, reason, None, count=False)
        for entry in waiting:
            queue.check_again_at([entry.id], LISTING.next_look(_sent_at(entry), now))
        logger.info(
            "%s: looked for %d listens whose answer was lost: %d had arrived, "
            "%d will be sent again, %d not visible yet",
            link.name, len(entries), len(found), len(expired), len(waiting),
        )  # fmt: skip
        return 0.0

    def _seen(self, start: int, end: int) -> set[tuple[int, str, str]]:
        """The listens the server lists strictly between start and end."""
        link = self._link
        client = link.client()
        user = link.username or ""
        seen: set[tuple[int, str, str]] = set()
        max_ts = end
        for _ in range(MAX_CHECK_PAGES):
            link.attempt()
            page = client.listens(user, min_ts=start, max_ts=max_ts,
                                  count=MAX_LISTENS_COUNT)  # fmt: skip
            link.note_rate(page.rate)
            seen |= {(s.listened_at, s.artist.casefold(), s.title.casefold())
                     for s in page.listens}  # fmt: skip
            if len(page.listens) < MAX_LISTENS_COUNT:
                break
            max_ts = min(s.listened_at for s in page.listens) + 1
            if max_ts <= start + 1:
                break
        return seen


def _key(entry: Scrobble) -> tuple[int, str, str]:
    """What identifies the listen sent for `entry` in a listing: as sent, so
    shortened when it was too large (`fitted`)."""
    metadata = fitted(listen_of(play_of(entry, None)))["track_metadata"]
    return (entry.timestamp, metadata["artist_name"].casefold(),
            metadata["track_name"].casefold())  # fmt: skip


def _named(batch: list[Scrobble], listen: dict[str, object]) -> Scrobble | None:
    """The entry whose listen the server named as bad."""
    metadata = listen.get("track_metadata")
    if not isinstance(metadata, dict):
        return None
    for entry in batch:
        if (
            entry.timestamp == listen.get("listened_at")
            and str(metadata.get("track_name", "")).casefold() == _key(entry)[2]
        ):
            return entry
    for entry in batch:
        if entry.timestamp == listen.get("listened_at"):
            return entry
    return None


def _due(entry: Scrobble, now: float) -> bool:
    return LISTING.overdue(entry.next_attempt_at or 0, now, BACKOFF_MAX_S)


def _sent_at(entry: Scrobble) -> float:
    return float(entry.in_flight_at or entry.queued_at)


def _in_flight(entry: Scrobble | None) -> bool:
    return entry is not None and entry.state == "in_flight"
