"""How long Mopidy's own JSON-RPC and page take while a slow request of ours
waits, in a real Mopidy process: never held up by it."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

RPC_LIMIT_S = 0.1
# A blocked event loop makes a call wait for the whole hold-up (seconds); a
# busy machine delays a call now and then by a few milliseconds. So: nine in
# ten calls within the limit, and none anywhere near the hold-up.
BLOCKED_S = 1.0


def assert_never_held_up(took: list[float]) -> None:
    ordered = sorted(took)
    assert ordered[len(ordered) * 9 // 10 - 1] < RPC_LIMIT_S, took
    assert ordered[-1] < BLOCKED_S, took


CREDENTIALS = {"api_key": "k" * 32, "api_secret": "TOPSECRETVALUE"}


def call(url: str, body: dict | None, timeout: float = 60) -> int:
    """POST `body`, or GET when it is None; the status of the answer."""
    request = urllib.request.Request(
        url, data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


class Slow(threading.Thread):
    """A request of ours that takes long, in the background."""

    def __init__(self, url: str, body: dict | None) -> None:
        super().__init__(daemon=True)
        self.url, self.body, self.status = url, body, None
        self.start()

    def run(self) -> None:
        self.status = call(self.url, self.body)


def rpc_latencies(mopidy, while_running: Slow, samples: int = 10) -> list[float]:
    """How long Mopidy's own JSON-RPC takes while `while_running` waits: at
    least `samples` calls, and more until the slow request has ended."""
    return latencies(lambda: mopidy.rpc("core.get_version"), while_running, samples)


def page_latencies(mopidy, while_running: Slow, samples: int = 10) -> list[float]:
    """How long Mopidy's page of web clients takes while `while_running` waits."""
    url = f"http://127.0.0.1:{mopidy.http_port}/mopidy/"

    def fetch() -> bool:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status == 200

    return latencies(fetch, while_running, samples)


def latencies(ask, while_running: Slow, samples: int) -> list[float]:
    took = []
    while len(took) < samples or while_running.is_alive():
        started = time.monotonic()
        assert ask()
        took.append(time.monotonic() - started)
        if len(took) == samples:
            assert while_running.is_alive(), "the slow request ended too soon"
        if len(took) > 1000:
            break
    return took
