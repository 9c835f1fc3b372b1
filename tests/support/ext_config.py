"""Raw `[mtscrobble]` config values, as read from a file."""

from __future__ import annotations


def section(**overrides: str) -> dict[str, str]:
    """Raw `[mtscrobble]` values as read from a file: the defaults, changed."""
    values = {
        "enabled": "true",
        "network": "lastfm",
        "api_url": "",
        "api_key": "",
        "api_secret": "",
        "username": "",
        "password": "",
        "listenbrainz": "",
        "scrobble_threshold": "90",
        "scrobble_cap": "240",
        "now_playing": "true",
        "excluded_uri_schemes": "",
        "scrobble_radio": "true",
        "radio_min_seconds": "60",
        "history_days": "90",
        "favorites_uri_schemes": "local, file",
        "most_played_size": "100",
        "name_cleanup": "remaster, album_version, explicit, editions",
        "artist_credit": "all",
        "exclude_artists": "",
        "exclude_albums": "",
        "exclude_titles": "",
        "exclude_genres": "",
        "exclude_uri_prefixes": "",
        "exclude_shorter_than": "0",
        "exclude_longer_than": "0",
        "exclude_podcasts_and_audiobooks": "true",
        "private_default": "1h",
        "loved_sync_interval": "0",
        "rematch_interval": "360",
        "m3u_mirror": "true",
        "history_keep_days": "0",
        "lost_answer_wait": "1800",
    }
    values.update(overrides)
    return values
