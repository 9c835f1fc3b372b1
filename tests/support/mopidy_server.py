"""A real `mopidy` process for tests: start it, read its log, talk to it, stop it."""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

from .secret_scan import note_text

START_TIMEOUT_SECONDS = 60.0
# Mopidy 4 logs through rich, which wraps lines at the terminal's width and
# pads every line to it: wide enough for any line, not so wide that thousands
# of DEBUG lines become megabytes each.
UNWRAPPED_LOGS = {"COLUMNS": "2000"}
# Mopidy with the extension stops within this of SIGTERM, whatever the
# network or the database do (tests/process/test_stopping.py holds it to it).
STOP_LIMIT_S = 5.0
# A stop in any test that takes longer fails with every thread's stack:
# Python's faulthandler (PYTHONFAULTHANDLER, set for every Mopidy we start)
# prints them on SIGABRT, into the log the test shows.
STOP_DUMP_AFTER_S = 10.0
DUMP_WAIT_S = 10.0
# Every Mopidy process of the tests: thread stacks on a fatal signal.
DEBUG_ENV = {"PYTHONFAULTHANDLER": "1"}


LOG_LINES_ON_FAILURE = 300


LOWEST_PORT = 10_000
EPHEMERAL_PORTS = Path("/proc/sys/net/ipv4/ip_local_port_range")


# Ports handed out, by this process and (files naming their PIDs) by the other
# test processes of this machine: a port is free only when nobody binds it AND
# nobody was given it, since it is bound later. Once, Mopidy's HTTP and MPD
# servers were given the same port (two picks before either bound it).
CLAIMS = Path(tempfile.gettempdir()) / "mtscrobble-test-ports"
_given: set[int] = set()


def free_port() -> int:
    """A free port for a server to bind later, chosen at random below the
    kernel's range for outgoing connections: port 0's answer is in that range,
    where any connection (to a fake server, of another test worker) may take
    it before the server binds it. Never one given before (see CLAIMS)."""
    try:
        first_ephemeral = int(EPHEMERAL_PORTS.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        first_ephemeral = 32_768
    chooser = random.SystemRandom()
    while True:
        port = chooser.randrange(LOWEST_PORT, max(first_ephemeral, LOWEST_PORT + 1))
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # taken: another one
        if _claim(port):
            return port


def _claim(port: int, again: bool = True) -> bool:
    """Whether `port` is ours now: given to nobody before, or only to a
    process gone since."""
    if port in _given:
        return False
    CLAIMS.mkdir(exist_ok=True)
    path = CLAIMS / str(port)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        try:
            pid = int(path.read_text())
        except (OSError, ValueError):
            return False  # being written: someone's
        if _alive(pid) or not again:
            return False
        path.unlink(missing_ok=True)  # left by a process gone
        return _claim(port, again=False)
    with os.fdopen(fd, "w") as claim:
        claim.write(str(os.getpid()))
    _given.add(port)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_config(path: Path, sections: Mapping[str, Mapping[str, object]]) -> Path:
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {value}" for key, value in values.items())
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def base_config(root: Path, http_port: int) -> dict[str, dict[str, object]]:
    return {
        "core": {
            "data_dir": root / "data",
            "cache_dir": root / "cache",
            "config_dir": root / "config",
            "restore_state": "false",
        },
        "logging": {"verbosity": 1, "format": "%(levelname)s %(name)s %(message)s"},
        # Mopidy 4's verbosity 1 leaves extensions at INFO; their DEBUG lines count.
        "loglevels": {"mopidy_mtscrobble": "debug"},
        "audio": {"output": "fakesink sync=true"},
        "http": {"hostname": "127.0.0.1", "port": http_port},
        "mpd": {"enabled": "false"},
        "mtscrobble": {},
    }


def mopidy_command(*args: str) -> list[str]:
    # The console script beside this Python: Mopidy 4 has no `python -m mopidy`.
    return [str(Path(sys.executable).parent / "mopidy"), *args]


class LogWatcher:
    """Collects a process's output lines and lets a test wait for one to appear."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            note_text(line)
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    closed = False

    def wait_closed(self, timeout: float) -> None:
        """Until the process closed its output (all it said is in `lines`)."""
        with self._changed:
            self._changed.wait_for(lambda: self.closed, timeout)

    def wait_for(self, pattern: str, timeout: float = START_TIMEOUT_SECONDS) -> str:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if regex.search(line):
                        return line
                remaining = deadline - time.monotonic()
                if self.closed or remaining <= 0:
                    raise AssertionError(
                        f"no log line matched {pattern!r}; log was:\n" + self.text
                    )
                self._changed.wait(remaining)

    def wait_for_count(
        self, pattern: str, count: int, timeout: float = START_TIMEOUT_SECONDS
    ) -> None:
        """Wait until `count` lines match `pattern`."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while sum(bool(regex.search(line)) for line in self.lines) < count:
                remaining = deadline - time.monotonic()
                if self.closed or remaining <= 0:
                    raise AssertionError(
                        f"fewer than {count} log lines matched {pattern!r}; "
                        "log was:\n" + self.text
                    )
                self._changed.wait(remaining)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def stop_in_time(
    process: subprocess.Popen, log: LogWatcher, *, group: bool = False
) -> float:
    """SIGTERM, as systemd's stop or `kill PID`; returns the seconds Mopidy took.

    One still running after STOP_DUMP_AFTER_S is sent SIGABRT (to its whole
    process group with `group`: Mopidy under a wrapper), so that faulthandler
    prints where every thread waits, and the test fails with that.
    """
    start = time.monotonic()
    if process.poll() is not None:
        return 0.0
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_DUMP_AFTER_S)
    except subprocess.TimeoutExpired:
        if group:
            os.killpg(process.pid, signal.SIGABRT)
        else:
            process.send_signal(signal.SIGABRT)
        try:
            process.wait(DUMP_WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.wait_closed(DUMP_WAIT_S)
        lines = log.lines[-LOG_LINES_ON_FAILURE:]
        raise AssertionError(
            f"Mopidy did not stop within {STOP_DUMP_AFTER_S:.0f} s of SIGTERM; "
            "where its threads were (faulthandler), at the end of its log:\n"
            + "\n".join(lines)
        ) from None
    return time.monotonic() - start


class MopidyServer:
    def __init__(
        self, config_path: Path, http_port: int, env: Mapping[str, str]
    ) -> None:
        self.http_port = http_port
        self.config_path, self.env = config_path, env
        self.process = subprocess.Popen(
            mopidy_command("--config", str(config_path)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **UNWRAPPED_LOGS, **DEBUG_ENV, **env},
        )
        self.log = LogWatcher(self.process.stdout)
        self.stop_seconds: float | None = None

    def rpc(self, method: str, **params: object) -> object:
        return rpc(self.http_port, method, **params)

    def wait_until_serving(self) -> None:
        """Returns once the core answers JSON-RPC; fails if the process exits first."""
        self.log.wait_for(r"HTTP server running at")
        assert self.process.poll() is None, self.log.text
        assert self.rpc("core.get_version")

    def stop(self) -> int:
        if self.stop_seconds is None and self.process.poll() is None:
            self.stop_seconds = stop_in_time(self.process, self.log)
        return self.process.returncode


@contextlib.contextmanager
def running_mopidy(
    root: Path,
    mtscrobble: Mapping[str, object],
    extra: Mapping[str, Mapping[str, object]] | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[MopidyServer]:
    port = free_port()
    sections = base_config(root, port)
    sections["mtscrobble"].update(mtscrobble)
    for name, values in (extra or {}).items():
        sections.setdefault(name, {}).update(values)
    config_path = write_config(root / "mopidy.conf", sections)
    server = MopidyServer(config_path, port, env or {})
    try:
        server.wait_until_serving()
        yield server
    except BaseException:
        # A failing test shows what Mopidy said (pytest prints it beside the
        # failure): a wait that ran out says nothing of why by itself.
        lines = server.log.lines[-LOG_LINES_ON_FAILURE:]
        print("Mopidy's log, last lines:", *lines, sep="\n", file=sys.stderr)
        raise
    finally:
        server.stop()


def command_config(
    root: Path,
    mtscrobble: Mapping[str, object],
    extra: Mapping[str, Mapping[str, object]] | None = None,
) -> Path:
    sections = base_config(root, free_port())
    sections["mtscrobble"].update(mtscrobble)
    for name, values in (extra or {}).items():
        sections.setdefault(name, {}).update(values)
    return write_config(root / "mopidy.conf", sections)


def run_mopidy_command(
    root: Path,
    mtscrobble: Mapping[str, object],
    *args: str,
    env: Mapping[str, str] | None = None,
    extra: Mapping[str, Mapping[str, object]] | None = None,
):
    config_path = command_config(root, mtscrobble, extra)
    result = subprocess.run(
        mopidy_command("-q", "--config", str(config_path), *args),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **UNWRAPPED_LOGS, **DEBUG_ENV, **(env or {})},
    )
    note_text(result.stdout + result.stderr)
    return result


def rpc(port: int, method: str, **params: object) -> object:
    """Calls Mopidy's JSON-RPC API on 127.0.0.1:PORT; fails on an error answer."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/mopidy/rpc",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        reply = json.load(answer)
    if "error" in reply:
        raise AssertionError(f"{method} failed: {reply['error']}")
    return reply["result"]
