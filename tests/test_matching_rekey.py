"""Songs stored under an older matching rule's keys are keyed again, and the
rule's collaborations and named versions hold through a real Mopidy core."""

from __future__ import annotations

import pykka
import pytest
from mopidy import core

from mopidy_mtscrobble.backend import MTScrobbleBackend
from mopidy_mtscrobble.kinds import LOVED, PLAYCOUNTS
from mopidy_mtscrobble.matching import RULE_VERSION, key_parts
from mopidy_mtscrobble.store import SongEntry, Store
from mopidy_mtscrobble.store.rekeying import STATUS_KEY

from .fakes.library_backends import SearchingBackend
from .fakes.player import TestAudio
from .support.builders import model_track
from .support.favorites_harness import NOW, import_loved, match, playlist_uris
from .support.frontend_harness import config_for

LOCAL_TRACKS = [
    model_track(uri="local:otis", name="Otis", artists=("Jay-Z",)),
    model_track(uri="local:titanium", name="Titanium", artists=("David Guetta & Sia",)),
    model_track(uri="local:buzz-subpop", name="Love Buzz (Sub Pop Version)",
                artists=("Nirvana",)),
    model_track(uri="local:buzz", name="Love Buzz - 2009 Remaster",
                artists=("Nirvana",)),
    model_track(uri="local:thethe", name="Uncertain Smile", artists=("The The",)),
    model_track(uri="local:the", name="Uncertain Smile", artists=("The",)),
]  # fmt: skip


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "mtscrobble"
    path.mkdir()
    return path


@pytest.fixture
def mopidy(tmp_path):
    config = config_for(tmp_path, favorites_uri_schemes=("local",))
    audio = TestAudio.start().proxy()
    backends = [
        SearchingBackend.start(config=config, audio=audio, tracks=LOCAL_TRACKS).proxy(),
        MTScrobbleBackend.start(config=config, audio=audio).proxy(),
    ]
    yield core.Core.start(
        config=config, mixer=None, backends=backends, audio=audio
    ).proxy()
    pykka.ActorRegistry.stop_all()


def test_a_collaboration_matches_each_artist_and_a_named_version_is_apart(
    data_dir, mopidy
):
    import_loved(data_dir, [
        ("Jay-Z & Kanye West", "Otis", NOW - 10),
        ("Sia", "Titanium", NOW - 20),
        ("Nirvana", "Love Buzz (Sub Pop Version)", NOW - 30),
        ("Nirvana", "Love Buzz", NOW - 40),
        ("The The", "Uncertain Smile", NOW - 50),
    ])  # fmt: skip
    counts, _ = match(data_dir, mopidy, ("local",))
    assert counts["loved"]["matched"] == 5
    assert playlist_uris(mopidy) == [
        "local:otis", "local:titanium", "local:buzz-subpop", "local:buzz",
        "local:thethe",
    ]  # fmt: skip


def old_rule_database(data_dir):
    """A database whose songs were keyed by rule 1 (before named versions,
    initials and "The The"), every one matched."""
    store = Store.open(data_dir, NOW)
    with store.db.write() as db:
        db.executemany(
            "INSERT INTO loved (artist, track, loved_at, source, artist_key,"
            " title_key, recording, matched_at) VALUES (?, ?, ?, 'import', ?, ?, ?, ?)",
            [
                ("The The", "Uncertain Smile", NOW - 10, "the", "uncertain smile", "",
                 NOW),
                ("R.E.M.", "Drive", NOW - 30, "r e m", "drive", "", NOW),
                ("REM", "Drive", NOW - 20, "rem", "drive", "", NOW),
            ],
        )  # fmt: skip
        db.executemany(
            "INSERT INTO playcounts (artist, track, playcount, artist_key,"
            " title_key, recording, matched_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                ("R.E.M.", "Drive", 5, "r e m", "drive", "", NOW),
                ("REM", "Drive", 3, "rem", "drive", "", NOW),
                ("Nirvana", "Love Buzz (Sub Pop Version)", 7,
                 "nirvana", "love buzz", "", NOW),
            ],
        )  # fmt: skip
        db.execute(
            "UPDATE delivery_status SET value = '1' WHERE key = ?", (STATUS_KEY,)
        )
    store.close()


def test_songs_keyed_by_an_older_rule_are_found_under_the_new_keys(data_dir):
    old_rule_database(data_dir)
    store = Store.open(data_dir, NOW + 1)
    [the_the] = store.songs.loved_for("x:", key_parts("The The", "Uncertain Smile"))
    assert the_the.artist == "The The"
    assert store.songs.loved_for("x:", key_parts("The", "Uncertain Smile")) == []
    # "R.E.M." and "REM" are one song now: the latest love, the counts added up.
    [drive] = store.songs.loved_for("x:", key_parts("REM", "Drive"))
    assert drive.loved_at == NOW - 20
    assert store.songs.playcount_for("x:", key_parts("R.E.M.", "Drive")) == 8
    assert store.songs.playcount_for("x:", key_parts("Nirvana", "Love Buzz")) is None
    assert (
        store.songs.playcount_for(
            "x:", key_parts("Nirvana", "Love Buzz (Sub Pop Version)")
        )
        == 7
    )
    assert store.delivery_status.load()[STATUS_KEY] == str(RULE_VERSION)


def test_songs_keyed_again_are_matched_again(data_dir, mopidy):
    old_rule_database(data_dir)
    store = Store.open(data_dir, NOW + 1)
    assert store.songs.match_counts(LOVED)["waiting"] == 2
    assert store.songs.match_counts(PLAYCOUNTS)["waiting"] == 2
    counts, _ = match(data_dir, mopidy, ("local",))
    assert counts["loved"] == {"total": 2, "matched": 1, "missing": 1, "waiting": 0}
    assert counts["playcounts"]["matched"] == 1  # the Sub Pop Version, only it
    assert [m.uri for m in store.songs.loved_playlist()] == ["local:thethe"]


def test_songs_are_keyed_again_only_once(data_dir):
    old_rule_database(data_dir)
    Store.open(data_dir, NOW + 1).close()
    store = Store.open(data_dir, NOW + 2)
    store.songs.save_matches(LOVED, {s.id: [] for s in store.songs.loved()}, NOW + 2)
    assert store.rekeying.rekey_if_changed(NOW + 3) == 0
    assert store.songs.match_counts(LOVED)["waiting"] == 0


def test_an_import_staged_under_the_older_rule_finishes_under_the_new_keys(data_dir):
    old_rule_database(data_dir)
    store = Store.open(data_dir, NOW)
    store.jobs.start(LOVED, "alice", NOW)
    old_key = ("the", "uncertain smile", "")
    staged = SongEntry("The The", "Uncertain Smile", int(NOW), *old_key)
    store.jobs.save_page(LOVED, 1, 2, 2, [staged])
    with store.db.write() as db:
        db.execute(
            "UPDATE delivery_status SET value = '1' WHERE key = ?", (STATUS_KEY,)
        )
    store.close()
    store = Store.open(data_dir, NOW + 1)
    store.jobs.finish(LOVED, NOW + 1)
    assert [(s.artist, s.artist_key) for s in store.songs.loved()] == [
        ("The The", "the the")
    ]
