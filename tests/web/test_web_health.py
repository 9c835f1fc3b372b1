"""GET /mtscrobble/api/health and /mtscrobble/metrics through the real app: a
real frontend and delivery, sending to the fake Last.fm."""

from __future__ import annotations

import json
import threading
import time

from mopidy_mtscrobble.delivery.states import State
from mopidy_mtscrobble.metrics import REGISTRY
from mopidy_mtscrobble.store import DB_FILENAME, NewScrobble, Store

from ..fakes.lastfm import Fault
from ..support.prometheus_text import parse
from .case import WebCase


def wait_for(condition, timeout_s=30):
    done = threading.Event()
    for _ in range(int(timeout_s / 0.05)):
        if condition():
            return
        done.wait(0.05)
    raise AssertionError("condition never became true")


class HealthCase(WebCase):
    """Plays queued as the frontend queues them; no tests here."""

    def queue(self, count, queued_at=None):
        now = time.time()
        store = Store.open(self.data_dir, now)
        for i in range(count):
            scrobble = NewScrobble("Singer", f"Song {i}", int(now) - 600 + i)
            store.queue.enqueue(scrobble, queued_at or now)
        store.close()
        self.frontend.delivery.get().queue_changed()

    def sent(self):
        store = Store.open(self.data_dir, time.time())
        try:
            return store.queue.counts()["sent"]
        finally:
            store.close()


class HealthTest(HealthCase):
    def test_healthy_with_nothing_to_do(self):
        code, body = self.request("GET", "/api/health")
        assert code == 200, body
        assert body["healthy"] is True
        assert body["problems"] == []
        [lastfm] = body["destinations"]
        assert (lastfm["name"], lastfm["running"], lastfm["waiting"]) == (
            "lastfm",
            True,
            0,
        )
        assert "alice" not in str(body)  # no username, no secret
        self.no_secret_in(body)

    def test_healthy_after_sending_and_the_success_is_dated(self):
        self.queue(3)
        wait_for(lambda: self.sent() == 3)
        code, body = self.request("GET", "/api/health")
        assert code == 200, body
        assert body["destinations"][0]["last_success_at"] >= body["checked_at"] - 60

    def test_503_when_the_delivery_thread_does_not_run(self):
        self.frontend.delivery.get().stop()
        code, body = self.request("GET", "/api/health")
        assert code == 503
        assert body["healthy"] is False
        assert "delivery is not running" in body["problems"][0]

    def test_503_when_a_play_waited_over_an_hour_and_the_server_fails(self):
        self.lastfm.inject(Fault("http", "track.scrobble", count=10**6))
        self.queue(1, queued_at=time.time() - 2 * 3600)
        self.lastfm.wait_for_request("track.scrobble")
        code, body = self.request("GET", "/api/health")
        assert code == 503
        assert "a play has waited 2 hours to be sent" in body["problems"][0]

    def test_503_when_logged_out(self):
        code, _ = self.request("POST", "/api/logout")
        assert code == 200
        delivery = self.frontend.delivery.get()
        delivery.retry_now()  # notices the session file at its next round
        # Not `username is None` alone: that holds too before delivery has
        # first read the session (it was, once, when the logout came first),
        # and health rightly calls that "starting".
        wait_for(lambda: delivery.status().state == State.NEEDS_LOGIN)
        code, body = self.request("GET", "/api/health")
        assert code == 503
        assert "mopidy mtscrobble login" in body["problems"][0]

    def test_503_when_the_extension_does_not_run_or_the_database_is_damaged(self):
        self.frontend.actor_ref.stop()
        (self.data_dir / DB_FILENAME).write_bytes(b"damaged " * 2000)
        code, body = self.request("GET", "/api/health")
        assert code == 503
        assert "not running" in body["problems"][0]
        assert "The database cannot be read" in body["problems"][1]
        code, body = self.request("GET", "/metrics")
        assert code == 503
        assert "damaged" in body["error"]

    def test_503_when_the_database_does_not_answer_in_time(self):
        # The database's thread is busy (as with a lock held by another
        # program) until the health check has answered.
        release = threading.Event()
        context = self.context_of_app()
        context._store_thread.submit(release.wait)
        try:  # waits longer than the web app's own timeouts
            answer = self.io_loop.run_sync(
                lambda: self.http_client.fetch(
                    self.get_url("/api/health"), raise_error=False
                ),
                timeout=30,
            )
        finally:
            release.set()
        code, body = answer.code, json.loads(answer.body)
        assert code == 503
        assert (
            "The database cannot be read: The database is busy" in body["problems"][0]
        )

    def test_only_get(self):
        for path in ("/api/health", "/metrics"):
            code, body = self.request("POST", path)
            assert code == 405, path
            assert isinstance(body, dict)


class MetricsTest(HealthCase):
    def metrics(self):
        answer = self.fetch("/metrics")
        assert answer.code == 200
        assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = answer.body.decode()
        assert self.lastfm.api_secret not in text
        assert self.session_key not in text
        assert "alice" not in text
        return parse(text)

    def test_metrics_count_what_was_sent(self):
        key = ("lastfm", "track.scrobble", "ok")
        before = REGISTRY.snapshot().requests.get(key, 0)
        self.queue(5)
        wait_for(lambda: self.sent() == 5)
        found = self.metrics()
        queue = found["mtscrobble_queue_entries"].samples
        assert queue[(("destination", "lastfm"), ("state", "sent"))] == 5
        assert queue[(("destination", "lastfm"), ("state", "pending"))] == 0
        requests = found["mtscrobble_requests_total"]
        assert requests.type == "counter"
        sent = requests.samples[
            (("destination", "lastfm"), ("method", "track.scrobble"), ("outcome", "ok"))
        ]
        assert sent - before == len(self.lastfm.requests_for("track.scrobble")) >= 1
        assert found["mtscrobble_healthy"].samples[()] == 1
        assert found["mtscrobble_delivery_running"].samples == {
            (("destination", "lastfm"),): 1
        }
        last = found["mtscrobble_last_sent_timestamp_seconds"].samples
        assert last[(("destination", "lastfm"),)] >= time.time() - 60
        running = found["mtscrobble_import_running"].samples
        assert running == {(("kind", "loved"),): 0, (("kind", "playcounts"),): 0}
        assert "mtscrobble_history_plays" in found

    def test_failed_requests_are_counted_by_kind(self):
        before = REGISTRY.snapshot().errors
        self.lastfm.inject(Fault("http", "track.scrobble", count=1, status=503))
        self.queue(1)

        def grown():
            errors = self.metrics()["mtscrobble_errors_total"].samples
            after = {(d, k): n for ((_, d), (_, k)), n in errors.items()}
            return {
                k: n - before.get(k, 0)
                for k, n in after.items()
                if k[0] == "lastfm" and n - before.get(k, 0)
            }

        # A 503 to a scrobble: whether it was taken is not known (it is
        # looked for in the listing later, not sent again at once).
        wait_for(lambda: grown() != {})
        assert grown() == {("lastfm", "answer_lost"): 1}
