"""Fixtures of the end-to-end tests."""

from __future__ import annotations

import pytest

from ..fakes.lastfm_process import LastfmProcess
from ..support.audio_files import write_track
from .mopidy_mpd import SESSION_KEY, TRACK_SECONDS


@pytest.fixture
def lastfm(tmp_path):
    server = LastfmProcess(tmp_path, sessions={"alice": SESSION_KEY})
    yield server
    server.stop()


@pytest.fixture
def song(tmp_path):
    folder = tmp_path / "music"
    uri = write_track(folder / "song.ogg", title="Real Song", seconds=TRACK_SECONDS)
    return folder, uri
