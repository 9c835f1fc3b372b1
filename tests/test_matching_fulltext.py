"""Matching through a library that searches as Mopidy-Local does (SQLite FTS3,
ASCII case folded only): loved names without the accents, full-width letters,
typographic apostrophes and hyphens, "&" or "The" of the local tags are found."""

from __future__ import annotations

import pykka
import pytest
from mopidy import core

from mopidy_mtscrobble.favorites import Matcher
from mopidy_mtscrobble.kinds import LOVED
from mopidy_mtscrobble.library import Library
from mopidy_mtscrobble.matching import key_parts
from mopidy_mtscrobble.store import SongEntry, Store

from .fakes.fulltext_backend import FullTextBackend
from .fakes.player import FakeClock, TestAudio
from .support.builders import model_track
from .support.frontend_harness import config_for
from .support.matching_cases import wide

NOW = 1_700_000_000.0


# (loved artist, loved title), (local artists, local title)
PROMISED = [
    (("Beyonce", "Halo"), (("Beyoncé",), "Halo")),
    (("Sigur Ros", "Hoppipolla"), (("Sigur Rós",), "Hoppípolla")),
    (("ABBA", "Waterloo"), ((wide("ABBA"),), wide("Waterloo"))),
    (("Guns N' Roses", "Patience"), (("Guns N\u2019 Roses",), "Patience")),
    (("Jay-Z", "Izzo"), (("Jay\u2010Z",), "Izzo")),
    (("Simon and Garfunkel", "The Boxer"), (("Simon & Garfunkel",), "The Boxer")),
    (("Beatles", "Help!"), (("The Beatles",), "Help!")),
    (("The Police", "Roxanne"), (("Police, The",), "Roxanne")),
    (
        ("Calvin Harris", "This Is What You Came For"),
        (("Calvin Harris feat. Rihanna",), "This Is What You Came For"),
    ),
    (
        ("Daft Punk", "Get Lucky (feat. Pharrell Williams)"),
        (("Daft Punk",), "Get Lucky"),
    ),
    (("Jay-Z", "Numb/Encore"), (("Jay\u2010Z", "Linkin Park"), "Numb/Encore")),
    (
        ("Beyonce and Jay-Z", "Crazy in Love"),
        (("Beyoncé & Jay\u2010Z",), "Crazy in Love"),
    ),
    (("Motorhead", "Ace of Spades"), (("Motörhead",), "Ace of Spades")),
]
# Same titles by other artists: never matched.
DECOYS = [
    model_track(uri="local:track:decoy-halo", name="Halo", artists=("Depeche Mode",)),
    model_track(uri="local:track:decoy-boxer", name="The Boxer", artists=("Mumford",)),
]


def local_tracks():
    tracks = [
        model_track(uri=f"local:track:{n}", name=title, artists=artists)
        for n, (_, (artists, title)) in enumerate(PROMISED)
    ]
    return [*tracks, *DECOYS]


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "mtscrobble"
    path.mkdir()
    store = Store.open(path, NOW)
    loved = [loved for loved, _ in PROMISED]
    store.jobs.start(LOVED, "alice", NOW)
    store.jobs.save_page(
        LOVED,
        1,
        1,
        len(loved),
        [SongEntry(a, t, int(NOW), *key_parts(a, t)) for a, t in loved],
    )
    store.jobs.finish(LOVED, NOW)
    store.close()
    return path


def start_mopidy(tmp_path, lists_artists=True):
    config = config_for(tmp_path, favorites_uri_schemes=("local",))
    audio = TestAudio.start().proxy()
    backend = FullTextBackend.start(
        config=config, audio=audio, tracks=local_tracks(), lists_artists=lists_artists
    )
    core_proxy = core.Core.start(
        config=config, mixer=None, backends=[backend.proxy()], audio=audio
    ).proxy()
    return core_proxy, backend.proxy()


@pytest.fixture(autouse=True)
def _stop_actors():
    yield
    pykka.ActorRegistry.stop_all()


def matched(data_dir):
    store = Store.open(data_dir, NOW)
    try:
        rows = store.db.read(
            "SELECT l.artist, l.track, m.uri FROM loved l "
            "JOIN loved_matches m ON m.loved_id = l.id"
        )
        return {(r[0], r[1]): r[2] for r in rows}
    finally:
        store.close()


def expected():
    return {loved: f"local:track:{n}" for n, (loved, _) in enumerate(PROMISED)}


def test_the_backend_folds_only_ascii_case_as_mopidy_local_does(tmp_path):
    mopidy, _ = start_mopidy(tmp_path)
    library = Library(mopidy)
    assert library.search("local", "artist", "beyoncé")
    assert library.search("local", "artist", "Beyonce") == []
    assert library.search("local", "artist", "Guns N' Roses") == []


def test_every_promised_spelling_is_found_and_nothing_else(tmp_path, data_dir):
    mopidy, _ = start_mopidy(tmp_path)
    matcher = Matcher(data_dir, Library(mopidy), ("local",), clock=FakeClock(NOW))
    counts = matcher.run_once()["loved"]
    assert matched(data_dir) == expected()  # recall 1.00, precision 1.00
    assert counts["matched"] == len(PROMISED)


def test_a_library_that_lists_no_artists_is_searched_by_title_too(tmp_path, data_dir):
    """Without the library's spellings, only a tag differing in both artist and
    title from the loved names stays out of a search's reach."""
    mopidy, _ = start_mopidy(tmp_path, lists_artists=False)
    matcher = Matcher(data_dir, Library(mopidy), ("local",), clock=FakeClock(NOW))
    matcher.run_once()
    out_of_reach = {("Sigur Ros", "Hoppipolla"), ("ABBA", "Waterloo")}
    found = {k: v for k, v in expected().items() if k not in out_of_reach}
    assert matched(data_dir) == found


def test_a_library_that_lists_its_artists_is_searched_by_its_own_spellings(
    tmp_path, data_dir
):
    mopidy, backend = start_mopidy(tmp_path)
    matcher = Matcher(data_dir, Library(mopidy), ("local",), clock=FakeClock(NOW))
    matcher.run_once()
    index = matcher.last_index
    assert index is not None
    assert index.listings == 1
    # one search per loved artist, and a title search for the one song its
    # artist's spelling did not find (Beyonce: credited on "Beyoncé & Jay\u2010Z")
    artists = {key_parts(a, t)[0] for (a, t), _ in PROMISED}
    assert index.searches - index.title_searches == len(artists)
    assert backend.library.calls.get()["search"] == index.searches
