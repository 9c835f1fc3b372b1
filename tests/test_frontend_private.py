"""Rules that keep plays out and private mode, through the real core harness."""

from __future__ import annotations

import logging

import pykka

from mopidy_mtscrobble.store import Store

from .support.builders import model_track
from .support.frontend_harness import START_WALL, harness, rows  # noqa: F401 - the fixture

KIDS = model_track(uri="dummy:kids", name="Wheels", artists=("KIDS Band",))


def private_mode(tmp_path):
    """Private mode as the CLI and the API set it: in the database."""
    return Store.open(tmp_path / "mtscrobble", START_WALL)


def test_an_excluded_artist_is_neither_queued_nor_announced(
    harness,  # noqa: F811
    tmp_path,
    caplog,
):
    caplog.set_level(logging.DEBUG, logger="mopidy_mtscrobble")
    player = harness(extra_tracks=(KIDS,), exclude_artists=("kids*",))
    player.play("dummy:kids")
    assert player.frontend.listening().get()["ineligible"] == (
        'rule exclude_artists "kids*"'
    )
    player.advance(200)
    player.play("dummy:song")
    player.advance(200)
    player.stop()
    assert [r["track"] for r in rows(tmp_path)] == ["Song"]
    assert [t.title for t in player.delivery.now_playing_tracks] == ["Song"]
    [line] = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("mopidy_mtscrobble") and "dummy:kids" in r.getMessage()
    ]
    assert line == (
        'Not scrobbling KIDS Band - Wheels (dummy:kids): rule exclude_artists "kids*"'
    )


def test_private_mode_queues_and_announces_nothing_until_it_ends(
    harness,  # noqa: F811
    tmp_path,
    caplog,
):
    caplog.set_level(logging.INFO, logger="mopidy_mtscrobble")
    player = harness()
    store = private_mode(tmp_path)
    store.private.pause(START_WALL + 1800, START_WALL)
    player.play("dummy:song")
    player.advance(200)
    player.play("dummy:other")
    player.advance(100)
    player.stop()
    assert rows(tmp_path) == []
    assert player.delivery.now_playing_tracks == []
    private_lines = [r for r in caplog.records if "Private mode" in r.getMessage()]
    assert len(private_lines) == 2  # once per play
    assert private_lines[0].levelno == logging.INFO
    assert "not scrobbling Artist - Song (until " in private_lines[0].getMessage()
    player.advance(1600)  # past its end
    player.play("dummy:song")
    player.advance(200)
    player.stop()
    assert [r["track"] for r in rows(tmp_path)] == ["Song"]
    assert [t.title for t in player.delivery.now_playing_tracks] == ["Song"]
    store.close()


def test_resume_scrobbles_again_at_once(harness, tmp_path):  # noqa: F811
    player = harness()
    store = private_mode(tmp_path)
    store.private.pause(None, START_WALL)
    player.play("dummy:song")
    player.advance(100)
    store.private.resume(player.clock.wall())
    player.advance(100)
    player.stop()
    assert [r["track"] for r in rows(tmp_path)] == ["Song"]
    store.close()


def test_skip_keeps_out_only_the_track_playing(harness, tmp_path):  # noqa: F811
    player = harness()
    store = private_mode(tmp_path)
    player.play("dummy:song")
    player.advance(50)
    assert player.frontend.listening().get()["private"] is None
    store.private.skip(player.clock.wall())
    assert player.frontend.listening().get()["private"] == "skipped"
    player.advance(150)
    player.play("dummy:other")
    assert player.frontend.listening().get()["private"] is None
    player.advance(100)
    player.stop()
    assert [r["track"] for r in rows(tmp_path)] == ["Other"]
    assert [t.title for t in player.delivery.now_playing_tracks] == ["Song", "Other"]
    store.close()


def test_private_mode_survives_a_restart_of_the_frontend(
    harness,  # noqa: F811
    tmp_path,
):
    player = harness()
    store = private_mode(tmp_path)
    store.private.pause(None, START_WALL)
    store.close()
    player.frontend.actor_ref.stop()
    pykka.ActorRegistry.stop_all()
    player = harness()
    player.play("dummy:song")
    player.advance(200)
    player.stop()
    assert rows(tmp_path) == []
    assert player.delivery.now_playing_tracks == []
