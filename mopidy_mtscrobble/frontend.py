"""The Mopidy frontend: a thin adapter from Mopidy's playback events to the rules.

It does no network I/O. When a play qualifies it is committed to the store at
once, on this actor, before anything else happens; the delivery side is only
told (without waiting) that the queue changed.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import logging
import pathlib
import time
from collections.abc import Callable, Mapping
from typing import Any

import mopidy
import pykka
from mopidy import httpclient
from mopidy.backend import BackendListener
from mopidy.core import CoreListener

from . import loving, sending
from .datadir import prepare_data_dir
from .delivery import Delivery as DeliveryWorker
from .delivery.listenbrainz import ListenBrainzDelivery
from .errors import MTScrobbleError, NotReadyError
from .favorites import Matcher
from .history_log import HistoryLog, heard_s
from .library import Library
from .listening import Listening, Play, Rules
from .loving import LoveResult, TrackInfo
from .private_gate import PrivateGate
from .rematch import RematchSchedule
from .sanitize import (
    clean_text,
)
from .saving import PlaySaver, scrobble_from_play
from .senders import Senders, Stoppable, Told
from .settings import Settings
from .store import Store
from .timing import Cancellable, Clock, Scheduler, SystemClock, ThreadingScheduler
from .tracks import LocalTrack, track_from_model

logger = logging.getLogger(__name__)

# Fire the qualification timer a little after the exact moment.
TIMER_DELAY_MARGIN_S = 0.05
# How long an event may wait for a database another program has locked; after
# that the play waits in memory and is saved on a timer.
STORE_LOCK_WAIT_S = 1.0
# How long Mopidy's stop waits for our threads, all together (the last play's
# save comes on top: at most STORE_LOCK_WAIT_S, then it is kept in a file).
STOP_WAIT_S = 1.0
# How long to wait for Mopidy's core to say where playback is; after that the
# time that passed counts (our own thread waits, never Mopidy's).
POSITION_WAIT_S = 2.0


@dataclasses.dataclass(frozen=True)
class _TimerFired:
    generation: int


@dataclasses.dataclass(frozen=True)
class _RetrySave:
    """Time to try again to save the plays waiting in memory."""


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


def _join_by(thread: Stoppable, deadline_s: float) -> None:
    thread.join(max(0.0, deadline_s - time.monotonic()))


class MTScrobbleFrontend(pykka.ThreadingActor, CoreListener):
    def __init__(
        self,
        config: Mapping[str, Any],
        core: Any,
        clock: Clock | None = None,
        scheduler: Scheduler | None = None,
        delivery: Told | None = None,
        listenbrainz: tuple[Told, ...] = (),
        store_lock_wait_s: float = STORE_LOCK_WAIT_S,
        match_library: bool = True,
        tz: datetime.tzinfo | None = None,
    ) -> None:
        # Nothing here may fail: an exception in __init__ would stop Mopidy.
        super().__init__()
        self._config = config
        self._core = core
        self._clock = clock or SystemClock()
        self._scheduler = scheduler or ThreadingScheduler()
        given = (delivery, *listenbrainz) if delivery is not None else ()
        self._senders = Senders(given)
        self._match_library = match_library
        self._matcher: Matcher | None = None
        self._rematch_schedule: RematchSchedule | None = None
        self._store_lock_wait_s = store_lock_wait_s
        self.settings = Settings()
        self.data_dir: pathlib.Path | None = None
        self._saver: PlaySaver | None = None
        self._save_timer: Cancellable | None = None
        self._history = HistoryLog(lambda: self.store)
        self._listening = Listening(Rules(), self._history.finished)
        self._name_steps: list[sending.Step] = []
        self._timer: Cancellable | None = None
        self._timer_generation = 0
        self._private = PrivateGate(lambda: self.store, tz)

    # Actor lifecycle.

    def on_start(self) -> None:
        try:
            self.settings = Settings.from_config(self._config["mtscrobble"])
            self._listening = Listening(self.settings.rules(), self._history.finished)
            self._name_steps = sending.name_steps(self.settings)
            self.data_dir = prepare_data_dir(self._config)
        except MTScrobbleError as exc:
            logger.error("Mopidy-MTScrobble is not running: %s", exc)
            return
        logger.info(
            "Mopidy-MTScrobble started: scrobbling to %s, data in %s",
            self.settings.destinations_named,
            self.data_dir,
        )
        self._saver = PlaySaver(
            self.data_dir,
            self._clock,
            self._store_lock_wait_s,
            self.settings.history_days,
            self.settings.destinations,
            retry_later=self._schedule_save_retry,
            saved=self._queue_changed,
            sending=sending.steps_for(self.settings),
            history_keep_days=self.settings.history_keep_days,
        )
        # Only here, before anything else has it open, may a damaged database
        # be moved aside.
        self._saver.open(repair=True)
        self._saver.load_kept()
        problem = self.settings.credentials_problem()
        if problem:
            logger.error("%s", problem)
        if self._match_library:
            self._matcher = Matcher(
                self.data_dir,
                Library(self._core),
                self.settings.favorites_uri_schemes,
                on_changed=favorites_changed,
            )
            self._matcher.start()
            self._rematch_schedule = RematchSchedule(
                self._scheduler, self.settings.rematch_interval, self._matcher.rematch
            )
            self._rematch_schedule.start()
        self._senders.start(
            self.settings,
            self.data_dir,
            httpclient.format_proxy(self._config.get("proxy") or {}),
            mopidy.__version__,
            on_imported=self._on_imported,
        )
        self._saver.save()

    def on_stop(self) -> None:
        self._cancel_timer()
        self._cancel_save_timer()
        saver = self._saver
        if self.data_dir is None or saver is None:
            return
        # Mopidy waits for this: our threads are all asked to stop first, then
        # waited for within one budget, whatever a server or the database is
        # doing (one still in a call is a daemon, left behind).
        deadline_s = time.monotonic() + STOP_WAIT_S
        threads = self._senders.threads()
        if self._matcher is not None:
            threads.append(self._matcher)
        parts = [thread.ask_to_stop for thread in threads]
        if self._rematch_schedule is not None:
            parts.append(self._rematch_schedule.stop)
        parts += [self._last_save, saver.keep, saver.close]
        parts += [functools.partial(_join_by, thread, deadline_s) for thread in threads]
        # Each part on its own: one failing must not keep the others from closing.
        for part in parts:
            try:
                part()
            except Exception:
                logger.exception("Mopidy-MTScrobble failed while stopping")

    def _last_save(self) -> None:
        play = self._listening.ended(None, self._clock.monotonic())
        if play is not None:
            self._qualified(play, "shutdown")
        if self._saver is not None:
            self._saver.retry()  # a last try, whatever happened before

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
        self._take_up(tl_track, time_position)
        self._handle(
            self._listening.paused(time_position, self._clock.monotonic()), "paused"
        )

    @_guarded
    def track_playback_resumed(self, tl_track: Any, time_position: int) -> None:
        if self._take_up(tl_track, time_position):
            self._announce(self._listening.play)
        self._handle(
            self._listening.resumed(time_position, self._clock.monotonic()), "resumed"
        )

    @_guarded
    def track_playback_ended(self, tl_track: Any, time_position: int) -> None:
        self._take_up(tl_track, time_position, at_end=True)
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
        position_ms = self._position_ms()
        self._handle(
            self._listening.stream_title(
                clean_text(title) or "",
                self._clock.wall(),
                self._clock.monotonic(),
                position_ms,
            ),
            "stream title",
        )
        self._announce(self._listening.play)

    @property
    def delivery(self) -> DeliveryWorker | None:
        """The delivery side this frontend started, for the web app and commands."""
        return self._senders.lastfm

    @property
    def listenbrainz(self) -> tuple[ListenBrainzDelivery, ...]:
        """The ListenBrainz-compatible destinations' deliveries it started."""
        return self._senders.listenbrainz

    # Love and unlove, asked by the web app.

    def love(self, track: LocalTrack) -> LoveResult:
        """Love a track (see library.find_track): shown at once, sent when it can."""
        result = loving.love(
            self._usable_store(), track, self.settings.destinations, self._clock.wall()
        )
        self._favorites_changed()
        return result

    def unlove(self, track: LocalTrack) -> LoveResult:
        """Unlove a track: gone at once, sent later."""
        result = loving.unlove(
            self._usable_store(), track, self.settings.destinations, self._clock.wall()
        )
        self._favorites_changed()
        return result

    def track_info(self, track: LocalTrack) -> TrackInfo:
        """Whether a track is loved, and its play count (None: not counted)."""
        return loving.track_info(self._usable_store(), track)

    def listening(self) -> dict[str, Any] | None:
        """The play in progress and its listened time against its threshold."""
        progress = self._listening.progress(self._clock.monotonic())
        play = self._listening.play
        if progress is None or play is None:
            return None
        # Why private mode keeps it out ("until 14:30", "skipped"), or None.
        private = self._private.why(play, self._clock.wall())
        return {**dataclasses.asdict(progress), "private": private}

    def start_import(self, kind: str) -> bool:
        """Start an import ("loved", "playcounts"); False if one runs already."""
        if self._senders.lastfm is None:
            raise NotReadyError
        return self._senders.lastfm.start_import(kind)

    def _usable_store(self) -> Store:
        if self._saver is None:
            raise NotReadyError
        return self._saver.usable_store()

    @property
    def store(self) -> Store | None:
        """The frontend's connection to the database, if open."""
        return self._saver.store if self._saver is not None else None

    def _on_imported(self, kind: str) -> None:
        """On the delivery thread: an import ended, its songs wait to be matched."""
        if self._matcher is not None:
            self._matcher.wake()

    @property
    def matcher(self) -> Matcher | None:
        """The matching of songs to library tracks, if it runs."""
        return self._matcher

    def rematch(self) -> None:
        """The library changed (the CLI, the API say so): rematch it now."""
        if self._matcher is None:
            raise NotReadyError("Matching to the library is not running")
        self._matcher.rematch()

    def _favorites_changed(self) -> None:
        self._queue_changed()
        favorites_changed()

    def _queue_changed(self) -> None:
        self._senders.queue_changed()

    def plays_released(self) -> None:
        """Held plays were released (the page, the API, the CLI through the
        API): they are due again, so delivery tries now."""
        self._queue_changed()

    def plays_waiting_in_memory(self) -> int:
        """Qualified plays not yet saved because the database was unusable."""
        return len(self._saver.waiting) if self._saver is not None else 0

    def retry_save_pending(self) -> bool:
        """Whether a timer will try again to save the plays waiting in memory."""
        return self._save_timer is not None

    # Internals.

    def _take_up(self, tl_track: Any, position_ms: int, at_end: bool = False) -> bool:
        """Follow a play whose start Mopidy did not announce (see
        Listening.take_up); True if it was one."""
        model = getattr(tl_track, "track", None)
        if model is None:
            return False
        track = track_from_model(model)
        if not self._listening.unseen(track, at_end):
            return False
        now = self._clock
        self._handle(
            self._listening.take_up(track, position_ms, now.wall(), now.monotonic()),
            "taken up",
        )
        return True

    def _handle(self, qualified: Play | None, event: str) -> None:
        if qualified is not None:
            self._qualified(qualified, event)
        if self._saver is not None:
            self._saver.save()  # also plays left in memory by a failed save
        self._reschedule()

    def _qualified(self, play: Play, event: str) -> None:
        logger.debug(
            "Play qualified at %s: %s - %s", event, play.track.artist, play.track.title
        )
        heard = heard_s(play, self._clock.monotonic())
        private = self._private.kept_out_why(play, self._clock.wall())
        if private is not None:
            self._history.private(play, heard, f"private mode ({private})")
            return
        if self._saver is not None:
            self._history.queued(play, self._saver.add(scrobble_from_play(play), heard))

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
        if self._saver is not None:
            self._saver.retry()

    def _announce(self, play: Play | None) -> None:
        if play is None or play.ineligible or not self.settings.now_playing:
            return
        if self._private.why(play, self._clock.wall()) is not None:
            return
        track = sending.as_sent(play.track, self._name_steps)  # as it is scrobbled
        self._senders.now_playing(track)

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

    def _tell(self, message: Any) -> None:
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
        position_ms = self._position_ms()
        self._handle(
            self._listening.tick(self._clock.monotonic(), position_ms), "timer"
        )

    def _position_ms(self) -> int | None:
        """Where Mopidy is in the play in progress: heard time is what played,
        so a stream stalled to buffer (still "playing") adds nothing. None if
        the core cannot say in time, or plays another track already."""
        play = self._listening.play
        if play is None:
            return None
        try:
            playback = self._core.playback
            model = playback.get_current_track().get(timeout=POSITION_WAIT_S)
            position = playback.get_time_position().get(timeout=POSITION_WAIT_S)
        except Exception as exc:  # a core that is busy or stopping
            logger.debug("Playback position not known: %s", type(exc).__name__)
            return None
        if getattr(model, "uri", None) != play.track.uri:
            return None
        if not isinstance(position, int) or position < 0:
            return None
        return position


def favorites_changed() -> None:
    """Tell Mopidy (and so its clients, MPD's included) the playlist changed."""
    BackendListener.send("playlists_loaded")
