"""The Mopidy frontend: a thin adapter from Mopidy's playback events to the rules.

It does no network I/O. When a play qualifies it is committed to the store at
once, on this actor, before anything else happens; the delivery side is only
told (without waiting) that the queue changed.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import pathlib
import random
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import pykka
from mopidy import httpclient
from mopidy.backend import BackendListener
from mopidy.core import CoreListener

from .backoff import Backoff
from .datadir import prepare_data_dir
from .delivery import Delivery as DeliveryWorker
from .errors import MTScrobbleError, NotReadyError, StorageError
from .favorites import Matcher
from .library import Library
from .listening import Listening, Play, Rules, Track
from .matching import key_parts
from .sanitize import (
    clean_text,
)
from .settings import API_ACCOUNT_URL, Settings
from .store import NewScrobble, Store
from .timing import Cancellable, Clock, Scheduler, SystemClock, ThreadingScheduler
from .tracks import LocalTrack, track_from_model

logger = logging.getLogger(__name__)

# Fire the qualification timer a little after the exact moment.
TIMER_DELAY_MARGIN_S = 0.05
# How long an event may wait for a database another program has locked; after
# that the play waits in memory and is saved on a timer.
STORE_LOCK_WAIT_S = 1.0
# After a failed save: the first and the longest wait before the next try.
STORE_RETRY_FIRST_S = 5.0
STORE_RETRY_MAX_S = 60.0
PRUNE_INTERVAL_S = 86_400
# Plays that could not be queued when Mopidy stopped; queued at the next start.
KEPT_PLAYS_FILENAME = "unsaved-plays.jsonl"
FILE_MODE = 0o600


class Delivery(Protocol):
    """What the frontend may ask of the delivery side. Both calls must not block."""

    def now_playing(self, track: Track) -> None: ...

    def queue_changed(self) -> None: ...


@dataclasses.dataclass(frozen=True)
class _TimerFired:
    generation: int


@dataclasses.dataclass(frozen=True)
class _RetrySave:
    """Time to try again to save the plays waiting in memory."""


@dataclasses.dataclass
class _Waiting:
    """A qualified play not in the database yet."""

    scrobble: NewScrobble
    # A write was tried: it may have been committed, so finding the play in
    # the database means it is this one (not a replay at the same second).
    tried: bool = False


@dataclasses.dataclass(frozen=True)
class TrackInfo:
    uri: str
    artist: str
    track: str
    loved: bool
    playcount: int | None


@dataclasses.dataclass(frozen=True)
class LoveResult:
    """What a love or unlove did, for the web API and the commands."""

    loved: bool
    uri: str
    artist: str
    track: str


def scrobble_from_play(play: Play) -> NewScrobble:
    track = play.track
    return NewScrobble(
        artist=track.artist,
        track=track.title,
        timestamp=play.started_at,
        album=track.album,
        album_artist=track.album_artist,
        track_number=track.track_number,
        duration_s=track.length_ms // 1000 if track.length_ms else None,
        mbid=track.mbid,
        chosen_by_user=play.chosen_by_user,
        uri=track.uri,
    )


def _guarded(handler: Callable[..., None]) -> Callable[..., None]:
    """No exception of ours may escape into Mopidy's actors."""

    @functools.wraps(handler)
    def wrapper(self: MTScrobbleFrontend, *args: Any, **kwargs: Any) -> None:
        if self.data_dir is None:
            return  # not running: startup already said why
        try:
            handler(self, *args, **kwargs)
        except MTScrobbleError as exc:
            logger.error("%s", exc)
        except Exception:
            logger.exception(
                "Mopidy-MTScrobble failed handling %s; playback goes on. "
                "Please report this with the log.",
                handler.__name__,
            )

    return wrapper


class MTScrobbleFrontend(pykka.ThreadingActor, CoreListener):
    def __init__(
        self,
        config: Mapping[str, Any],
        core: Any,
        clock: Clock | None = None,
        scheduler: Scheduler | None = None,
        delivery: Delivery | None = None,
        store_lock_wait_s: float = STORE_LOCK_WAIT_S,
        match_library: bool = True,
    ) -> None:
        # Nothing here may fail: an exception in __init__ would stop Mopidy.
        super().__init__()
        self._config = config
        self._core = core
        self._clock = clock or SystemClock()
        self._scheduler = scheduler or ThreadingScheduler()
        self._delivery = delivery
        self._owned_delivery: DeliveryWorker | None = None
        self._match_library = match_library
        self._matcher: Matcher | None = None
        self._store_lock_wait_s = store_lock_wait_s
        self.settings = Settings()
        self.data_dir = None
        self.store: Store | None = None
        self._listening = Listening(Rules())
        self._unsaved: list[_Waiting] = []
        self._store_retry_at_s = 0.0
        self._save_backoff = Backoff(
            random.Random(0), first_s=STORE_RETRY_FIRST_S, max_s=STORE_RETRY_MAX_S
        )
        self._save_timer: Cancellable | None = None
        self._reported: set[str] = set()
        self._kept_file_loaded = False
        self._prune_at_s = 0.0
        self._timer: Cancellable | None = None
        self._timer_generation = 0

    # Actor lifecycle.

    def on_start(self) -> None:
        try:
            self.settings = Settings.from_config(self._config["mtscrobble"])
            self._listening = Listening(self.settings.rules())
            self.data_dir = prepare_data_dir(self._config)
        except MTScrobbleError as exc:
            logger.error("Mopidy-MTScrobble is not running: %s", exc)
            return
        logger.info(
            "Mopidy-MTScrobble started: scrobbling to %s, data in %s",
            self.settings.network_name,
            self.data_dir,
        )
        # Only here, before anything else has it open, may a damaged database
        # be moved aside.
        self._open_store(repair=True)
        self._load_kept_plays()
        report_credentials(self.settings)
        if self._match_library:
            self._matcher = Matcher(
                self.data_dir,
                Library(self._core),
                self.settings.favorites_uri_schemes,
                on_changed=favorites_changed,
            )
            self._matcher.start()
        if self._delivery is None:
            self._owned_delivery = DeliveryWorker(
                self.settings,
                self.data_dir,
                proxy=httpclient.format_proxy(self._config.get("proxy") or {}),
                on_imported=self._on_imported,
            )
            self._owned_delivery.start()
            self._delivery = self._owned_delivery
        self._save_unsaved()

    def on_stop(self) -> None:
        self._cancel_timer()
        self._cancel_save_timer()
        if self.data_dir is None:
            return
        # Each part on its own: one failing must not keep the others from closing.
        for part in (self._last_save, self._keep_unsaved):
            try:
                part()
            except Exception:
                logger.exception("Mopidy-MTScrobble failed while stopping")
        for closing in (self.store, self._owned_delivery, self._matcher):
            if closing is None:
                continue
            try:
                closing.close() if closing is self.store else closing.stop()
            except Exception:
                logger.exception("Mopidy-MTScrobble failed while stopping")
        self.store = None

    def _last_save(self) -> None:
        self._store_retry_at_s = 0.0  # a last try, whatever happened before
        self._commit_if_qualified(
            self._listening.ended(None, self._clock.monotonic()), "shutdown"
        )

    def on_receive(self, message: Any) -> None:
        if isinstance(message, _TimerFired):
            self._on_timer(message)
        elif isinstance(message, _RetrySave):
            self._on_retry_save()

    # Mopidy's events.

    @_guarded
    def track_playback_started(self, tl_track: Any) -> None:
        track = track_from_model(tl_track.track)
        self._handle(
            self._listening.started(track, self._clock.wall(), self._clock.monotonic()),
            "started",
        )
        self._announce(self._listening.play)

    @_guarded
    def track_playback_paused(self, tl_track: Any, time_position: int) -> None:
        self._handle(
            self._listening.paused(time_position, self._clock.monotonic()), "paused"
        )

    @_guarded
    def track_playback_resumed(self, tl_track: Any, time_position: int) -> None:
        self._handle(
            self._listening.resumed(time_position, self._clock.monotonic()), "resumed"
        )

    @_guarded
    def track_playback_ended(self, tl_track: Any, time_position: int) -> None:
        self._handle(
            self._listening.ended(time_position, self._clock.monotonic()), "ended"
        )

    @_guarded
    def seeked(self, time_position: int) -> None:
        self._handle(
            self._listening.seeked(time_position, self._clock.monotonic()), "seeked"
        )

    @_guarded
    def playback_state_changed(self, old_state: Any, new_state: Any) -> None:
        now = self._clock.monotonic()
        # The dedicated events normally come too; these calls are then no-ops.
        if new_state == "paused":
            self._handle(self._listening.paused(None, now), "state paused")
        elif new_state == "playing":
            self._handle(self._listening.resumed(None, now), "state playing")
        elif new_state == "stopped":
            self._handle(self._listening.ended(None, now), "stopped")

    @_guarded
    def stream_title_changed(self, title: str) -> None:
        self._handle(
            self._listening.stream_title(
                clean_text(title) or "", self._clock.wall(), self._clock.monotonic()
            ),
            "stream title",
        )
        self._announce(self._listening.play)

    @property
    def delivery(self) -> DeliveryWorker | None:
        """The delivery side this frontend started, for the web app and commands."""
        return self._owned_delivery

    # Love and unlove, asked by the web app.

    def love(self, track: LocalTrack) -> LoveResult:
        """Love a track (see library.find_track): shown at once, sent when it can."""
        store = self._usable_store()
        artist = ", ".join(track.artists)
        now = self._clock.wall()
        store.loves.love(artist, track.name, track.as_match(), now)
        logger.info("Loved %s - %s", artist, track.name)
        self._favorites_changed()
        return LoveResult(True, track.uri, artist, track.name)

    def unlove(self, track: LocalTrack) -> LoveResult:
        """Unlove a track: gone at once, sent later."""
        store = self._usable_store()
        artist = ", ".join(track.artists)
        loved = store.songs.loved_for(track.uri, key_parts(artist, track.name))
        store.loves.unlove(loved, (artist, track.name), self._clock.wall())
        logger.info("Unloved %s - %s", artist, track.name)
        self._favorites_changed()
        return LoveResult(False, track.uri, artist, track.name)

    def track_info(self, track: LocalTrack) -> TrackInfo:
        """Whether a track is loved, and its play count (None: not counted)."""
        store = self._usable_store()
        artist = ", ".join(track.artists)
        key = key_parts(artist, track.name)
        return TrackInfo(
            uri=track.uri,
            artist=artist,
            track=track.name,
            loved=bool(store.songs.loved_for(track.uri, key)),
            playcount=store.songs.playcount_for(track.uri, key),
        )

    def listening(self) -> dict[str, Any] | None:
        """The play in progress and its listened time against its threshold."""
        progress = self._listening.progress(self._clock.monotonic())
        return dataclasses.asdict(progress) if progress else None

    def start_import(self, kind: str) -> bool:
        """Start an import ("loved", "playcounts"); False if one runs already."""
        if self._owned_delivery is None:
            raise NotReadyError("Mopidy-MTScrobble is not running (see Mopidy's log)")
        return self._owned_delivery.start_import(kind)

    def _usable_store(self) -> Store:
        if self.store is None and not self._open_store():
            raise StorageError("The database cannot be used now; see Mopidy's log")
        return self.store

    def _on_imported(self, kind: str) -> None:
        """On the delivery thread: an import ended, its songs wait to be matched."""
        if self._matcher is not None:
            self._matcher.wake()

    def _favorites_changed(self) -> None:
        if self._delivery is not None:
            self._delivery.queue_changed()
        favorites_changed()

    def plays_waiting_in_memory(self) -> int:
        """Qualified plays not yet saved because the database was unusable."""
        return len(self._unsaved)

    def retry_save_pending(self) -> bool:
        """Whether a timer will try again to save the plays waiting in memory."""
        return self._save_timer is not None

    # Internals.

    def _handle(self, qualified: Play | None, event: str) -> None:
        self._commit_if_qualified(qualified, event)
        self._reschedule()

    def _commit_if_qualified(self, play: Play | None, event: str) -> None:
        if play is not None:
            self._unsaved.append(_Waiting(scrobble_from_play(play)))
            logger.debug(
                "Play qualified at %s: %s - %s",
                event,
                play.track.artist,
                play.track.title,
            )
        # Also retries plays left in memory when the database was unusable.
        self._save_unsaved()

    def _save_unsaved(self) -> None:
        """Queue the plays waiting in memory, each on its own: one that cannot
        be saved never holds back another."""
        if not self._unsaved or self._clock.monotonic() < self._store_retry_at_s:
            return
        if self.store is None and not self._open_store():
            self._saving_failed(None)
            return
        saved = 0
        for waiting in list(self._unsaved):
            scrobble = waiting.scrobble
            try:
                scrobble_id = self.store.queue.enqueue(
                    scrobble, self._clock.wall(), distinct=not waiting.tried
                )
            except StorageError as exc:
                waiting.tried = True
                self._saving_failed(exc)
                break
            except Exception as exc:  # this play, not the database: the others go on
                waiting.tried = True
                self._report(
                    exc,
                    f"Could not queue the play of {scrobble.artist} - "
                    f"{scrobble.track}; it waits in memory, the others go on.",
                )
                continue
            self._unsaved.remove(waiting)
            saved += 1
            logger.info(
                "Queued scrobble #%d: %s - %s",
                scrobble_id,
                scrobble.artist,
                scrobble.track,
            )
        else:
            self._store_retry_at_s = 0.0
            self._save_backoff.reset()
            if self._unsaved:  # only plays that failed on their own
                self._schedule_save_retry(STORE_RETRY_MAX_S)
        if saved:
            if self.store is not None:
                self._prune_history()
            if not self._unsaved:
                self._forget_kept_plays()
            if self._delivery is not None:
                self._delivery.queue_changed()

    def _saving_failed(self, exc: StorageError | None) -> None:
        """The database cannot take plays now: try again on a timer."""
        if exc is not None and exc.damaged and self.store is not None:
            self.store.close()  # opened afresh at the next try
            self.store = None
        delay = self._save_backoff.failed()
        self._store_retry_at_s = self._clock.monotonic() + delay
        self._schedule_save_retry(delay)
        if exc is not None:
            self._report(
                exc,
                f"Could not queue a scrobble yet: {exc} {len(self._unsaved)} "
                "qualified play(s) wait in memory and are saved as soon as it "
                "works again.",
            )

    def _schedule_save_retry(self, delay_s: float) -> None:
        self._cancel_save_timer()
        self._save_timer = self._scheduler.call_later(
            delay_s, lambda: self._tell(_RetrySave())
        )

    def _cancel_save_timer(self) -> None:
        if self._save_timer is not None:
            self._save_timer.cancel()
            self._save_timer = None

    @_guarded
    def _on_retry_save(self) -> None:
        self._save_timer = None
        self._store_retry_at_s = 0.0
        self._save_unsaved()

    def _report(self, exc: BaseException, message: str) -> None:
        """Log a problem once (ERROR); the same one again only at DEBUG."""
        signature = f"{type(exc).__name__}: {exc}"
        if signature in self._reported:
            logger.debug("%s", message)
            return
        self._reported.add(signature)
        logger.error("%s", message)

    # Plays kept in a file when Mopidy stopped with some not in the database.

    def _kept_plays_path(self) -> pathlib.Path:
        return self.data_dir / KEPT_PLAYS_FILENAME

    def _keep_unsaved(self) -> None:
        if not self._unsaved:
            self._forget_kept_plays()
            return
        path = self._kept_plays_path()
        lines = "".join(
            json.dumps({**dataclasses.asdict(w.scrobble), "tried": w.tried}) + "\n"
            for w in self._unsaved
        )
        temporary = path.with_suffix(".tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(lines)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except OSError as exc:
            for waiting in self._unsaved:
                logger.error(
                    "Lost a qualified play: the database could not be written, nor "
                    "%s (%s): %s - %s at %d",
                    path,
                    exc.strerror or exc,
                    waiting.scrobble.artist,
                    waiting.scrobble.track,
                    waiting.scrobble.timestamp,
                )
            return
        logger.warning(
            "%d qualified play(s) could not be queued (the database could not be "
            "written); they are kept in %s and queued when Mopidy starts again.",
            len(self._unsaved),
            path,
        )

    def _load_kept_plays(self) -> None:
        path = self._kept_plays_path()
        try:
            text = path.read_text("utf-8", errors="replace")
        except FileNotFoundError:
            return
        except OSError as exc:
            logger.error("Cannot read the kept plays in %s: %s", path, exc)
            return
        names = {f.name for f in dataclasses.fields(NewScrobble)}
        for number, line in enumerate(text.splitlines(), start=1):
            try:
                values = json.loads(line)
                scrobble = NewScrobble(**{k: values[k] for k in names if k in values})
            except (ValueError, TypeError, KeyError, AttributeError):
                logger.warning("Skipping line %d of %s: not a kept play", number, path)
                continue
            self._unsaved.append(_Waiting(scrobble, tried=bool(values.get("tried"))))
        self._kept_file_loaded = True
        logger.info(
            "Queuing %d play(s) kept in %s when Mopidy last stopped",
            len(self._unsaved),
            path,
        )

    def _forget_kept_plays(self) -> None:
        if not self._kept_file_loaded:
            return
        try:
            self._kept_plays_path().unlink(missing_ok=True)
        except OSError as exc:
            logger.warning("Cannot remove %s: %s", self._kept_plays_path(), exc)
            return
        self._kept_file_loaded = False

    def _open_store(self, repair: bool = False) -> bool:
        if self.data_dir is None:
            return False
        try:
            # Copying the write-ahead log into the database can take long:
            # never on this actor (delivery does it).
            self.store = Store.open(
                self.data_dir,
                self._clock.wall(),
                self._store_lock_wait_s,
                repair=repair,
                checkpoints=False,
            )
        except StorageError as exc:
            self._report(exc, str(exc))
            self.store = None
            return False
        self._prune_history()
        return True

    def _prune_history(self) -> None:
        """At startup and then at most daily: forget old sent scrobbles."""
        if self._clock.monotonic() < self._prune_at_s:
            return
        self._prune_at_s = self._clock.monotonic() + PRUNE_INTERVAL_S
        try:
            pruned = self.store.queue.prune_history(
                self.settings.history_days, self._clock.wall()
            )
        except StorageError as exc:
            logger.error("Could not forget old history: %s", exc)
            return
        if pruned:
            logger.info(
                "Forgot %d scrobbles sent more than %d days ago",
                pruned,
                self.settings.history_days,
            )

    def _announce(self, play: Play | None) -> None:
        if play is None or play.ineligible or not self.settings.now_playing:
            return
        if self._delivery is not None:
            self._delivery.now_playing(play.track)

    def _reschedule(self) -> None:
        self._cancel_timer()
        delay = self._listening.seconds_until_qualified(self._clock.monotonic())
        if delay is None:
            return
        self._timer_generation += 1
        message = _TimerFired(self._timer_generation)
        self._timer = self._scheduler.call_later(
            delay + TIMER_DELAY_MARGIN_S, lambda: self._tell(message)
        )

    def _tell(self, message: _TimerFired) -> None:
        if self.actor_ref.is_alive():
            self.actor_ref.tell(message)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    @_guarded
    def _on_timer(self, message: _TimerFired) -> None:
        if message.generation != self._timer_generation:
            return  # a newer event already rescheduled
        self._timer = None
        self._handle(self._listening.tick(self._clock.monotonic()), "timer")


def report_credentials(settings: Settings) -> None:
    missing = settings.missing_credentials()
    if not missing:
        return
    keys = " and ".join(f"mtscrobble/{key}" for key in missing)
    where = (
        f"Create an API account at {API_ACCOUNT_URL} and put its key and secret"
        if settings.network == "lastfm"
        else f"Put the API key and secret for {settings.network_name}"
    )
    logger.error(
        "%s not set, so nothing can be sent to %s (plays are still recorded). "
        "%s in the [mtscrobble] section of mopidy.conf, then restart Mopidy.",
        keys,
        settings.network_name,
        where,
    )


def favorites_changed() -> None:
    """Tell Mopidy (and so its clients, MPD's included) the playlist changed."""
    BackendListener.send("playlists_loaded")
