"""The `mtscrobble` backend: loved tracks as a playlist and a library directory.

Every Mopidy client sees them: the playlist "Loved on Last.fm" lists the
matched local tracks by their own URIs (so MPD clients can load and play it),
and the "Last.fm" directory holds "Loved tracks" and "Loved but not in your
library". Read-only: the content comes from the database on every call, so a
love or an import shows at once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pykka
from mopidy import backend
from mopidy.models import Album, Artist, Playlist, Ref, Track

from .datadir import prepare_data_dir
from .errors import MTScrobbleError
from .settings import Settings
from .store import LocalMatch, Store
from .timing import SystemClock

logger = logging.getLogger(__name__)

URI_SCHEME = "mtscrobble"
PLAYLIST_URI = "mtscrobble:playlist:loved"
ROOT_URI = "mtscrobble:directory"
LOVED_URI = "mtscrobble:directory:loved"
MISSING_URI = "mtscrobble:directory:missing"
MISSING_TRACK_PREFIX = "mtscrobble:missing:"
READ_ONLY_HINT = (
    "it shows your loved tracks: love or unlove tracks instead "
    "('mopidy mtscrobble love' / 'unlove', or the MTScrobble web page)"
)


def network_label(settings: Settings) -> str:
    """Last.fm, or Libre.fm: custom servers speak Last.fm's protocol."""
    return "Libre.fm" if settings.network == "librefm" else "Last.fm"


def playlist_name(settings: Settings) -> str:
    return f"Loved on {network_label(settings)}"


def track_model(match: LocalMatch) -> Track:
    values: dict[str, Any] = {"uri": match.uri, "name": match.name}
    if match.artist:
        values["artists"] = frozenset([Artist(name=match.artist)])
    if match.album:
        values["album"] = Album(name=match.album)
    if match.length_ms:
        values["length"] = match.length_ms
    return Track(**values)


class MTScrobbleBackend(pykka.ThreadingActor, backend.Backend):
    uri_schemes = [URI_SCHEME]  # noqa: RUF012 - the type Mopidy declares

    def __init__(self, config: Mapping[str, Any], audio: Any) -> None:
        super().__init__()
        self._config = config
        self.settings = Settings.from_config(config["mtscrobble"])
        self._store: Store | None = None
        self._store_failed = False
        self.library = FavoritesLibrary(self)
        self.playlists = FavoritesPlaylists(self)
        self.playback = None

    def on_stop(self) -> None:
        if self._store is not None:
            self._store.close()

    def store(self) -> Store | None:
        """The database, opened on first use (on this actor's thread)."""
        if self._store is None and not self._store_failed:
            try:
                self._store = Store.open(
                    prepare_data_dir(self._config), SystemClock().wall()
                )
            except MTScrobbleError as exc:
                self._store_failed = True  # the frontend reports it too
                logger.error("Loved tracks are not shown: %s", exc)
        return self._store

    def loved_matches(self) -> list[LocalMatch]:
        store = self.store()
        if store is None:
            return []
        try:
            return store.loved_playlist()
        except MTScrobbleError as exc:
            logger.error("Could not read the loved tracks: %s", exc)
            return []

    def loved_missing(self) -> list[Ref]:
        store = self.store()
        if store is None:
            return []
        try:
            missing = store.loved_missing()
        except MTScrobbleError as exc:
            logger.error("Could not read the loved tracks: %s", exc)
            return []
        return [
            Ref.track(
                uri=f"{MISSING_TRACK_PREFIX}{e.id}", name=f"{e.artist} - {e.track}"
            )
            for e in missing
        ]

    def missing_track(self, uri: str) -> Track | None:
        store = self.store()
        number = uri[len(MISSING_TRACK_PREFIX) :]
        if store is None or not number.isdigit():
            return None
        try:
            loved = store.loved_by_id(int(number))
        except MTScrobbleError:
            return None
        if loved is None:
            return None
        return Track(
            uri=uri, name=loved.track, artists=frozenset([Artist(name=loved.artist)])
        )


class FavoritesLibrary(backend.LibraryProvider):
    def __init__(self, backend_: MTScrobbleBackend) -> None:
        super().__init__(backend_)
        self.root_directory = Ref.directory(
            uri=ROOT_URI, name=network_label(backend_.settings)
        )

    def browse(self, uri: str) -> list[Ref]:
        if uri == ROOT_URI:
            return [
                Ref.directory(uri=LOVED_URI, name="Loved tracks"),
                Ref.directory(uri=MISSING_URI, name="Loved but not in your library"),
            ]
        if uri == LOVED_URI:
            return [
                Ref.track(uri=m.uri, name=m.name or m.uri)
                for m in self.backend.loved_matches()
            ]
        if uri == MISSING_URI:
            return self.backend.loved_missing()
        return []

    def lookup(self, uri: str) -> list[Track]:
        if uri == PLAYLIST_URI:
            return [track_model(m) for m in self.backend.loved_matches()]
        if uri.startswith(MISSING_TRACK_PREFIX):
            track = self.backend.missing_track(uri)
            return [track] if track is not None else []
        return []


class FavoritesPlaylists(backend.PlaylistsProvider):
    def __init__(self, backend_: MTScrobbleBackend) -> None:
        super().__init__(backend_)
        self.name = playlist_name(backend_.settings)

    def as_list(self) -> list[Ref]:
        return [Ref.playlist(uri=PLAYLIST_URI, name=self.name)]

    def get_items(self, uri: str) -> list[Ref] | None:
        if uri != PLAYLIST_URI:
            return None
        return [
            Ref.track(uri=m.uri, name=m.name or m.uri)
            for m in self.backend.loved_matches()
        ]

    def lookup(self, uri: str) -> Playlist | None:
        if uri != PLAYLIST_URI:
            return None
        tracks = tuple(track_model(m) for m in self.backend.loved_matches())
        return Playlist(uri=PLAYLIST_URI, name=self.name, tracks=tracks)

    def refresh(self) -> None:
        pass  # read from the database on every call

    def create(self, name: str) -> Playlist | None:
        return None  # another backend (such as M3U) creates playlists

    def delete(self, uri: str) -> bool:
        if uri == PLAYLIST_URI:
            logger.warning(
                "The playlist %r cannot be deleted: %s", self.name, READ_ONLY_HINT
            )
        return False

    def save(self, playlist: Playlist) -> Playlist | None:
        if playlist.uri == PLAYLIST_URI:
            logger.warning(
                "The playlist %r is read-only: %s", self.name, READ_ONLY_HINT
            )
        return None
