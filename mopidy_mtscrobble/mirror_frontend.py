"""The actor that keeps the M3U mirrors of our playlists in sync (`m3u_mirror`).

Its own actor, not the main frontend's: a client's edit of the loved mirror
loves through the main frontend and waits for it, which that frontend could
not do for itself. It syncs when Mopidy says a mirror (or our playlist) was
saved, and every MIRROR_CHECK_S for what changed elsewhere (a love on the web
page, an import, a play count, a file edited by hand): a check costs one
SQLite pragma and a stat of each file, and syncs only when either changed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pykka
from mopidy.core import CoreListener

from .backend import (
    MOST_PLAYED_HINT,
    MOST_PLAYED_PLAYLIST_URI,
    PLAYLIST_URI,
    most_played_name,
    playlist_name,
)
from .datadir import prepare_data_dir
from .errors import MTScrobbleError
from .m3u_mirror import Mirror, Mirrors, m3u_playlists_dir
from .settings import Settings
from .store import LocalMatch, Store
from .timing import Cancellable, Scheduler, SystemClock, ThreadingScheduler

logger = logging.getLogger(__name__)

MIRROR_CHECK_S = 15.0
# How long this actor waits for a database another program has locked (it
# is tried again at the next check): its stop waits for what it does.
STORE_LOCK_WAIT_S = 1.0
# Not our playlists' own names: MPD clients address playlists by name, and
# ours (which answers a refused edit with ACK) keeps the plain one.
MIRROR_NAME_SUFFIX = " (synced)"


class MirrorFrontend(pykka.ThreadingActor, CoreListener):
    def __init__(
        self,
        config: Mapping[str, Any],
        core: Any,
        scheduler: Scheduler | None = None,
    ) -> None:
        super().__init__()
        self._config = config
        self.settings = Settings.from_config(config["mtscrobble"])
        self._scheduler = scheduler or ThreadingScheduler()
        self._timer: Cancellable | None = None
        self._store: Store | None = None
        self._unopened = False  # the database could not be opened (said once)
        self.mirrors: Mirrors | None = None
        # The database's and the files' state when the last sync began.
        self._seen: tuple[object, ...] | None = None
        self.syncs = 0  # rounds that read the store (for tests)
        self._announced = False  # "mirrored in ..." was said

    def on_start(self) -> None:
        directory = m3u_playlists_dir(self._config)
        if not self.settings.m3u_mirror:
            return
        if directory is None:
            logger.info(
                "Our playlists are not mirrored as M3U playlists (Iris's Playlists "
                "page will not list them): Mopidy's M3U backend is off ([m3u] enabled)"
            )
            return
        self.mirrors = Mirrors(
            directory,
            [
                Mirror(
                    playlist_name(self.settings) + MIRROR_NAME_SUFFIX,
                    PLAYLIST_URI,
                    writable=True,
                ),
                Mirror(
                    most_played_name(self.settings) + MIRROR_NAME_SUFFIX,
                    MOST_PLAYED_PLAYLIST_URI,
                    writable=False,
                    read_only_hint=MOST_PLAYED_HINT,
                ),
            ],
            self._tracks,
            self.settings.favorites_uri_schemes,
        )
        self.tick()

    def on_stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._store is not None:
            self._store.close()

    def tick(self) -> None:
        """A sync if anything changed since the last, and the next check in
        MIRROR_CHECK_S."""
        if self.mirrors is not None:
            state = self._state()
            if state is None or state != self._seen or self.mirrors.unsettled():
                self.sync()
        proxy = self.actor_ref.proxy()
        self._timer = self._scheduler.call_later(MIRROR_CHECK_S, proxy.tick)

    def sync(self) -> None:
        if self.mirrors is None:
            return
        # Taken before the round: what changes during it (our own writes
        # included) makes the next check sync again, once.
        self._seen = self._state()
        self.syncs += 1
        try:
            self.mirrors.sync()
        except Exception:  # an actor's boundary: log once, keep mirroring
            logger.exception("The M3U mirrors of our playlists were not synced")
            return
        if not self._announced and self._seen is not None:
            # Said once the files are there: a client that lists playlists
            # when it reads this finds them.
            self._announced = True
            logger.info(
                "Our playlists are mirrored as M3U playlists in %s, where Iris "
                "and every client list them (mtscrobble/m3u_mirror)",
                self.mirrors.directory,
            )

    def playlist_changed(self, playlist: Any) -> None:
        if self.mirrors is not None and playlist.uri in self.mirrors.uris():
            self.sync()

    def playlist_deleted(self, uri: str) -> None:
        if self.mirrors is not None and uri in self.mirrors.uris():
            self.sync()

    def _open(self) -> Store | None:
        """The database, opened on first use and tried again at every check
        while it cannot be (said once)."""
        if self._store is None:
            try:
                self._store = Store.open(
                    prepare_data_dir(self._config),
                    SystemClock().wall(),
                    STORE_LOCK_WAIT_S,
                )
            except MTScrobbleError as exc:
                if not self._unopened:
                    logger.error(
                        "Our playlists are not mirrored as M3U playlists yet: %s "
                        "(tried again every %d s)",
                        exc,
                        MIRROR_CHECK_S,
                    )
                self._unopened = True
                return None
            self._unopened = False
        return self._store

    def _state(self) -> tuple[object, ...] | None:
        assert self.mirrors is not None
        store = self._open()
        if store is None:
            return None
        try:
            changes = store.db.changes()
        except MTScrobbleError:
            return None  # unreadable now: sync (and say so) at every check
        return (changes, self.mirrors.files())

    def _tracks(self, uri: str) -> list[LocalMatch] | None:
        store = self._open()
        if store is None:
            return None
        try:
            if uri == PLAYLIST_URI:
                return store.songs.loved_playlist()
            found = store.songs.most_played(self.settings.most_played_size)
        except MTScrobbleError as exc:
            logger.error("The M3U mirror of our playlists was not updated: %s", exc)
            return None
        return [match for match, _count in found]
