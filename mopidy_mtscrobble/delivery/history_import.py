"""The import of past scrobbles (`kinds.HISTORY`): a page per round, after
the scrobbles, in the shared rate limit; only when asked.

Pages go by time, not by number: each asks for the newest 200 scrobbles at or
before the cursor (the oldest time seen so far: that second again, since a page
may end inside it; by page number within it only when a whole page shares it),
so scrobbles made while it runs shift nothing, and an import cut short (a stop,
a restart, a failure) goes on from the cursor kept with the last page (see
`store.history_import`). Failures are handled like the loved tracks' import's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..errors import HttpRefusedError, InvalidParametersError, LastfmError, RequestError
from ..kinds import HISTORY, ImportKind
from ..lastfm import PlaysPage
from ..lastfm.client import RECENT_TRACKS_PAGE_SIZE
from ..store import Cursor, ImportedPlay, Store
from .connection import Connection, network_level
from .imports import IMPORT_MAX_FAILURES

logger = logging.getLogger(__name__)


class HistoryImporter:
    def __init__(
        self,
        connection: Connection,
        store: Store,
        set_importing: Callable[[ImportKind, bool], None],
    ) -> None:
        self._connection = connection
        self._store = store
        self._set_importing = set_importing
        self._failures = 0

    def running(self) -> set[str]:
        """{"history"} if its import runs (from an earlier start, maybe)."""
        job = self._store.history_import.job()
        return {HISTORY.name} if job is not None and job.state == "running" else set()

    def start(self) -> None:
        """Start an import, as asked: going on with one cut short, else from
        the newest scrobble."""
        session = self._connection.logins.session
        username = session.username if session else None
        imports = self._store.history_import
        going_on = imports.start(username, self._connection.clock.wall())
        self._failures = 0
        logger.info(
            "Importing your past scrobbles from %s, as asked%s",
            self._connection.settings.network_name,
            " (going on from where the last import stopped)" if going_on else "",
        )

    def step(self) -> float | None:
        """One page, if the import runs: 0 when more pages wait, None when it
        ended (or does not run), else the wait after a failure."""
        imports = self._store.history_import
        job = imports.job()
        if job is None or job.state != "running":
            return None
        session = self._connection.logins.session
        username = session.username if session else ""
        cursor = imports.cursor()
        if job.username != username or cursor is None:  # another account: over
            imports.restart(username, self._connection.clock.wall())
            cursor = Cursor(int(self._connection.clock.wall()))
        return self._page(username, cursor)

    def _page(self, username: str, cursor: Cursor) -> float | None:
        connection = self._connection
        connection.attempt()
        try:
            answer = connection.client().past_plays(username, cursor.to, cursor.page)
        except (InvalidParametersError, RequestError, HttpRefusedError) as exc:
            self._fail(str(exc))
            return None
        except LastfmError as exc:
            connection.failed(exc)
            self._failures += 1
            if self._failures >= IMPORT_MAX_FAILURES and not network_level(exc):
                self._fail(f"{exc} ({self._failures} times in a row; try again later)")
                return None
            logger.info("Importing past scrobbles paused: %s", exc)
            return connection.wait_after_failure()
        self._failures = 0
        connection.succeeded()
        return self._keep(answer, cursor)

    def _keep(self, answer: PlaysPage, cursor: Cursor) -> float | None:
        connection, imports = self._connection, self._store.history_import
        plays = [
            ImportedPlay(p.artist, p.title, p.album, p.played_at) for p in answer.plays
        ]
        oldest = min((p.played_at for p in plays), default=None)
        newest = max((p.played_at for p in plays), default=None)
        if oldest is not None and oldest == newest:
            # The whole page in one second: time cannot move on, so the next
            # page of that second (this one was its first, or the one after
            # the pages of the cursor's second).
            second_page = cursor.page + 1 if oldest >= cursor.to else 2
            following = Cursor(oldest, second_page)
        else:
            following = Cursor(oldest or 0)
        more = oldest is not None and answer.pages > cursor.page
        now = connection.clock.wall()
        result = imports.save_page(
            plays,
            following,
            answer.pages - cursor.page + 1,
            answer.total - (cursor.page - 1) * RECENT_TRACKS_PAGE_SIZE,
            now,
            asked_to=cursor.to,
        )
        if answer.undated:
            logger.warning(
                "Importing past scrobbles: left out %d without a time or a name",
                answer.undated,
            )
        job = imports.job()
        page, pages = (job.page, job.pages or 0) if job else (0, 0)
        logger.info(
            "Importing past scrobbles from %s: page %d of %d (%d added, %d already "
            "in the history)",
            connection.settings.network_name,
            page,
            pages,
            result.added,
            result.skipped,
        )
        # The last page: nothing older, or all the server had left was this one.
        if more:
            return 0.0
        imports.finish(now)
        self._set_importing(HISTORY, False)
        added, skipped = (job.matched or 0, job.unmatched or 0) if job else (0, 0)
        logger.info(
            "Imported your past scrobbles from %s: %d added to the listening "
            "history, %d were there already",
            connection.settings.network_name,
            added,
            skipped,
        )
        return None

    def _fail(self, error: str) -> None:
        self._store.history_import.fail(error, self._connection.clock.wall())
        self._set_importing(HISTORY, False)
        self._failures = 0
        logger.error("Importing past scrobbles failed: %s", error)
