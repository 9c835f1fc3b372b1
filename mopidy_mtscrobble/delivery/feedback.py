"""Sending the loves and unloves made here to one ListenBrainz destination, as
recording feedback (score 1: love, 0: unlove, which clears a love).

ListenBrainz takes feedback on a recording, not on names: the loved track's
own MusicBrainz recording id when it had one, else the recording its
metadata lookup finds by artist and title (kept, so a retry looks no more).
An action no recording is found for ends "unidentified", with the reason,
said once in the log and shown by `mopidy mtscrobble queue`.
"""

from __future__ import annotations

import logging
import random
from typing import Protocol

from ..backoff import Backoff
from ..errors import (
    HttpRefusedError,
    InvalidParametersError,
    NotSupportedError,
    RateLimitedError,
    TransientError,
)
from ..listenbrainz.client import Done, Match
from ..store import LoveAction, LoveQueue
from ..timing import Clock

logger = logging.getLogger(__name__)

SCORES = {"love": 1, "unlove": 0}  # unlove: the feedback is cleared
# What the server says of this action's content: it is never sent as it is.
REFUSALS = (InvalidParametersError, HttpRefusedError, NotSupportedError)


class FeedbackClient(Protocol):
    """What the sender needs of `listenbrainz.ListenBrainzClient`."""

    server_name: str

    def send_feedback(
        self,
        score: int,
        recording_mbid: str | None = None,
        recording_msid: str | None = None,
    ) -> Done: ...

    def lookup(self, artist: str, title: str, release: str | None = None) -> Match: ...


class FeedbackSender:
    """The loves and unloves of one destination's queue (`store.love_queue_to`),
    sent through `client`, oldest first, one request per `step()`.

    `step()` returns the seconds until it wants to run again: 0.0 when more
    may be due now, None when nothing waits (the worker calls it again when
    the queue changes). It never sleeps and never waits on a lock. One step
    is one request: a metadata lookup (the recording found is kept and the
    next step sends the feedback) or the feedback itself. Of each answer:

    - sent: the action is marked sent at this destination;
    - no recording found, or the lookup refused: the action ends
      "unidentified" with the reason, logged once at INFO;
    - refused (HTTP 400 and the like; Maloja offers no feedback): the action
      ends "rejected" with the server's reason;
    - the server failing (5xx, an answer that cannot be read): the action is
      retried later, after this sender's backoff, whose wait is returned;
    - anything about the connection rather than this action is raised to
      the caller, the action left pending and unchanged: TokenRefusedError
      (the user must give a valid token), RateLimitedError (its `wait_s`),
      a network-level TransientError (`network_level`: no answer came), and
      RequestError such as WrongAddressError. The worker handles them as it
      handles the same errors from sending listens, and calls `step()`
      again when it may call the server again.
    """

    def __init__(
        self,
        client: FeedbackClient,
        queue: LoveQueue,
        clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self._queue = queue
        self._clock = clock
        self.backoff = Backoff(rng or random.Random())

    def step(self) -> float | None:
        """One request for the oldest action due: seconds until more is wanted."""
        now = self._clock.wall()
        due = self._queue.due(now, 1)
        if not due:
            next_due = self._queue.next_due_at()
            return None if next_due is None else max(0.0, next_due - now)
        action = due[0]
        try:
            if action.recording is None:
                self._identify(action)
            else:
                self._send(action, action.recording)
        except RateLimitedError:
            raise
        except TransientError as exc:
            if exc.network_level:
                raise
            wait = self.backoff.failed()
            self._queue.retry_later(action.id, str(exc), now + wait)
            return wait
        self.backoff.reset()
        return 0.0

    def _identify(self, action: LoveAction) -> None:
        try:
            match = self._client.lookup(action.artist, action.track)
        except REFUSALS as exc:
            self._unidentified(action, f"the lookup was refused: {exc}")
            return
        if match.recording_mbid is None:
            reason = (
                f"{self._client.server_name} knows no recording by this artist "
                "and title"
            )
            self._unidentified(action, reason)
            return
        self._queue.keep_recording(action.id, match.recording_mbid)

    def _send(self, action: LoveAction, recording: str) -> None:
        server = self._client.server_name
        try:
            self._client.send_feedback(SCORES[action.action], recording_mbid=recording)
        except REFUSALS as exc:
            self._queue.mark_rejected(action.id, f"refused by the server: {exc}")
            logger.info(
                "%s refused the %s of %s - %s: %s",
                server, action.action, action.artist, action.track, exc,
            )  # fmt: skip
            return
        self._queue.mark_sent(action.id, self._clock.wall())
        logger.info(
            "Sent %s of %s - %s to %s", action.action, action.artist, action.track,
            server,
        )  # fmt: skip

    def _unidentified(self, action: LoveAction, reason: str) -> None:
        if self._queue.mark_unidentified(action.id, reason):
            logger.info(
                "Cannot send the %s of %s - %s to %s: %s",
                action.action, action.artist, action.track,
                self._client.server_name, reason,
            )  # fmt: skip
