"""Private mode as the frontend applies it (see `private`): read from the
database at each start, announcement and qualification, since the page, the
API and the commands change it there while Mopidy runs."""

from __future__ import annotations

import datetime
import logging
import sqlite3
from collections.abc import Callable

from .errors import MTScrobbleError
from .listening import Play
from .store import Store

logger = logging.getLogger(__name__)


class PrivateGate:
    def __init__(
        self, store: Callable[[], Store | None], tz: datetime.tzinfo | None = None
    ) -> None:
        self._store = store
        self._tz = tz  # when a pause ends, as logged; None: local time

    def why(self, play: Play, now_s: float) -> str | None:
        """Why private mode keeps `play` out ("until 14:30", "skipped"), or None.

        A database that cannot be read keeps nothing out: one play scrobbled
        in private is better than plays lost."""
        store = self._store()
        if store is None:
            return None
        try:
            state = store.private.get()
        except (MTScrobbleError, sqlite3.Error) as exc:
            logger.warning("Cannot read private mode, scrobbling as usual: %s", exc)
            return None
        if state.active(now_s):
            return state.until_text(self._tz)
        return "skipped" if state.skips(play.started_at, now_s) else None

    def keeps_out(self, play: Play, now_s: float) -> bool:
        """Whether a play that qualified is left out; says so once at INFO."""
        return self.kept_out_why(play, now_s) is not None

    def kept_out_why(self, play: Play, now_s: float) -> str | None:
        """Why a play that qualified is left out (see `why`), said once at
        INFO; None: it is scrobbled."""
        reason = self.why(play, now_s)
        if reason is not None:
            logger.info(
                "Private mode: not scrobbling %s - %s (%s)",
                play.track.artist,
                play.track.title,
                reason,
            )
        return reason
