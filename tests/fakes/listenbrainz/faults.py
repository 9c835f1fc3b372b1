"""The failures the fake injects: which kinds there are, and how each answers."""

from __future__ import annotations

import collections
import dataclasses
import random
import threading

from .wire import Answer, Drop, error

# The kinds of injected failure. Before the request is applied: http (a status
# with a proxy's HTML page), hang (then drop), reset (drop), portal (a captive
# portal's HTML page with 200), not_json (200, bytes that are no JSON), odd
# (200, a JSON object of no expected shape). After it is applied: lost (the
# connection drops), malformed (200, a cut-off answer), applied_http (a 5xx).
BEFORE_KINDS = {"http", "hang", "reset", "portal", "not_json", "odd"}
# Not a failure of the server but its refusal of the content, with a reason
# (e.g. a 400 the real server would give a request it cannot take).
REFUSE = "refuse"
AFTER_KINDS = {"lost", "malformed", "applied_http"}
APPLIED_THEN_LOST = frozenset(AFTER_KINDS)
FAULT_WEIGHTS = {
    "http": 6,
    "hang": 2,
    "reset": 3,
    "portal": 1,
    "not_json": 1,
    "odd": 2,
    "lost": 4,
    "malformed": 2,
    "applied_http": 3,
}
PORTAL_PAGE = (
    b"<!DOCTYPE html><html><head><title>Welcome to Cafe WiFi</title></head>"
    b"<body><form action='/login'>Accept the terms to continue</form></body></html>"
)


@dataclasses.dataclass
class Fault:
    """One injected failure; see BEFORE_KINDS and AFTER_KINDS."""

    kind: str
    call: str | None = None  # None: any call (see CALLS)
    count: int = 1
    status: int = 503
    seconds: float | None = 0.0  # hang: how long; None: until stop()
    message: str = "Refused by the fake server"  # refuse: the JSON error's text


class RandomFaults:
    """A fault for a share of the requests, of every kind by weight; counted."""

    def __init__(self, rng: random.Random, rate: float) -> None:
        self._rng, self._rate = rng, rate
        self.counts: collections.Counter[str] = collections.Counter()

    def __call__(self, call: str) -> Fault | None:
        if self._rng.random() >= self._rate:
            return None
        kinds = list(FAULT_WEIGHTS)
        kind = self._rng.choices(kinds, [FAULT_WEIGHTS[k] for k in kinds])[0]
        self.counts[kind] += 1
        status = self._rng.choice([500, 502, 503, 504])
        return Fault(kind, status=status, seconds=0.002)


def before(fault: Fault, hangs: threading.Event) -> None:
    """Answer (or drop) in the fault's way, before the request is applied."""
    if fault.kind == "http":
        raise Answer(
            fault.status, b"<html><body>Bad gateway</body></html>", "text/html"
        )
    if fault.kind == "hang":
        hangs.wait(fault.seconds)
        raise Drop
    if fault.kind == "reset":
        raise Drop
    if fault.kind == "portal":
        raise Answer(200, PORTAL_PAGE, "text/html")
    if fault.kind == "not_json":
        raise Answer(200, b"\xff\xfe{not json", "application/json")
    if fault.kind == "odd":
        raise Answer(200, {"unexpected": ["shape"]})
    if fault.kind == REFUSE:
        raise error(fault.status, fault.message)
    raise ValueError(fault.kind)


def after(fault: Fault) -> None:
    """Answer (or drop) in the fault's way, once the request is applied."""
    if fault.kind == "lost":
        raise Drop
    if fault.kind == "malformed":
        raise Answer(200, b'{"status": "o', "application/json")
    if fault.kind == "applied_http":
        raise Answer(
            fault.status, b"<html><body>Bad gateway</body></html>", "text/html"
        )
    raise ValueError(fault.kind)
