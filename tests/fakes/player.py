"""A real Mopidy core with a test backend and a test audio actor.

The audio actor plays nothing: the test sets its position, so that the core's
events (and the positions they carry) are exactly what the test says.
"""

from __future__ import annotations

import threading

import pykka
from mopidy import audio, backend, core

try:
    from mopidy.types import PlaybackState  # Mopidy 4
except ImportError:
    from mopidy.audio import PlaybackState  # Mopidy 3


class TestAudio(pykka.ThreadingActor):
    __test__ = False  # not a test class: pytest, look elsewhere

    def __init__(self) -> None:
        super().__init__()
        self.state = PlaybackState.STOPPED
        self.position_ms = 0
        self.tags: dict[str, list[str]] = {}
        self._uri: str | None = None
        self._uri_is_new = False

    # What the core and the backend call.

    def set_uri(self, uri, live_stream=False, download=False):
        self._uri, self._uri_is_new, self.position_ms, self.tags = uri, True, 0, {}

    def prepare_change(self):
        self._uri = None
        return True

    def start_playback(self):
        return self._change_state(PlaybackState.PLAYING)

    def pause_playback(self):
        return self._change_state(PlaybackState.PAUSED)

    def stop_playback(self):
        return self._change_state(PlaybackState.STOPPED)

    def get_position(self):
        return self.position_ms

    def set_position(self, position):
        self.position_ms = position
        audio.AudioListener.send("position_changed", position=position)
        return True

    def get_current_tags(self):
        return dict(self.tags)

    def set_metadata(self, track):
        pass

    def set_source_setup_callback(self, callback):
        pass

    def set_about_to_finish_callback(self, callback):
        pass

    def enable_sync_handler(self):
        pass

    def wait_for_state_change(self):
        pass

    def get_volume(self):
        return 100

    def set_volume(self, volume):
        return True

    # What the test calls.

    def set_test_position(self, position_ms):
        self.position_ms = position_ms

    def announce_title(self, title):
        self.tags = {"title": [title]}
        audio.AudioListener.send("tags_changed", tags=["title"])

    def _change_state(self, new_state):
        if new_state == PlaybackState.STOPPED:
            self._uri_is_new, self._uri = True, None
        elif self._uri is None:
            return False
        if self._uri_is_new:
            self._uri_is_new = False
            audio.AudioListener.send("stream_changed", uri=self._uri)
        old, self.state = self.state, new_state
        audio.AudioListener.send(
            "state_changed", old_state=old, new_state=new_state, target_state=None
        )
        return True


class TestLibrary(backend.LibraryProvider):
    def __init__(self, backend_, tracks):
        super().__init__(backend_)
        self.tracks = {t.uri: t for t in tracks}

    def lookup(self, uri):
        return [self.tracks[uri]] if uri in self.tracks else []


class TestBackend(pykka.ThreadingActor, backend.Backend):
    uri_schemes = ("dummy", "radio")

    def __init__(self, config, audio_, tracks=()):
        super().__init__()
        self.audio = audio_
        self.library = TestLibrary(self, tracks)
        self.playback = backend.PlaybackProvider(audio_, self)
        self.playlists = None


class FakeClock:
    def __init__(self, wall: float = 1_700_000_000.0) -> None:
        self._lock = threading.Lock()
        self._wall, self._mono = wall, 1000.0

    def wall(self) -> float:
        with self._lock:
            return self._wall

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._wall += seconds
            self._mono += seconds

    def jump(self, seconds: float) -> None:
        """The wall clock is set (NTP, a user): monotonic time goes on as it was."""
        with self._lock:
            self._wall += seconds


class ManualScheduler:
    """Timers that fire only when the test says so."""

    class Timer:
        def __init__(self, due: float, callback) -> None:
            self.due, self.callback, self.cancelled = due, callback, False

        def cancel(self) -> None:
            self.cancelled = True

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.timers: list[ManualScheduler.Timer] = []

    def call_later(self, delay_s, callback):
        timer = self.Timer(self.clock.monotonic() + delay_s, callback)
        self.timers.append(timer)
        return timer

    def pending(self) -> list[Timer]:
        return [t for t in self.timers if not t.cancelled]

    def fire_due(self) -> int:
        due = [t for t in self.pending() if t.due <= self.clock.monotonic()]
        for timer in due:
            timer.cancelled = True
            timer.callback()
        return len(due)


class Player:
    """Drives a real core. `advance` moves the clock, and the position if playing."""

    def __init__(self, core_proxy, audio_proxy, clock: FakeClock, frontend) -> None:
        self.core, self.audio, self.clock, self.frontend = (
            core_proxy, audio_proxy, clock, frontend,
        )  # fmt: skip

    def sync(self) -> None:
        """Wait until the core has sent its events and the frontend handled them."""
        for _ in range(2):
            self.core.playback.get_state().get()
            self.audio.get_position().get()
        self.core.playback.get_state().get()
        self.frontend.settings.get()

    def play(self, uri: str) -> None:
        self.core.tracklist.clear().get()
        self.core.tracklist.add(uris=[uri]).get()
        self.core.playback.play().get()
        self.sync()

    def advance(self, seconds: float) -> None:
        # What the frontend was told (a timer that fired) is handled first: it
        # may read the position, which must not be caught between the clock's
        # step and the position's.
        self.sync()
        self.clock.advance(seconds)
        if self.core.playback.get_state().get() == "playing":
            position = self.audio.get_position().get()
            self.audio.set_test_position(position + int(seconds * 1000)).get()

    def stall(self, seconds: float) -> None:
        """A stream stalls to buffer: time passes, Mopidy still says "playing",
        and the position stands still (Mopidy's audio pauses GStreamer)."""
        self.sync()
        self.clock.advance(seconds)

    def pause(self) -> None:
        self.core.playback.pause().get()
        self.sync()

    def resume(self) -> None:
        self.core.playback.resume().get()
        self.sync()

    def seek(self, position_ms: int) -> None:
        self.core.playback.seek(position_ms).get()
        self.sync()

    def stop(self) -> None:
        self.core.playback.stop().get()
        self.sync()

    def announce_title(self, title: str) -> None:
        self.audio.announce_title(title).get()
        self.sync()


def start_core(config, tracks):
    audio_ref = TestAudio.start()
    audio_proxy = audio_ref.proxy()
    backend_ref = TestBackend.start(config=config, audio_=audio_proxy, tracks=tracks)
    core_ref = core.Core.start(
        config=config, mixer=None, backends=[backend_ref.proxy()], audio=audio_proxy
    )
    return core_ref.proxy(), audio_proxy
