from __future__ import annotations

import configparser

import pytest

from mopidy_mtscrobble.settings import Settings

from .support.ext_config import section


def test_default_config_is_accepted_as_it_is(extension, schema):
    parser = configparser.RawConfigParser()
    parser.read_string(extension.get_default_config())
    result, errors = schema.deserialize(dict(parser["mtscrobble"]))
    assert errors == {}
    assert result["network"] == "lastfm"
    assert result["scrobble_threshold"] == 90
    assert result["scrobble_cap"] == 240
    assert result["now_playing"] is True


def test_schema_has_every_documented_key(schema):
    assert list(schema) == [
        "enabled", "network", "api_url", "api_key", "api_secret", "username",
        "password", "listenbrainz", "scrobble_threshold", "scrobble_cap", "now_playing",
        "excluded_uri_schemes", "scrobble_radio", "radio_min_seconds",
        "history_days", "favorites_uri_schemes", "most_played_size",
        "name_cleanup", "artist_credit",
        "exclude_artists", "exclude_albums", "exclude_titles", "exclude_genres",
        "exclude_uri_prefixes", "exclude_shorter_than", "exclude_longer_than",
        "exclude_podcasts_and_audiobooks", "private_default", "loved_sync_interval",
        "rematch_interval", "m3u_mirror", "history_keep_days", "lost_answer_wait",
    ]  # fmt: skip


@pytest.mark.parametrize(("value", "seconds"), [("1800", 1800), ("0", 0)])
def test_the_wait_for_a_lost_answers_listing_is_in_seconds(schema, value, seconds):
    result, errors = schema.deserialize(section(lost_answer_wait=value))
    assert errors == {}
    assert Settings.from_config(result).lost_answer_wait == seconds


@pytest.mark.parametrize("value", ["-1", "90000", "soon"])
def test_a_wrong_wait_for_a_lost_answers_listing_is_refused(schema, value):
    _, errors = schema.deserialize(section(lost_answer_wait=value))
    assert list(errors) == ["lost_answer_wait"]


@pytest.mark.parametrize("network", ["lastfm", "librefm"])
def test_known_networks_need_no_url(schema, network):
    _, errors = schema.deserialize(section(network=network))
    assert errors == {}


def test_unknown_network_is_refused_naming_the_choices(schema):
    _, errors = schema.deserialize(section(network="spotify"))
    assert "network" in errors
    assert "lastfm" in errors["network"]
    assert "custom" in errors["network"]


def test_custom_network_requires_api_url(schema):
    _, errors = schema.deserialize(section(network="custom"))
    assert "must be set when network = custom" in errors["api_url"]


def test_custom_network_with_https_url_is_accepted(schema):
    result, errors = schema.deserialize(
        section(network="custom", api_url="https://scrobble.example.org/2.0/")
    )
    assert errors == {}
    assert result["api_url"] == "https://scrobble.example.org/2.0/"


@pytest.mark.parametrize(
    "url", ["http://example.org/2.0/", "example.org/2.0/", "https://", "ftp://x/"]
)
def test_api_url_must_be_https(schema, url):
    _, errors = schema.deserialize(section(network="custom", api_url=url))
    assert "must be an https:// URL" in errors["api_url"]


def test_api_url_is_refused_for_lastfm(schema):
    _, errors = schema.deserialize(section(api_url="https://example.org/2.0/"))
    assert "must be empty when network = lastfm" in errors["api_url"]


@pytest.mark.parametrize("value", ["49", "101", "-5", "ninety"])
def test_threshold_outside_50_to_100_is_refused(schema, value):
    _, errors = schema.deserialize(section(scrobble_threshold=value))
    assert "scrobble_threshold" in errors


@pytest.mark.parametrize("value", ["50", "100"])
def test_threshold_edges_are_accepted(schema, value):
    result, errors = schema.deserialize(section(scrobble_threshold=value))
    assert errors == {}
    assert result["scrobble_threshold"] == int(value)


def test_cap_zero_means_no_cap_and_negative_is_refused(schema):
    result, errors = schema.deserialize(section(scrobble_cap="0"))
    assert errors == {}
    assert result["scrobble_cap"] == 0
    _, errors = schema.deserialize(section(scrobble_cap="-1"))
    assert "scrobble_cap" in errors


def test_now_playing_must_be_a_boolean(schema):
    _, errors = schema.deserialize(section(now_playing="maybe"))
    assert "now_playing" in errors


def test_unknown_key_is_reported_with_a_suggestion(schema):
    values = section()
    values["scrobble_treshold"] = "80"
    _, errors = schema.deserialize(values)
    assert "scrobble_threshold" in errors["scrobble_treshold"]


def test_secrets_are_masked_for_display(schema):
    result, _ = schema.deserialize(
        section(api_key="KEY123", api_secret="SECRET456", password="PW789")
    )
    shown = schema.serialize(result, display=True)
    assert "KEY123" not in str(shown)
    assert "SECRET456" not in str(shown)
    assert "PW789" not in str(shown)
    assert shown["api_secret"] == "********"


def test_settings_view_normalizes_excluded_schemes(schema):
    result, _ = schema.deserialize(section(excluded_uri_schemes="Spotify:, tunein"))
    settings = Settings.from_config(result)
    assert settings.excluded_uri_schemes == frozenset({"spotify", "tunein"})


def test_favorite_schemes_keep_their_order_and_default_to_local_then_file(schema):
    result, _ = schema.deserialize(section(favorites_uri_schemes="File:, local, file"))
    assert Settings.from_config(result).favorites_uri_schemes == ("file", "local")
    defaults, _ = schema.deserialize(section())
    assert Settings.from_config(defaults).favorites_uri_schemes == ("local", "file")


def test_settings_repr_hides_secrets(schema):
    result, _ = schema.deserialize(section(api_secret="SECRET456", password="PW789"))
    text = repr(Settings.from_config(result))
    assert "SECRET456" not in text
    assert "PW789" not in text


def test_missing_credentials_are_named(schema):
    result, _ = schema.deserialize(section(api_key="k"))
    assert Settings.from_config(result).missing_credentials() == ["api_secret"]


# ListenBrainz-compatible destinations (`listenbrainz`) and network = off.

TOKEN_A = "lb-token-aaaa-1111"
TOKEN_B = "lb-token-bbbb-2222"


@pytest.fixture(autouse=True)
def _tokens_are_secrets():
    from .support import secret_scan

    for token in (TOKEN_A, TOKEN_B):
        secret_scan.note_secret(token)


def test_listenbrainz_destinations_one_per_line_with_the_default_url(schema):
    lines = f"\n  lb {TOKEN_A}\n  maloja {TOKEN_B} https://maloja.example.org/apis/listenbrainz/"
    result, errors = schema.deserialize(section(listenbrainz=lines))
    assert errors == {}
    settings = Settings.from_config(result)
    assert [(d.name, d.url) for d in settings.listenbrainz] == [
        ("lb", "https://api.listenbrainz.org"),
        ("maloja", "https://maloja.example.org/apis/listenbrainz"),
    ]
    assert settings.listenbrainz[0].token == TOKEN_A
    assert settings.destinations == ("lastfm", "lb", "maloja")


def test_network_off_needs_no_api_key_and_scrobbles_to_listenbrainz_only(schema):
    result, errors = schema.deserialize(
        section(network="off", listenbrainz=f"lb {TOKEN_A}")
    )
    assert errors == {}
    settings = Settings.from_config(result)
    assert settings.destinations == ("lb",)
    assert settings.missing_credentials() == []
    assert settings.credentials_problem() is None


def test_network_off_without_a_listenbrainz_destination_is_refused(schema):
    _, errors = schema.deserialize(section(network="off"))
    assert "when network = off" in errors["listenbrainz"]


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (f"lb {TOKEN_A}\nlb {TOKEN_B}", "used twice"),
        (f"lastfm {TOKEN_A}", "Last.fm destination"),
        (f"LB {TOKEN_A}", "a-z, 0-9"),
        (f"{'x' * 33} {TOKEN_A}", "a-z, 0-9"),
        ("lb", "NAME TOKEN [URL]"),
        (f"lb {TOKEN_A} https://x.org extra", "NAME TOKEN [URL]"),
        (f"lb {TOKEN_A} ftp://x.org", "must start with https://"),
        (f"lb {TOKEN_A} api.listenbrainz.org", "must start with https://"),
        (f"lb {TOKEN_A} https://", "must start with https://"),
        (f"lb {TOKEN_A} https://x.org:99999", "not a valid URL"),
        (f"lb {TOKEN_A} https://x.org/?token=1", "query"),
        (f"lb {TOKEN_A} http://maloja.example.org", "must be https://"),
        (f"lb tokén{TOKEN_A}", "characters no token has"),
    ],
)
def test_bad_listenbrainz_lines_are_refused_naming_the_problem(schema, value, says):
    _, errors = schema.deserialize(section(listenbrainz=value))
    assert says in errors["listenbrainz"]
    assert TOKEN_A not in errors["listenbrainz"]
    assert TOKEN_B not in errors["listenbrainz"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:42010/apis/listenbrainz",
        "http://192.168.1.20:42010/apis/listenbrainz",
        "http://[::1]:8080",
        "http://nas.local/apis/listenbrainz",
        "http://localhost:42010",
    ],
)
def test_plain_http_is_allowed_on_this_machine_and_the_lan(schema, url):
    result, errors = schema.deserialize(section(listenbrainz=f"home {TOKEN_A} {url}"))
    assert errors == {}
    assert result["listenbrainz"][0].url == url


def test_empty_lines_and_commas_between_destinations_are_accepted(schema):
    result, errors = schema.deserialize(
        section(listenbrainz=f"\n\n  a {TOKEN_A}\n\n   \n  b {TOKEN_B}\n")
    )
    assert errors == {}
    assert [d.name for d in result["listenbrainz"]] == ["a", "b"]
    result, errors = schema.deserialize(
        section(listenbrainz=f"a {TOKEN_A}, b {TOKEN_B}")
    )
    assert [d.name for d in result["listenbrainz"]] == ["a", "b"]


def test_listenbrainz_tokens_are_masked_for_display_and_hidden_from_repr(schema):
    result, _ = schema.deserialize(
        section(listenbrainz=f"a {TOKEN_A}\nb {TOKEN_B} https://x.example.org")
    )
    shown = schema.serialize(result, display=True)
    assert shown["listenbrainz"] == "********"
    assert TOKEN_A not in repr(Settings.from_config(result))
    kept = schema.serialize(result)
    again, errors = schema.deserialize(
        {**section(), "listenbrainz": kept["listenbrainz"]}
    )
    assert errors == {}
    assert again["listenbrainz"] == result["listenbrainz"]


# What gets sent: name cleanup and artist credit.


def test_name_cleanup_defaults_to_the_documented_sets(schema):
    result, errors = schema.deserialize(section())
    assert errors == {}
    assert Settings.from_config(result).name_cleanup == (
        "remaster", "album_version", "explicit", "editions",
    )  # fmt: skip
    assert Settings().name_cleanup == Settings.from_config(result).name_cleanup


@pytest.mark.parametrize("value", ["none", "", " None "])
def test_name_cleanup_none_or_empty_turns_it_off(schema, value):
    result, errors = schema.deserialize(section(name_cleanup=value))
    assert errors == {}
    assert Settings.from_config(result).name_cleanup == ()


def test_name_cleanup_takes_any_known_sets_once_each(schema):
    result, errors = schema.deserialize(
        section(name_cleanup="Edits, mono_stereo, edits")
    )
    assert errors == {}
    assert result["name_cleanup"] == ("edits", "mono_stereo")


@pytest.mark.parametrize("value", ["remasters", "remaster, live", "none, remaster"])
def test_an_unknown_cleanup_set_is_refused_listing_the_known_ones(schema, value):
    _, errors = schema.deserialize(section(name_cleanup=value))
    assert list(errors) == ["name_cleanup"]
    message = errors["name_cleanup"]
    assert "unknown rule set" in message
    for known in ("remaster", "album_version", "edits", "explicit", "editions",
                  "mono_stereo", "none"):  # fmt: skip
        assert known in message


@pytest.mark.parametrize("value", ["all", "album_artist", "first"])
def test_artist_credit_choices_are_accepted(schema, value):
    result, errors = schema.deserialize(section(artist_credit=value))
    assert errors == {}
    assert Settings.from_config(result).artist_credit == value


@pytest.mark.parametrize("value", ["last", "album artist"])
def test_a_bad_artist_credit_is_refused_naming_the_choices(schema, value):
    _, errors = schema.deserialize(section(artist_credit=value))
    assert list(errors) == ["artist_credit"]
    assert "all" in errors["artist_credit"]
    assert "album_artist" in errors["artist_credit"]
    assert "first" in errors["artist_credit"]


def test_artist_credit_defaults_to_all_artists(schema):
    result, _ = schema.deserialize(section())
    assert Settings.from_config(result).artist_credit == "all"


def test_an_empty_artist_credit_is_refused(schema):
    _, errors = schema.deserialize(section(artist_credit=""))
    assert list(errors) == ["artist_credit"]
