from __future__ import annotations

import logging
import os

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from mopidy_mtscrobble import Extension

from .support import secret_scan
from .support.delivery_harness import clock, make_delivery, settings, store  # noqa: F401
from .support.listenbrainz_harness import listenbrainz, make_lb_delivery  # noqa: F401

# The Debian systems' test builds Debian roots and needs root: only the
# Makefile's stage (make test-debian) asks for it.
if not os.environ.get("MTSCROBBLE_DEBIAN_SYSTEMS"):
    collect_ignore = ["debian"]

# Property tests explore the same examples on every run: CI is reproducible.
# Nothing in them is timed by the wall clock (speed is the benchmarks' to
# prove): Hypothesis's too_slow health check failed a right test on a loaded
# machine (two make test runs at once), and its 200 ms deadline another
# (run 72, under stress-ng: one example took 780 ms once, 9 ms again).
hypothesis_settings.register_profile(
    "deterministic",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.load_profile("deterministic")


@pytest.fixture
def extension() -> Extension:
    return Extension()


@pytest.fixture
def schema(extension):
    return extension.get_config_schema()


@pytest.fixture
def lastfm(tmp_path_factory):
    """The fake Last.fm server on 127.0.0.1, trusted by pylast in this process."""
    import pylast

    from .fakes.lastfm import FakeLastfm

    server = FakeLastfm().start()
    ca = server.ca_file(tmp_path_factory.mktemp("ca") / "ca.pem")
    pylast.SSL_CONTEXT.load_verify_locations(ca)
    yield server
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def no_secret_in_any_log():
    """After all tests: no secret the tests made appears in any log or output."""
    collector = secret_scan.Collector()
    collector.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    yield
    root.removeHandler(collector)
    root.setLevel(previous_level)
    assert secret_scan.leaks() == []
