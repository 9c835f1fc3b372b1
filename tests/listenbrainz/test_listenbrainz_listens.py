"""A play becomes a listen ListenBrainz takes, or a refusal with a reason: never
a listen the server refuses. Listens and imports keep within its size rules.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mopidy_mtscrobble.errors import ListenRefusedError
from mopidy_mtscrobble.listenbrainz import (
    MAX_IMPORT_LISTENS,
    MAX_LISTEN_BYTES,
    Play,
    batches,
    fitted,
    listen_of,
    playing_now_of,
)
from mopidy_mtscrobble.listenbrainz.sizes import encode, size_of
from mopidy_mtscrobble.version import __version__

from ..fakes.listenbrainz import rules

NOW = 1_800_000_000
RECORDING = "0f5e4a5d-1d4c-4c0c-9a47-ffbd6c5a9f3b"
RELEASE = "6a4d2f1c-8f3b-4a51-9b0e-3c2d1e0f9a8b"
ARTIST = "b10bbbfc-cf9e-42e0-be17-e2c3e1d2600d"


def play(**changes) -> Play:
    values = {"artist": "Artist", "title": "Title", "started_at": NOW - 300}
    values.update(changes)
    return Play(**values)


def test_a_full_play_carries_everything_listenbrainz_documents():
    listen = listen_of(play(
        album="Album", track_number=7, duration_ms=215_000,
        recording_mbid=RECORDING.upper(), release_mbid=RELEASE,
        artist_mbids=(ARTIST, "not-an-mbid", ARTIST), uri="spotify:track:xyz",
        mopidy_version="3.4.2",
    ))  # fmt: skip
    assert listen == {
        "listened_at": NOW - 300,
        "track_metadata": {
            "artist_name": "Artist",
            "track_name": "Title",
            "release_name": "Album",
            "additional_info": {
                "recording_mbid": RECORDING,
                "release_mbid": RELEASE,
                "artist_mbids": [ARTIST],
                "tracknumber": 7,
                "duration_ms": 215_000,
                "media_player": "Mopidy",
                "media_player_version": "3.4.2",
                "submission_client": "Mopidy-MTScrobble",
                "submission_client_version": __version__,
                "music_service": "spotify.com",
            },
        },
    }


@pytest.mark.parametrize(
    ("uri", "service"),
    [
        ("spotify:track:1", {"music_service": "spotify.com"}),
        ("tidal:track:1", {"music_service": "tidal.com"}),
        ("youtube:video:1", {"music_service": "youtube.com"}),
        ("yt:video:1", {"music_service": "youtube.com"}),
        ("ytmusic:track:1", {"music_service": "music.youtube.com"}),
        ("soundcloud:song/1", {"music_service": "soundcloud.com"}),
        ("bandcamp:track:1", {"music_service": "bandcamp.com"}),
        ("deezer:track:1", {"music_service": "deezer.com"}),
        ("qobuz:track:1", {"music_service": "qobuz.com"}),
        ("jellyfin:track:1", {"music_service_name": "Jellyfin"}),
        (
            "https://radio.example/stream",
            {"origin_url": "https://radio.example/stream"},
        ),
        ("http://[broken/stream", {}),
        ("local:track:a.mp3", {}),
        ("file:///music/a.mp3", {}),
        ("nothing", {}),
        (None, {}),
    ],
)
def test_the_music_service_comes_from_the_uri_scheme(uri, service):
    info = listen_of(play(uri=uri))["track_metadata"]["additional_info"]
    found = {k: info[k] for k in ("music_service", "music_service_name",
                                  "origin_url") if k in info}  # fmt: skip
    assert found == service


def test_a_playing_now_listen_has_no_time():
    assert set(playing_now_of(play())) == {"track_metadata"}


@pytest.mark.parametrize(
    "changes",
    [
        {"artist": " \x00 "},
        {"title": ""},
        {"started_at": rules.LISTEN_MINIMUM_TS - 1},
        {"started_at": "1700000000"},
    ],
)
def test_a_play_listenbrainz_would_refuse_is_refused_with_a_reason(changes):
    with pytest.raises(ListenRefusedError) as refused:
        listen_of(play(**changes))
    assert "ListenBrainz" in str(refused.value) or "start time" in str(refused.value)


def test_what_the_server_would_drop_or_refuse_is_left_out():
    listen = listen_of(play(
        album="  ", track_number=0, duration_ms=rules.MAX_DURATION_S * 1000 + 1,
        recording_mbid="", release_mbid="nope", artist_mbids=(None,),
        title="Ti\x00tle ",
    ))  # fmt: skip
    metadata = listen["track_metadata"]
    assert metadata["track_name"] == "Title"
    assert "release_name" not in metadata
    assert set(metadata["additional_info"]) == {
        "media_player", "submission_client", "submission_client_version",
    }  # fmt: skip


def test_a_listen_too_large_loses_its_extras_first_then_length_of_names():
    long_url = "https://radio.example/" + "x" * 20_000
    listen = listen_of(play(uri=long_url, recording_mbid=RECORDING))
    trimmed = fitted(listen)
    info = trimmed["track_metadata"]["additional_info"]
    assert "origin_url" not in info
    assert info["recording_mbid"] == RECORDING
    assert size_of(trimmed) <= MAX_LISTEN_BYTES
    assert listen["track_metadata"]["additional_info"]["origin_url"] == long_url

    huge = listen_of(play(artist="A" * 30_000, title="T" * 300, album="é" * 9_000))
    trimmed = fitted(huge)
    metadata = trimmed["track_metadata"]
    assert size_of(trimmed) <= MAX_LISTEN_BYTES
    assert metadata["track_name"] == "T" * 300  # the longest names go first
    assert metadata["artist_name"].startswith("AAAA")


def test_a_listen_that_cannot_be_made_small_enough_is_refused():
    listen = listen_of(play(artist="A" * 500, title="T" * 500))
    with pytest.raises(ListenRefusedError, match="too large"):
        fitted(listen, max_bytes=150)


def test_imports_hold_at_most_1000_listens_and_keep_the_byte_rule():
    small = [listen_of(play(started_at=NOW - i)) for i in range(2500)]
    assert [len(b) for b in batches(small)] == [1000, 1000, 500]
    big = [fitted(listen_of(play(artist="A" * 12_000, started_at=NOW - i)))
           for i in range(1200)]  # fmt: skip
    found = batches(big)
    assert [len(b) for b in found] == [1000, 200]
    for batch in found:
        body = encode("import", batch)
        assert len(body) <= min(rules.MAX_LISTEN_SIZE * len(batch),
                                rules.MAX_LISTEN_PAYLOAD_SIZE)  # fmt: skip
        assert rules.submission(body, NOW)[0] == "import"
    assert [x for b in found for x in b] == big


def test_a_listen_not_fitted_cannot_be_batched():
    with pytest.raises(ValueError, match="fitted"):
        batches([listen_of(play(artist="A" * 20_000))])


# Property tests: arbitrary plays against the fake server's rules.

texts = st.one_of(
    st.text(max_size=40),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40
    ),  # UTF-8 text (Debian 12's hypothesis has no codec=)
    st.sampled_from(["", " ", "\x00", "\ud800x", "a\x00b", "\ufeff", '"\\', "\n"]),
    st.text(max_size=8).map(lambda t: t * 3000),
)
mbids = st.one_of(
    st.none(), st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: "{" + str(u) + "}"), st.text(max_size=40),
)  # fmt: skip
numbers = st.one_of(st.none(), st.integers(-(2**70), 2**70), st.booleans())
uris = st.one_of(
    st.none(), texts,
    st.builds(lambda s, rest: f"{s}:{rest}", st.sampled_from(
        ["spotify", "jellyfin", "http", "https", "local", "YTMUSIC", "x"]), texts),
    st.builds(lambda rest: f"https://host/{rest}", texts),
)  # fmt: skip
plays = st.builds(
    Play,
    artist=texts,
    title=texts,
    started_at=st.one_of(
        st.integers(rules.LISTEN_MINIMUM_TS - 100, NOW + 3599),
        st.integers(-(2**40), NOW + 3599),
    ),
    album=st.one_of(st.none(), texts),
    track_number=numbers,
    duration_ms=numbers,
    recording_mbid=mbids,
    release_mbid=mbids,
    artist_mbids=st.lists(mbids, max_size=5).map(tuple),
    uri=uris,
    mopidy_version=st.one_of(st.none(), texts),
)


@given(st.lists(plays, min_size=1, max_size=4), st.sampled_from(["single", "import"]))
def test_every_listen_we_build_is_taken_by_the_server_or_refused_by_us(found, kind):
    listens, reasons = [], []
    for each in found:
        try:
            listens.append(fitted(listen_of(each)))
        except ListenRefusedError as refused:
            reasons.append(str(refused))
    assert all(reasons)
    for batch in batches(listens) if kind == "import" else [[x] for x in listens]:
        body = encode(kind, batch)
        taken_type, taken = rules.submission(body, NOW)
        assert taken_type == kind
        assert len(taken) == len(batch)
        for sent, kept in zip(batch, taken, strict=True):
            # Nothing of what we send is changed by the server's cleaning.
            assert kept == json.loads(json.dumps(sent))


@given(plays)
def test_every_playing_now_we_build_is_taken_or_refused_by_us(each):
    try:
        listen = fitted(playing_now_of(each))
    except ListenRefusedError:
        return
    assert rules.submission(encode("playing_now", [listen]), NOW)[0] == "playing_now"


def test_a_thousand_listens_of_the_largest_size_are_one_import():
    listens = [fitted(listen_of(play(artist="€" * 5000, started_at=NOW - i)))
               for i in range(MAX_IMPORT_LISTENS)]  # fmt: skip
    [batch] = batches(listens)
    assert len(batch) == MAX_IMPORT_LISTENS
    rules.submission(encode("import", batch), NOW)
