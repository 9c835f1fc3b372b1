"""The delivery side as the frontend sees it: Last.fm's worker and one per
ListenBrainz-compatible destination, each on a thread of its own (a slow
server never holds back another). The frontend only tells them things; no
call here blocks.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Protocol

from .delivery import Delivery as DeliveryWorker
from .delivery.listenbrainz import ListenBrainzDelivery, start_listenbrainz
from .listening import Track
from .settings import Settings


class Told(Protocol):
    """What the frontend may ask of a delivery. Both calls must not block."""

    def now_playing(self, track: Track) -> None: ...

    def queue_changed(self) -> None: ...


class Stoppable(Protocol):
    """A thread of ours: asked to stop first, then waited for (a bounded time)."""

    def ask_to_stop(self) -> None: ...

    def join(self, timeout_s: float) -> None: ...


class Senders:
    """The deliveries the frontend tells of plays, loves and now playing:
    those it starts, or (as in tests) those it is `given`."""

    def __init__(self, given: tuple[Told, ...] = ()) -> None:
        self._given = given
        self._told: tuple[Told, ...] = given
        self.lastfm: DeliveryWorker | None = None
        self.listenbrainz: tuple[ListenBrainzDelivery, ...] = ()

    def start(
        self,
        settings: Settings,
        data_dir: pathlib.Path,
        proxy: str | None,
        mopidy_version: str,
        on_imported: Callable[[str], None],
    ) -> None:
        """Start a delivery per destination, unless deliveries were given."""
        if self._given:
            return
        self.lastfm = DeliveryWorker(
            settings, data_dir, proxy=proxy, on_imported=on_imported
        )
        self.lastfm.start()
        self.listenbrainz = start_listenbrainz(
            settings, data_dir, proxy, mopidy_version
        )
        self._told = (self.lastfm, *self.listenbrainz)

    def now_playing(self, track: Track) -> None:
        for delivery in self._told:
            delivery.now_playing(track)

    def queue_changed(self) -> None:
        for delivery in self._told:
            delivery.queue_changed()

    def threads(self) -> list[Stoppable]:
        """The delivery threads started here."""
        started = (self.lastfm, *self.listenbrainz)
        return [delivery for delivery in started if delivery is not None]
