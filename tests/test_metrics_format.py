"""The metrics' parts without the web app: the exposition format (parsed
strictly), the request registry (thread-safe), the health rules (a table of
cases), and the counting in the ListenBrainz client against its fake."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mopidy_mtscrobble.errors import (
    ListenRefusedError,
    RateLimitedError,
    UnreachableError,
)
from mopidy_mtscrobble.exposition import Family, render
from mopidy_mtscrobble.health import (
    FAILING_TOO_LONG_S,
    WAITING_TOO_LONG_S,
    Observed,
    problems_of,
)
from mopidy_mtscrobble.listenbrainz import ListenBrainzClient
from mopidy_mtscrobble.metrics import REGISTRY, Registry, error_kind
from mopidy_mtscrobble.store import QueueStats

from .support.delivery_harness import NOW
from .support.listenbrainz_harness import plays, run_until_idle
from .support.prometheus_text import parse

NASTY = ['a"b', "back\\slash", "line\nfeed", "ünïcødé ♫", "", '\\"\n', "}{,="]


def test_the_exposition_has_help_and_type_before_samples_and_parses_back():
    text = render([
        Family("mtscrobble_x_total", "A counter.", "counter")
        .add(3, destination="lastfm", method="track.scrobble", outcome="ok")
        .add(1, destination="lb", method="submit-listens (import)", outcome="error"),
        Family("mtscrobble_empty", "No samples yet.", "gauge"),
        Family("mtscrobble_plain", "Help with \\ and\nnewline.", "gauge").add(1.5),
    ])  # fmt: skip
    lines = text.splitlines()
    assert lines[:2] == ["# HELP mtscrobble_x_total A counter.",
                         "# TYPE mtscrobble_x_total counter"]  # fmt: skip
    parsed = parse(text)
    assert parsed["mtscrobble_x_total"].type == "counter"
    assert parsed["mtscrobble_x_total"].samples[
        (("destination", "lb"), ("method", "submit-listens (import)"),
         ("outcome", "error"))
    ] == 1  # fmt: skip
    assert parsed["mtscrobble_empty"].samples == {}
    assert parsed["mtscrobble_plain"].help == "Help with \\ and\nnewline."
    assert parsed["mtscrobble_plain"].samples[()] == 1.5


@pytest.mark.parametrize("value", NASTY)
def test_label_values_with_quotes_backslashes_and_newlines_are_escaped(value):
    text = render([Family("m", "h", "gauge").add(1, label=value)])
    assert "\n" not in text.split("\n", 2)[2].rstrip("\n")  # one line per sample
    assert parse(text)["m"].samples == {(("label", value),): 1}


@given(values=st.lists(st.text(max_size=30), min_size=1, max_size=5, unique=True),
       help_text=st.text(max_size=50))  # fmt: skip
def test_any_label_value_and_help_text_survive_the_format(values, help_text):
    family = Family("mtscrobble_any", help_text, "gauge")
    for index, value in enumerate(values):
        family.add(index, value=value, other="x")
    parsed = parse(render([family]))["mtscrobble_any"]
    assert parsed.help == help_text
    assert parsed.samples == {
        (("other", "x"), ("value", value)): index for index, value in enumerate(values)
    }


@pytest.mark.parametrize(
    "text",
    [
        "m 1\n",  # no TYPE
        "# TYPE m gauge\nm 1",  # no final line feed
        "# TYPE m gauge\nm 1\n# TYPE n gauge\nn 1\nm 2\n",  # split family
        '# TYPE m gauge\nm{a="x"} 1\nm{a="x"} 2\n',  # duplicate
        '# TYPE m gauge\nm{a="\\t"} 1\n',  # bad escape
        "# TYPE m gauge\nm one\n",  # not a float
        "# TYPE m gauge\n# TYPE m gauge\n",  # TYPE twice
    ],
)
def test_the_strict_parser_refuses_what_the_format_does_not_allow(text):
    with pytest.raises(ValueError, match="line"):
        parse(text)


@pytest.mark.parametrize("name", ["1bad", "has space", "dash-ed"])
def test_bad_metric_names_are_refused_when_made(name):
    with pytest.raises(ValueError, match="not a metric"):
        Family(name, "h", "gauge")


def test_the_registry_counts_exactly_from_many_threads():
    registry = Registry(clock=lambda: 100.0)
    start = threading.Barrier(8)

    def count():
        start.wait()
        for _ in range(5_000):
            registry.request("lastfm", "track.scrobble", None)
            registry.request("lb", "submit-listens", UnreachableError("down"))

    threads = [threading.Thread(target=count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seen = registry.snapshot()
    assert seen.requests[("lastfm", "track.scrobble", "ok")] == 40_000
    assert seen.requests[("lb", "submit-listens", "error")] == 40_000
    assert seen.errors == {("lb", "unreachable"): 40_000}
    assert seen.last_success_at == {"lastfm": 100.0}
    assert seen.failing_since == {"lb": 100.0}


def test_a_failing_run_starts_at_its_first_failure_and_ends_at_a_success():
    now = [1000.0]
    registry = Registry(clock=lambda: now[0])
    registry.request("lb", "x", RateLimitedError("slow down", 60))
    now[0] = 2000.0
    registry.request("lb", "x", UnreachableError("down"))
    assert registry.snapshot().failing_since == {"lb": 1000.0}
    assert registry.snapshot().last_failure == {"lb": "unreachable"}
    registry.request("lb", "x", None)
    assert registry.snapshot().failing_since == {}
    # A refused item is an answer: the server is reachable.
    registry.request("lb", "x", ListenRefusedError("bad listen"))
    assert registry.snapshot().failing_since == {}


@pytest.mark.parametrize(
    ('error', 'kind'),
    [(UnreachableError("x"), "unreachable"), (RateLimitedError("x", 1), "rate_limited"),
     (ListenRefusedError("x"), "listen_refused")],
)  # fmt: skip
def test_error_kinds_are_snake_case_names(error, kind):
    assert error_kind(error) == kind


def observed(**changes):
    values = {
        "name": "lastfm", "server": "Last.fm", "state": "connected",
        "connected": True, "message": "connected as (user)", "starting": False,
        "running": True, "queue": None, "failing_since": None, "last_failure": None,
    }  # fmt: skip
    values.update(changes)
    return Observed(**values)


def waiting_since(seconds_ago):
    return QueueStats({"pending": 1}, int(NOW - seconds_ago), None)


@pytest.mark.parametrize(
    ('changes', 'problem'),
    [
        ({}, None),
        ({"state": "retrying", "failing_since": NOW - 60}, None),  # backing off
        ({"queue": waiting_since(WAITING_TOO_LONG_S - 1)}, None),
        ({"connected": False, "starting": True}, None),  # logging in at start
        ({"failing_since": NOW - FAILING_TOO_LONG_S, "last_failure": "unreachable"},
         "no request has worked for 60 minutes (unreachable)"),
        ({"queue": waiting_since(2 * WAITING_TOO_LONG_S)}, "a play has waited 2 hours"),
        ({"running": False}, "its delivery is not running"),
        ({"state": "needs login", "connected": False,
          "message": "not connected: run 'mopidy mtscrobble login'"},
         "Last.fm: not connected: run 'mopidy mtscrobble login'"),
    ],
)  # fmt: skip
def test_health_rules(changes, problem):
    found = problems_of(observed(**changes), NOW)
    if problem is None:
        assert found == []
    else:
        [only] = found
        assert problem in only


def test_listenbrainz_requests_are_counted_by_destination_call_and_outcome(
    make_lb_delivery, store, listenbrainz, clock
):
    def client(destination, proxy=None):
        return ListenBrainzClient(
            destination.token, destination.url, server_name=destination.display_name,
            verify=listenbrainz.client_context(), clock=clock.wall,
            destination=destination.name,
        )  # fmt: skip

    before = REGISTRY.snapshot().requests
    plays(store, 7, destinations=("counted",))
    worker = make_lb_delivery(name="counted", client_factory=client)
    run_until_idle(worker, clock)
    assert len(listenbrainz.listens_of("alice")) == 7
    after = REGISTRY.snapshot().requests
    made = {}
    for request in listenbrainz.requests:
        made[request.call] = made.get(request.call, 0) + 1
    counted = {
        method: after[key] - before.get(key, 0)
        for key in after
        if key[0] == "counted" and key[2] == "ok"
        for method in [key[1]]
    }
    assert sum(counted.values()) == len(listenbrainz.requests)
    assert counted["submit-listens (import)"] == made["submit-listens"]
    assert counted["validate-token"] == made["validate-token"]
