"""Recovery in real time with a real Mopidy: queued plays go out as soon as
they can after a network outage, a server outage, a restart, a revoked session.
"""

from __future__ import annotations

import time

import mopidy
import pytest

from ..fakes.lastfm_process import LastfmProcess
from ..support.mopidy_server import MopidyServer
from .mopidy_mpd import SESSION_KEY, play_only, start

MOPIDY_MAJOR = int(mopidy.__version__.split(".")[0])
QUICK = {"scrobble_threshold": 50, "scrobble_cap": 1}  # qualifies after 1 s


@pytest.mark.skipif(
    MOPIDY_MAJOR >= 4,
    reason="delivery is the same code on both majors; this one takes 100 s",
)
def test_when_the_network_is_back_queued_plays_go_out_within_a_minute(
    tmp_path, lastfm, song
):
    folder, uri = song
    port = lastfm.port
    lastfm.stop()  # connections are refused
    context, mpd_port = start(tmp_path, lastfm, folder, **QUICK)
    with context as mopidy:
        play_only(mpd_port, uri)
        mopidy.log.wait_for(r"Queued scrobble #1")
        # By the fourth failure the next try is over a minute away.
        mopidy.log.wait_for(r"Delivery attempt 4 failed \(Cannot reach", timeout=150)
        back = LastfmProcess(tmp_path, port=port, sessions={"alice": SESSION_KEY})
        back_at = time.monotonic()
        try:
            mopidy.log.wait_for(r"Sent 1 scrobbles to .*: 1 accepted", timeout=90)
            took = time.monotonic() - back_at
            assert [s["track"] for s in back.state()["scrobbles"]] == ["Real Song"]
        finally:
            back.stop()
        assert "can be reached again" in mopidy.log.text
    assert took <= 60


def test_a_restart_sends_what_waits_at_once(tmp_path, lastfm, song):
    folder, uri = song
    lastfm.admin("fault", kind="http", method="track.scrobble", status=503, count=999)
    # A 503's scrobble may have been taken: looked for at the start, and sent
    # again as soon as the server's list (the fake's is never late) lacks it.
    context, mpd_port = start(tmp_path, lastfm, folder, lost_answer_wait=0, **QUICK)
    with context as mopidy:
        play_only(mpd_port, uri)
        mopidy.log.wait_for(r"Delivery attempt 1 failed .*HTTP 503")
    lastfm.admin("clear_faults")
    again = MopidyServer(mopidy.config_path, mopidy.http_port, mopidy.env)
    try:
        started = time.monotonic()
        again.wait_until_serving()
        again.log.wait_for(r"Sent 1 scrobbles to .*: 1 accepted", timeout=30)
        assert time.monotonic() - started <= 15
    finally:
        again.stop()
    assert [s["track"] for s in lastfm.state()["scrobbles"]] == ["Real Song"]


def test_a_revoked_session_is_renewed_with_the_configured_password(
    tmp_path, lastfm, song
):
    folder, uri = song
    lastfm.admin("revoke", session_key=SESSION_KEY)
    context, mpd_port = start(
        tmp_path, lastfm, folder, username="alice", password="pw", **QUICK
    )
    with context as mopidy:
        play_only(mpd_port, uri)
        mopidy.log.wait_for(r"no longer accepts the session")
        mopidy.log.wait_for(r"Sent 1 scrobbles to .*: 1 accepted")
    assert [s["track"] for s in lastfm.state()["scrobbles"]] == ["Real Song"]
