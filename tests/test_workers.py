"""The web app's worker threads: a pool like ThreadPoolExecutor's, whose
threads never hold up Mopidy's exit."""

from __future__ import annotations

import threading

import pytest

from mopidy_mtscrobble.workers import DaemonExecutor


def test_work_runs_on_daemon_threads_and_answers_through_its_future():
    pool = DaemonExecutor(2, "Test")
    try:
        thread = pool.submit(threading.current_thread).result(timeout=10)
        assert thread.daemon
        assert thread.name.startswith("Test_")
        assert pool.submit(divmod, 7, 2).result(timeout=10) == (3, 1)
    finally:
        pool.shutdown()


def test_an_error_reaches_whoever_waits_and_the_thread_goes_on():
    pool = DaemonExecutor(1, "Test")
    try:
        with pytest.raises(ZeroDivisionError):
            pool.submit(divmod, 1, 0).result(timeout=10)
        assert pool.submit(len, "abc").result(timeout=10) == 3
    finally:
        pool.shutdown()


def test_no_more_threads_than_asked_while_work_waits():
    pool = DaemonExecutor(2, "Test")
    release = threading.Event()
    try:
        blocked = [pool.submit(release.wait) for _ in range(5)]
        assert (
            len({t.name for t in threading.enumerate() if t.name.startswith("Test_")})
            == 2
        )
        release.set()
        assert all(f.result(timeout=10) for f in blocked)
    finally:
        release.set()
        pool.shutdown()


def test_an_idle_thread_takes_the_next_work_instead_of_a_new_one():
    pool = DaemonExecutor(4, "Test")
    try:
        for _ in range(5):
            pool.submit(len, "x").result(timeout=10)
        assert sum(t.name.startswith("Test_") for t in threading.enumerate()) == 1
    finally:
        pool.shutdown()
