"""Saved corrections: the repository, the sending step, the schema upgrade."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mopidy_mtscrobble.sending import Names, Sending
from mopidy_mtscrobble.sending.corrections import correct
from mopidy_mtscrobble.store import DB_FILENAME, CorrectionError, NewScrobble, Store
from mopidy_mtscrobble.store.corrections import MAX_NAME_CHARS, normalised
from mopidy_mtscrobble.store.database import SCHEMA_VERSION, sql_file

NOW = 1_700_000_000


@pytest.fixture
def store(tmp_path):
    opened = Store.open(tmp_path, NOW)
    yield opened
    opened.close()


def correction(match="Band", track=None, album=None, to=None) -> dict:
    values = {"match_artist": match, "match_track": track, "match_album": album}
    return values | ({"artist": "The Band"} if to is None else to)


def play(**changes) -> NewScrobble:
    values = {"artist": "Band", "track": "Song", "timestamp": NOW,
              "album": "Album", "album_artist": "Band"}  # fmt: skip
    return NewScrobble(**(values | changes))


def sent_as(store, scrobble) -> tuple:
    names = correct(Names(scrobble.artist, scrobble.track, scrobble.album, None),
                    scrobble, store)  # fmt: skip
    return names.artist, names.track, names.album


# Matching.


@given(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1),
    st.sampled_from([str.upper, str.lower, str.title, str.swapcase]),
    st.sampled_from(["", " ", "  ", "\t", "\u3000"]),
)
def test_normalisation_ignores_case_width_and_spacing(name, change_case, space):
    spaced = space + name.replace(" ", " " + space) + space
    # Compatibility forms (full width, ligatures) compare as their plain forms.
    assert normalised(change_case(spaced)) == normalised(change_case(name))


@given(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1))
def test_full_width_forms_compare_as_their_plain_forms(name):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in name)
    assert normalised(full_width) == normalised(name.upper()) == name.casefold()


@pytest.mark.parametrize(
    "heard", ["band", "BAND", "  Band ", "\uff22\uff41\uff4e\uff44", "Band\u3000"]
)
def test_an_artist_matches_whatever_its_case_width_and_spacing(store, heard):
    store.corrections.add(correction(), NOW)
    assert sent_as(store, play(artist=heard)) == ("The Band", "Song", "Album")


def test_a_name_that_differs_otherwise_does_not_match(store):
    store.corrections.add(correction(), NOW)
    for other in ("Band*", "Bands", "The Band", "Ban d"):
        assert sent_as(store, play(artist=other))[0] == other


SPECIFICITY = [
    # match track, match album, what it sends the artist as
    ("Song", "Album", "artist+track+album"),
    ("Song", None, "artist+track"),
    (None, "Album", "artist+album"),
    (None, None, "artist"),
]


@pytest.mark.parametrize("present", range(1, len(SPECIFICITY) + 1))
def test_the_most_specific_correction_wins(store, present):
    for track, album, name in reversed(SPECIFICITY[-present:]):
        store.corrections.add(
            correction(track=track, album=album, to={"artist": name}), NOW
        )
    assert sent_as(store, play())[0] == SPECIFICITY[-present][2]


def test_a_correction_on_a_track_or_album_matches_only_that_one(store):
    store.corrections.add(correction(track="song", to={"artist": "A"}), NOW)
    store.corrections.add(correction(album="other album", to={"artist": "B"}), NOW)
    assert sent_as(store, play(track="Other"))[0] == "Band"
    assert sent_as(store, play(track="SONG"))[0] == "A"
    assert sent_as(store, play(track="x", album="Other  Album"))[0] == "B"
    assert sent_as(store, play(track="x", album=None))[0] == "Band"


def test_unchanged_names_stay_and_the_album_artist_is_kept(store):
    store.corrections.add(correction(track="Song", to={"track": "Song (Live)"}), NOW)
    names = correct(Names("Band", "Song", "Album", "AA"), play(), store)
    assert names == Names("Band", "Song (Live)", "Album", "AA")


def test_no_store_no_correction():
    assert correct(Names("Band", "S", None, None), play(), None) == Names(
        "Band", "S", None, None
    )


# The repository.


def test_adding_the_same_match_again_updates_it(store):
    first = store.corrections.add(correction(), NOW)
    again = store.corrections.add(correction(" BAND ")
                                  | {"artist": "Band!"}, NOW + 5)  # fmt: skip
    assert again.id == first.id
    assert (again.artist, again.created_at, again.updated_at) == (
        "Band!", NOW, NOW + 5,
    )  # fmt: skip
    assert len(store.corrections.list()) == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (correction(""), "Give the artist"),
        (correction("  "), "Give the artist"),
        (correction(to={"artist": " "}), "changes nothing"),
        (correction() | {"artist": "x" * (MAX_NAME_CHARS + 1)}, "over 1024"),
        (correction(track="t" * (MAX_NAME_CHARS + 1)), "over 1024"),
    ],
)
def test_bad_corrections_are_refused_with_a_reason(store, values, message):
    with pytest.raises(CorrectionError, match=message) as raised:
        store.corrections.add(values, NOW)
    assert raised.value.http_status == 400
    assert store.corrections.list() == []


def test_get_update_and_delete(store):
    made = store.corrections.add(correction(), NOW)
    other = store.corrections.add(correction("Other"), NOW)
    changed = store.corrections.update(
        made.id, correction(track="Song", to={"album": "LP"}), NOW + 1
    )
    assert store.corrections.get(made.id) == changed
    assert (changed.match_track, changed.artist, changed.album) == ("Song", None, "LP")
    with pytest.raises(CorrectionError, match=f"#{other.id} already") as raised:
        store.corrections.update(made.id, correction("other"), NOW)
    assert raised.value.http_status == 409
    store.corrections.delete(made.id)
    for call in (
        lambda: store.corrections.get(made.id),
        lambda: store.corrections.delete(made.id),
        lambda: store.corrections.update(made.id, correction(), NOW),
    ):
        with pytest.raises(CorrectionError, match="no correction") as raised:
            call()
        assert raised.value.http_status == 404
    assert store.corrections.list() == [other]


# Plays still waiting.


def test_applied_to_waiting_plays_only_those_no_destination_has_taken(store):
    waiting = store.plays.enqueue(play(), ["lastfm", "lb"], NOW)
    taken = store.plays.enqueue(play(timestamp=NOW + 300), ["lastfm", "lb"], NOW)
    done = store.plays.enqueue(play(timestamp=NOW + 600), ["lastfm"], NOW)
    other = store.plays.enqueue(play(artist="Other", timestamp=NOW + 900),
                                ["lastfm"], NOW)  # fmt: skip
    store.queue_to("lb").mark_in_flight([taken], NOW)
    store.queue.mark_in_flight([done], NOW)
    store.queue.mark_sent([done], NOW)
    made = store.corrections.add(correction() | {"album": "LP"}, NOW)
    assert store.corrections.apply_to_waiting(made.id) == 1
    assert store.corrections.apply_to_waiting(None) == 0  # already so
    sent = {
        i: next(iter(store.plays.destinations_of(i).values()))
        for i in (waiting, taken, done, other)
    }
    assert (sent[waiting].artist, sent[waiting].album) == ("The Band", "LP")
    assert (sent[waiting].heard_artist, sent[waiting].heard_album) == ("Band", "Album")
    for untouched in (taken, done, other):
        assert sent[untouched].artist == sent[untouched].heard_artist


def test_applying_one_correction_leaves_plays_another_one_matches(store):
    store.plays.enqueue(play(), ["lastfm"], NOW)
    store.plays.enqueue(play(artist="Other", timestamp=NOW + 300), ["lastfm"], NOW)
    store.corrections.add(correction(), NOW)
    other = store.corrections.add(correction("other"), NOW)
    assert store.corrections.apply_to_waiting(other.id) == 1
    assert [e.artist for e in store.queue.due(NOW + 1, 10)] == ["Band", "The Band"]
    assert store.corrections.apply_to_waiting(None) == 1


def test_a_correction_queues_the_next_play_as_it_says(store):
    store.corrections.add(correction(track="song") | {"track": "Song!"}, NOW)
    play_id = store.plays.enqueue(Sending([correct]).apply(play(), store),
                                  ["lastfm"], NOW)  # fmt: skip
    entry = store.queue.get(play_id)
    assert (entry.artist, entry.track, entry.heard_track) == ("The Band", "Song!",
                                                              "Song")  # fmt: skip


# The schema.


def test_an_upgrade_from_8_keeps_plays_and_has_no_corrections(tmp_path):
    db = sqlite3.connect(tmp_path / DB_FILENAME)
    for step in range(1, 9):
        db.executescript(sql_file(f"upgrade-v{step}.sql"))
        db.execute(f"PRAGMA user_version = {step}")
    db.execute(
        "INSERT INTO plays (artist, track, timestamp, created_at, "
        "sent_track) VALUES ('Band', 'Song', ?, ?, 'Song!')",
        (NOW, NOW),
    )
    db.execute("INSERT INTO deliveries (play_id, destination, play_timestamp, "
               "queued_at) VALUES (1, 'lastfm', ?, ?)", (NOW, NOW))  # fmt: skip
    db.commit()
    db.close()
    opened = Store.open(tmp_path, NOW)
    entry = opened.queue.get(1)
    assert (entry.artist, entry.track, entry.heard_track, entry.state) == (
        "Band", "Song!", "Song", "pending",
    )  # fmt: skip
    assert opened.corrections.list() == []
    opened.close()
    db = sqlite3.connect(tmp_path / DB_FILENAME)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()
