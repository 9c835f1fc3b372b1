"""A throwaway Debian system: an overlay on a cached root (scripts/debian-service.sh).

Everything a test does in it (pip's files in /usr/local, the service's data) is
gone when it closes; the cached root stays as debootstrap and apt made it.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
from collections.abc import Mapping

REPO = pathlib.Path(__file__).parent.parent.parent
SCRIPT = REPO / "scripts" / "debian-service.sh"
SERVICE_CONFIG = "/usr/share/mopidy/conf.d:/etc/mopidy/mopidy.conf"
HOST_CA_FILE = pathlib.Path(
    os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
)
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
COMMAND_TIMEOUT_S = 300


def build_roots(*suites: str) -> None:
    subprocess.run([str(SCRIPT), "build", *suites], check=True)


def readme_line(prefix: str) -> list[str]:
    """The README's command line that starts with `prefix`, as words."""
    for line in (REPO / "README.rst").read_text("utf-8").splitlines():
        if line.strip().startswith(prefix):
            return line.split()
    raise AssertionError(f"README.rst has no line starting with {prefix!r}")


class DebianSystem:
    def __init__(self, suite: str, workdir: pathlib.Path) -> None:
        lower = subprocess.run(
            [str(SCRIPT), "root", suite], capture_output=True, text=True, check=True
        ).stdout.strip()
        self.suite = suite
        self.path = workdir / "merged"
        self._mounts: list[pathlib.Path] = []
        upper, work = workdir / "upper", workdir / "work"
        for folder in (self.path, upper, work):
            folder.mkdir(parents=True)
        try:
            layers = f"lowerdir={lower},upperdir={upper},workdir={work}"
            self._mount("-t", "overlay", "overlay", "-o", layers)
        except subprocess.CalledProcessError:
            # No overlayfs here: a copy (slower, the same result).
            self.path.rmdir()
            subprocess.run(["cp", "-a", lower, str(self.path)], check=True)
        self._mount("-t", "proc", "proc", subdir="proc")
        self._mount("--bind", "/dev", subdir="dev")
        shutil.copy(HOST_CA_FILE, self.path / "etc/ssl/certs/host-ca.crt")
        shutil.copy("/etc/resolv.conf", self.path / "etc/resolv.conf")

    def _mount(self, *args: str, subdir: str = "") -> None:
        target = self.path / subdir
        subprocess.run(["mount", *args, str(target)], check=True, capture_output=True)
        self._mounts.append(target)

    def close(self) -> None:
        for target in reversed(self._mounts):
            subprocess.run(["umount", "-l", str(target)], check=False)
        self._mounts.clear()

    def file(self, path: str) -> pathlib.Path:
        return self.path / path.lstrip("/")

    def trust(self, ca_file: pathlib.Path) -> None:
        """Add a CA to the system's trust store (OpenSSL's default bundle)."""
        bundle = self.file("/etc/ssl/certs/ca-certificates.crt")
        bundle.write_text(bundle.read_text() + ca_file.read_text())

    def argv(self, *command: str, env: Mapping[str, str] | None = None) -> list[str]:
        variables = {
            "HOME": "/root", "LANG": "C.UTF-8", "PATH": PATH,
            "DEBIAN_FRONTEND": "noninteractive",
            "PIP_CERT": "/etc/ssl/certs/host-ca.crt",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_ROOT_USER_ACTION": "ignore",
            **(env or {}),
        }  # fmt: skip
        pairs = [f"{k}={v}" for k, v in variables.items()]
        return ["chroot", str(self.path), "/usr/bin/env", "-i", *pairs, *command]

    def run(self, *command: str, check: bool = False) -> subprocess.CompletedProcess:
        result = subprocess.run(
            self.argv(*command), capture_output=True, text=True,
            timeout=COMMAND_TIMEOUT_S, check=False,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} failed ({result.returncode}):\n"
                + result.stdout
                + result.stderr
            )
        return result

    def as_service(self, *mopidy_args: str) -> list[str]:
        """The service's command line (systemd's ExecStart), run as `mopidy`."""
        return self.argv(
            "setpriv", "--reuid=mopidy", "--regid=audio", "--init-groups", "--",
            "/usr/bin/mopidy", "--config", SERVICE_CONFIG, *mopidy_args,
            env={"HOME": "/var/lib/mopidy", "PYTHONFAULTHANDLER": "1"},
        )  # fmt: skip
