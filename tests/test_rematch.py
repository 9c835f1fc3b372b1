"""Matches that follow the library: a rematch looks up only new tracks, joins
them to their songs, drops the matches of tracks gone; at startup, on a
schedule and on demand."""

from __future__ import annotations

import pytest

from mopidy_mtscrobble import Extension
from mopidy_mtscrobble.favorites import Matcher
from mopidy_mtscrobble.library import Library
from mopidy_mtscrobble.rematch import RematchSchedule
from mopidy_mtscrobble.settings import Settings

from .commands.harness import run_command
from .fakes.player import FakeClock, ManualScheduler
from .support import rematch_harness
from .support.builders import model_track
from .support.rematch_harness import LIBRARY, NOW, matches, started

# The fixtures: loved songs in a data directory, a library in a core.
data_dir = rematch_harness.data_dir
library = rematch_harness.library


NEW = model_track(uri="local:track:new", name="Later", artists=("Sigur Rós",))


def test_a_rematch_looks_up_only_new_tracks_and_searches_nothing(data_dir, library):
    _, backend = library
    matcher = started(data_dir, library)
    assert matcher.last_rematch is not None
    assert matcher.last_rematch.new == len(LIBRARY)  # the first: all are new
    searches = backend.calls.get()["search"]
    lookups = backend.calls.get()["lookup"]
    backend.add([NEW]).get()

    result = matcher.rematch_once()
    counts = matcher.run_once()

    assert (result.new, result.gone, result.matches_made) == (1, 0, 1)
    assert backend.calls.get()["lookup"] - lookups == 1
    assert backend.calls.get()["search"] == searches  # nothing new to search
    assert counts == {}  # no song waited to be matched
    found, counted = matches(data_dir)
    assert ("Later", "local:track:new") in found
    assert (counted["matched"], counted["missing"]) == (3, 0)


def test_an_unchanged_library_looks_up_nothing(data_dir, library):
    _, backend = library
    matcher = started(data_dir, library)
    lookups = backend.calls.get()["lookup"]
    result = matcher.rematch_once()
    assert (result.new, result.gone, result.changed) == (0, 0, False)
    assert backend.calls.get()["lookup"] == lookups


def test_removed_tracks_lose_their_matches(data_dir, library):
    _, backend = library
    matcher = started(data_dir, library)
    backend.remove(["local:track:1"]).get()
    result = matcher.rematch_once()
    assert (result.gone, result.matches_dropped) == (1, 1)
    found, counted = matches(data_dir)
    assert found == {("Song 2", "local:track:2")}
    assert (counted["matched"], counted["missing"]) == (1, 2)


def test_a_moved_track_keeps_its_song(data_dir, library):
    _, backend = library
    matcher = started(data_dir, library)
    moved = model_track(uri="local:track:moved", name="Song 1", artists=("Artist 1",))
    backend.remove(["local:track:1"]).get()
    backend.add([moved]).get()
    result = matcher.rematch_once()
    assert (result.new, result.gone) == (1, 1)
    found, _ = matches(data_dir)
    assert ("Song 1", "local:track:moved") in found
    assert ("Song 1", "local:track:1") not in found


def test_matches_of_tracks_gone_before_the_first_rematch_are_dropped(data_dir, library):
    core_proxy, backend = library
    matcher = Matcher(data_dir, Library(core_proxy), ("local",), clock=FakeClock(NOW))
    matcher.run_once()  # matched by search, as before schema 13
    backend.remove(["local:track:2"]).get()
    result = matcher.rematch_once()
    assert result.matches_dropped == 1
    found, _ = matches(data_dir)
    assert found == {("Song 1", "local:track:1")}


def test_the_schedule_asks_for_a_rematch_every_interval_until_stopped():
    clock = FakeClock(NOW)
    scheduler = ManualScheduler(clock)
    asked = []
    schedule = RematchSchedule(scheduler, 30, lambda: asked.append(clock.wall()))
    schedule.start()
    clock.advance(29 * 60)
    assert scheduler.fire_due() == 0
    clock.advance(60)
    assert scheduler.fire_due() == 1
    clock.advance(30 * 60)
    assert scheduler.fire_due() == 1
    assert asked == [NOW + 30 * 60, NOW + 60 * 60]
    schedule.stop()
    clock.advance(30 * 60)
    assert scheduler.fire_due() == 0
    assert len(asked) == 2


def test_an_interval_of_zero_schedules_nothing():
    scheduler = ManualScheduler(FakeClock(NOW))
    RematchSchedule(scheduler, 0, lambda: None).start()
    assert scheduler.pending() == []


@pytest.mark.parametrize(
    ("value", "minutes"), [("", 360), ("0", 0), ("90", 90), ("10080", 10080)]
)
def test_the_rematch_interval_is_read_in_minutes(value, minutes):
    schema = Extension().get_config_schema()
    section = {"rematch_interval": schema["rematch_interval"].deserialize(value)}
    assert Settings.from_config(section).rematch_interval == minutes


@pytest.mark.parametrize("value", ["-1", "10081", "hourly"])
def test_a_wrong_rematch_interval_is_refused(value):
    schema = Extension().get_config_schema()
    with pytest.raises(ValueError, match=r"must be|invalid"):
        schema["rematch_interval"].deserialize(value)


def test_the_command_without_a_running_mopidy_says_when_it_happens(tmp_path):
    result = run_command(tmp_path, {}, "rematch")
    assert result.returncode == 0
    assert "rematches your library each time it starts" in result.stdout
    assert "mtscrobble/rematch_interval" in result.stdout


# Mopidy-File names a file that is not UTF-8 with lone surrogates (its title,
# its browse name, its artist when untagged).
BADLY_NAMED = model_track(
    uri="local:track:bad", name="Caf\udce9 Song", artists=("Caf\udce9 Band",)
)


def test_a_badly_named_file_is_matched_as_its_name_reads_and_stops_nothing(
    data_dir, library
):
    _, backend = library
    matcher = started(data_dir, library)
    backend.add([BADLY_NAMED, NEW]).get()
    result = matcher.rematch_once()
    matcher.run_once()
    assert result.new == 2
    found, _ = matches(data_dir)
    assert ("Later", "local:track:new") in found  # the run went on past it


def test_a_track_whose_uri_is_not_text_is_left_out_and_named_once(
    data_dir, library, caplog
):
    _, backend = library
    matcher = started(data_dir, library)
    bad_uri = model_track(uri="local:track:Caf\udce9", name="Later", artists=("X",))
    backend.add([bad_uri, NEW]).get()
    first = matcher.rematch_once()
    matcher.run_once()
    again = matcher.rematch_once()
    assert (first.new, again.new) == (1, 0)  # the good one, once
    found, _ = matches(data_dir)
    assert ("Later", "local:track:new") in found
    named = [r for r in caplog.records if "local:track:Caf\ufffd" in r.getMessage()]
    assert len(named) == 1
    assert "rename the file" in named[0].getMessage()
