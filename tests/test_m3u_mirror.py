"""Our playlists mirrored as playlists of Mopidy's real M3U backend, where
Iris's Playlists page lists them, kept in sync both ways through a real core:
a client's edit of the loved mirror loves and unloves, an edit of "Most
played" is undone, a deleted, renamed or unreadable mirror unloves nothing.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3

import pykka
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mopidy import core
from mopidy.models import Track

from mopidy_mtscrobble import m3u_mirror
from mopidy_mtscrobble.backend import PLAYLIST_URI, MTScrobbleBackend
from mopidy_mtscrobble.frontend import MTScrobbleFrontend
from mopidy_mtscrobble.loved_edits import edits
from mopidy_mtscrobble.m3u_mirror import (
    TEMP_SUFFIX,
    VERSIONS_KEPT,
    Mirror,
    m3u_uri,
    parse,
    render,
)
from mopidy_mtscrobble.mirror_frontend import MIRROR_CHECK_S, MirrorFrontend
from mopidy_mtscrobble.settings import Settings
from mopidy_mtscrobble.store import DB_FILENAME, LocalMatch
from mopidy_mtscrobble.tracks import LocalTrack

from .fakes.library_backends import SearchingBackend
from .fakes.player import FakeClock, ManualScheduler, TestAudio
from .support.builders import model_track
from .support.ext_config import section
from .support.frontend_harness import (
    START_WALL,
    RecordingDelivery,
    config_for,
    lock_database,
    release,
)

try:
    from mopidy.m3u.backend import M3UBackend  # Mopidy 3
except ImportError:
    from mopidy._exts.m3u.backend import M3UBackend  # Mopidy 4

TRACKS = [
    model_track(uri="local:track:1", name="Song", artists=("Singer",)),
    model_track(uri="local:track:2", name="Other", artists=("Band",)),
    model_track(uri="local:track:3", name="Third", artists=("Trio",)),
]
LOVED_M3U = m3u_uri("Loved on Last.fm (synced).m3u8")
MOST_PLAYED_M3U = m3u_uri("Most played on Last.fm (synced).m3u8")
DESTINATIONS = Settings().destinations


class Mopidy:
    def __init__(self, core_proxy, frontend, mirror, clock, scheduler, directory):
        self.core, self.frontend, self.mirror = core_proxy, frontend, mirror
        self.clock, self.scheduler, self.directory = clock, scheduler, directory

    def settle(self) -> None:
        """Wait until the mirror has handled the core's events sent so far."""
        self.mirror.settings.get()

    def loved_uris(self) -> list[str]:
        return [t.uri for t in self.core.playlists.lookup(PLAYLIST_URI).get().tracks]

    def mirror_uris(self, uri=LOVED_M3U) -> list[str]:
        return [t.uri for t in self.core.playlists.lookup(uri).get().tracks]

    def love_in_our_playlist(self, *uris) -> None:
        playlist = self.core.playlists.lookup(PLAYLIST_URI).get()
        tracks = [*playlist.tracks, *(Track(uri=u) for u in uris)]
        self.core.playlists.save(playlist.replace(tracks=tracks)).get()
        # Applied on our backend's thread, which then tells the mirror.
        [ref] = pykka.ActorRegistry.get_by_class(MTScrobbleBackend)
        assert ref.proxy().edits.get().wait(10)
        self.settle()

    def edit_mirror(self, uri=LOVED_M3U, remove=(), add=()):
        """As Iris's Remove track / Add to playlist: lookup, change, save."""
        playlist = self.core.playlists.lookup(uri).get()
        tracks = [t for t in playlist.tracks if t.uri not in remove]
        tracks += [Track(uri=u) for u in add]
        saved = self.core.playlists.save(playlist.replace(tracks=tracks)).get()
        self.settle()
        return saved

    def next_check(self) -> None:
        self.clock.advance(MIRROR_CHECK_S)
        self.scheduler.fire_due()
        self.settle()


@pytest.fixture
def start(tmp_path):
    def started(m3u_enabled=True, **section):
        directory = tmp_path / "playlists"
        directory.mkdir(exist_ok=True)
        config = config_for(tmp_path, favorites_uri_schemes=("local",), **section)
        config["m3u"] = {
            "enabled": m3u_enabled,
            "playlists_dir": str(directory),
            "base_dir": str(directory),
            "default_encoding": "latin-1",
            "default_extension": ".m3u8",
        }
        audio = TestAudio.start().proxy()
        backends = [
            SearchingBackend.start(config=config, audio=audio, tracks=TRACKS),
            MTScrobbleBackend.start(config=config, audio=audio),
            M3UBackend.start(config=config, audio=audio),
        ]
        core_proxy = core.Core.start(
            config=config,
            mixer=None,
            backends=[b.proxy() for b in backends],
            audio=audio,
        ).proxy()
        clock = FakeClock(START_WALL)
        scheduler = ManualScheduler(clock)
        frontend = MTScrobbleFrontend.start(
            config,
            core_proxy,
            clock=clock,
            scheduler=ManualScheduler(clock),
            delivery=RecordingDelivery(),
            match_library=False,
        ).proxy()
        frontend.settings.get()
        mirror = MirrorFrontend.start(config, core_proxy, scheduler=scheduler).proxy()
        mirror.settings.get()
        return Mopidy(core_proxy, frontend, mirror, clock, scheduler, directory)

    yield started
    pykka.ActorRegistry.stop_all()


@pytest.fixture
def mopidy(start):
    return start()


def love_queue(tmp_path):
    db = sqlite3.connect(tmp_path / "mtscrobble" / DB_FILENAME)
    rows = db.execute(
        "SELECT action, artist, track FROM love_queue WHERE destination = ? "
        "ORDER BY id",
        (DESTINATIONS[0],),
    ).fetchall()
    db.close()
    return rows


def test_both_playlists_are_m3u_playlists_that_iris_lists(mopidy):
    listed = {r.uri: r.name for r in mopidy.core.playlists.as_list().get()}
    assert listed[LOVED_M3U] == "Loved on Last.fm (synced)"
    assert listed[MOST_PLAYED_M3U] == "Most played on Last.fm (synced)"
    # Iris's Playlists page: playlists.asList, the URIs starting with "m3u".
    assert [u for u in listed if u.startswith("m3u")] == [LOVED_M3U, MOST_PLAYED_M3U]


class FilesWhenSaid(logging.Handler):
    """Which mirror files exist at the moment "mirrored" is logged."""

    def __init__(self, directory) -> None:
        super().__init__()
        self.directory, self.seen = directory, []

    def emit(self, record: logging.LogRecord) -> None:
        if "are mirrored as M3U playlists" in record.getMessage():
            self.seen.append(sorted(p.name for p in self.directory.iterdir()))


def test_mirrored_is_said_once_the_files_are_there(start, tmp_path):
    """A client (a test, a user) that lists the playlists when the log says
    they are mirrored finds them: the line came before the first write."""
    watcher = FilesWhenSaid(tmp_path / "playlists")
    log = logging.getLogger("mopidy_mtscrobble.mirror_frontend")
    log.addHandler(watcher)
    try:
        start()
    finally:
        log.removeHandler(watcher)
    assert watcher.seen == [
        ["Loved on Last.fm (synced).m3u8", "Most played on Last.fm (synced).m3u8"]
    ]


def test_a_love_in_our_playlist_shows_in_the_mirror_at_once(mopidy):
    mopidy.love_in_our_playlist("local:track:1", "local:track:2")
    assert sorted(mopidy.mirror_uris()) == ["local:track:1", "local:track:2"]
    text = (mopidy.directory / "Loved on Last.fm (synced).m3u8").read_text("utf-8")
    assert "#EXTINF:200,Singer - Song\nlocal:track:1\n" in text


def test_a_love_made_elsewhere_shows_in_the_mirror_at_the_next_check(mopidy):
    mopidy.frontend.love(
        LocalTrack("local:track:3", "Third", ("Trio",), None, None)
    ).get()
    mopidy.settle()
    assert mopidy.mirror_uris() == []
    mopidy.next_check()
    assert mopidy.mirror_uris() == ["local:track:3"]


def test_a_track_removed_from_the_mirror_is_unloved(mopidy, tmp_path):
    mopidy.love_in_our_playlist("local:track:1", "local:track:2")
    mopidy.edit_mirror(remove=["local:track:1"])
    assert mopidy.loved_uris() == ["local:track:2"]
    assert love_queue(tmp_path)[-1] == ("unlove", "Singer", "Song")
    assert mopidy.mirror_uris() == ["local:track:2"]


def test_a_track_added_to_the_mirror_is_loved(mopidy, tmp_path):
    mopidy.edit_mirror(add=["local:track:2"])
    assert mopidy.loved_uris() == ["local:track:2"]
    assert love_queue(tmp_path) == [("love", "Band", "Other")]


def test_a_clients_edit_while_the_database_is_locked_is_taken_once_it_is_free(
    mopidy, tmp_path
):
    """The love fails (another program holds the database): the file is left
    as the client saved it, not written back without its track, and taken
    again at the next check. The edit used to be lost."""
    holder = lock_database(tmp_path)
    try:
        mopidy.edit_mirror(add=["local:track:2"])
        assert mopidy.mirror_uris() == ["local:track:2"]
        mopidy.next_check()
        assert mopidy.mirror_uris() == ["local:track:2"]
    finally:
        release(holder)
    assert love_queue(tmp_path) == []
    mopidy.next_check()
    assert mopidy.loved_uris() == ["local:track:2"]
    assert love_queue(tmp_path) == [("love", "Band", "Other")]
    assert mopidy.mirror_uris() == ["local:track:2"]


def test_a_clients_save_with_the_right_tracks_is_left_as_it_is(mopidy):
    # Rewriting it in our own words could undo the client's next save.
    mopidy.edit_mirror(add=["local:track:2"])
    path = mopidy.directory / "Loved on Last.fm (synced).m3u8"
    assert path.read_text(encoding="utf-8") == "local:track:2\n"  # the M3U backend's
    mopidy.next_check()
    assert path.read_text(encoding="utf-8") == "local:track:2\n"


def test_a_clients_save_during_our_write_is_kept_and_taken(
    mopidy, tmp_path, monkeypatch
):
    mopidy.love_in_our_playlist("local:track:1", "local:track:2")
    mopidy.frontend.love(
        LocalTrack("local:track:3", "Third", ("Trio",), None, None)
    ).get()
    path = mopidy.directory / "Loved on Last.fm (synced).m3u8"
    real_fsync, saves = os.fsync, []

    def fsync_while_a_client_saves(fd):
        real_fsync(fd)
        if not saves and os.readlink(f"/proc/self/fd/{fd}").endswith(TEMP_SUFFIX):
            # A client (MPD's playlistdelete) saves while our write is slow.
            saves.append(path.read_text(encoding="utf-8"))
            path.write_text("#EXTINF:-1,Other\nlocal:track:2\n", encoding="utf-8")

    monkeypatch.setattr(m3u_mirror.os, "fsync", fsync_while_a_client_saves)
    mopidy.next_check()  # our write of the love of track 3 meets the save
    assert saves
    mopidy.next_check()  # the client's save is taken: track 1 unloved
    assert sorted(mopidy.loved_uris()) == ["local:track:2", "local:track:3"]
    assert love_queue(tmp_path)[-1] == ("unlove", "Singer", "Song")
    assert sorted(mopidy.mirror_uris()) == ["local:track:2", "local:track:3"]


def test_a_stream_added_to_the_mirror_is_refused_and_taken_out(
    mopidy, tmp_path, caplog
):
    caplog.set_level(logging.WARNING, logger="mopidy_mtscrobble")
    mopidy.edit_mirror(add=["local:track:1", "http://radio.example/stream"])
    assert mopidy.loved_uris() == []
    assert mopidy.mirror_uris() == []
    assert love_queue(tmp_path) == []
    assert "is not a track of your library" in caplog.text


def test_a_stale_mirror_never_unloves_a_love_made_since(mopidy, tmp_path):
    mopidy.love_in_our_playlist("local:track:1", "local:track:2")
    mopidy.frontend.love(
        LocalTrack("local:track:3", "Third", ("Trio",), None, None)
    ).get()
    mopidy.settle()
    assert sorted(mopidy.mirror_uris()) == ["local:track:1", "local:track:2"]
    mopidy.edit_mirror(remove=["local:track:1"])  # the file is not rewritten yet
    assert sorted(mopidy.loved_uris()) == ["local:track:2", "local:track:3"]
    assert sorted(mopidy.mirror_uris()) == ["local:track:2", "local:track:3"]
    assert [a for a, *_ in love_queue(tmp_path)] == ["love", "love", "love", "unlove"]


def test_an_older_copy_saved_back_never_undoes_the_loves_made_since(mopidy, tmp_path):
    # A client (Iris) kept the file as it was, then removes one track from it.
    mopidy.love_in_our_playlist("local:track:1", "local:track:2")
    path = mopidy.directory / "Loved on Last.fm (synced).m3u8"
    older = path.read_text(encoding="utf-8")
    mopidy.frontend.love(
        LocalTrack("local:track:3", "Third", ("Trio",), None, None)
    ).get()
    mopidy.next_check()
    assert sorted(mopidy.mirror_uris()) == [f"local:track:{n}" for n in (1, 2, 3)]
    without_1 = re.sub(r"#EXTINF:[^\n]*\nlocal:track:1\n", "", older)
    assert parse(without_1) == ("local:track:2",)
    path.write_text(without_1, encoding="utf-8")
    mopidy.next_check()
    assert sorted(mopidy.loved_uris()) == ["local:track:2", "local:track:3"]
    assert [a for a, *_ in love_queue(tmp_path)] == ["love", "love", "love", "unlove"]
    assert sorted(mopidy.mirror_uris()) == ["local:track:2", "local:track:3"]


@pytest.mark.parametrize("emptied", ["", "#EXTM3U\n", "\n\n"])
def test_an_emptied_mirror_unloves_nothing_and_is_written_again(
    mopidy, tmp_path, caplog, emptied
):
    caplog.set_level(logging.WARNING, logger="mopidy_mtscrobble")
    mopidy.love_in_our_playlist("local:track:1", "local:track:2", "local:track:3")
    path = mopidy.directory / "Loved on Last.fm (synced).m3u8"
    path.write_text(emptied, encoding="utf-8")  # a sync tool, a full disk
    mopidy.next_check()
    assert len(mopidy.loved_uris()) == 3
    assert [a for a, *_ in love_queue(tmp_path)] == ["love"] * 3
    assert len(mopidy.mirror_uris()) == 3
    [warning] = [r for r in caplog.records if "was emptied" in r.getMessage()]
    assert "nothing was unloved" in warning.getMessage()


def test_the_newest_love_removed_from_a_fresh_copy_is_unloved(mopidy, tmp_path):
    # What is left is the copy from before that love: still an unlove.
    mopidy.love_in_our_playlist("local:track:1")
    mopidy.frontend.love(
        LocalTrack("local:track:3", "Third", ("Trio",), None, None)
    ).get()
    mopidy.next_check()
    mopidy.edit_mirror(remove=["local:track:3"])
    assert mopidy.loved_uris() == ["local:track:1"]
    assert love_queue(tmp_path)[-1] == ("unlove", "Trio", "Third")
    mopidy.edit_mirror(add=["local:track:1"])  # a save that changes nothing
    assert mopidy.loved_uris() == ["local:track:1"]
    assert [a for a, *_ in love_queue(tmp_path)] == ["love", "love", "unlove"]


def test_the_only_track_left_removed_is_unloved(mopidy, tmp_path):
    mopidy.love_in_our_playlist("local:track:1")
    mopidy.edit_mirror(remove=["local:track:1"])  # MPD's playlistdelete
    assert mopidy.loved_uris() == []
    assert love_queue(tmp_path)[-1] == ("unlove", "Singer", "Song")


@pytest.mark.parametrize("cut", ["mid-entry", "after an EXTINF"])
def test_a_mirror_cut_short_unloves_nothing_and_is_written_again(
    mopidy, tmp_path, caplog, cut
):
    caplog.set_level(logging.WARNING, logger="mopidy_mtscrobble")
    mopidy.love_in_our_playlist("local:track:1", "local:track:2", "local:track:3")
    path = mopidy.directory / "Loved on Last.fm (synced).m3u8"
    whole = path.read_text(encoding="utf-8")
    end = whole.rindex("local:track:") + 8 if cut == "mid-entry" else None
    if end is None:
        end = whole.rindex("#EXTINF")
        end = whole.index("\n", end) + 1
    path.write_text(whole[:end], encoding="utf-8")
    mopidy.next_check()  # maybe a writer not done: looked at again
    assert "cut short" not in caplog.text
    mopidy.next_check()
    assert len(mopidy.loved_uris()) == 3
    assert [a for a, *_ in love_queue(tmp_path)] == ["love"] * 3
    assert path.read_text(encoding="utf-8") == whole
    assert caplog.text.count("was cut short") == 1


def test_a_writer_that_finishes_before_the_next_check_is_taken(mopidy, tmp_path):
    mopidy.love_in_our_playlist("local:track:1", "local:track:2")
    path = mopidy.directory / "Loved on Last.fm (synced).m3u8"
    kept = "#EXTM3U\n#EXTINF:200,Singer - Song\nlocal:track:1\n"
    path.write_text(kept[:-4], encoding="utf-8")  # half written
    mopidy.next_check()
    path.write_text(kept, encoding="utf-8")  # done: track 2 removed
    mopidy.next_check()
    assert mopidy.loved_uris() == ["local:track:1"]


def test_an_edit_of_most_played_is_undone_with_a_warning(mopidy, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="mopidy_mtscrobble")
    mopidy.edit_mirror(MOST_PLAYED_M3U, add=["local:track:1"])
    assert mopidy.mirror_uris(MOST_PLAYED_M3U) == []
    assert love_queue(tmp_path) == []
    [record] = [r for r in caplog.records if "is put back" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "'Most played on Last.fm (synced)'" in record.getMessage()
    assert "cannot be edited" in record.getMessage()


@pytest.mark.parametrize("how", ["delete", "rename"])
def test_a_deleted_or_renamed_mirror_unloves_nothing_and_stays_away(
    mopidy, tmp_path, caplog, how
):
    caplog.set_level(logging.WARNING, logger="mopidy_mtscrobble")
    mopidy.love_in_our_playlist("local:track:1")
    if how == "delete":
        assert mopidy.core.playlists.delete(LOVED_M3U).get() is True
    else:
        playlist = mopidy.core.playlists.lookup(LOVED_M3U).get()
        mopidy.core.playlists.save(playlist.replace(name="Mine")).get()
    mopidy.settle()
    mopidy.love_in_our_playlist("local:track:2")
    mopidy.next_check()
    assert sorted(mopidy.loved_uris()) == ["local:track:1", "local:track:2"]
    assert [a for a, *_ in love_queue(tmp_path)] == ["love", "love"]
    assert LOVED_M3U not in {r.uri for r in mopidy.core.playlists.as_list().get()}
    assert "no longer mirrored there until Mopidy restarts" in caplog.text
    if how == "rename":  # the renamed copy is the user's own playlist now
        assert mopidy.mirror_uris(m3u_uri("Mine.m3u8")) == ["local:track:1"]


@pytest.mark.parametrize("damage", ["not utf-8", "a directory"])
def test_an_unreadable_mirror_unloves_nothing(mopidy, tmp_path, caplog, damage):
    mopidy.love_in_our_playlist("local:track:1", "local:track:2")
    path = mopidy.directory / "Loved on Last.fm (synced).m3u8"
    path.unlink()
    if damage == "not utf-8":
        path.write_bytes(b"#EXTM3U\n\xff\xfe\n")
    else:
        path.mkdir()
    mopidy.next_check()
    assert sorted(mopidy.loved_uris()) == ["local:track:1", "local:track:2"]
    assert [a for a, *_ in love_queue(tmp_path)] == ["love", "love"]
    assert "nothing was unloved" in caplog.text
    if damage == "not utf-8":  # written again from the loved tracks
        assert sorted(mopidy.mirror_uris()) == ["local:track:1", "local:track:2"]


@pytest.mark.parametrize(
    ("m3u_enabled", "section"), [(False, {}), (True, {"m3u_mirror": False})]
)
def test_no_mirror_without_the_m3u_backend_or_when_turned_off(
    start, m3u_enabled, section
):
    mopidy = start(m3u_enabled=m3u_enabled, **section)
    mopidy.love_in_our_playlist("local:track:1")
    assert list(mopidy.directory.iterdir()) == []
    assert mopidy.loved_uris() == ["local:track:1"]


@pytest.mark.parametrize(("value", "on"), [("true", True), ("false", False)])
def test_the_mirror_setting_is_a_boolean(schema, value, on):
    result, errors = schema.deserialize(section(m3u_mirror=value))
    assert errors == {}
    assert Settings.from_config(result).m3u_mirror is on


def test_a_wrong_mirror_setting_is_refused_by_name(schema):
    _, errors = schema.deserialize(section(m3u_mirror="maybe"))
    assert list(errors) == ["m3u_mirror"]


MATCHES = st.lists(
    st.builds(
        LocalMatch,
        uri=st.from_regex(r"local:track:[a-z0-9%]{1,12}", fullmatch=True),
        name=st.none()
        | st.text(st.characters(blacklist_categories=["Cc", "Zl", "Zp"])),
        artist=st.none()
        | st.text(st.characters(blacklist_categories=["Cc", "Zl", "Zp"])),
        length_ms=st.none() | st.integers(0, 10**7),
    ),
    max_size=10,
)


@given(MATCHES)
def test_a_rendered_mirror_reads_back_as_its_uris(matches):
    assert parse(render(matches)) == tuple(m.uri for m in matches)


def test_a_check_with_nothing_changed_reads_nothing(mopidy):
    mopidy.next_check()  # the first round's own writes: synced once more
    rounds = mopidy.mirror.syncs.get()
    for _ in range(3):
        mopidy.next_check()
    assert mopidy.mirror.syncs.get() == rounds


def test_a_check_syncs_after_a_change_in_the_database_or_a_file(mopidy):
    mopidy.next_check()
    rounds = mopidy.mirror.syncs.get()
    mopidy.frontend.love(
        LocalTrack("local:track:3", "Third", ("Trio",), None, None)
    ).get()
    mopidy.settle()
    mopidy.next_check()
    assert mopidy.mirror.syncs.get() == rounds + 1
    assert mopidy.mirror_uris() == ["local:track:3"]
    mopidy.next_check()  # the file it wrote
    rounds = mopidy.mirror.syncs.get()
    path = mopidy.directory / "Most played on Last.fm (synced).m3u8"
    path.write_text("#EXTM3U\nlocal:track:1\n", encoding="utf-8")
    mopidy.next_check()
    assert mopidy.mirror.syncs.get() == rounds + 1
    assert "local:track:1" not in path.read_text(encoding="utf-8")


@given(
    st.lists(st.integers(0, 30), min_size=1, max_size=25, unique=True),
    st.data(),
)
def test_a_clients_one_removal_from_any_recent_copy_is_all_it_changes(loves, data):
    # Loves made one by one; the client keeps one copy and removes one track.
    mirror = Mirror("Loved", PLAYLIST_URI, writable=True)
    copies = [
        tuple(f"local:track:{n}" for n in loves[: i + 1]) for i in range(len(loves))
    ]
    for copy in copies:
        mirror.remember(render([LocalMatch(u) for u in copy]))
    kept = data.draw(st.sampled_from(copies[-VERSIONS_KEPT:]))
    removed = data.draw(st.sampled_from(kept))
    saved = tuple(u for u in kept if u != removed)
    changes = edits(mirror.base_of(saved), saved)
    assert changes.removed == (removed,)
    assert changes.added == ()
