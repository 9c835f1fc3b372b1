"""`make test`: every stage of the suite, side by side, and a table of them.

The stages mostly wait (real Mopidy processes, real-time playback, Chromium,
Debian roots), so up to MAX_AT_ONCE run together, the longest first; each
writes its whole output to _local/test-logs/STAGE.log, and a failing stage's
last lines are shown here. The table at the end gives each stage's result,
the tests it ran and its seconds; the last line counts them all.

What each stage proves (and so why the unit suite does not run everywhere):
docs/testing.rst.

Usage: python scripts/test_stages.py [--only STAGE,...] [--at-once N]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import os
import pathlib
import re
import subprocess
import sys
import threading
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
LOGS = REPO / "_local" / "test-logs"
VENV_BIN = REPO / "_local" / "venv" / "bin"
# Two cores: three stages at once keep both busy while one of them waits.
MAX_AT_ONCE = 3
# xdist workers per unit run: its tests mostly wait on threads and processes.
UNIT_WORKERS = "3"
TAIL_LINES_ON_FAILURE = 80
UNIT = ["tests", "--ignore=tests/e2e", "--ignore=tests/browser"]
XDIST = ["-n", UNIT_WORKERS, "--dist", "loadscope"]
SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)\b")


@dataclasses.dataclass
class Stage:
    slug: str
    title: str
    command: list[str]
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    # Files of inner pytest runs (Debian's unit suites) whose counts are ours too.
    inner_logs: tuple[str, ...] = ()


@dataclasses.dataclass
class Result:
    stage: Stage
    code: int
    seconds: float
    counts: dict[str, int]


def tox(*args: str) -> list[str]:
    return [str(VENV_BIN / "tox"), "run", "--skip-pkg-install", *args]


STAGES = [
    Stage(
        "debian",
        "Debian's Mopidy service and unit suite, clean Debian 12 and 13",
        [str(VENV_BIN / "python"), "-m", "pytest", "-p", "no:cacheprovider",
         "tests/debian"],
        {"MTSCROBBLE_DEBIAN_SYSTEMS": "1"},
        ("debian-unit-bookworm.log", "debian-unit-trixie.log"),
    ),
    Stage(
        "mopidy4",
        "Mopidy 4.0 in a Debian 13 root: unit suite and end to end",
        ["scripts/debian13.sh", "test"],
    ),
    Stage(
        "e2e",
        "Mopidy 3.4 end to end with mpc",
        tox("-e", "e2e", "--", "tests/e2e", "-n", "2"),
    ),
    Stage(
        "browser",
        "Mopidy 3.4 pages in Chromium",
        tox("-e", "browser", "--", "tests/browser", "-n", "2"),
    ),
    Stage("py311", "Mopidy 3.4 unit suite, Python 3.11",
          tox("-e", "py311", "--", *UNIT, *XDIST)),
    Stage("py312", "Mopidy 3.4 unit suite, Python 3.12",
          tox("-e", "py312", "--", *UNIT, *XDIST)),
    Stage("lint", "lint: ruff, mypy, README", tox("-e", "lint")),
]  # fmt: skip


# Made before any stage runs, side by side (each mostly waits on downloads).
PREPARE = [
    Stage(
        "tox-setup",
        "tox's environments",
        [str(VENV_BIN / "tox"), "run-parallel", "-p", "2", "-e",
         "py311,py312,lint,e2e,browser", "--notest"],
    ),
    Stage("debian13-root", "the Debian 13 root", ["scripts/debian13.sh", "build"]),
    Stage(
        "debian-roots",
        "the Debian 12 and 13 service roots",
        ["scripts/debian-service.sh", "build", "bookworm", "trixie"],
    ),
]  # fmt: skip


def counts_of(text: str) -> dict[str, int]:
    """Summed over every pytest summary line (`== 3 passed, 1 skipped in 2s ==`)."""
    found: dict[str, int] = {}
    for line in text.splitlines():
        if not re.match(r"^=+ .* in [\d.]+s", line) and not re.match(
            r"^\d+ (passed|failed)", line
        ):
            continue
        for number, word in SUMMARY.findall(line):
            word = "errors" if word.startswith("error") else word
            found[word] = found.get(word, 0) + int(number)
    return found


class Runner:
    def __init__(self) -> None:
        self._print = threading.Lock()

    def say(self, text: str) -> None:
        with self._print:
            print(text, flush=True)

    def run(self, stage: Stage) -> Result:
        log = LOGS / f"{stage.slug}.log"
        self.say(f"make test: {stage.title}: started (output in {log})")
        start = time.monotonic()
        with log.open("w") as output:
            code = subprocess.call(
                stage.command,
                cwd=REPO,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **stage.env},
            )
        seconds = time.monotonic() - start
        text = log.read_text("utf-8", errors="replace")
        counts = counts_of(text)
        for name in stage.inner_logs:  # Debian's unit suites, run inside
            inner = LOGS / name
            if inner.exists():
                found = counts_of(inner.read_text("utf-8", errors="replace"))
                for word, number in found.items():
                    counts[word] = counts.get(word, 0) + number
        verdict = "passed" if code == 0 else f"FAILED (exit {code})"
        self.say(f"make test: {stage.title}: {verdict} in {seconds:.0f} s")
        if code != 0:
            tail = text.splitlines()[-TAIL_LINES_ON_FAILURE:]
            self.say("\n".join([f"---- last lines of {log}:", *tail, "----"]))
        return Result(stage, code, seconds, counts)


def table(results: list[Result], wall_s: float) -> str:
    rows = [("stage", "result", "passed", "failed", "skipped", "seconds")]
    for r in results:
        c = r.counts
        rows.append((
            r.stage.title, "ok" if r.code == 0 else "FAILED",
            str(c.get("passed", 0)), str(c.get("failed", 0) + c.get("errors", 0)),
            str(c.get("skipped", 0)), f"{r.seconds:.0f}",
        ))  # fmt: skip
    rows.append(("all, side by side (wall clock)", "", "", "", "", f"{wall_s:.0f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        cells = [
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells))
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated stages: " + ", ".join(
        s.slug for s in STAGES))  # fmt: skip
    parser.add_argument("--at-once", type=int, default=MAX_AT_ONCE)
    args = parser.parse_args()
    chosen = STAGES
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {s.slug for s in STAGES}
        if unknown:
            parser.error(f"no such stage: {', '.join(sorted(unknown))}")
        chosen = [s for s in STAGES if s.slug in wanted]
    LOGS.mkdir(parents=True, exist_ok=True)
    for old in LOGS.glob("*.log"):
        old.unlink()
    if os.geteuid() != 0:
        print(
            "make test builds Debian roots and runs tests in them (debootstrap, "
            "chroot, mounts): run it as root.",
            file=sys.stderr,
        )
        return 1
    runner = Runner()
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(len(PREPARE)) as pool:
        prepared = list(pool.map(runner.run, PREPARE))
    if any(r.code != 0 for r in prepared):
        print(table(prepared, time.monotonic() - start))
        print("total: 0 passed, 1 failed")
        return 1
    with concurrent.futures.ThreadPoolExecutor(args.at_once) as pool:
        results = list(pool.map(runner.run, chosen))
    wall_s = time.monotonic() - start
    print("\n" + table([*prepared, *results], wall_s))
    passed = sum(r.counts.get("passed", 0) for r in results)
    failed = sum(r.counts.get("failed", 0) + r.counts.get("errors", 0) for r in results)
    # A stage that failed outside its tests (lint, a setup) counts as one.
    failed += sum(
        1
        for r in results
        if r.code != 0 and not r.counts.get("failed") and not r.counts.get("errors")
    )
    broken = [r for r in results if r.code != 0]
    print(f"total: {passed} passed, {failed} failed")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
