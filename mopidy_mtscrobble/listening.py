"""Listening rules: what the user really heard, and whether it is worth a scrobble.

Pure code: no I/O and no clock of its own. Every call is given the time
(`mono_s`, a monotonic clock in seconds; `wall_s`, UTC unix seconds).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from .exclusions import Exclusions, excluded_by

logger = logging.getLogger(__name__)

MIN_TRACK_MS = 30_000  # Last.fm: only tracks longer than 30 s
STREAM_TITLE_SEPARATOR = " - "
# A timer may fire a hair early; listened time within this counts as reached.
TIMER_SLACK_MS = 5


@dataclasses.dataclass(frozen=True)
class Track:
    """What a scrobble says about a track, taken from Mopidy's model."""

    uri: str
    artist: str | None
    title: str | None
    album: str | None = None
    album_artist: str | None = None
    track_number: int | None = None
    length_ms: int | None = None
    mbid: str | None = None  # the recording's MusicBrainz id
    release_mbid: str | None = None
    artist_mbids: tuple[str, ...] = ()  # in the order of `artist`'s names
    # Each artist and album artist, in the order of `artist` and `album_artist`.
    artists: tuple[str, ...] = ()
    album_artists: tuple[str, ...] = ()
    genre: str | None = None

    @property
    def is_stream(self) -> bool:
        return not self.length_ms


@dataclasses.dataclass(frozen=True)
class Rules:
    threshold_percent: int = 90
    cap_seconds: int = 240
    excluded_uri_schemes: frozenset[str] = frozenset()
    scrobble_radio: bool = True
    radio_min_seconds: int = 60
    exclusions: Exclusions = dataclasses.field(default_factory=Exclusions)


@dataclasses.dataclass
class Play:
    """One play of one track (or one title of a stream), from start to end."""

    track: Track
    started_at: int  # UTC unix seconds: Last.fm's scrobble timestamp
    chosen_by_user: bool = True
    listened_ms: float = 0.0
    # While playing: when the current stretch began, and the position it began at.
    playing_since_s: float | None = None
    stretch_start_position_ms: int | None = 0  # None: not known
    # When the position was last read in this stretch, and how much of the
    # stretch had been heard by then (see `position_read`).
    position_read_at_s: float | None = None
    heard_when_read_ms: float = 0.0
    # Why this play can never qualify, decided at its start; None if it can.
    ineligible: str | None = None
    # The exclusion rule (`exclude_*`) that makes it ineligible, if one does.
    excluded: str | None = None
    qualified: bool = False

    def _stretch_ms(self, mono_s: float, position_ms: int | None) -> float:
        """How much of the current stretch was heard by `mono_s`.

        Heard is what played: the position's advance, never more than the
        time that passed. A stream that stalls to buffer keeps Mopidy
        "playing" while its position stands still, and that time is not heard.
        Without the position at `mono_s` (or with one before the stretch
        began), the time since it was last read counts as it passed: the next
        read tells a stall since.
        """
        if self.playing_since_s is None:
            return 0.0
        passed = max(0.0, (mono_s - self.playing_since_s) * 1000)
        start = self.stretch_start_position_ms
        if position_ms is not None and start is not None and position_ms >= start:
            return min(passed, position_ms - start)
        if self.position_read_at_s is not None:
            since = max(0.0, (mono_s - self.position_read_at_s) * 1000)
            return min(passed, self.heard_when_read_ms + since)
        return passed

    def listened_at(self, mono_s: float, position_ms: int | None = None) -> float:
        total = self.listened_ms + self._stretch_ms(mono_s, position_ms)
        if self.track.length_ms:
            total = min(total, self.track.length_ms)
        return total

    def position_read(self, mono_s: float, position_ms: int | None) -> None:
        """Mopidy said playback is at `position_ms` (None: it could not say)."""
        start = self.stretch_start_position_ms
        if self.playing_since_s is None or position_ms is None or start is None:
            return  # where the stretch began is not known: time is all there is
        if position_ms < start:
            return  # before the stretch began (a stream that started over)
        self.heard_when_read_ms = self._stretch_ms(mono_s, position_ms)
        self.position_read_at_s = mono_s

    def close_stretch(self, mono_s: float, position_ms: int | None) -> None:
        self.listened_ms = self.listened_at(mono_s, position_ms)
        self.playing_since_s = None
        self.position_read_at_s = None

    def open_stretch(self, mono_s: float, position_ms: int | None) -> None:
        self.playing_since_s = mono_s
        self.stretch_start_position_ms = position_ms
        self.position_read_at_s = None
        self.heard_when_read_ms = 0.0


@dataclasses.dataclass(frozen=True)
class Progress:
    """How far the play in progress is, for the web page."""

    uri: str
    artist: str | None
    title: str | None
    listened_s: float
    needed_s: float | None  # None: this play is never scrobbled
    qualified: bool
    ineligible: str | None
    paused: bool


def required_ms(track: Track, rules: Rules) -> float:
    """Listened time a play of `track` needs to qualify."""
    if not track.length_ms:  # a stream: its titles
        return rules.radio_min_seconds * 1000.0
    needed = track.length_ms * rules.threshold_percent / 100
    if rules.cap_seconds:
        needed = min(needed, rules.cap_seconds * 1000.0)
    return needed


def ineligibility(track: Track, rules: Rules) -> str | None:
    """Why plays of `track` are never scrobbled, or None."""
    return unscrobbable(track, rules) or excluded_by(track, rules.exclusions)


def unscrobbable(track: Track, rules: Rules) -> str | None:
    """Why plays of `track` cannot be scrobbled, whatever the exclusion rules."""
    scheme = track.uri.split(":", 1)[0].lower()
    if scheme in rules.excluded_uri_schemes:
        return f"URI scheme {scheme!r} is in excluded_uri_schemes"
    if not track.artist:
        return "it has no artist"
    if not track.title:
        return "it has no title"
    if track.is_stream and not rules.scrobble_radio:
        return "it is a stream and scrobble_radio is off"
    if track.length_ms and track.length_ms <= MIN_TRACK_MS:
        return f"it is not longer than {MIN_TRACK_MS // 1000} s"
    return None


def parse_stream_title(title: str) -> tuple[str, str] | None:
    """'Artist - Title' as a stream announces it, or None if it is not that shape."""
    artist, sep, name = title.partition(STREAM_TITLE_SEPARATOR)
    artist, name = artist.strip(), name.strip()
    if not sep or not artist or not name:
        return None
    return artist, name


class Listening:
    """Follows playback and says when a play qualifies. One instance per player."""

    def __init__(
        self, rules: Rules, on_finished: Callable[[Play, bool], None] | None = None
    ) -> None:
        """`on_finished(play, heard_enough)`: a play ended (each once), heard
        as long as it needed to qualify or not (an excluded one too)."""
        self.rules = rules
        self._on_finished = on_finished
        self.play: Play | None = None
        self._stream: Track | None = None  # the stream whose titles become plays
        self._paused = False
        # The track of the play that ended last, until another play starts:
        # Mopidy says a track ended after saying playback stopped, and again
        # (at position 0) when playback starts after a stop.
        self._ended_uri: str | None = None

    # Events. Each returns the play that has just qualified, if any (at most once
    # per play), so the caller can commit it at once.

    def started(self, track: Track, wall_s: float, mono_s: float) -> Play | None:
        self._finish(mono_s, None)
        self._paused = False
        self._ended_uri = None
        if track.is_stream:
            self._stream = track
        else:
            self._stream = None
        self.play = self._new_play(track, wall_s, chosen_by_user=True)
        self.play.open_stretch(mono_s, 0)
        return None

    def unseen(self, track: Track, at_end: bool = False) -> bool:
        """Whether `track`, named by a pause, resume or end (`at_end`), is
        playing without Mopidy having said it started (see `take_up`).

        A lost start of the track that has just ended (a repeat) cannot be told
        from Mopidy's own repeated end events: taken up at a pause or resume,
        not at its end."""
        if self.play is None:
            return not at_end or track.uri != self._ended_uri
        # An end of another track while one plays: a late end, never a start.
        current = self._stream or self.play.track
        return not at_end and current.uri != track.uri

    def take_up(
        self, track: Track, position_ms: int | None, wall_s: float, mono_s: float
    ) -> Play | None:
        """A play Mopidy never said started, first seen at `position_ms` (at its
        pause, resume or end): taken up as heard from its start to there.

        Mopidy 3.4 sends an event to its listeners in turn without a try around
        each, so one listener raising (Mopidy-MPD did, on a closing client)
        keeps the event from the listeners after it. Whatever was in progress
        ends where the new track began.
        """
        position_ms = max(0, position_ms or 0)
        qualified = self._finish(mono_s - position_ms / 1000, None)
        self._paused = False
        self._ended_uri = None
        self._stream = track if track.is_stream else None
        self.play = self._new_play(
            track, wall_s - position_ms / 1000, chosen_by_user=True
        )
        logger.debug(
            "Taking up %s at %.1f s: Mopidy did not say it started",
            _describe(track),
            position_ms / 1000,
        )
        if not track.is_stream:
            self.play.listened_ms = float(position_ms)
            if track.length_ms:
                self.play.listened_ms = min(self.play.listened_ms, track.length_ms)
        self.play.open_stretch(mono_s, position_ms)
        return qualified

    def paused(self, position_ms: int | None, mono_s: float) -> Play | None:
        if self.play is None or self._paused:
            return None
        self._paused = True
        self.play.close_stretch(mono_s, position_ms)
        return self._check()

    def resumed(self, position_ms: int | None, mono_s: float) -> Play | None:
        if self.play is None or not self._paused:
            return None
        self._paused = False
        self.play.open_stretch(mono_s, position_ms)
        return None

    def seeked(self, position_ms: int, mono_s: float) -> Play | None:
        """Seeking forward skips what lies between; seeking back replays it."""
        if self.play is None:
            return None
        if self._paused:
            self.play.stretch_start_position_ms = position_ms
            return None
        self.play.close_stretch(mono_s, None)
        self.play.open_stretch(mono_s, position_ms)
        return self._check()

    def ended(self, position_ms: int | None, mono_s: float) -> Play | None:
        """The play ended: at `position_ms` (Mopidy's track_playback_ended), or
        where it was (None: playback stopped, or Mopidy is stopping)."""
        if self.play is not None:
            self._ended_uri = (self._stream or self.play.track).uri
        return self._finish(mono_s, position_ms)

    def stream_title(
        self,
        title: str,
        wall_s: float,
        mono_s: float,
        position_ms: int | None = None,
    ) -> Play | None:
        """A stream announced a new title at `position_ms` of the stream (None:
        not known): that title is a play of its own."""
        if self._stream is None:
            return None
        qualified = self._finish(mono_s, position_ms)
        parsed = parse_stream_title(title)
        if parsed is None:
            logger.debug("Not scrobbling stream title %r: not 'Artist - Title'", title)
            track = dataclasses.replace(self._stream, artist=None, title=None)
        else:
            artist, name = parsed
            track = Track(uri=self._stream.uri, artist=artist, title=name)
        self.play = self._new_play(track, wall_s, chosen_by_user=False)
        if not self._paused:
            self.play.open_stretch(mono_s, position_ms)
        return qualified

    def tick(self, mono_s: float, position_ms: int | None = None) -> Play | None:
        """Called by a timer, with where playback is (None: not known): has the
        play in progress qualified by now?"""
        if self.play is None or self._paused:
            return None
        self.play.position_read(mono_s, position_ms)
        return self._check(self.play.listened_at(mono_s))

    def progress(self, mono_s: float) -> Progress | None:
        """The play in progress: heard so far against what it needs."""
        play = self.play
        if play is None:
            return None
        return Progress(
            uri=play.track.uri,
            artist=play.track.artist,
            title=play.track.title,
            listened_s=round(play.listened_at(mono_s) / 1000, 1),
            needed_s=(
                None
                if play.ineligible
                else round(required_ms(play.track, self.rules) / 1000, 1)
            ),
            qualified=play.qualified,
            ineligible=play.ineligible,
            paused=self._paused,
        )

    def seconds_until_qualified(self, mono_s: float) -> float | None:
        """When to call `tick` next, or None if nothing can qualify by waiting."""
        play = self.play
        if play is None or self._paused or play.qualified or play.ineligible:
            return None
        remaining = required_ms(play.track, self.rules) - play.listened_at(mono_s)
        return max(0.0, remaining / 1000)

    # Internals.

    def _new_play(self, track: Track, wall_s: float, chosen_by_user: bool) -> Play:
        play = Play(track=track, started_at=int(wall_s), chosen_by_user=chosen_by_user)
        cannot = unscrobbable(track, self.rules)
        play.excluded = None if cannot else excluded_by(track, self.rules.exclusions)
        play.ineligible = cannot or play.excluded
        if play.ineligible:
            logger.debug("Not scrobbling %s: %s", _describe(track), play.ineligible)
        return play

    def _check(self, listened_ms: float | None = None) -> Play | None:
        play = self.play
        if play is None or play.qualified or play.ineligible:
            return None
        heard = play.listened_ms if listened_ms is None else listened_ms
        if heard + TIMER_SLACK_MS >= required_ms(play.track, self.rules):
            play.qualified = True
            logger.debug(
                "%s qualifies: %.1f s heard", _describe(play.track), heard / 1000
            )
            return play
        return None

    def _finish(self, mono_s: float, position_ms: int | None) -> Play | None:
        play = self.play
        if play is None:
            return None
        if not self._paused:
            play.close_stretch(mono_s, position_ms)
        qualified = self._check()
        if not play.qualified and not play.ineligible:
            logger.debug(
                "Not scrobbling %s: heard %.1f s of the %.1f s needed",
                _describe(play.track),
                play.listened_ms / 1000,
                required_ms(play.track, self.rules) / 1000,
            )
        self.play = None
        if self._on_finished is not None:
            needed = required_ms(play.track, self.rules)
            self._on_finished(play, play.listened_ms + TIMER_SLACK_MS >= needed)
        return qualified


def _describe(track: Track) -> str:
    return f"{track.artist or '?'} - {track.title or '?'} ({track.uri})"
