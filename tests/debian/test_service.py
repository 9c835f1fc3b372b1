"""Debian's packaged Mopidy as the system service, with the extension installed
the README's way, in clean Debian 12 and Debian 13 systems.

The steps of one system build on each other, in this order: pip install, deps,
a root command refused, login, the service playing, a file root left behind.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from ..fakes.lastfm_process import LastfmProcess
from ..support.audio_files import write_track
from ..support.mopidy_server import DEBUG_ENV, LogWatcher, free_port, rpc, stop_in_time
from ..support.secret_scan import note_text
from .system import REPO, SERVICE_CONFIG, DebianSystem, build_roots, readme_line

SUITES = {"bookworm": "3.4.1", "trixie": "3.4.2"}  # Debian's mopidy in each
# What pip adds to /usr/local: only what Debian has not (Debian 12's httpx is 0.23).
PIP_ADDS = {
    "bookworm": {"mopidy_mtscrobble", "pylast", "httpx", "httpcore", "h11"},
    "trixie": {"mopidy_mtscrobble", "pylast"},
}
DEBIAN_PYLAST = {"bookworm": "4.1.0", "trixie": "5.3.0"}
# What Mopidy names first when only Debian's packages are there: on Debian 12
# its httpx (0.23) is too old as well, and that is checked first.
FIRST_UNMET = {
    "bookworm": "httpx>=0.26 required, but found httpx 0.23.3",
    "trixie": "pylast<7.1,>=6.0 required, but found pylast 5.3.0",
}
DATA_DIR = "/var/lib/mopidy/mtscrobble"
UNIT_TEST_PACKAGES = (
    "python3-pytest", "python3-hypothesis", "python3-trustme", "python3-pytest-xdist",
)  # fmt: skip
# Each system's unit suite on xdist workers (both systems run at once).
UNIT_WORKERS = 2
LOGS = REPO / "_local" / "test-logs"
# Both systems' unit suites together: a limit for a hang, not a speed target
# (about 10 minutes alone; with two make test runs at once, over 15).
UNIT_SUITE_LIMIT_S = 2400
TRACK_SECONDS = 31


@pytest.fixture(scope="session")
def roots():
    build_roots(*SUITES)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(folder),
         "."],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    (path,) = folder.glob("mopidy_mtscrobble-*.whl")
    return path


@pytest.fixture(scope="session")
def lastfm(tmp_path_factory):
    server = LastfmProcess(tmp_path_factory.mktemp("lastfm"))
    server.admin("user", name="alice")
    yield server
    server.stop()


def install_the_readme_way(system: DebianSystem, wheel) -> subprocess.CompletedProcess:
    """The README's pip line, with the wheel built from this tree for the name."""
    (system.file("/tmp") / wheel.name).write_bytes(wheel.read_bytes())
    pip = readme_line("sudo python3 -m pip install")
    command = [w for w in pip[1:] if w != "Mopidy-MTScrobble"]
    return system.run(*command, f"/tmp/{wheel.name}")


def apt_install_downloaded(system: DebianSystem, *packages: str) -> None:
    """Debian packages the root's build downloaded, installed offline."""
    system.run("apt-get", "install", "-y", "-q", "--no-download",
               "--no-install-recommends", *packages, check=True)  # fmt: skip


@pytest.fixture(scope="module", params=list(SUITES))
def system(request, roots, wheel, lastfm, tmp_path_factory):
    """A clean system with the README's pip line run (the wheel for the name)."""
    suite = request.param
    system = DebianSystem(suite, tmp_path_factory.mktemp(suite))
    try:
        system.trust(lastfm.ca_file)
        system.pip = install_the_readme_way(system, wheel)
        yield system
    finally:
        system.close()


def service_config(system: DebianSystem, lastfm: LastfmProcess) -> None:
    """The user's part of /etc/mopidy/mopidy.conf: the API account."""
    config = system.file("/etc/mopidy/mopidy.conf")
    config.write_text(
        config.read_text()
        + "\n[mtscrobble]\nnetwork = custom\n"
        + f"api_url = {lastfm.url}\napi_key = {lastfm.api_key}\n"
        + f"api_secret = {lastfm.api_secret}\nscrobble_threshold = 50\n"
    )


def mopidyctl(system: DebianSystem, *args: str) -> subprocess.CompletedProcess:
    result = system.run("mopidyctl", *args)
    note_text(result.stdout + result.stderr)
    return result


def test_pip_installs_only_what_debian_has_not(system):
    output = system.pip.stdout + system.pip.stderr
    assert system.pip.returncode == 0, output
    assert "Cannot uninstall" not in output
    site = next(system.file("/usr/local/lib").glob("python3*/dist-packages"))
    added = {
        p.name.removesuffix(".py")
        for p in site.iterdir()
        if not p.name.endswith((".dist-info", "__pycache__"))
    }
    assert added == PIP_ADDS[system.suite]
    assert re.search(r"pylast-7\.0\.\d+", output)


def test_deps_lists_the_extension_enabled_under_debians_mopidy(system):
    result = mopidyctl(system, "deps")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    version = SUITES[system.suite]
    assert f"Mopidy: {version} from /usr/lib/python3/dist-packages" in output
    assert re.search(r"mopidy-mtscrobble: 0\.\d+\.\d+ from /usr/local/lib", output)
    assert "Traceback" not in output
    config = mopidyctl(system, "config")
    assert config.returncode == 0, config.stdout + config.stderr
    assert "[mtscrobble]\nenabled = true\n" in config.stdout


def test_a_command_as_root_leaves_nothing_and_says_what_to_run(system):
    result = system.run(
        "/usr/bin/mopidy", "--config", SERVICE_CONFIG, "mtscrobble", "status"
    )
    assert result.returncode == 1
    assert (
        f"sudo -u mopidy /usr/bin/mopidy --config {SERVICE_CONFIG} mtscrobble status"
        in result.stdout
    )
    assert "sudo mopidyctl mtscrobble status" in result.stdout
    found = system.run("find", "/var/lib/mopidy", "-user", "root", check=True)
    assert found.stdout == ""


def test_login_through_mopidyctl(system, lastfm):
    service_config(system, lastfm)
    login = subprocess.Popen(
        system.argv("mopidyctl", "mtscrobble", "login", "--poll-interval", "0.2"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines = []
    for line in login.stdout:
        lines.append(line)
        if match := re.search(r"(https://\S+/api/auth/\S+)", line):
            break
    else:
        raise AssertionError("no authorization link:\n" + "".join(lines))
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(match.group(1)).query)
    lastfm.admin("authorize", token=token["token"][0], user="alice")
    rest, _ = login.communicate(timeout=60)
    note_text("".join(lines) + rest)
    assert login.returncode == 0, "".join(lines) + rest
    assert re.search(r"Connected to \S+ as alice", rest), rest
    session = system.file(f"{DATA_DIR}/session.json")
    assert oct(session.stat().st_mode & 0o777) == "0o600"
    owners = system.run("find", DATA_DIR, "!", "-user", "mopidy", check=True)
    assert owners.stdout == ""


def test_the_service_plays_queues_and_sends(system, lastfm, tmp_path):
    music = system.file("/srv/music")
    uri = write_track(
        tmp_path / "song.ogg", artist="Debian Artist", title=f"On {system.suite}",
        seconds=TRACK_SECONDS,
    )  # fmt: skip
    music.mkdir(parents=True)
    (music / "song.ogg").write_bytes((tmp_path / "song.ogg").read_bytes())
    assert uri.endswith("song.ogg")
    port = free_port()
    service = subprocess.Popen(
        system.as_service(
            "-o", f"http/port={port}", "-o", "http/hostname=127.0.0.1",
            "-o", "audio/output=fakesink sync=true",
            "-o", "file/media_dirs=/srv/music", "-o", "file/metadata_timeout=10000",
            "-o", "loglevels/mopidy_mtscrobble=info",
        ),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    log = LogWatcher(service.stdout)
    try:
        log.wait_for(r"Mopidy-MTScrobble started: scrobbling to")
        log.wait_for(r"HTTP server running at")
        rpc(port, "core.tracklist.add", uris=["file:///srv/music/song.ogg"])
        rpc(port, "core.playback.play")
        log.wait_for(rf"Queued scrobble #\d+: Debian Artist - On {system.suite}")
        log.wait_for(r"Sent 1 scrobbles to .*: 1 accepted")
        status = mopidyctl(system, "mtscrobble", "status")
        queue = mopidyctl(system, "mtscrobble", "queue")
    finally:
        stop_in_time(service, log)
    assert service.returncode == 0, log.text
    assert "Traceback" not in log.text
    title = f"On {system.suite}"
    sent = [s for s in lastfm.state()["scrobbles"] if s["track"] == title]
    assert [s["artist"] for s in sent] == ["Debian Artist"]
    assert status.returncode == 0, status.stdout + status.stderr
    assert "Connection: connected as alice" in status.stdout
    assert "0 pending, 0 in flight, 0 rejected, 1 sent in the last 24 h" in (
        status.stdout
    )
    assert queue.returncode == 0, queue.stdout + queue.stderr
    assert "The queue is empty." in queue.stdout


def test_a_file_root_left_behind_is_reported_with_the_chown(system):
    left = system.file(f"{DATA_DIR}/mtscrobble.db-wal")
    left.write_bytes(b"")  # made by root
    refused = mopidyctl(system, "mtscrobble", "queue")
    assert refused.returncode == 1
    assert "mtscrobble.db-wal there belongs to root" in refused.stdout
    chown = f"sudo chown -R mopidy:audio {DATA_DIR}"
    assert chown in refused.stdout
    system.run(*chown.split()[1:], check=True)
    fixed = mopidyctl(system, "mtscrobble", "queue")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


@pytest.mark.parametrize("suite", list(SUITES))
def test_debians_own_pylast_is_reported_by_mopidy(suite, roots, wheel, tmp_path):
    """Debian's python3-pylast is too old: Mopidy says so, without a traceback."""
    system = DebianSystem(suite, tmp_path)
    try:
        apt_install_downloaded(system, "python3-pylast")
        (system.file("/tmp") / wheel.name).write_bytes(wheel.read_bytes())
        system.run("python3", "-m", "pip", "install", "--break-system-packages",
                   "--no-deps", f"/tmp/{wheel.name}", check=True)  # fmt: skip
        deps = mopidyctl(system, "deps")
        status = mopidyctl(system, "mtscrobble", "status")
    finally:
        system.close()
    said = status.stdout + status.stderr
    assert "Traceback" not in deps.stdout + deps.stderr + said
    assert f"pylast: {DEBIAN_PYLAST[suite]}" in deps.stdout
    assert f"Disabled extension mtscrobble: {FIRST_UNMET[suite]}" in said
    assert "Unable to run command provided by disabled extension" in said
    assert status.returncode == 1


def test_the_unit_suite_passes_under_debians_mopidy(roots, wheel, tmp_path):
    """The installed wheel under Debian's Mopidy, Pykka, Tornado and Python, with
    Debian's own pytest, hypothesis and trustme; both systems at once."""
    systems, runs = [], []
    try:
        for suite in SUITES:
            system = DebianSystem(suite, tmp_path / suite)
            systems.append(system)
            apt_install_downloaded(system, *UNIT_TEST_PACKAGES)
            installed = install_the_readme_way(system, wheel)
            assert installed.returncode == 0, installed.stdout + installed.stderr
            source = system.file("/work/src")
            source.mkdir(parents=True)
            skip = shutil.ignore_patterns("__pycache__")
            for part in ("tests", "scripts", "bench"):
                shutil.copytree(REPO / part, source / part, ignore=skip)
            shutil.copy(REPO / "pyproject.toml", source)
            command = (
                "cd /work/src && python3 -m pytest -p no:cacheprovider -q tests "
                "--ignore=tests/e2e --ignore=tests/browser "
                f"-n {UNIT_WORKERS} --dist loadscope"
            )
            # Straight into the log make test counts (scripts/test_stages.py),
            # so that what ran is there even if the limit below cuts it short.
            LOGS.mkdir(parents=True, exist_ok=True)
            with (LOGS / f"debian-unit-{suite}.log").open("w") as log:
                runs.append(subprocess.Popen(
                    system.argv("sh", "-c", command, env=DEBUG_ENV),
                    stdout=log, stderr=subprocess.STDOUT,
                ))  # fmt: skip
        deadline = time.monotonic() + UNIT_SUITE_LIMIT_S
        for run in runs:
            run.wait(max(0.0, deadline - time.monotonic()))
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait()
        for system in systems:
            system.close()
    for suite, run in zip(SUITES, runs, strict=True):
        output = (LOGS / f"debian-unit-{suite}.log").read_text("utf-8", "replace")
        note_text(output)
        assert run.returncode == 0, f"{suite}:\n{output[-20_000:]}"
        assert re.search(r"\d+ passed", output.splitlines()[-1]), output[-2_000:]
