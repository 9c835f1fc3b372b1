"""Imports from the network (see `kinds`): a page per round, after the scrobbles.

Each kind is imported once by itself (on the first start with a session), and
again when asked. Its pages are staged with the progress, so an import cut
short goes on from the next page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..errors import HttpRefusedError, InvalidParametersError, LastfmError, RequestError
from ..kinds import KINDS, ImportKind
from ..lastfm import Page
from ..matching import key_parts
from ..store import SongEntry, Store
from .connection import Connection, network_level

logger = logging.getLogger(__name__)

# An import whose pages keep coming back unreadable fails after this many tries.
IMPORT_MAX_FAILURES = 10


class ImportSender:
    def __init__(
        self,
        connection: Connection,
        store: Store,
        set_importing: Callable[[ImportKind, bool], None],
        on_imported: Callable[[str], None] | None,
    ) -> None:
        self._connection = connection
        self._store = store
        self._set_importing = set_importing
        self._on_imported = on_imported
        self._failures: dict[str, int] = {}

    def running(self) -> set[str]:
        """The kinds whose import is running (from an earlier start, maybe)."""
        jobs = self._store.jobs
        return {kind.name for kind in KINDS if _running(jobs.get(kind))}

    def start(self, kind: ImportKind) -> None:
        """Start an import again, as asked."""
        session = self._connection.logins.session
        username = session.username if session else None
        self._store.jobs.start(kind, username, self._connection.clock.wall())
        self._failures.pop(kind.name, None)
        logger.info(
            "Importing %s from %s, as asked",
            kind.label,
            self._connection.settings.network_name,
        )

    def step(self) -> float | None:
        """One page of the first import that runs (or starts: once, by itself)."""
        jobs, connection = self._store.jobs, self._connection
        session = connection.logins.session
        username = session.username if session else ""
        for kind in KINDS:
            job = jobs.get(kind)
            if job is None:
                logger.info(
                    "Importing your %s from %s (once; 'mopidy mtscrobble %s' "
                    "imports them again)",
                    kind.label,
                    connection.settings.network_name,
                    kind.command,
                )
                self._set_importing(kind, True)
                jobs.start(kind, username, connection.clock.wall())
                job = jobs.get(kind)
            if job is None or job.state != "running":
                continue
            if job.username != username:  # another account: start over
                jobs.start(kind, username, connection.clock.wall())
                job = jobs.get(kind)
            delay = self._page(kind, (job.page if job else 0) + 1, username)
            if delay is not None:
                return delay
        return None

    def _page(self, kind: ImportKind, page: int, username: str) -> float | None:
        """0: more pages wait; None: this import ended; else wait after a failure."""
        connection = self._connection
        fetch: Callable[[str, int], Page] = getattr(
            connection.client(), kind.client_call
        )
        connection.attempt()
        try:
            answer = fetch(username, page)
        except (InvalidParametersError, RequestError, HttpRefusedError) as exc:
            self._fail(kind, str(exc))
            return None
        except LastfmError as exc:
            connection.failed(exc)
            failures = self._failures.get(kind.name, 0) + 1
            self._failures[kind.name] = failures
            if failures >= IMPORT_MAX_FAILURES and not network_level(exc):
                self._fail(kind, f"{exc} ({failures} times in a row; try again later)")
                return None
            logger.info("Importing %s paused at page %d: %s", kind.label, page, exc)
            return connection.wait_after_failure()
        self._failures.pop(kind.name, None)
        entries = [
            SongEntry(t.artist, t.title, t.value, *key_parts(t.artist, t.title))
            for t in answer.tracks
        ]
        jobs = self._store.jobs
        fetched = jobs.save_page(kind, page, answer.pages, answer.total, entries)
        logger.info(
            "Importing %s from %s: page %d of %d (%d of %d songs)",
            kind.label,
            connection.settings.network_name,
            page,
            answer.pages,
            fetched,
            answer.total,
        )
        connection.succeeded()
        if page < answer.pages:
            return 0.0
        count = jobs.finish(kind, connection.clock.wall())
        self._set_importing(kind, False)
        logger.info(
            "Imported %s from %s; matching them to your library",
            f"{count} {kind.label}",
            connection.settings.network_name,
        )
        if self._on_imported is not None:
            self._on_imported(kind.name)
        return None

    def _fail(self, kind: ImportKind, error: str) -> None:
        self._store.jobs.fail(kind, error, self._connection.clock.wall())
        self._set_importing(kind, False)
        self._failures.pop(kind.name, None)
        logger.error("Importing %s failed: %s", kind.label, error)


def _running(job: object) -> bool:
    return getattr(job, "state", None) == "running"
