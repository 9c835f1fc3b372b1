"""A seeded fault campaign: the real frontend (in a real Mopidy core), store and
delivery against the fake Last.fm server, in simulated time, with the world
misbehaving in every way we know of.

Each seed plays over a thousand tracks across twenty simulated days while 30 %
of the server's answers are faults of every kind, 5 % of the tracks carry bad
metadata, the local clock jumps, the network goes down, the database gets
locked, and delivery is restarted or killed at random points. At the end the
world heals for an hour, and then every qualified play must be at the server
exactly once, or rejected with a reason that `mopidy mtscrobble queue
--rejected` shows; nothing may be left waiting, nothing may be duplicated or
lost, and the supervisor must never have caught an unexpected error.

Run a few seeds: `python -m tests.campaign --seeds 20` (what `make chaos` does).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import functools
import io
import pathlib
import random
import sqlite3
import sys
import tempfile
import time
from typing import Any

import pykka
import pylast

from mopidy_mtscrobble import commands
from mopidy_mtscrobble.delivery import Delivery
from mopidy_mtscrobble.frontend import MTScrobbleFrontend
from mopidy_mtscrobble.lastfm import LastfmClient
from mopidy_mtscrobble.probe import tcp_probe
from mopidy_mtscrobble.ratelimit import RateLimiter
from mopidy_mtscrobble.settings import Settings
from mopidy_mtscrobble.store import DB_FILENAME

from .builders import model_track
from .fake_lastfm import FakeLastfm
from .fake_lastfm.server import APPLIED_THEN_LOST, RandomFaults
from .fake_player import FakeClock, ManualScheduler, Player, start_core
from .test_frontend import config_for

START_WALL = 1_700_000_000.0
DAY_S = 86_400.0
HOUR_S = 3600.0
USER, PASSWORD = "alice", "campaign-password"
TAG = "#"  # every title ends with "#<play number>", to find its scrobble
FAULT_RATE = 0.3
BAD_METADATA_RATE = 0.05
MAX_BODY_BYTES = 64 * 1024
MAX_BUSY_ROUNDS = 10_000  # rounds in a row that ask for the next one at once


class SimulatedKill(BaseException):
    """kill -9: nothing after it runs (not an Exception: nothing catches it)."""


@dataclasses.dataclass
class Outcome:
    seed: int
    plays: int = 0
    qualified: int = 0
    faults: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    accepted: int = 0
    rejected: collections.Counter = dataclasses.field(
        default_factory=collections.Counter
    )
    duplicates: int = 0
    lost: int = 0
    waiting: int = 0
    unexpected_errors: int = 0
    problems: list[str] = dataclasses.field(default_factory=list)
    simulated_days: float = 0.0
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


class KillableClient(LastfmClient):
    """The real client; the campaign may kill the process around a request."""

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._campaign = campaign

    def _call(self, method: str, params: dict[str, Any], sign: bool):
        self._campaign.maybe_kill("before " + method)
        try:
            return super()._call(method, params, sign)
        finally:
            self._campaign.maybe_kill("after " + method)


class DeliveryHandle:
    """What the frontend tells, forwarded to whichever delivery runs now."""

    def __init__(self) -> None:
        self.worker: Delivery | None = None

    def now_playing(self, track) -> None:
        if self.worker is not None:
            self.worker.now_playing(track)

    def queue_changed(self) -> None:
        if self.worker is not None:
            self.worker.queue_changed()


class Campaign:
    def __init__(
        self,
        seed: int,
        folder: pathlib.Path,
        plays: int = 1000,
        days: float = 20,
        kill_rate: float = 0.004,
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.folder = folder
        self.play_count = plays
        self.days = days
        self.kill_rate = kill_rate
        self.outcome = Outcome(seed)
        self.clock = FakeClock(START_WALL)
        self.true_start = START_WALL - self.clock.monotonic()
        # Some servers cannot list recent scrobbles: then answers applied but
        # lost cannot be told apart, so those faults are left out.
        self.no_recent_tracks = seed % 5 == 4
        self.killing = False
        self.lock_holder: sqlite3.Connection | None = None
        self.lock_until: float | None = None
        self.server_down_until: float | None = None
        self.clock_fixed_at: float | None = None
        self.expected: dict[int, bool] = {}  # play number -> should be scrobbled

    # The world.

    def true_time(self) -> float:
        return self.true_start + self.clock.monotonic()

    def maybe_kill(self, where: str) -> None:
        if self.no_recent_tracks and where.startswith("after"):
            return  # applied, then unknown: that server cannot tell
        if self.killing and self.rng.random() < self.kill_rate:
            self.outcome.faults["kill " + where.split()[0]] += 1
            raise SimulatedKill(where)

    # Set-up.

    def start(self) -> None:
        self.server = FakeLastfm(clock=self.true_time).start()
        self.server.rate_clock = self.clock.monotonic
        self.server.max_body_bytes = MAX_BODY_BYTES
        if self.no_recent_tracks:
            self.server.methods_missing = {"user.getRecentTracks"}
        self.server.passwords[USER] = PASSWORD
        pylast.SSL_CONTEXT.load_verify_locations(
            self.server.ca_file(self.folder / "ca.pem")
        )
        self.config = self._config()
        self.tracks = [self._track(n) for n in range(self.play_count)]
        self.core, self.audio = start_core(self.config, self.tracks)
        self.handle = DeliveryHandle()
        self.scheduler = ManualScheduler(self.clock)
        self._start_frontend()
        self._start_delivery()
        without = APPLIED_THEN_LOST if self.no_recent_tracks else frozenset()
        self.faults = RandomFaults(random.Random(self.seed), FAULT_RATE, without)
        self.server.fault_source = self.faults

    def _config(self) -> dict[str, Any]:
        return config_for(
            self.folder,
            network="custom",
            api_url=self.server.url,
            api_key=self.server.api_key,
            api_secret=self.server.api_secret,
            username=USER,
            password=PASSWORD,
        )

    def _track(self, n: int):
        rng = self.rng
        length_ms = rng.randint(35, 420) * 1000
        title, artists, track_no = f"Song {TAG}{n}", (f"Artist {n % 37}",), 3
        eligible = True
        if rng.random() < BAD_METADATA_RATE:
            kind = rng.choice([
                "surrogate", "nul", "controls", "huge_number", "oversized",
                "blank_artist", "emoji",
            ])  # fmt: skip
            self.outcome.faults["metadata " + kind] += 1
            if kind == "surrogate":
                title, artists = f"Caf\udce9 {TAG}{n}", ("B\udcffnd",)
            elif kind == "nul":
                title = f"Nu\x00ll {TAG}{n}"
            elif kind == "controls":
                title, artists = f"\x01Ctl\x1f\ufffe {TAG}{n}", ("\x07Bell",)
            elif kind == "huge_number":
                track_no = 2**70
            elif kind == "oversized":
                title = "x" * (2 * MAX_BODY_BYTES) + f" {TAG}{n}"
            elif kind == "blank_artist":
                artists, eligible = (" \x00 ",), False
            else:
                title = f"\U0001f3b5 \u202eabc\u202c {TAG}{n}"
        self.expected[n] = eligible
        return model_track(
            uri=f"dummy:{n}",
            name=title,
            artists=artists,
            length_ms=length_ms,
            track_no=track_no,
        )

    def _start_frontend(self) -> None:
        self.frontend = MTScrobbleFrontend.start(
            self.config,
            self.core,
            clock=self.clock,
            scheduler=self.scheduler,
            delivery=self.handle,
            store_lock_wait_s=0.01,
            match_library=False,
        ).proxy()
        self.player = Player(self.core, self.audio, self.clock, self.frontend)
        self.player.sync()

    def _start_delivery(self) -> None:
        settings = Settings.from_config(self.config["mtscrobble"])
        limiter = RateLimiter(clock=self.clock.monotonic, sleep=self._pass_time)
        worker = Delivery(
            settings,
            self.folder / "mtscrobble",
            clock=self.clock,
            rng=random.Random(self.rng.random()),
            client_factory=functools.partial(
                KillableClient, limiter=limiter, campaign=self
            ),
            probe=tcp_probe,
            store_lock_wait_s=0.01,
        )
        self.handle.worker = worker
        self.delivery_opened = False  # opened in run_until, as the thread does
        self.delivery_wake_at: float | None = self.clock.monotonic()

    def _kill_delivery(self) -> None:
        """What the OS does for a killed process: its files and locks go."""
        self.outcome.unexpected_errors += self.handle.worker.unexpected_errors
        self.handle.worker.close()
        self.handle.worker = None
        self._start_delivery()

    def _restart_mopidy(self) -> None:
        self.outcome.faults["Mopidy restart"] += 1
        self.frontend.actor_ref.stop()
        self.outcome.unexpected_errors += self.handle.worker.unexpected_errors
        self.handle.worker.close()
        self.handle.worker = None
        self._start_frontend()
        self._start_delivery()

    # Time.

    def _pass_time(self, seconds: float) -> None:
        """Time passes: the clock moves, and so does the position of what plays."""
        self.player.advance(seconds)

    def run_until(self, target: float) -> None:
        """Let everything but the listener act until monotonic time `target`."""
        busy_rounds = 0
        while True:
            now = self.clock.monotonic()
            self._world_events(now)
            if self.scheduler.fire_due():
                self.player.sync()
            worker = self.handle.worker
            if worker.consume_wake() or (
                self.delivery_wake_at is not None and now >= self.delivery_wake_at
            ):
                if not self.delivery_opened:
                    delay = worker.try_open()
                    self.delivery_opened = delay is None
                    self.delivery_wake_at = now + (delay or 0.0)
                    continue
                busy_rounds += 1
                if busy_rounds > MAX_BUSY_ROUNDS:
                    raise AssertionError("delivery keeps asking for rounds at once")
                self.killing = True
                try:
                    delay = worker.run_round()
                except SimulatedKill:
                    self._kill_delivery()
                    continue
                finally:
                    self.killing = False
                now = self.clock.monotonic()
                self.delivery_wake_at = None if delay is None else now + delay
                if delay == 0.0:
                    continue
            due = [target]
            if self.delivery_wake_at is not None:
                due.append(self.delivery_wake_at)
            due += [t.due for t in self.scheduler.pending()]
            due += self._next_world_event()
            step = min(due) - now
            if now >= target:
                return
            busy_rounds = 0
            self._pass_time(max(step, 0.001))

    def _world_events(self, now: float) -> None:
        if self.server_down_until is not None and now >= self.server_down_until:
            self.server.start(self.server_port)
            self.server_down_until = None
        if self.lock_until is not None and now >= self.lock_until:
            self._unlock()
        if self.clock_fixed_at is not None and now >= self.clock_fixed_at:
            # NTP sets the clock right again.
            self.clock.jump(self.true_time() - self.clock.wall())
            self.clock_fixed_at = None

    def _next_world_event(self) -> list[float]:
        times = [self.server_down_until, self.lock_until, self.clock_fixed_at]
        return [t for t in times if t is not None]

    def _unlock(self) -> None:
        if self.lock_holder is not None:
            self.lock_holder.execute("ROLLBACK")
            self.lock_holder.close()
        self.lock_holder = self.lock_until = None

    def _disturb(self) -> None:
        """Between plays, now and then: the world misbehaves a little more."""
        rng = self.rng
        roll = rng.random()
        now = self.clock.monotonic()
        if roll < 0.02 and self.server_down_until is None:
            self.outcome.faults["network down"] += 1
            self.server_port = self.server.port
            self.server.stop()
            self.server_down_until = now + rng.choice([60, 600, 3600, 6 * 3600])
        elif roll < 0.03 and self.clock_fixed_at is None:
            self.outcome.faults["clock step"] += 1
            steps = [-DAY_S, -HOUR_S, HOUR_S, 3 * DAY_S, 30 * DAY_S]
            self.clock.jump(rng.choice(steps))
            self.clock_fixed_at = now + rng.choice([60, 3600, DAY_S])
        elif roll < 0.04 and self.lock_holder is None:
            self.outcome.faults["database locked"] += 1
            path = self.folder / "mtscrobble" / DB_FILENAME
            self.lock_holder = sqlite3.connect(path, isolation_level=None, timeout=5)
            self.lock_holder.execute("BEGIN IMMEDIATE")
            self.lock_until = now + rng.choice([10, 120, 1800])
        elif roll < 0.045:
            self.outcome.faults["session revoked"] += 1
            for key in list(self.server.sessions):
                self.server.revoke(key)
        elif roll < 0.05:
            self._restart_mopidy()

    # The listener.

    def listen(self) -> None:
        rng = self.rng
        gap_s = self.days * DAY_S / self.play_count
        for n in range(self.play_count):
            self._disturb()
            self.run_until(self.clock.monotonic() + rng.expovariate(1 / gap_s))
            track = self.tracks[n]
            self.player.play(track.uri)
            self.outcome.plays += 1
            length_s = track.length / 1000
            if rng.random() < 0.8:  # heard to the end
                if rng.random() < 0.2:
                    self.run_until(self.clock.monotonic() + length_s / 3)
                    self.player.pause()
                    self.run_until(self.clock.monotonic() + rng.randint(5, 600))
                    self.player.resume()
                    self.run_until(self.clock.monotonic() + length_s * 2 / 3 + 1)
                else:
                    self.run_until(self.clock.monotonic() + length_s + 1)
            else:  # skipped long before the threshold
                self.expected[n] = False
                self.run_until(self.clock.monotonic() + rng.uniform(1, length_s * 0.4))
            self.player.stop()
        self.outcome.qualified = sum(self.expected.values())

    def heal(self) -> None:
        """The world is well again: an hour of healthy server, then we look."""
        self.server.fault_source = None
        now = self.clock.monotonic()
        for name in ("server_down_until", "lock_until", "clock_fixed_at"):
            if getattr(self, name) is not None:
                setattr(self, name, now)
        self.run_until(self.clock.monotonic() + HOUR_S)
        self.outcome.simulated_days = (self.true_time() - START_WALL) / DAY_S

    # The verdict.

    def judge(self) -> Outcome:
        outcome = self.outcome
        worker = self.handle.worker
        outcome.unexpected_errors += worker.unexpected_errors
        outcome.faults.update(self.faults.counts)
        at_server = collections.Counter(
            _play_number(s["track"]) for s in self.server.scrobbles_of(USER)
        )
        db = sqlite3.connect(self.folder / "mtscrobble" / DB_FILENAME)
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT id, track, state, last_error FROM scrobbles"
        ).fetchall()
        db.close()
        queued = collections.defaultdict(list)
        for row in rows:
            queued[_play_number(row["track"])].append(row)
        shown = self._rejected_shown()
        for n, wanted in self.expected.items():
            copies = at_server[n]
            entries = queued.get(n, [])
            if copies > 1:
                outcome.duplicates += copies - 1
                outcome.problems.append(f"play {n} is at the server {copies} times")
            if not wanted:
                if copies or entries:
                    outcome.problems.append(f"play {n} should not have been queued")
                continue
            if len(entries) != 1:
                outcome.lost += not entries
                outcome.problems.append(f"play {n} is queued {len(entries)} times")
                continue
            entry = entries[0]
            if entry["state"] in ("pending", "in_flight"):
                outcome.waiting += 1
                outcome.problems.append(f"play {n} still {entry['state']}")
            elif copies:
                outcome.accepted += 1
            elif entry["state"] == "rejected" and entry["last_error"]:
                outcome.rejected[_reason(entry["last_error"])] += 1
                if f"#{entry['id']}" not in shown:
                    outcome.problems.append(
                        f"rejected play {n} not in the queue command"
                    )
            else:
                outcome.lost += 1
                outcome.problems.append(
                    f"play {n} is {entry['state']} but not at the server"
                )
        if outcome.unexpected_errors:
            outcome.problems.append(
                f"the supervisor caught {outcome.unexpected_errors} unexpected errors"
            )
        return outcome

    def _rejected_shown(self) -> str:
        """What `mopidy mtscrobble queue --rejected` prints."""
        output = io.StringIO()
        args = argparse.Namespace(rejected=True, limit=100_000)
        with contextlib.redirect_stdout(output):
            commands.queue(self.config, args)
        return output.getvalue()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.frontend.actor_ref.stop()
        if self.handle.worker is not None:
            self.handle.worker.close()
        pykka.ActorRegistry.stop_all()
        if self.lock_holder is not None:
            self.lock_holder.close()
        self.server.stop()


def _play_number(title: str) -> int:
    return int(title.rsplit(TAG, 1)[1])


def _reason(error: str) -> str:
    for known in ("too old", "timestamp too new", "timestamp too old", "HTTP 413"):
        if known in error:
            return known
    return error[:40]


def run_seed(seed: int, folder: pathlib.Path, **options: Any) -> Outcome:
    started = time.monotonic()
    campaign = Campaign(seed, folder, **options)
    try:
        campaign.start()
        campaign.listen()
        campaign.heal()
        outcome = campaign.judge()
    finally:
        campaign.stop()
    outcome.wall_s = time.monotonic() - started
    return outcome


def table(outcomes: list[Outcome]) -> str:
    """The campaign's results, one row per seed and a total."""
    lines = [
        f"{'seed':>6} {'plays':>6} {'qualif.':>7} {'faults':>7} {'accepted':>8} "
        f"{'rejected':>8} {'dupl.':>5} {'lost':>4} {'waiting':>7} {'sim days':>8} "
        f"{'wall s':>7}  verdict"
    ]
    for o in outcomes:
        lines.append(
            f"{o.seed:>6} {o.plays:>6} {o.qualified:>7} {sum(o.faults.values()):>7} "
            f"{o.accepted:>8} {sum(o.rejected.values()):>8} {o.duplicates:>5} "
            f"{o.lost:>4} {o.waiting:>7} {o.simulated_days:>8.1f} {o.wall_s:>7.1f}  "
            f"{'ok' if o.ok else 'FAILED'}"
        )
    faults = sum((o.faults for o in outcomes), collections.Counter())
    rejected = sum((o.rejected for o in outcomes), collections.Counter())
    lines.append("")
    lines.append("Faults injected, by kind:")
    lines += [f"  {kind:<22} {count:>6}" for kind, count in sorted(faults.items())]
    lines.append("Rejected, by reason:")
    lines += [f"  {why:<40} {count:>6}" for why, count in sorted(rejected.items())]
    for o in outcomes:
        for problem in o.problems[:20]:
            lines.append(f"seed {o.seed}: {problem}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--plays", type=int, default=1000)
    parser.add_argument("--days", type=float, default=20)
    args = parser.parse_args()
    outcomes = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        with tempfile.TemporaryDirectory() as folder:
            outcomes.append(
                run_seed(seed, pathlib.Path(folder), plays=args.plays, days=args.days)
            )
        print(table(outcomes[-1:]).splitlines()[1], flush=True)
    print(table(outcomes))
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
