"""Sending the loves and unloves made here (track.love, track.unlove): the
Last.fm destination's (store.love_queue_to(LASTFM))."""

from __future__ import annotations

import logging

from ..destinations import LASTFM
from ..errors import HttpRefusedError, InvalidParametersError, LastfmError
from ..store import LoveAction, Store
from .connection import Connection

logger = logging.getLogger(__name__)

LOVE_ACTIONS_PER_ROUND = 10


class LoveSender:
    def __init__(self, connection: Connection, store: Store) -> None:
        self._connection = connection
        self._loves = store.love_queue_to(LASTFM)

    def step(self) -> float | None:
        """Up to LOVE_ACTIONS_PER_ROUND actions: seconds until more is wanted."""
        loves = self._loves
        now = self._connection.clock.wall()
        actions = loves.due(now, LOVE_ACTIONS_PER_ROUND)
        if not actions:
            next_due = loves.next_due_at()
            return None if next_due is None else max(0.0, next_due - now)
        for action in actions:
            if not self._send(action):
                return self._connection.wait_after_failure()
        self._connection.succeeded()
        return 0.0

    def _send(self, action: LoveAction) -> bool:
        """One track.love or track.unlove; False if the call failed."""
        connection, loves = self._connection, self._loves
        client = connection.client()
        call = client.love if action.action == "love" else client.unlove
        connection.attempt()
        try:
            call(action.artist, action.track)
        except (InvalidParametersError, HttpRefusedError) as exc:
            reason = f"refused by the server: {exc}"
            loves.mark_rejected(action.id, reason)
            logger.info(
                "Could not %s %s - %s: %s",
                action.action,
                action.artist,
                action.track,
                reason,
            )
            return True
        except LastfmError as exc:
            verdict = connection.failed(exc)
            loves.retry_later(action.id, verdict.reason, verdict.retry_at)
            return False
        loves.mark_sent(action.id, connection.clock.wall())
        logger.info(
            "Sent %s of %s - %s to %s",
            action.action,
            action.artist,
            action.track,
            connection.settings.network_name,
        )
        return True
