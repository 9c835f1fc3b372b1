"""The editable queue with a real Mopidy process and the fake Last.fm in a
process of its own: `mopidy mtscrobble queue hold ID` while Mopidy runs keeps
a play from being sent, and `queue release ID` sends it at once, once."""

from __future__ import annotations

import re

from mopidy_mtscrobble.delivery.connection import HELD_POLL_S

from ..support.audio_files import write_track
from ..support.mopidy_server import run_mopidy_command, running_mopidy
from .harness import lastfm_process, save_session, settings_for

__all__ = ["lastfm_process"]
SENT_ONE = r"Sent 1 scrobbles to .*: 1 accepted, 0 ignored"


def play(mopidy, uri) -> None:
    mopidy.rpc("core.tracklist.clear")
    mopidy.rpc("core.tracklist.add", uris=[uri])
    mopidy.rpc("core.playback.play")


def test_a_play_held_from_the_command_line_waits_for_its_release(
    tmp_path, lastfm_process
):
    music = tmp_path / "music"
    held_uri = write_track(music / "held.ogg", title="Held Song")
    other_uri = write_track(music / "other.ogg", title="Other Song", number=2)
    settings = settings_for(lastfm_process)
    extra = {"file": {"media_dirs": str(music), "metadata_timeout": 10_000}}
    env = {"SSL_CERT_FILE": str(lastfm_process.bundle)}
    with running_mopidy(tmp_path, settings, extra, env) as mopidy:
        # Not logged in yet: the first play waits in the queue.
        play(mopidy, held_uri)
        queued = mopidy.log.wait_for(r"Queued scrobble #\d+: Test Artist - Held Song")
        [held_id] = re.findall(r"#(\d+)", queued)

        def command(*args: str):
            cli_extra = {**extra, "http": {"port": mopidy.http_port}}
            return run_mopidy_command(tmp_path, settings, "mtscrobble", "queue",
                                      *args, env=env, extra=cli_extra)  # fmt: skip

        held = command("hold", held_id)
        assert f"Scrobble #{held_id} is held" in held.stdout, held.stderr
        save_session(tmp_path / "data", lastfm_process)  # logged in: delivery starts
        mopidy.log.wait_for(r"Connected to .* as alice")
        play(mopidy, other_uri)  # sent alone: the held one is left out
        mopidy.log.wait_for(SENT_ONE)
        tracks = [s["track"] for s in lastfm_process.state()["scrobbles"]]
        assert tracks == ["Other Song"]
        listing = command()
        assert "[held]" in listing.stdout, listing.stderr
        released = command("release", held_id)
        assert f"Scrobble #{held_id} is released" in released.stdout, released.stderr
        # At once: the command asked Mopidy, sooner than delivery's own look.
        mopidy.log.wait_for_count(SENT_ONE, 2, timeout=HELD_POLL_S / 2)
    tracks = [s["track"] for s in lastfm_process.state()["scrobbles"]]
    assert sorted(tracks) == ["Held Song", "Other Song"]
