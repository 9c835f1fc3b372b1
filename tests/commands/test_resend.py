"""`mopidy mtscrobble resend --to NAME --since DATE` against the fake Last.fm."""

from __future__ import annotations

import datetime
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mopidy_mtscrobble.commands.resend import DateError, parse_since
from mopidy_mtscrobble.store import NewScrobble, Store

from .harness import (
    data_dir,
    env_for,
    run_command,
    save_session,
    server,  # noqa: F401 - a fixture
    settings_for,
)

DAY = 86_400
NOW = 1_800_000_000.0


def test_a_date_is_the_start_of_that_day_in_local_time():
    local = datetime.datetime(2026, 11, 20).timestamp()
    assert parse_since("2026-11-20", NOW) == local
    assert parse_since(" 2026-11-20T08:30 ", NOW) == local + 8.5 * 3600


def test_a_time_zone_when_written_is_kept():
    midnight_utc = datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC).timestamp()
    assert parse_since("2026-11-20T00:00Z", NOW) == midnight_utc
    assert parse_since("2026-11-20T01:00+01:00", NOW) == midnight_utc


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("yesterday", "is not a date: write YYYY-MM-DD"),
        ("2026-13-01", "is not a date"),
        ("", "is not a date"),
        ("2026-11-20\x00", "is not a date"),
        ("9999-12-31", "is in the future"),
    ],
)
def test_what_is_not_a_usable_date_says_what_to_write(text, said):
    with pytest.raises(DateError, match=said):
        parse_since(text, NOW)


@given(st.text(max_size=40))
def test_any_text_is_a_date_or_a_date_error(text):
    try:
        since = parse_since(text, NOW)
    except DateError as exc:
        said = str(exc)
    else:
        assert since <= NOW
        return
    assert said.endswith((".", "since."))


def queue_plays_for_nobody(tmp_path, *ages_days):
    """Plays saved while no destination was configured (e.g. network = off)."""
    folder = data_dir(tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    store = Store.open(folder, time.time())
    now = int(time.time())
    try:
        for age in ages_days:
            scrobble = NewScrobble(
                artist="Artist", track=f"{age} days ago", timestamp=now - age * DAY
            )
            store.plays.enqueue(scrobble, (), now)
    finally:
        store.close()


def since_days_ago(days):
    return (datetime.datetime.now() - datetime.timedelta(days=days)).isoformat(
        timespec="seconds"
    )


def test_resend_queues_the_plays_since_the_date_once_and_retry_sends_them(
    tmp_path,
    server,  # noqa: F811 - the fixture
):
    save_session(tmp_path, server)
    queue_plays_for_nobody(tmp_path, 1, 3, 20)
    settings = settings_for(server)
    resend = ("mtscrobble", "resend", "--to", "lastfm", "--since", since_days_ago(5))
    first = run_command(tmp_path, settings, *resend)
    assert first.returncode == 0, first.stdout
    assert "Queued 2 plays since" in first.stdout
    again = run_command(tmp_path, settings, *resend)
    assert "Queued 0 plays since" in again.stdout
    sent = run_command(tmp_path, settings, "mtscrobble", "retry", env=env_for(server))
    assert "Sent 2 scrobbles; 0 waiting, 0 rejected." in sent.stdout
    tracks = sorted(s["track"] for s in server.state()["scrobbles"])
    assert tracks == ["1 days ago", "3 days ago"]


def test_resending_older_than_14_days_to_lastfm_warns(tmp_path, server):  # noqa: F811
    queue_plays_for_nobody(tmp_path, 20)
    result = run_command(tmp_path, settings_for(server), "mtscrobble", "resend",
                         "--to", "lastfm", "--since", since_days_ago(30))  # fmt: skip
    assert "Queued 1 plays" in result.stdout
    assert "older than 14 days will be refused" in result.stdout


def test_an_unknown_destination_or_date_is_refused_with_what_is_configured(
    tmp_path,
    server,  # noqa: F811 - the fixture
):
    settings = settings_for(server)
    unknown = run_command(tmp_path, settings, "mtscrobble", "resend",
                          "--to", "listenbrainz", "--since", "2026-01-01")  # fmt: skip
    assert unknown.returncode == 1
    assert "no destination named 'listenbrainz' is configured (configured: lastfm)" in (
        unknown.stdout
    )
    bad_date = run_command(tmp_path, settings, "mtscrobble", "resend",
                           "--to", "lastfm", "--since", "last week")  # fmt: skip
    assert bad_date.returncode == 1
    assert "Error: 'last week' is not a date: write YYYY-MM-DD" in bad_date.stdout
