"""The fake ListenBrainz server in a process of its own, for end-to-end tests."""

from __future__ import annotations

import json
import pathlib
import ssl
import subprocess
import sys
import urllib.request
from typing import Any

from ..support.secret_scan import note_secret

REPO_ROOT = pathlib.Path(__file__).parent.parent.parent


class ListenBrainzProcess:
    def __init__(
        self, directory: pathlib.Path, users: dict[str, str], maloja: bool = False
    ) -> None:
        """A fake in `directory` knowing `users` (name -> token)."""
        self.ca_file = directory / "fake-listenbrainz-ca.pem"
        for token in users.values():
            note_secret(token)
        user_args = [a for u, t in users.items() for a in ("--user", f"{u}:{t}")]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.listenbrainz",
             "--ca-file", str(self.ca_file), *user_args,
             *(["--maloja"] if maloja else [])],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError("the fake ListenBrainz server did not start")
        self.base_url = json.loads(line)["base_url"]
        self._context = ssl.create_default_context(cafile=str(self.ca_file))

    def admin(self, action: str, **body: Any) -> Any:
        url = self.base_url.split("/", 3)[:3]
        request = urllib.request.Request(
            "/".join(url) + f"/_admin/{action}",
            data=json.dumps(body).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, context=self._context, timeout=30) as a:
            return json.load(a)

    def state(self) -> dict[str, Any]:
        return self.admin("state")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
