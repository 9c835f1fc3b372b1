"""Delivery against the fake Last.fm server: batches, errors by kind, exactly once."""

from __future__ import annotations

import itertools
import logging
import socket
import stat
import threading

import pytest

from mopidy_mtscrobble import __version__
from mopidy_mtscrobble import delivery as delivery_module
from mopidy_mtscrobble.backoff import MAX_S as BACKOFF_MAX_S
from mopidy_mtscrobble.delivery import State
from mopidy_mtscrobble.destinations import LASTFM
from mopidy_mtscrobble.errors import (
    StorageError,
    TokenNotAuthorizedError,
    TransientError,
)
from mopidy_mtscrobble.lastfm import LastfmClient, Session
from mopidy_mtscrobble.listening import Track
from mopidy_mtscrobble.session import SessionFile
from mopidy_mtscrobble.settings import Settings
from mopidy_mtscrobble.store import LocalMatch, NewScrobble

from ..fakes.lastfm import Fault
from ..support.delivery_harness import NOW, run_until_idle
from .plays import DAY, queue, states

NOW_MONO = 1000.0  # the fake clock's monotonic time at the start


def retry_in(worker, clock):
    """Seconds until the next scheduled try (0 if none is scheduled)."""
    at = worker.status().next_retry_at
    return 0 if at is None else at - clock.wall()


def test_pending_entries_go_oldest_first_in_batches_of_50(
    make_delivery, store, lastfm, clock
):
    ids = queue(store, 120)
    worker = make_delivery()
    run_until_idle(worker, clock)
    assert states(store, ids) == ["sent"] * 120
    batches = lastfm.requests_for("track.scrobble")
    assert [sum(k.startswith("artist[") for k in r.params) for r in batches] == [
        50,
        50,
        20,
    ]
    assert [s["track"] for s in lastfm.scrobbles_of("alice")] == [
        f"Track {i}" for i in range(120)
    ]
    assert store.queue.get(ids[0]).sent_at == int(NOW)


def test_every_field_is_sent(make_delivery, store, lastfm, clock):
    store.queue.enqueue(
        NewScrobble(
            artist="Björk", track="Jóga", timestamp=int(NOW) - 60, album="Homogenic",
            album_artist="Björk", track_number=2, duration_s=305,
            mbid="0383dadf-2a4e-4d10-a46a-e9e041da8eb3", chosen_by_user=False,
        ),
        NOW,
    )  # fmt: skip
    run_until_idle(make_delivery(), clock)
    [sent] = lastfm.scrobbles_of("alice")
    assert sent["artist"] == "Björk"
    assert sent["track"] == "Jóga"
    assert sent["album"] == "Homogenic"
    assert sent["albumArtist"] == "Björk"
    assert sent["trackNumber"] == "2"
    assert sent["duration"] == "305"
    assert sent["mbid"] == "0383dadf-2a4e-4d10-a46a-e9e041da8eb3"
    assert sent["chosenByUser"] == "0"
    assert sent["timestamp"] == str(int(NOW) - 60)


@pytest.mark.parametrize(
    ("age", "server_offset", "code", "reason"),
    [
        (13 * DAY, 1.5 * DAY, 3, "timestamp too old"),
        (60, -2 * DAY, 4, "timestamp too new"),
    ],
)
def test_ignored_items_are_rejected_with_the_reason_and_never_retried(
    make_delivery, store, lastfm, clock, age, server_offset, code, reason
):
    lastfm.clock = lambda: clock.wall() + server_offset
    [entry] = queue(store, 1, start=NOW - age)
    worker = make_delivery()
    run_until_idle(worker, clock)
    rejected = store.queue.get(entry)
    assert rejected.state == "rejected"
    assert rejected.last_error == f"{reason} (code {code})"
    clock.advance(DAY)
    run_until_idle(worker, clock)
    assert len(lastfm.requests_for("track.scrobble")) == 1


def test_daily_limit_keeps_the_entry_and_retries_after_a_long_pause(
    make_delivery, store, lastfm, clock
):
    lastfm.daily_limit = 0
    [entry] = queue(store)
    worker = make_delivery()
    assert worker.step() == 0.0  # sent; more may wait
    assert worker.step() == pytest.approx(delivery_module.DAILY_LIMIT_PAUSE_S)
    assert store.queue.get(entry).state == "pending"
    assert store.queue.get(entry).next_attempt_at == int(
        NOW + delivery_module.DAILY_LIMIT_PAUSE_S
    )
    lastfm.daily_limit = 2800
    run_until_idle(worker, clock)
    assert store.queue.get(entry).state == "sent"


def test_three_hour_outage_backs_off_to_five_minutes_and_delivers_when_back(
    make_delivery, store, lastfm, clock
):
    ids = queue(store, 3)
    worker = make_delivery()
    port = lastfm.port
    lastfm.stop()
    attempts_at = []  # when each attempt to send was made
    outage_end = clock.monotonic() + 3 * 3600
    while clock.monotonic() < outage_end:
        before = store.queue.get(ids[0]).attempts
        delay = worker.step()
        if store.queue.get(ids[0]).attempts > before:
            attempts_at.append(clock.monotonic())
        clock.advance(delay)
    assert worker.status().state == State.RETRYING
    gaps = [b - a for a, b in itertools.pairwise(attempts_at)]
    assert 8 <= gaps[0] <= 10
    assert all(later >= earlier * 0.75 for earlier, later in itertools.pairwise(gaps))
    assert max(gaps) <= BACKOFF_MAX_S
    assert max(gaps) >= 0.8 * BACKOFF_MAX_S
    assert 35 <= len(attempts_at) <= 60
    assert states(store, ids) == ["pending"] * 3
    lastfm.start(port)
    run_until_idle(worker, clock)
    assert states(store, ids) == ["sent"] * 3
    assert worker.status().state == State.CONNECTED
    assert len(lastfm.scrobbles_of("alice")) == 3


def test_the_network_coming_back_is_noticed_by_a_probe_within_a_minute(
    make_delivery, store, lastfm, clock
):
    ids = queue(store, 2)
    worker = make_delivery()
    port = lastfm.port
    lastfm.stop()
    while clock.monotonic() < NOW_MONO + 3600:  # the backoff is at its longest
        clock.advance(worker.step())
    lastfm.start(port)
    back_at = clock.monotonic()
    while states(store, ids) != ["sent"] * 2:
        clock.advance(worker.step())
    assert clock.monotonic() - back_at <= delivery_module.PROBE_INTERVAL_S
    assert len(lastfm.requests_for("track.scrobble")) == 1  # probes are no calls


@pytest.mark.parametrize("code", [8, 11, 16])
def test_temporary_lfm_errors_on_a_scrobble_are_checked_before_resending(
    make_delivery, store, lastfm, clock, code
):
    # The server may have applied the batch before failing: its outcome is
    # uncertain, like a lost answer.
    lastfm.inject(Fault("lfm", "track.scrobble", code=code))
    [entry] = queue(store)
    worker = make_delivery()
    delay = worker.step()
    assert 8 <= delay <= 10
    assert store.queue.get(entry).state == "in_flight"
    assert f"(error {code})" in store.queue.get(entry).last_error
    run_until_idle(worker, clock)
    assert store.queue.get(entry).state == "sent"
    assert len(lastfm.scrobbles_of("alice")) == 1
    # Not applied: sent again once the listing has had its window to show it.
    first, again = lastfm.requests_for("track.scrobble")
    assert again.arrived_at - first.arrived_at >= delivery_module.LISTING_WINDOW_S
    looks = lastfm.requests_for("user.getRecentTracks")
    assert (
        looks[0].arrived_at - first.arrived_at >= delivery_module.LISTING_FIRST_LOOK_S
    )
    assert len(looks) <= 10


@pytest.mark.parametrize("code", [8, 11, 16])
def test_temporary_lfm_errors_on_other_calls_are_retried_later(
    make_delivery, store, lastfm, clock, code
):
    lastfm.inject(Fault("lfm", "track.love", code=code))
    store.loves.love("A", "T", LocalMatch("x:1"), (LASTFM,), NOW)
    worker = make_delivery()
    run_until_idle(worker, clock)
    assert store.loves.counts()["sent"] == 1
    assert len(lastfm.requests_for("track.love")) == 2


def test_rate_limit_error_slows_down(make_delivery, store, lastfm, clock):
    lastfm.inject(Fault("lfm", "track.scrobble", code=29))
    [entry] = queue(store)
    worker = make_delivery()
    assert worker.step() == pytest.approx(delivery_module.RATE_LIMITED_PAUSE_S)
    assert store.queue.get(entry).state == "pending"
    assert worker.limiter.paused_for() > 50


def test_http_5xx_answer_is_checked_before_resending(
    make_delivery, store, lastfm, clock
):
    lastfm.inject(Fault("http", "track.scrobble", status=503))
    ids = queue(store, 2)
    worker = make_delivery()
    worker.step()
    assert states(store, ids) == ["in_flight"] * 2
    run_until_idle(worker, clock)
    assert states(store, ids) == ["sent"] * 2
    assert len(lastfm.scrobbles_of("alice")) == 2
    first, again = lastfm.requests_for("track.scrobble")
    assert again.arrived_at - first.arrived_at >= delivery_module.LISTING_WINDOW_S


@pytest.mark.parametrize("lag", [20, 300, 25 * 60])
def test_a_lost_answer_waits_for_a_listing_that_lags(
    make_delivery, store, lastfm, clock, lag, caplog
):
    # Last.fm lists a scrobble a while after taking it: a look made before
    # then must not resend it (it did, at the first look 9 s after the loss).
    caplog.set_level(logging.INFO, logger="mopidy_mtscrobble")
    lastfm.listing_lag_s = lag
    lastfm.inject(Fault("lost", "track.scrobble"))
    ids = queue(store, 3)
    worker = make_delivery()
    run_until_idle(worker, clock)
    assert states(store, ids) == ["sent"] * 3
    assert len(lastfm.scrobbles_of("alice")) == 3
    assert len(lastfm.requests_for("track.scrobble")) == 1
    assert "3 had landed, 0 will be sent" in caplog.text
    looks = lastfm.requests_for("user.getRecentTracks")
    assert looks[0].arrived_at - NOW_MONO >= delivery_module.LISTING_FIRST_LOOK_S
    assert len(looks) <= 8  # at doubling gaps


def test_one_not_listed_within_the_window_is_sent_again(
    make_delivery, store, lastfm, clock, caplog
):
    caplog.set_level(logging.INFO, logger="mopidy_mtscrobble")
    lastfm.inject(Fault("reset", "track.scrobble"))  # it never arrived
    [entry] = queue(store)
    worker = make_delivery()
    worker.step()
    while store.queue.get(entry).state == "in_flight":
        assert clock.monotonic() - NOW_MONO < delivery_module.LISTING_WINDOW_S + 60
        clock.advance(worker.step())
    assert clock.monotonic() - NOW_MONO >= delivery_module.LISTING_WINDOW_S
    assert "0 had landed, 1 will be sent" in caplog.text
    run_until_idle(worker, clock)
    assert [s["track"] for s in lastfm.scrobbles_of("alice")] == ["Track 0"]


@pytest.mark.parametrize("wait", [0, 120])
def test_a_shorter_wait_for_the_listing_sends_again_sooner(
    make_delivery, store, lastfm, clock, wait
):
    # lost_answer_wait: 0 sends again at the first look that misses it.
    lastfm.inject(Fault("reset", "track.scrobble"))  # it never arrived
    [entry] = queue(store)
    run_until_idle(make_delivery(lost_answer_wait=wait), clock)
    assert store.queue.get(entry).state == "sent"
    first, again = lastfm.requests_for("track.scrobble")
    assert wait <= again.arrived_at - first.arrived_at <= wait + BACKOFF_MAX_S
    assert len(lastfm.scrobbles_of("alice")) == 1


def test_an_entry_sent_before_the_clock_went_back_waits_no_days(
    make_delivery, store, lastfm, clock
):
    # Marked in flight while the clock was 30 days ahead, then Mopidy was
    # killed mid-send (so no clock step moved its time), and the clock is
    # right again: its wait for the listing starts now, not in 30 days.
    [entry] = queue(store)
    store.queue.mark_in_flight([entry], NOW + 30 * DAY)
    run_until_idle(make_delivery(), clock)
    assert store.queue.get(entry).state == "sent"
    took = clock.monotonic() - NOW_MONO
    assert took <= delivery_module.LISTING_WINDOW_S + BACKOFF_MAX_S
    assert len(lastfm.scrobbles_of("alice")) == 1


@pytest.mark.parametrize("kind", ["lost", "malformed"])
def test_applied_scrobbles_whose_answer_was_lost_are_not_sent_twice(
    make_delivery, store, lastfm, clock, kind, caplog
):
    caplog.set_level(logging.INFO, logger="mopidy_mtscrobble")
    lastfm.inject(Fault(kind, "track.scrobble"))
    ids = queue(store, 5)
    worker = make_delivery()
    worker.step()
    assert len(lastfm.scrobbles_of("alice")) == 5  # applied, answer lost
    assert states(store, ids) == ["in_flight"] * 5
    run_until_idle(worker, clock)
    assert states(store, ids) == ["sent"] * 5
    assert len(lastfm.scrobbles_of("alice")) == 5
    assert len(lastfm.requests_for("track.scrobble")) == 1
    assert "5 had landed, 0 will be sent" in caplog.text


def test_reset_before_applying_is_checked_then_resent(
    make_delivery, store, lastfm, clock
):
    lastfm.inject(Fault("reset", "track.scrobble"))
    ids = queue(store, 3)
    worker = make_delivery()
    worker.step()
    assert states(store, ids) == ["in_flight"] * 3
    run_until_idle(worker, clock)
    assert states(store, ids) == ["sent"] * 3
    assert len(lastfm.scrobbles_of("alice")) == 3


def test_hang_then_drop_keeps_entries_in_flight(make_delivery, store, lastfm, clock):
    lastfm.inject(Fault("hang", "track.scrobble", seconds=0.3))
    ids = queue(store, 2)
    worker = make_delivery()
    worker.step()
    assert states(store, ids) == ["in_flight"] * 2
    run_until_idle(worker, clock)
    assert len(lastfm.scrobbles_of("alice")) == 2


def test_restart_after_a_crash_mid_flush_sends_each_entry_exactly_once(
    make_delivery, store, lastfm, clock
):
    ids = queue(store, 10)
    # The crash: a batch marked in flight; the server applied only part of it.
    store.queue.mark_in_flight(ids, NOW)
    key = lastfm.add_user("alice")
    SessionFile(store.path.parent, "custom").save(Session(key=key, username="alice"))
    for i in range(4):
        lastfm.scrobbles.append(
            {"user": "alice", "artist": "Artist", "track": f"Track {i}",
             "timestamp": str(int(NOW - 3600) + i * 10), "received_at": NOW}
        )  # fmt: skip
    worker = make_delivery(user=None)
    run_until_idle(worker, clock)
    assert states(store, ids) == ["sent"] * 10
    sent = sorted(s["track"] for s in lastfm.scrobbles_of("alice"))
    assert sent == sorted(f"Track {i}" for i in range(10))


def test_requests_name_the_extension_and_its_version(
    make_delivery, store, lastfm, clock
):
    queue(store, 1)
    run_until_idle(make_delivery(), clock)
    [request] = lastfm.requests_for("track.scrobble")
    assert request.user_agent.startswith(f"Mopidy-MTScrobble/{__version__} ")


def test_mopidy_proxy_setting_reaches_the_http_client(settings, lastfm):
    heard = []
    with socket.create_server(("127.0.0.1", 0)) as proxy:

        def answer_once() -> None:
            connection, _ = proxy.accept()
            with connection:
                heard.append(connection.recv(1024).split(b"\r\n")[0])

        listening = threading.Thread(target=answer_once, daemon=True)
        listening.start()
        client = LastfmClient(
            settings, proxy=f"http://127.0.0.1:{proxy.getsockname()[1]}"
        )
        with pytest.raises(TransientError):
            client.get_token()  # the proxy hangs up
        client.close()
        listening.join(10)
    assert heard == [f"CONNECT 127.0.0.1:{lastfm.port} HTTP/1.1".encode()]


def test_authentication_failure_on_a_scrobble_means_log_in_again(
    make_delivery, store, lastfm, clock
):
    lastfm.inject(Fault("lfm", "track.scrobble", code=4))
    ids = queue(store, 1)
    worker = make_delivery()
    assert worker.step() == delivery_module.SESSION_POLL_S
    assert worker.status().state == State.NEEDS_REAUTH
    assert states(store, ids) == ["pending"]


def test_revoked_session_needs_reauthentication_warns_once_and_keeps_the_queue(
    make_delivery, store, lastfm, clock, caplog, tmp_path
):
    caplog.set_level(logging.INFO, logger="mopidy_mtscrobble")
    ids = queue(store, 2)
    worker = make_delivery()
    lastfm.revoke(SessionFile(tmp_path, "custom").load().key)
    for _ in range(3):
        assert worker.step() == delivery_module.SESSION_POLL_S  # looks for a login
        clock.advance(60)
    assert worker.status().state == State.NEEDS_REAUTH
    assert states(store, ids) == ["pending"] * 2
    assert caplog.text.count("no longer accepts this session") == 1
    assert len(lastfm.requests_for("track.scrobble")) == 1
    key = lastfm.add_user("alice")
    SessionFile(tmp_path, "custom").save(Session(key=key, username="alice"))
    run_until_idle(worker, clock)  # noticed without being told
    assert states(store, ids) == ["sent"] * 2


@pytest.mark.parametrize("code", [10, 13, 26])
def test_refused_api_key_or_secret_stops_delivery_with_a_clear_state(
    make_delivery, store, lastfm, clock, caplog, code
):
    lastfm.inject(Fault("lfm", "track.scrobble", code=code))
    ids = queue(store, 2)
    worker = make_delivery()
    assert worker.step() is None
    assert worker.step() is None
    assert worker.status().state == State.BAD_CREDENTIALS
    assert states(store, ids) == ["pending"] * 2
    assert "mtscrobble/api_key" in caplog.text
    assert len(lastfm.requests_for("track.scrobble")) == 1


def test_wrong_secret_is_refused_by_signature(make_delivery, store, lastfm, clock):
    ids = queue(store, 1)
    worker = make_delivery(api_secret="0" * 32)
    worker.step()
    assert worker.status().state == State.BAD_CREDENTIALS
    assert states(store, ids) == ["pending"]


def test_invalid_parameters_are_narrowed_down_to_the_bad_entries(
    make_delivery, store, lastfm, clock
):
    lastfm.invalid_artists = {"Bad Artist"}
    good = queue(store, 9)
    [bad] = queue(store, 1, start=NOW - 3000, artist="Bad Artist")
    worker = make_delivery()
    run_until_idle(worker, clock)
    assert states(store, good) == ["sent"] * 9
    assert store.queue.get(bad).state == "rejected"
    assert "Invalid parameters" in store.queue.get(bad).last_error
    assert len(lastfm.scrobbles_of("alice")) == 9


def test_entries_older_than_14_days_by_the_servers_clock_are_rejected_unsent(
    make_delivery, store, lastfm, clock
):
    [recent] = queue(store, 1, start=NOW - 3600)
    worker = make_delivery()
    run_until_idle(worker, clock)  # the server's answer tells its time
    [old] = queue(store, 1, start=NOW - 15 * DAY)
    worker.queue_changed()
    run_until_idle(worker, clock)
    assert store.queue.get(recent).state == "sent"
    assert store.queue.get(old).state == "rejected"
    assert store.queue.get(old).last_error.startswith("too old")
    assert len(lastfm.requests_for("track.scrobble")) == 1


def test_nothing_expires_by_the_local_clock_alone(make_delivery, store, lastfm, clock):
    # A clock set 20 days ahead would make the whole queue look too old: the
    # server's clock decides, and it takes them.
    ids = queue(store, 3, start=NOW - 3600)
    lastfm.clock = lambda: NOW
    clock.advance(20 * DAY)
    run_until_idle(make_delivery(), clock)
    assert states(store, ids) == ["sent"] * 3


def test_without_a_session_nothing_is_sent_and_expiry_is_warned_daily(
    make_delivery, store, lastfm, clock, caplog
):
    queue(store, 3, start=NOW - 12.5 * DAY)
    worker = make_delivery(user=None)
    assert worker.step() == delivery_module.SESSION_POLL_S
    assert worker.status().state == State.NEEDS_LOGIN
    clock.advance(3600)
    worker.step()
    assert caplog.text.count("3 queued scrobbles will be too old") == 1
    clock.advance(DAY)
    worker.step()
    assert lastfm.requests == []


def test_mobile_login_at_startup_stores_a_private_session_and_reuses_it(
    make_delivery, store, lastfm, clock, tmp_path
):
    lastfm.add_user("bob", password="hunter2")
    ids = queue(store, 1)
    worker = make_delivery(user=None, username="bob", password="hunter2")
    run_until_idle(worker, clock)
    assert states(store, ids) == ["sent"]
    session_file = tmp_path / "session.json"
    assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
    assert "hunter2" not in session_file.read_text()
    worker.close()  # Mopidy stops; the next start reuses the session
    again = make_delivery(user=None, username="bob", password="hunter2")
    again.step()
    assert len(lastfm.requests_for("auth.getMobileSession")) == 1


def test_wrong_password_keeps_the_queue_and_says_what_to_fix(
    make_delivery, store, lastfm, clock, caplog
):
    lastfm.add_user("bob", password="hunter2")
    ids = queue(store, 1)
    worker = make_delivery(user=None, username="bob", password="wrong")
    assert worker.step() == delivery_module.SESSION_POLL_S  # waits for a login
    worker.queue_changed()
    worker.step()
    assert worker.status().state == State.LOGIN_FAILED
    assert len(lastfm.requests_for("auth.getMobileSession")) == 1
    assert "mtscrobble/password" in caplog.text
    assert states(store, ids) == ["pending"]


def test_now_playing_is_sent_once_and_not_retried(make_delivery, store, lastfm, clock):
    lastfm.inject(Fault("lfm", "track.updateNowPlaying", code=11))
    worker = make_delivery()
    worker.now_playing(Track(uri="x:1", artist="A", title="T", length_ms=200_000))
    run_until_idle(worker, clock)
    worker.now_playing(Track(uri="x:2", artist="B", title="U", length_ms=200_000))
    run_until_idle(worker, clock)
    assert len(lastfm.requests_for("track.updateNowPlaying")) == 2
    assert [n["artist"] for n in lastfm.now_playing] == ["B"]


def test_retry_now_skips_the_backoff(make_delivery, store, lastfm, clock):
    port = lastfm.port
    lastfm.stop()
    [entry] = queue(store)
    worker = make_delivery(probe=lambda target: False)
    assert worker.step() > 5
    lastfm.start(port)
    worker.retry_now()
    assert worker.step() == 0.0  # sent
    assert store.queue.get(entry).state == "sent"


def test_long_backlog_is_drained_without_a_single_rate_limit_error(
    make_delivery, store, lastfm, clock
):
    ids = queue(store, 600)
    run_until_idle(make_delivery(), clock)
    assert states(store, ids) == ["sent"] * 600
    assert [r for r in lastfm.requests if r.outcome == "error 29"] == []
    assert len(lastfm.requests_for("track.scrobble")) == 12


def test_a_second_delivery_on_the_same_data_dir_is_refused(make_delivery):
    make_delivery()
    with pytest.raises(StorageError, match="Another process is already sending"):
        make_delivery()


def test_login_with_an_approved_token_connects_and_delivers(
    make_delivery, store, lastfm, clock, tmp_path
):
    ids = queue(store, 2)
    worker = make_delivery(user=None)
    worker.step()
    client = LastfmClient(Settings(**vars(worker.settings)))
    token = client.get_token()
    lastfm.add_user("carol")
    lastfm.authorize(token, "carol")
    future = worker.login_with_token(token)
    run_until_idle(worker, clock)
    assert future.result(timeout=0).username == "carol"
    assert SessionFile(tmp_path, "custom").load().username == "carol"
    assert states(store, ids) == ["sent"] * 2
    assert worker.status().state == State.CONNECTED


def test_login_with_an_unapproved_token_fails_with_the_reason(make_delivery, lastfm):
    worker = make_delivery(user=None)
    token = LastfmClient(Settings(**vars(worker.settings))).get_token()
    future = worker.login_with_token(token)
    worker.step()
    with pytest.raises(TokenNotAuthorizedError):
        future.result(timeout=0)


def test_delivery_state_is_saved_for_commands(make_delivery, store, lastfm, clock):
    lastfm.inject(Fault("lfm", "track.scrobble", code=11))
    queue(store, 1)
    worker = make_delivery()
    worker.step()
    saved = store.delivery_status.load()
    assert saved["state"] == "retrying"
    assert saved["username"] == "alice"
    assert "(error 11)" in saved["last_error"]
    assert int(saved["next_retry_at"]) > NOW


def test_no_secret_is_ever_logged(
    make_delivery, store, lastfm, clock, caplog, settings
):
    caplog.set_level(logging.DEBUG)
    lastfm.add_user("bob", password="hunter2-secret")
    queue(store, 3)
    lastfm.inject(Fault("lost", "track.scrobble"))
    worker = make_delivery(user=None, username="bob", password="hunter2-secret")
    run_until_idle(worker, clock)
    first_key = SessionFile(store.path.parent, "custom").load().key
    lastfm.revoke(first_key)
    queue(store, 1, start=NOW - 100)
    worker.queue_changed()
    run_until_idle(worker, clock)  # refused, so it logs in again
    text = caplog.text
    for secret in [settings.api_secret, "hunter2-secret", first_key, *lastfm.sessions]:
        assert secret not in text


def test_a_new_entry_is_a_reason_to_try_again_during_backoff(
    make_delivery, store, lastfm, clock
):
    port = lastfm.port
    lastfm.stop()
    first = queue(store, 1)
    worker = make_delivery(probe=lambda target: False)
    while not retry_in(worker, clock) > 120:  # a few failures: a long wait
        clock.advance(worker.step())
    lastfm.start(port)
    clock.advance(delivery_module.EARLY_TRY_MIN_GAP_S)
    second = queue(store, 1, start=NOW - 100)
    worker.queue_changed()
    assert worker.step() == 0.0  # the early try: the server answers again
    run_until_idle(worker, clock)
    assert states(store, first + second) == ["sent", "sent"]


def test_no_early_try_right_after_a_request(make_delivery, store, lastfm, clock):
    port = lastfm.port
    lastfm.stop()
    queue(store, 1)
    worker = make_delivery(probe=lambda target: False)
    for _ in range(5):
        clock.advance(worker.step())
    waiting = worker.step()
    queue(store, 1, start=NOW - 100)
    worker.queue_changed()
    assert worker.step() == pytest.approx(waiting)
    lastfm.start(port)


def test_a_failed_early_try_does_not_make_the_backoff_grow(
    make_delivery, store, lastfm, clock
):
    port = lastfm.port
    lastfm.stop()
    queue(store, 1)
    worker = make_delivery(probe=lambda target: False)
    waits = []
    for play in range(6):  # a play every 4 minutes during the outage
        end = clock.monotonic() + 240
        while clock.monotonic() < end:
            delay = worker.step()
            waits.append(delay)
            clock.advance(min(delay, end - clock.monotonic()))
        queue(store, 1, start=NOW + play * 240)
        worker.queue_changed()
    assert worker.connection.backoff.failures <= 6
    assert max(waits) <= BACKOFF_MAX_S
    lastfm.start(port)


def test_now_playing_waits_while_the_server_fails_and_goes_out_when_it_answers(
    make_delivery, store, lastfm, clock
):
    lastfm.inject(Fault("http", "track.scrobble", status=503))
    [entry] = queue(store, 1)
    worker = make_delivery()
    assert worker.step() > 5
    worker.now_playing(Track(uri="x:1", artist="A", title="T", length_ms=200_000))
    worker.step()
    assert lastfm.requests_for("track.updateNowPlaying") == []  # not into a failure
    run_until_idle(worker, clock)
    assert store.queue.get(entry).state == "sent"
    assert [n["artist"] for n in lastfm.now_playing] == ["A"]


def test_a_now_playing_held_past_its_track_is_dropped(
    make_delivery, store, lastfm, clock
):
    lastfm.inject(Fault("http", "track.scrobble", status=503))
    queue(store, 1)
    worker = make_delivery()
    worker.step()
    worker.now_playing(Track(uri="x:1", artist="A", title="T", length_ms=5_000))
    worker.step()
    clock.advance(60)
    run_until_idle(worker, clock)
    assert lastfm.requests_for("track.updateNowPlaying") == []


def test_a_logout_shows_in_the_status_at_once_never_as_starting(
    make_delivery, clock, tmp_path
):
    """Health is built from this status: between a logout read and the next
    round it said "starting" (healthy) while it had no user (a flaky 200)."""
    worker = make_delivery()
    run_until_idle(worker, clock)
    assert worker.status().state == State.CONNECTED
    SessionFile(tmp_path, "custom").clear()  # `mopidy mtscrobble logout`
    worker.connection.load_session()  # a round's first look at the file
    status = worker.status()
    assert (status.username, status.looking) == (None, False)
    assert status.state == State.NEEDS_LOGIN
