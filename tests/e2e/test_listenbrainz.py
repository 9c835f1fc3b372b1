"""End to end with two destinations: a real Mopidy played by `mpc`, the fake
Last.fm and the fake ListenBrainz each in a process of its own. One play is
one scrobble at Last.fm and one listen at ListenBrainz, each exactly once."""

from __future__ import annotations

import json
import sqlite3

import pytest

from ..fakes.listenbrainz_process import ListenBrainzProcess
from .mopidy_mpd import play_only, start, wait_until_stopped

TOKEN = "e2e-listenbrainz-token-0000000001"


@pytest.fixture
def listenbrainz(tmp_path):
    server = ListenBrainzProcess(tmp_path, {"alice": TOKEN})
    yield server
    server.stop()


def deliveries(tmp_path):
    db = sqlite3.connect(tmp_path / "data" / "mtscrobble" / "mtscrobble.db")
    found = db.execute(
        "SELECT destination, state FROM deliveries ORDER BY destination"
    ).fetchall()
    db.close()
    return found


def test_a_play_is_one_scrobble_and_one_listen(tmp_path, lastfm, listenbrainz, song):
    folder, uri = song
    # The Mopidy process trusts the system's CAs and both fakes'.
    lastfm.bundle.write_text(
        lastfm.bundle.read_text() + listenbrainz.ca_file.read_text()
    )
    context, port = start(
        tmp_path, lastfm, folder, listenbrainz=f"lb {TOKEN} {listenbrainz.base_url}"
    )
    with context as mopidy:
        mopidy.log.wait_for(r"Connected to ListenBrainz \(lb\) as alice")
        play_only(port, uri)
        mopidy.log.wait_for(r"Sent 1 scrobbles to .*: 1 accepted")
        mopidy.log.wait_for(r"Sent 1 listens to ListenBrainz \(lb\)")
        wait_until_stopped(port)
        lb_state = listenbrainz.state()
        lastfm_state = lastfm.state()
    assert TOKEN not in mopidy.log.text
    [listen] = lb_state["listens"]
    assert listen["user_name"] == "alice"
    assert listen["track_metadata"]["track_name"] == "Real Song"
    assert listen["track_metadata"]["additional_info"]["media_player"] == "Mopidy"
    submits = [r for r in lb_state["requests"] if r["call"] == "submit-listens"]
    types = sorted(json.loads(r["body"])["listen_type"] for r in submits)
    assert types == ["playing_now", "single"]
    [scrobble] = lastfm_state["scrobbles"]
    assert scrobble["track"] == "Real Song"
    assert deliveries(tmp_path) == [("lastfm", "sent"), ("lb", "sent")]
