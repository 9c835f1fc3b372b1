"""Matching through a real Mopidy-Local 3.3 library, scanned from tagged files.

Runs where Mopidy-Local is installed (it is not a dependency of this
extension; the Mopidy 3.4 test environments install it). Mopidy 4 has no
working Mopidy-Local yet: its only release, 4.0.0a1, fails to import under
Mopidy 4.0.5 (`RefType` is gone from mopidy.models), so there it is skipped.
In it: the files are written with accents, full-width letters,
typographic apostrophes and hyphens, "&", "The" and featured artists in their
tags, scanned by Mopidy-Local's own `local scan`, and matched to loved songs
named as Last.fm names them, through a real Mopidy core.
"""

from __future__ import annotations

import argparse

import pykka
import pytest
from mopidy import core

from mopidy_mtscrobble.favorites import Matcher
from mopidy_mtscrobble.kinds import LOVED
from mopidy_mtscrobble.library import Library
from mopidy_mtscrobble.matching import key_parts
from mopidy_mtscrobble.store import SongEntry, Store

from .fakes.player import FakeClock, TestAudio
from .support.audio_files import write_track
from .support.matching_cases import wide

mopidy_local = pytest.importorskip("mopidy_local")

NOW = 1_700_000_000.0
# (loved artist, loved title), (tagged artist, tagged title)
PROMISED = [
    (("Beyonce", "Halo"), ("Beyoncé", "Halo")),
    (("Sigur Ros", "Hoppipolla"), ("Sigur Rós", "Hoppípolla")),
    (("ABBA", "Waterloo"), (wide("ABBA"), wide("Waterloo"))),
    (("Guns N' Roses", "Patience"), ("Guns N\u2019 Roses", "Patience")),
    (("Jay-Z", "Izzo"), ("Jay\u2010Z", "Izzo")),
    (("Simon and Garfunkel", "The Boxer"), ("Simon & Garfunkel", "The Boxer")),
    (("Beatles", "Help!"), ("The Beatles", "Help!")),
    (("Calvin Harris", "Summer"), ("Calvin Harris feat. Rihanna", "Summer")),
    (("Beyonce and Jay-Z", "Crazy in Love"), ("Beyoncé & Jay\u2010Z", "Crazy in Love")),
    (("Motorhead", "Ace of Spades"), ("Motörhead", "Ace of Spades")),
]
DECOY = ("Depeche Mode", "Halo")


def local_config(tmp_path):
    config = {
        "core": {"data_dir": str(tmp_path / "data"), "max_tracklist_length": 100},
        "local": {
            "enabled": True,
            "library": "sqlite",
            "max_search_results": 100,
            "media_dir": str(tmp_path / "music"),
            "scan_timeout": 10_000,
            "scan_flush_threshold": 100,
            "scan_follow_symlinks": False,
            "included_file_extensions": [],
            "excluded_file_extensions": [],
            "directories": ["Tracks local:directory?type=track"],
            "timeout": 10,
            "use_artist_sortname": False,
            "album_art_files": [],
        },
    }
    (tmp_path / "data").mkdir()
    return config


def test_a_scanned_library_matches_every_promised_spelling(tmp_path):
    from mopidy_local.actor import LocalBackend
    from mopidy_local.commands import ScanCommand

    config = local_config(tmp_path)
    tags = [tagged for _, tagged in PROMISED] + [DECOY]
    for n, (artist, title) in enumerate(tags):
        write_track(tmp_path / "music" / f"{n}.ogg", artist, "Album", title, 1, 2)
    args = argparse.Namespace(force=False, limit=None)
    assert ScanCommand().run(args, config) == 0

    data_dir = tmp_path / "mtscrobble"
    data_dir.mkdir()
    store = Store.open(data_dir, NOW)
    store.jobs.start(LOVED, "alice", NOW)
    entries = [SongEntry(a, t, int(NOW), *key_parts(a, t)) for (a, t), _ in PROMISED]
    store.jobs.save_page(LOVED, 1, 1, len(entries), entries)
    store.jobs.finish(LOVED, NOW)
    store.close()

    audio = TestAudio.start().proxy()
    backend = LocalBackend.start(config=config, audio=audio).proxy()
    mopidy = core.Core.start(
        config=config, mixer=None, backends=[backend], audio=audio
    ).proxy()
    try:
        matcher = Matcher(data_dir, Library(mopidy), ("local",), clock=FakeClock(NOW))
        counts = matcher.run_once()["loved"]  # by search alone
        rematched = matcher.rematch_once()
    finally:
        pykka.ActorRegistry.stop_all()

    # the rematch joins every track to its song, and finds nothing more
    assert (rematched.tracks, rematched.matches_made) == (len(tags), 0)
    store = Store.open(data_dir, NOW)
    rows = store.db.read(
        "SELECT l.artist, l.track, m.uri FROM loved l "
        "JOIN loved_matches m ON m.loved_id = l.id"
    )
    store.close()
    found = {(r[0], r[1]): r[2] for r in rows}
    assert sorted(found) == sorted(loved for loved, _ in PROMISED)  # recall 1.00
    decoy_uri = "local:track:" + f"{len(tags) - 1}.ogg"
    assert decoy_uri not in found.values()  # precision: the other "Halo" is not
    assert counts["matched"] == len(PROMISED)


def test_a_rescan_is_followed_by_the_next_rematch(tmp_path):
    from mopidy_local.actor import LocalBackend
    from mopidy_local.commands import ScanCommand

    config = local_config(tmp_path)
    music = tmp_path / "music"
    write_track(music / "halo.ogg", "Beyoncé", "Album", "Halo", 1, 2)
    write_track(music / "other.ogg", "Depeche Mode", "Album", "Enjoy", 1, 2)
    scan = argparse.Namespace(force=False, limit=None)
    assert ScanCommand().run(scan, config) == 0
    data_dir = tmp_path / "mtscrobble"
    data_dir.mkdir()
    store = Store.open(data_dir, NOW)
    store.jobs.start(LOVED, "alice", NOW)
    loved = [("Beyonce", "Halo"), ("Sigur Ros", "Hoppipolla")]
    entries = [SongEntry(a, t, int(NOW), *key_parts(a, t)) for a, t in loved]
    store.jobs.save_page(LOVED, 1, 1, len(entries), entries)
    store.jobs.finish(LOVED, NOW)
    store.close()

    audio = TestAudio.start().proxy()
    backend = LocalBackend.start(config=config, audio=audio).proxy()
    mopidy = core.Core.start(
        config=config, mixer=None, backends=[backend], audio=audio
    ).proxy()
    try:
        matcher = Matcher(data_dir, Library(mopidy), ("local",), clock=FakeClock(NOW))
        matcher.rematch_once()
        matcher.run_once()
        # `mopidy local scan` while Mopidy runs: one file added, one removed
        write_track(music / "hoppipolla.ogg", "Sigur Rós", "Takk", "Hoppípolla", 1, 2)
        (music / "halo.ogg").unlink()
        assert ScanCommand().run(scan, config) == 0
        result = matcher.rematch_once()
    finally:
        pykka.ActorRegistry.stop_all()

    assert (result.tracks, result.new, result.gone) == (2, 1, 1)
    assert (result.matches_made, result.matches_dropped) == (1, 1)
    store = Store.open(data_dir, NOW)
    rows = store.db.read("SELECT uri FROM loved_matches")
    store.close()
    assert [r[0] for r in rows] == ["local:track:hoppipolla.ogg"]
