"""Threads for work that waits (the database, asks of actors): the web app's
requests, and the backend's edits of the loved playlist.

Like `concurrent.futures.ThreadPoolExecutor`, but with daemon threads: Python
waits for a ThreadPoolExecutor's threads when Mopidy exits, so one request
still waiting on a locked database or a slow actor would hold up Mopidy's
stop. A request cut short that way was never answered; what it wrote is
committed whole or not at all (SQLite).
"""

from __future__ import annotations

import concurrent.futures
import queue
import threading
from collections.abc import Callable
from typing import Any


class DaemonExecutor(concurrent.futures.Executor):
    def __init__(self, max_workers: int, thread_name_prefix: str) -> None:
        self._work: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._max_workers = max_workers
        self._prefix = thread_name_prefix
        self._threads: list[threading.Thread] = []
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._shutdown = False

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new work after shutdown")
            self._work.put((future, fn, args, kwargs))
            if not self._idle.acquire(blocking=False) and (
                len(self._threads) < self._max_workers
            ):
                thread = threading.Thread(
                    target=self._run,
                    name=f"{self._prefix}_{len(self._threads)}",
                    daemon=True,
                )
                self._threads.append(thread)
                thread.start()
        return future

    def _run(self) -> None:
        while True:
            item = self._work.get()
            if item is None:
                return
            future, fn, args, kwargs = item
            if not future.set_running_or_notify_cancel():
                self._idle.release()
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # handed to whoever waits on it
                self._idle.release()  # before the answer: the next work finds it
                future.set_exception(exc)
            else:
                self._idle.release()
                future.set_result(result)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            for _ in self._threads:
                self._work.put(None)
        if wait:
            for thread in self._threads:
                thread.join()
