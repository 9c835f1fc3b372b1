"""Saving qualified plays: into the database at once, or, while it cannot be
written, in memory (tried again on a timer) and, when Mopidy stops first, in
a file of their own that the next start queues.

Used on the frontend actor's thread only. Each play is saved on its own: one
that cannot be saved never holds back another.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import pathlib
import random
from collections.abc import Callable, Collection

from . import sending
from .backoff import Backoff
from .errors import StorageError
from .listening import Play
from .sending import Sending
from .store import NewScrobble, Store
from .timing import Clock

logger = logging.getLogger(__name__)

# After a failed save: the first and the longest wait before the next try.
STORE_RETRY_FIRST_S = 5.0
STORE_RETRY_MAX_S = 60.0
PRUNE_INTERVAL_S = 86_400
# Plays that could not be queued when Mopidy stopped; queued at the next start.
KEPT_PLAYS_FILENAME = "unsaved-plays.jsonl"
FILE_MODE = 0o600


@dataclasses.dataclass
class Waiting:
    """A qualified play not in the database yet."""

    scrobble: NewScrobble
    # A write was tried: it may have been committed, so finding the play in
    # the database means it is this one (not a replay at the same second).
    tried: bool = False
    # For the listening history: seconds heard so far, and the play's id once queued.
    heard_s: int | None = None
    play_id: int | None = None


def scrobble_from_play(play: Play) -> NewScrobble:
    """What a qualified play queues (it has an artist and a title: see
    `listening.ineligibility`)."""
    track = play.track
    return NewScrobble(
        artist=track.artist or "",
        track=track.title or "",
        timestamp=play.started_at,
        album=track.album,
        album_artist=track.album_artist,
        track_number=track.track_number,
        duration_s=track.length_ms // 1000 if track.length_ms else None,
        mbid=track.mbid,
        chosen_by_user=play.chosen_by_user,
        uri=track.uri,
        release_mbid=track.release_mbid,
        artist_mbids=" ".join(track.artist_mbids) or None,
        artists=track.artists,
        album_artists=track.album_artists,
    )


class PlaySaver:
    def __init__(
        self,
        data_dir: pathlib.Path,
        clock: Clock,
        lock_wait_s: float,
        history_days: int,
        destinations: Collection[str],
        retry_later: Callable[[float], None],
        saved: Callable[[], None],
        sending: Sending | None = None,
        history_keep_days: int = 0,
    ) -> None:
        """Each play is queued for `destinations`. `retry_later(seconds)`: have
        `retry()` called then (on this thread); `saved()`: plays went into the
        queue."""
        self._data_dir = data_dir
        self._clock = clock
        self._lock_wait_s = lock_wait_s
        self._history_days = history_days
        self._history_keep_days = history_keep_days
        self._destinations = tuple(destinations)
        self._retry_later = retry_later
        self._saved = saved
        self._sending = sending or Sending()
        self.store: Store | None = None
        self.waiting: list[Waiting] = []
        self._retry_at_s = 0.0
        self._backoff = Backoff(
            random.Random(0), first_s=STORE_RETRY_FIRST_S, max_s=STORE_RETRY_MAX_S
        )
        self._reported: set[str] = set()
        self._kept_file_loaded = False
        self._prune_at_s = 0.0

    def add(self, scrobble: NewScrobble, heard_s: int | None = None) -> Waiting:
        waiting = Waiting(scrobble, heard_s=heard_s)
        self.waiting.append(waiting)
        return waiting

    def retry(self) -> None:
        """Try again now, whatever the last failure said."""
        self._retry_at_s = 0.0
        self.save()

    def save(self) -> None:
        """Queue the plays waiting in memory, each on its own."""
        if not self.waiting or self._clock.monotonic() < self._retry_at_s:
            return
        if self.store is None and not self.open():
            self._failed(None)
            return
        saved = 0
        for waiting in list(self.waiting):
            outcome = self._save_one(waiting)
            if outcome is None:
                break
            saved += outcome
        else:
            self._retry_at_s = 0.0
            self._backoff.reset()
        if self.waiting and self._retry_at_s == 0.0:  # only plays that failed alone
            self._retry_later(STORE_RETRY_MAX_S)
        if saved:
            self._prune_history()
            if not self.waiting:
                self._forget_kept_plays()
            self._saved()

    def _save_one(self, waiting: Waiting) -> bool | None:
        """Whether the play was saved; None when the database cannot take plays
        now (the others wait too)."""
        assert self.store is not None
        scrobble = waiting.scrobble
        try:
            scrobble = self._as_sent(scrobble, self.store)
            scrobble_id = self.store.plays.enqueue(
                scrobble,
                self._destinations,
                self._clock.wall(),
                distinct=not waiting.tried,
                heard_s=waiting.heard_s,
            )
        except StorageError as exc:
            waiting.tried = True
            self._failed(exc)
            return None
        except Exception as exc:  # this play, not the database: the others go on
            waiting.tried = True
            self._report(
                exc,
                f"Could not queue the play of {scrobble.artist} - "
                f"{scrobble.track}; it waits in memory, the others go on.",
            )
            return False
        self.waiting.remove(waiting)
        waiting.play_id = scrobble_id
        names = sending.sent(scrobble)
        logger.info(
            "Queued scrobble #%d: %s - %s%s",
            scrobble_id,
            names.artist,
            names.track,
            "" if names == sending.heard(scrobble) else
            f" (heard as {scrobble.artist} - {scrobble.track})",
        )  # fmt: skip
        return True

    def _as_sent(self, scrobble: NewScrobble, store: Store) -> NewScrobble:
        """`scrobble` with the names it is sent with; as heard if that fails
        (a play is never held back by what decides its names)."""
        try:
            return self._sending.apply(scrobble, store)
        except StorageError:
            raise  # the database cannot be read now: the play waits
        except Exception as exc:
            self._report(
                exc,
                f"Could not decide the names to send {scrobble.artist} - "
                f"{scrobble.track} with; it is queued as heard.",
            )
            return scrobble

    def _failed(self, exc: StorageError | None) -> None:
        """The database cannot take plays now: try again on a timer."""
        if exc is not None and exc.damaged and self.store is not None:
            self.store.close()  # opened afresh at the next try
            self.store = None
        delay = self._backoff.failed()
        self._retry_at_s = self._clock.monotonic() + delay
        self._retry_later(delay)
        if exc is not None:
            self._report(
                exc,
                f"Could not queue a scrobble yet: {exc} {len(self.waiting)} "
                "qualified play(s) wait in memory and are saved as soon as it "
                "works again.",
            )

    def _report(self, exc: BaseException, message: str) -> None:
        """Log a problem once (ERROR); the same one again only at DEBUG."""
        signature = f"{type(exc).__name__}: {exc}"
        if signature in self._reported:
            logger.debug("%s", message)
            return
        self._reported.add(signature)
        logger.error("%s", message)

    # The database.

    def open(self, repair: bool = False) -> bool:
        try:
            # Copying the write-ahead log into the database can take long:
            # never on the frontend's actor (delivery does it).
            self.store = Store.open(
                self._data_dir,
                self._clock.wall(),
                self._lock_wait_s,
                repair=repair,
                checkpoints=False,
            )
        except StorageError as exc:
            self._report(exc, str(exc))
            self.store = None
            return False
        self._prune_history()
        return True

    def usable_store(self) -> Store:
        if self.store is None and not self.open():
            raise StorageError("The database cannot be used now; see Mopidy's log")
        assert self.store is not None
        return self.store

    def close(self) -> None:
        if self.store is not None:
            store, self.store = self.store, None
            store.close()

    def _prune_history(self) -> None:
        """At startup and then at most daily: forget old sent scrobbles."""
        if self.store is None or self._clock.monotonic() < self._prune_at_s:
            return
        self._prune_at_s = self._clock.monotonic() + PRUNE_INTERVAL_S
        try:
            pruned = self.store.plays.prune_history(
                self._history_days, self._clock.wall()
            )
        except StorageError as exc:
            logger.error("Could not forget old history: %s", exc)
            return
        if pruned:
            logger.info(
                "Forgot %d scrobbles sent more than %d days ago",
                pruned,
                self._history_days,
            )
        self._prune_listening_history()

    def _prune_listening_history(self) -> None:
        """With the queue's history: the listening history's old plays."""
        assert self.store is not None
        try:
            pruned = self.store.history.prune(
                self._history_keep_days, self._clock.wall()
            )
        except StorageError as exc:
            logger.error("Could not forget old listening history: %s", exc)
            return
        if pruned:
            logger.info(
                "Forgot %d plays of the listening history older than %d days "
                "(history_keep_days)",
                pruned,
                self._history_keep_days,
            )

    # Plays kept in a file when Mopidy stopped with some not in the database.

    def _kept_plays_path(self) -> pathlib.Path:
        return self._data_dir / KEPT_PLAYS_FILENAME

    def keep(self) -> None:
        """Mopidy stops: keep what waits in memory in the file (mode 0600)."""
        if not self.waiting:
            self._forget_kept_plays()
            return
        path = self._kept_plays_path()
        lines = "".join(
            json.dumps(
                {
                    **dataclasses.asdict(w.scrobble),
                    "tried": w.tried,
                    "heard_s": w.heard_s,
                }
            )
            + "\n"
            for w in self.waiting
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
            for waiting in self.waiting:
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
            len(self.waiting),
            path,
        )

    def load_kept(self) -> None:
        """Mopidy starts: what was kept waits in memory until it is queued."""
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
            heard = values.get("heard_s")
            self.waiting.append(
                Waiting(
                    scrobble,
                    tried=bool(values.get("tried")),
                    heard_s=heard if type(heard) is int else None,
                )
            )
        self._kept_file_loaded = True
        logger.info(
            "Queuing %d play(s) kept in %s when Mopidy last stopped",
            len(self.waiting),
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
