"""The frontend inside a real Mopidy core with a test backend, in fake time
(the `harness` fixture), its config, and the rows it leaves in the database."""

from __future__ import annotations

import sqlite3

import pykka
import pytest

from mopidy_mtscrobble.frontend import MTScrobbleFrontend
from mopidy_mtscrobble.store import DB_FILENAME

from ..fakes.player import FakeClock, ManualScheduler, Player, start_core
from .builders import model_track

START_WALL = 1_700_000_000.0

TRACKS = [
    model_track(uri="dummy:song", name="Song", length_ms=200_000, track_no=3),
    model_track(uri="dummy:other", name="Other", length_ms=100_000),
    model_track(uri="dummy:short", name="Short", length_ms=30_000),
    model_track(uri="dummy:nameless", name=None, length_ms=200_000),
    model_track(
        uri="radio:station", name="Station", artists=(), length_ms=None, track_no=None
    ),
]


class RecordingDelivery:
    """Stands in for the delivery side, which the frontend only tells things."""

    def __init__(self) -> None:
        self.now_playing_tracks = []
        self.queue_changes = 0

    def now_playing(self, track) -> None:
        self.now_playing_tracks.append(track)

    def queue_changed(self) -> None:
        self.queue_changes += 1


def config_for(tmp_path, **section):
    values = {
        "enabled": True,
        "network": "lastfm",
        "api_key": "k",
        "api_secret": "s",
        "scrobble_threshold": 90,
        "scrobble_cap": 240,
        "now_playing": True,
        "excluded_uri_schemes": (),
        "scrobble_radio": True,
        "radio_min_seconds": 60,
        "history_days": 90,
        "rematch_interval": 0,  # the tests' scheduler holds only their timers
    }
    values.update(section)
    return {
        "core": {
            "data_dir": str(tmp_path),
            "max_tracklist_length": 100,
            "restore_state": False,
        },
        "mtscrobble": values,
    }


@pytest.fixture
def harness(tmp_path):
    def start(store_lock_wait_s=1.0, extra_tracks=(), **section):
        config = config_for(tmp_path, **section)
        clock = FakeClock(START_WALL)
        scheduler = ManualScheduler(clock)
        delivery = RecordingDelivery()
        core_proxy, audio_proxy = start_core(config, [*TRACKS, *extra_tracks])
        frontend = MTScrobbleFrontend.start(
            config,
            core_proxy,
            clock=clock,
            scheduler=scheduler,
            delivery=delivery,
            store_lock_wait_s=store_lock_wait_s,
        ).proxy()
        player = Player(core_proxy, audio_proxy, clock, frontend)
        player.scheduler, player.delivery = scheduler, delivery
        frontend.settings.get()  # on_start has run
        return player

    yield start
    pykka.ActorRegistry.stop_all()


def rows(tmp_path):
    path = tmp_path / "mtscrobble" / DB_FILENAME
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    result = [dict(r) for r in db.execute("SELECT * FROM scrobbles ORDER BY id")]
    db.close()
    return result


def lock_database(tmp_path):
    holder = sqlite3.connect(
        tmp_path / "mtscrobble" / DB_FILENAME, isolation_level=None
    )
    holder.execute("BEGIN IMMEDIATE")
    return holder


def release(holder):
    holder.execute("ROLLBACK")
    holder.close()
