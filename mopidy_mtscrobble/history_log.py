"""The listening history as the frontend keeps it: each qualified play, queued
or kept out (by an exclusion rule, by private mode), and how long it was
heard once it ends.

A queued play's row goes in with the play (`Plays.enqueue`); this keeps the
rows of plays kept out, and each play's heard time at its end. Nothing here
may fail the frontend: a history row that cannot be written is logged and
dropped, the play it is about goes its way all the same.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from .errors import MTScrobbleError
from .listening import Play
from .saving import Waiting
from .store import HistoryPlay, Store
from .store.history import EXCLUDED, PRIVATE

logger = logging.getLogger(__name__)

MS_PER_S = 1000


def heard_s(play: Play, mono_s: float) -> int:
    """Seconds of `play` heard by `mono_s`, to the nearest."""
    return round(play.listened_at(mono_s) / MS_PER_S)


def history_play(play: Play, heard: int, outcome: str, reason: str) -> HistoryPlay:
    """A play kept out, as heard."""
    track = play.track
    return HistoryPlay(
        played_at=play.started_at,
        artist=track.artist or "",
        track=track.title or "",
        album=track.album or None,
        album_artist=track.album_artist or None,
        duration_s=track.length_ms // MS_PER_S if track.length_ms else None,
        heard_s=heard,
        uri=track.uri,
        outcome=outcome,
        reason=reason,
    )


class HistoryLog:
    """Follows the one play in progress: its row, to give it its heard time."""

    def __init__(self, store: Callable[[], Store | None]) -> None:
        self._store = store
        self._play: Play | None = None
        self._waiting: Waiting | None = None  # a queued play
        self._row_id: int | None = None  # a play kept out

    def queued(self, play: Play, waiting: Waiting) -> None:
        """`play` qualified and waits to be queued (its row goes in with it)."""
        self._play, self._waiting, self._row_id = play, waiting, None

    def private(self, play: Play, heard: int, why: str) -> None:
        """Private mode kept out `play` when it qualified."""
        self._play, self._waiting = play, None
        self._row_id = self._record(history_play(play, heard, PRIVATE, why))

    def finished(self, play: Play, heard_enough: bool) -> None:
        """`play` ended: its heard time; an excluded play heard long enough
        to qualify goes into the history now (no timer waits on it)."""
        heard = round(play.listened_ms / MS_PER_S)
        if play.excluded is not None and heard_enough:
            reason = play.excluded.removeprefix("rule ")
            self._record(history_play(play, heard, EXCLUDED, reason))
            return
        if play is not self._play:
            return
        waiting, row_id = self._waiting, self._row_id
        self._play = self._waiting = self._row_id = None
        if waiting is not None and waiting.play_id is None:
            waiting.heard_s = heard  # not queued yet: goes in with it
        elif waiting is not None and waiting.play_id is not None:
            play_id = waiting.play_id
            self._write(lambda store: store.history.set_heard_of_play(play_id, heard))
        elif row_id is not None:
            self._write(lambda store: store.history.set_heard(row_id, heard))

    def _record(self, entry: HistoryPlay) -> int | None:
        row_id: list[int | None] = [None]

        def record(store: Store) -> None:
            row_id[0] = store.history.record(entry)

        self._write(record)
        return row_id[0]

    def _write(self, work: Callable[[Store], None]) -> None:
        store = self._store()
        if store is None:
            logger.warning("Listening history not written: the database is not open")
            return
        try:
            work(store)
        except (MTScrobbleError, sqlite3.Error) as exc:
            logger.warning("Could not write the listening history: %s", exc)
