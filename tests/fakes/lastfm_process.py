"""The fake Last.fm server in a process of its own, for end-to-end tests."""

from __future__ import annotations

import json
import pathlib
import ssl
import subprocess
import sys
import urllib.request
from typing import Any

from ..support import held_ports
from ..support.secret_scan import note_secret

REPO_ROOT = pathlib.Path(__file__).parent.parent.parent
SYSTEM_CA_FILE = pathlib.Path("/etc/ssl/certs/ca-certificates.crt")
START_TIMEOUT_S = 30


class LastfmProcess:
    def __init__(
        self,
        directory: pathlib.Path,
        rate_limit: int = 5,
        port: int = 0,
        sessions: dict[str, str] | None = None,
    ) -> None:
        """A fake in `directory`; started again there, it keeps its CA."""
        self.ca_file = directory / "fake-lastfm-ca.pem"
        ca_key = directory / "fake-lastfm-ca.key"
        session_args = [
            a for u, k in (sessions or {}).items() for a in ("--session", f"{u}:{k}")
        ]
        if port:
            held_ports.release(port)  # kept since a fake stopped there
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.lastfm",
             "--ca-file", str(self.ca_file), "--ca-key", str(ca_key),
             "--rate-limit", str(rate_limit), "--port", str(port), *session_args],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError("the fake Last.fm server did not start")
        info = json.loads(line)
        self.url, self.api_key, self.api_secret = (
            info["url"], info["api_key"], info["api_secret"],
        )  # fmt: skip
        note_secret(self.api_secret)
        self.port = int(self.url.split(":")[2].split("/")[0])
        self._context = ssl.create_default_context(cafile=str(self.ca_file))
        # What a Mopidy process must trust: the system's CAs and the fake's.
        self.bundle = directory / "ca-bundle.pem"
        system = SYSTEM_CA_FILE.read_text() if SYSTEM_CA_FILE.exists() else ""
        self.bundle.write_text(system + self.ca_file.read_text())

    def admin(self, action: str, **body: Any) -> dict[str, Any]:
        url = self.url.replace("/2.0/", f"/_admin/{action}")
        request = urllib.request.Request(
            url, data=json.dumps(body).encode(), method="POST"
        )
        with urllib.request.urlopen(
            request, context=self._context, timeout=90
        ) as answer:
            result = json.load(answer)
        note_secret(result.get("session_key"))
        return result

    def state(self) -> dict[str, Any]:
        return self.admin("state")

    def wait_for_request(self, method: str, timeout_s: float = 60) -> dict[str, Any]:
        """Returns once a request of `method` has reached the server."""
        return self.admin("wait", method=method, timeout=timeout_s)

    def stop(self) -> None:
        """Stopped: connections are refused, and the port stays ours for a
        fake started again on it (see held_ports)."""
        self.process.terminate()
        self.process.wait(10)
        held_ports.hold(self.port, self)
