"""The `mtscrobble` backend: loved and most played tracks as playlists and folders.

Every Mopidy client sees them: the playlists "Loved on Last.fm" and "Most
played on Last.fm" list the matched local tracks by their own URIs (so MPD
clients can load and play them), and the "Last.fm" directory holds "Loved
tracks", "Loved but not in your library" and "Most played". The content comes
from the database on every call, so a love, an import or a scrobble shows at
once. "Loved" is edited from any client (see `loved_edits`): a track added is
loved, one removed unloved; "Most played" is read-only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import pykka
from mopidy import backend
from mopidy.core import CoreListener
from mopidy.models import Album, Artist, Playlist, Ref, SearchResult, Track

from . import loved_edits
from .datadir import prepare_data_dir
from .errors import MTScrobbleError
from .settings import Settings
from .store import LocalMatch, Store
from .timing import SystemClock

logger = logging.getLogger(__name__)

# The backend answers Mopidy's core: it waits this long at most for a database
# another program has locked, and tries again this long after.
STORE_LOCK_WAIT_S = 1.0
STORE_RETRY_S = 60.0
EVENT_TIMEOUT_S = 10.0  # the edits' thread asks this actor for the playlist
URI_SCHEME = "mtscrobble"
PLAYLIST_URI = "mtscrobble:playlist:loved"
MOST_PLAYED_PLAYLIST_URI = "mtscrobble:playlist:most-played"
ROOT_URI = "mtscrobble:directory"
LOVED_URI = "mtscrobble:directory:loved"
MISSING_URI = "mtscrobble:directory:missing"
MOST_PLAYED_URI = "mtscrobble:directory:most-played"
MISSING_TRACK_PREFIX = "mtscrobble:missing:"
READ_ONLY_HINT = (
    "it comes from Last.fm: love or unlove tracks instead "
    "('mopidy mtscrobble love' / 'unlove', or the MTScrobble web page)"
)
MOST_PLAYED_HINT = (
    "it lists your most played tracks by their play counts on Last.fm, "
    "so it cannot be edited; add the tracks to another playlist instead"
)
LOVED_HINT = (
    "add a track to it to love that track, remove one to unlove it; "
    "the playlist itself cannot be created, renamed or deleted"
)
SEARCH_URI = "mtscrobble:search"


def network_label(settings: Settings) -> str:
    """Last.fm, or Libre.fm: custom servers speak Last.fm's protocol."""
    return "Libre.fm" if settings.network == "librefm" else "Last.fm"


def playlist_name(settings: Settings) -> str:
    return f"Loved on {network_label(settings)}"


def most_played_name(settings: Settings) -> str:
    return f"Most played on {network_label(settings)}"


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
        self._retry_at_s = 0.0  # monotonic; after a failed open
        self.library = FavoritesLibrary(self)
        self.playlists = FavoritesPlaylists(self)
        self.playback = None
        self.edits = loved_edits.Applier(self._edits_applied)

    def on_stop(self) -> None:
        self.edits.stop()
        if self._store is not None:
            self._store.close()

    def _edits_applied(self) -> None:
        """On the edits' thread, after a save of "Loved" was applied: tell
        Mopidy's clients (and the M3U mirror) the playlist as it is now."""
        playlist = self.actor_ref.proxy().playlists.lookup(PLAYLIST_URI)
        CoreListener.send(
            "playlist_changed", playlist=playlist.get(timeout=EVENT_TIMEOUT_S)
        )

    def store(self) -> Store | None:
        """The database, opened on first use (on this actor's thread, where
        Mopidy's core waits: a locked one is waited for STORE_LOCK_WAIT_S, then
        tried again STORE_RETRY_S later)."""
        now_s = time.monotonic()
        if self._store is None and now_s >= self._retry_at_s:
            try:
                self._store = Store.open(
                    prepare_data_dir(self._config),
                    SystemClock().wall(),
                    STORE_LOCK_WAIT_S,
                )
            except MTScrobbleError as exc:
                if self._retry_at_s == 0.0:  # said once; the frontend says it too
                    logger.error("Loved tracks are not shown: %s", exc)
                self._retry_at_s = now_s + STORE_RETRY_S
        return self._store

    def loved_matches(self) -> list[LocalMatch]:
        store = self.store()
        if store is None:
            return []
        try:
            return store.songs.loved_playlist()
        except MTScrobbleError as exc:
            logger.error("Could not read the loved tracks: %s", exc)
            return []

    def most_played(self) -> list[LocalMatch]:
        store = self.store()
        if store is None:
            return []
        try:
            found = store.songs.most_played(self.settings.most_played_size)
        except MTScrobbleError as exc:
            logger.error("Could not read the play counts: %s", exc)
            return []
        return [match for match, _count in found]

    def playlist_tracks(self, uri: str) -> list[LocalMatch] | None:
        if uri == PLAYLIST_URI:
            return self.loved_matches()
        if uri == MOST_PLAYED_PLAYLIST_URI:
            return self.most_played()
        return None

    def loved_missing(self) -> list[Ref]:
        store = self.store()
        if store is None:
            return []
        try:
            missing = store.songs.loved_missing()
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
            loved = store.songs.loved_by_id(int(number))
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
                Ref.directory(uri=MOST_PLAYED_URI, name="Most played"),
            ]
        if uri in (LOVED_URI, MOST_PLAYED_URI):
            playlist = PLAYLIST_URI if uri == LOVED_URI else MOST_PLAYED_PLAYLIST_URI
            return [
                Ref.track(uri=m.uri, name=m.name or m.uri)
                for m in self.backend.playlist_tracks(playlist)
            ]
        if uri == MISSING_URI:
            missing: list[Ref] = self.backend.loved_missing()
            return missing
        return []

    def lookup(self, uri: str) -> list[Track]:
        tracks = self.backend.playlist_tracks(uri)
        if tracks is not None:
            return [track_model(m) for m in tracks]
        if uri.startswith(MISSING_TRACK_PREFIX):
            track = self.backend.missing_track(uri)
            return [track] if track is not None else []
        return []

    def search(
        self, query: Any = None, uris: Any = None, exact: bool = False
    ) -> SearchResult:
        """Nothing of ours to find: the loved tracks are found through their
        own backends. Empty, as Mopidy expects (a list would be an error)."""
        return SearchResult(uri=SEARCH_URI)


class FavoritesPlaylists(backend.PlaylistsProvider):
    def __init__(self, backend_: MTScrobbleBackend) -> None:
        super().__init__(backend_)
        self.names = {
            PLAYLIST_URI: playlist_name(backend_.settings),
            MOST_PLAYED_PLAYLIST_URI: most_played_name(backend_.settings),
        }

    def as_list(self) -> list[Ref]:
        return [Ref.playlist(uri=uri, name=name) for uri, name in self.names.items()]

    def get_items(self, uri: str) -> list[Ref] | None:
        tracks = self.backend.playlist_tracks(uri)
        if tracks is None:
            return None
        return [Ref.track(uri=m.uri, name=m.name or m.uri) for m in tracks]

    def lookup(self, uri: str) -> Playlist | None:
        tracks = self.backend.playlist_tracks(uri)
        if tracks is None:
            return None
        models = tuple(track_model(m) for m in tracks)
        return Playlist(uri=uri, name=self.names[uri], tracks=models)

    def refresh(self) -> None:
        pass  # read from the database on every call

    def hint(self, uri: str) -> str:
        return LOVED_HINT if uri == PLAYLIST_URI else MOST_PLAYED_HINT

    def create(self, name: str) -> Playlist | None:
        # Mopidy asks every backend in turn: only our own names are refused aloud.
        if name in self.names.values():
            logger.warning(
                "No playlist %r was created: ours exists already (%s)",
                name,
                READ_ONLY_HINT,
            )
        return None  # another backend (such as M3U) creates playlists

    def delete(self, uri: str) -> bool:
        if uri in self.names:
            logger.warning(
                "The playlist %r cannot be deleted: %s",
                self.names[uri],
                self.hint(uri),
            )
        return False

    def save(self, playlist: Playlist) -> Playlist | None:
        """ "Loved": love what was added, unlove what was removed, and answer
        the playlist as saved, at once: Mopidy's core waits for this, and
        every client with it. The loves and unloves (a library lookup and a
        write each) are made on a thread of their own (`loved_edits.Applier`),
        one save after the other; a track found there that cannot be loved
        (a file without an artist or a title) undoes that save, with a
        WARNING. None (the client's save fails) for "Most played", or when a
        track added can never be loved, seen without a lookup (a stream)."""
        if playlist.uri == PLAYLIST_URI:
            if self.backend.store() is None:
                return None  # why was logged when it failed to open
            current = self.backend.loved_matches()
            saved = [str(t.uri) for t in playlist.tracks if t.uri]
            schemes = self.backend.settings.favorites_uri_schemes
            changes = loved_edits.edits([m.uri for m in current], saved)
            why = loved_edits.refusal(changes.added, schemes)
            if why is not None:
                logger.warning("Not loved, the playlist is left as it was: %s", why)
                return None
            if changes.added or changes.removed:
                self.backend.edits.submit(current, saved, schemes)
            # A new model, not `playlist.replace`: Mopidy 4's replace fails
            # on tracks a JSON-RPC client sent (their "__model__" comes back
            # as an unknown "model" field), and Mopidy then spends seconds
            # logging 500 validation errors while its core waits.
            return Playlist(
                uri=PLAYLIST_URI,
                name=self.names[PLAYLIST_URI],
                tracks=tuple(playlist.tracks),
            )
        if playlist.uri in self.names:
            logger.warning(
                "The playlist %r was not changed: %s",
                self.names[playlist.uri],
                self.hint(playlist.uri),
            )
        return None
