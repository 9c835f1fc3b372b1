"""Sending the scrobble queue: oldest first, in batches, exactly once.

Entries are marked in flight before a batch goes out. When its outcome is
uncertain they stay so, and are checked against the server's list of recent
scrobbles (once it answers again) before anything is sent a second time.
Last.fm lists a scrobble a little after taking it (seconds, more when it is
busy): the first look is LISTING_FIRST_LOOK_S after the submission, and an
entry not listed is looked for again at doubling gaps; it is sent again only
when a look LISTING_WINDOW_S after the submission still lacks it
(`visibility`).
"""

from __future__ import annotations

import logging
from typing import Any

from ..backoff import MAX_S as BACKOFF_MAX_S
from ..clocks import utc
from ..errors import (
    HttpRefusedError,
    InvalidParametersError,
    LastfmError,
    RateLimitedError,
    RequestError,
)
from ..lastfm import DAILY_LIMIT_CODE, IGNORED_REASONS, MAX_BATCH, ItemResult
from ..reconcile import SLACK_S, landed_ids
from ..store import Scrobble, Store
from .connection import HELD_POLL_S, Connection, Verdict, network_level
from .visibility import Visibility

logger = logging.getLogger(__name__)

SECONDS_PER_DAY = 86_400
MAX_AGE_S = 14 * SECONDS_PER_DAY  # Last.fm refuses older scrobbles
EXPIRY_WARNING_WINDOW_S = 2 * SECONDS_PER_DAY
EXPIRY_WARNING_INTERVAL_S = SECONDS_PER_DAY
DAILY_LIMIT_PAUSE_S = 60 * 60.0
# Entries whose outcome is uncertain are checked this many at a time.
CHECK_LIMIT = 100
# Looking for them in the server's listing, which can lag (see above); the
# window is the setting lost_answer_wait (this by default).
LISTING_FIRST_LOOK_S = 30.0
LISTING_MAX_GAP_S = 10 * 60.0
LISTING_WINDOW_S = 30 * 60.0
LISTING = Visibility(LISTING_FIRST_LOOK_S, LISTING_MAX_GAP_S, LISTING_WINDOW_S)


def listing(window_s: float) -> Visibility:
    """The looks for a window of `window_s` (`lost_answer_wait`)."""
    return Visibility(
        min(LISTING_FIRST_LOOK_S, window_s), min(LISTING_MAX_GAP_S, window_s), window_s
    )


# When the server cannot list recent scrobbles for this long (while it
# answers other calls), entries with an uncertain outcome are sent again.
CHECK_GIVE_UP_FAILURES = 12
CHECK_GIVE_UP_AFTER_S = 6 * 60 * 60.0
TOO_OLD = "too old: the server takes scrobbles up to 14 days old"
TOO_OLD_UNCERTAIN = (
    "too old to send again (the server takes scrobbles up to 14 days old); "
    "whether an earlier attempt arrived is unknown"
)


def scrobble_params(entry: Scrobble) -> dict[str, Any]:
    return {
        "artist": entry.artist,
        "track": entry.track,
        "timestamp": entry.timestamp,
        "album": entry.album,
        "albumArtist": entry.album_artist,
        "trackNumber": entry.track_number,
        "duration": entry.duration_s,
        "mbid": entry.mbid,
        "chosenByUser": int(entry.chosen_by_user),
    }


class ScrobbleSender:
    def __init__(self, connection: Connection, store: Store) -> None:
        self._connection = connection
        self._store = store
        self._check_failures = 0
        self._check_failing_since: float | None = None
        self._expiry_warned_at = float("-inf")
        self._listing = listing(connection.settings.lost_answer_wait)

    def step(self) -> float | None:
        """One batch (or one check): seconds until more is wanted."""
        connection, queue = self._connection, self._store.queue
        now = connection.clock.wall()
        self.expire()
        wait = connection.backing_off()
        if wait is not None:
            return wait
        in_flight = queue.in_flight(CHECK_LIMIT)
        if queue.bring_back_sent_times(in_flight, now):
            in_flight = queue.in_flight(CHECK_LIMIT)
        uncertain = [
            e
            for e in in_flight
            if self._listing.overdue(e.next_attempt_at or 0, now, BACKOFF_MAX_S)
        ]
        batch = queue.due(now, MAX_BATCH)
        # Entries whose outcome is uncertain are checked once the server answers
        # again, or when nothing else is left to try.
        if uncertain and (connection.answered or not batch):
            # All in flight are looked for: one look, not one per entry.
            return 0.0 if self._check(in_flight) else connection.wait_after_failure()
        if not batch:
            return self._next_wake(now, in_flight)
        # As marked: the user may have edited, held or deleted some meanwhile.
        batch = queue.mark_in_flight([e.id for e in batch], now)
        if not batch:
            return 0.0
        try:
            self._send(batch)
        except LastfmError as exc:
            self._apply(connection.failed(exc), batch)
            return connection.wait_after_failure()
        connection.succeeded()
        return 0.0  # more may wait

    def _next_wake(self, now: float, in_flight: list[Scrobble]) -> float | None:
        """Seconds until the next entry is due, or the next look for one in
        flight; None when nothing waits."""
        times = [float(e.next_attempt_at or 0) for e in in_flight]
        next_due = self._store.queue.next_due_at()
        if next_due is not None:
            times.append(next_due)
        elif self._store.queue.has_held():
            times.append(now + HELD_POLL_S)
        return max(0.0, min(times) - now) if times else None

    def _send(self, batch: list[Scrobble]) -> None:
        """Send a batch; when the server refuses its content, find the bad
        entries by halving it."""
        client = self._connection.client()
        self._connection.attempt()
        try:
            results = client.scrobble([scrobble_params(e) for e in batch])
        except (InvalidParametersError, HttpRefusedError) as exc:
            if len(batch) == 1:
                self._reject(batch[0], f"refused by the server: {exc}")
                return
            middle = len(batch) // 2
            self._send(batch[:middle])
            self._send(batch[middle:])
            return
        self._record(batch, results)

    def _record(self, batch: list[Scrobble], results: list[ItemResult]) -> None:
        now = self._connection.clock.wall()
        queue = self._store.queue
        schemes = self._connection.settings.favorites_uri_schemes
        accepted = [e.id for e, r in zip(batch, results, strict=True) if r.accepted]
        queue.mark_sent(accepted, now, schemes)
        limited = []
        for entry, result in zip(batch, results, strict=True):
            if result.accepted:
                continue
            if result.code == DAILY_LIMIT_CODE:
                limited.append(entry.id)
            else:
                reason = IGNORED_REASONS.get(result.code, result.message)
                self._reject(entry, f"{reason} (code {result.code})")
        if limited:
            next_at = now + DAILY_LIMIT_PAUSE_S
            queue.retry_later(limited, "daily scrobble limit", next_at, count=True)
            logger.info(
                "%d scrobbles over the daily limit; retrying at %s",
                len(limited),
                utc(next_at),
            )
        logger.info(
            "Sent %d scrobbles to %s: %d accepted, %d ignored",
            len(batch),
            self._connection.settings.network_name,
            len(accepted),
            len(batch) - len(accepted),
        )

    def _reject(self, entry: Scrobble, reason: str) -> None:
        self._store.queue.mark_rejected(entry.id, reason)
        logger.info(
            "Rejected scrobble #%d %s - %s: %s",
            entry.id,
            entry.artist,
            entry.track,
            reason,
        )

    def _apply(self, verdict: Verdict, batch: list[Scrobble]) -> None:
        """What a failed call means for the entries it carried (those still
        in flight: some of a halved batch may have gone already)."""
        queue = self._store.queue
        now_as = (queue.get(e.id) for e in batch)
        entries = [e for e in now_as if e is not None and e.state == "in_flight"]
        ids = [e.id for e in entries]
        if not ids:
            return
        if verdict.uncertain:
            # Looked for once the backoff is over and the listing may show it.
            earliest = verdict.retry_at or self._connection.clock.wall()
            sent_at = max(_sent_at(e) for e in entries)
            when = self._listing.first_look(sent_at, earliest)
            queue.note_failed_attempt(ids, verdict.reason, when)
        else:
            queue.retry_later(ids, verdict.reason, verdict.retry_at, verdict.counts)

    # Entries whose outcome is uncertain (an answer lost): checked, not resent blind.

    def _check(self, entries: list[Scrobble]) -> bool:
        """Mark as sent what already landed; the rest is sent again. False if
        the check failed (the entries stay uncertain)."""
        connection = self._connection
        start = min(e.timestamp for e in entries) - SLACK_S
        end = max(e.timestamp for e in entries) + SLACK_S
        answered = connection.answered
        connection.attempt()
        try:
            session = connection.logins.session
            username = session.username if session else ""
            landed = connection.client().recent_tracks(username, start, end)
        except LastfmError as exc:
            if self._check_unavailable(exc, counted=answered):
                self._send_unchecked(entries, exc)
                return True
            self._apply(connection.failed(exc, checking=True), entries)
            return False
        self._check_failures, self._check_failing_since = 0, None
        queue = self._store.queue
        found = landed_ids(entries, queue.sent_between(start, end), landed)
        now = connection.clock.wall()
        queue.mark_sent(sorted(found), now, connection.settings.favorites_uri_schemes)
        # Not listed: sent again only once the listing has had its window.
        late = [e for e in entries if e.id not in found]
        missing = [e.id for e in late if self._listing.given_up(_sent_at(e), now)]
        queue.retry_later(missing, None, None, count=False)
        waiting = [e for e in late if e.id not in missing]
        for entry in waiting:
            queue.check_again_at(
                [entry.id], self._listing.next_look(_sent_at(entry), now)
            )
        logger.info(
            "Checked %d scrobbles whose answer was lost: %d had landed, %d will "
            "be sent, %d not listed yet (looked for until %s after sending)",
            len(entries),
            len(found),
            len(missing),
            len(waiting),
            self._listing.describe(),
        )
        connection.succeeded()
        return True

    def _check_unavailable(self, exc: LastfmError, counted: bool) -> bool:
        """Whether the server will not be able to list recent scrobbles.

        At once when it says the method or request is unknown; else after
        CHECK_GIVE_UP_FAILURES failed checks over CHECK_GIVE_UP_AFTER_S, counting
        only checks made right after the server answered (not an outage's).
        """
        if isinstance(exc, RequestError | InvalidParametersError | HttpRefusedError):
            return True
        if not counted or isinstance(exc, RateLimitedError) or network_level(exc):
            return False
        mono = self._connection.clock.monotonic()
        self._check_failures += 1
        if self._check_failing_since is None:
            self._check_failing_since = mono
        return (
            self._check_failures >= CHECK_GIVE_UP_FAILURES
            and mono - self._check_failing_since >= CHECK_GIVE_UP_AFTER_S
        )

    def _send_unchecked(self, entries: list[Scrobble], exc: LastfmError) -> None:
        self._check_failures, self._check_failing_since = 0, None
        logger.warning(
            "%s cannot tell whether %d scrobbles whose answer was lost arrived "
            "(%s). They are sent again, so they may appear twice.",
            self._connection.settings.network_name,
            len(entries),
            exc,
        )
        self._store.queue.retry_later(
            [e.id for e in entries],
            "sent again without a check (it may appear twice)",
            None,
            count=False,
        )

    # Too old.

    def expire(self) -> None:
        """Reject entries too old for the server, by the server's own clock.

        A jump of the local clock must not reject the queue: nothing expires
        until the server has said (its Date header) what time it is.
        """
        connection = self._connection
        server_now = connection.server_clock.now(connection.clock.monotonic())
        if server_now is None:
            return
        cutoff = int(server_now - MAX_AGE_S)
        for state, reason in (("pending", TOO_OLD), ("in_flight", TOO_OLD_UNCERTAIN)):
            for scrobble_id in self._store.queue.reject_older_than(
                cutoff, reason, state
            ):
                logger.info("Rejected scrobble #%d: %s", scrobble_id, reason)

    def warn_about_expiry(self) -> None:
        """While nothing can be sent: once a day, what will soon be too old."""
        connection = self._connection
        mono = connection.clock.monotonic()
        if mono - self._expiry_warned_at < EXPIRY_WARNING_INTERVAL_S:
            return
        self.expire()
        now = connection.server_clock.now(mono) or connection.clock.wall()
        limit = int(now - MAX_AGE_S + EXPIRY_WARNING_WINDOW_S)
        expiring = self._store.queue.count_waiting_older_than(limit)
        if expiring:
            self._expiry_warned_at = mono
            logger.warning(
                "%d queued scrobbles will be too old for %s within 2 days, and "
                "nothing can be sent while delivery is %s.",
                expiring,
                connection.settings.network_name,
                connection.state,
            )


def _sent_at(entry: Scrobble) -> float:
    return float(entry.in_flight_at or entry.queued_at)


def _in_flight(entry: Scrobble | None) -> bool:
    return entry is not None and entry.state == "in_flight"
