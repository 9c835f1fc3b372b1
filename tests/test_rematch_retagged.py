"""Rematch follows tags edited in place: a file keeps its URI when its tags
are edited, so the rematch compares what each track was when seen (its
fingerprint) and matches a changed track again. A real Mopidy core with a test
backend whose tracks change under the same URI."""

from __future__ import annotations

from mopidy_mtscrobble.favorites import Matcher
from mopidy_mtscrobble.library import Library
from mopidy_mtscrobble.store import Store

from .fakes.player import FakeClock
from .support.builders import model_track
from .support.rematch_harness import NOW, data_dir, library, matches, started

__all__ = ["data_dir", "library"]  # the fixtures, shared with test_rematch


def retag(backend, uri: str, name: str, artist: str) -> None:
    backend.remove([uri]).get()
    backend.add([model_track(uri=uri, name=name, artists=(artist,))]).get()


def test_a_retitled_track_is_looked_up_alone_and_matched_again(data_dir, library):
    _, backend = library
    matcher = started(data_dir, library)
    lookups = backend.calls.get()["lookup"]
    retag(backend, "local:track:5", "Later", "Sigur Rós")

    result = matcher.rematch_once()
    matcher.run_once()

    assert (result.new, result.retagged, result.matches_made) == (0, 1, 1)
    assert backend.calls.get()["lookup"] - lookups == 1
    found, counted = matches(data_dir)
    assert ("Later", "local:track:5") in found
    assert (counted["matched"], counted["missing"]) == (3, 0)


def test_a_matched_track_retitled_loses_its_song_which_is_searched_again(
    data_dir, library
):
    _, backend = library
    matcher = started(data_dir, library)
    retag(backend, "local:track:1", "Song 1 (Live)", "Artist 1")

    result = matcher.rematch_once()
    searches = backend.calls.get()["search"]
    matcher.run_once()

    assert (result.retagged, result.matches_dropped) == (1, 1)
    assert backend.calls.get()["search"] > searches  # "Song 1" waited again
    found, counted = matches(data_dir)
    assert ("Song 1", "local:track:1") not in found
    assert (counted["matched"], counted["missing"]) == (1, 2)


def test_an_artist_edit_keeping_the_title_is_seen_at_the_next_start(data_dir, library):
    core_proxy, backend = library
    matcher = started(data_dir, library)
    retag(backend, "local:track:2", "Song 2", "Someone Else")

    scheduled = matcher.rematch_once()  # the browse name is the same
    restarted = Matcher(data_dir, Library(core_proxy), ("local",), clock=FakeClock(NOW))
    lookups = backend.calls.get()["lookup"]
    first = restarted.rematch_once()  # the first of a run looks up every track
    restarted.run_once()

    assert (scheduled.retagged, scheduled.matches_dropped) == (0, 0)
    assert (first.retagged, first.matches_dropped) == (1, 1)
    assert backend.calls.get()["lookup"] - lookups == len(backend.tracks.get())
    found, _ = matches(data_dir)
    assert ("Song 2", "local:track:2") not in found


def test_fingerprints_kept_before_browse_names_change_no_match(data_dir, library):
    _, backend = library
    matcher = started(data_dir, library)
    store = Store.open(data_dir, NOW)
    with store.db.write() as db:  # the form schema 13 wrote: tags only
        db.execute(
            "UPDATE library_tracks SET fingerprint = "
            "substr(fingerprint, 1, instr(fingerprint, char(30)) - 1)"
        )
    store.close()
    before, _ = matches(data_dir)

    upgraded = matcher.rematch_once()
    again = matcher.rematch_once()

    assert (upgraded.retagged, upgraded.matches_dropped) == (0, 0)
    assert matches(data_dir)[0] == before
    lookups = backend.calls.get()["lookup"]
    assert matcher.rematch_once().retagged == 0
    assert backend.calls.get()["lookup"] == lookups  # names kept: nothing to look up
    assert again.retagged == 0
