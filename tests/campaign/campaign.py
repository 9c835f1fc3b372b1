"""A seeded fault campaign: the real frontend (in a real Mopidy core), store and
deliveries against two destinations, the fake Last.fm server and the fake
ListenBrainz (listenbrainz.py), in simulated time, with the world
misbehaving in every way we know of.

Each seed plays over a thousand tracks across twenty simulated days, and loves
and unloves a few, on the page and by editing the loved M3U mirror as a client
or a sync tool does (some of those files written in place and cut off
mid-line, their writer finishing later or never), while 30 % of each
server's answers are faults of every
kind, Last.fm lists a scrobble seconds to twenty minutes after taking it,
5 % of the tracks carry bad metadata, the local clock jumps, each
server's network goes down on its own, the database gets locked, and each
delivery is restarted or killed at random points. At the end the world heals
for a while longer than ListenBrainz's visibility window, and then at each
destination every qualified play must be there exactly once, or rejected with
a reason that `mopidy mtscrobble queue --rejected` shows; nothing may be left
waiting, nothing may be duplicated or lost (a listen submitted again is
allowed only when its first answer was lost and no listing had shown it),
each love or unlove must be as the user left it, and no supervisor may ever
have caught an unexpected error.

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
import uuid
from typing import Any

import pykka
import pylast

from mopidy_mtscrobble import commands
from mopidy_mtscrobble.delivery import LISTING_FIRST_LOOK_S, Delivery
from mopidy_mtscrobble.delivery.listenbrainz import VISIBILITY_WINDOW_S
from mopidy_mtscrobble.destinations import LASTFM
from mopidy_mtscrobble.errors import MTScrobbleError
from mopidy_mtscrobble.frontend import MTScrobbleFrontend
from mopidy_mtscrobble.lastfm import LastfmClient
from mopidy_mtscrobble.m3u_mirror import parse
from mopidy_mtscrobble.mirror_frontend import MIRROR_CHECK_S, MirrorFrontend
from mopidy_mtscrobble.probe import tcp_probe
from mopidy_mtscrobble.ratelimit import RateLimiter
from mopidy_mtscrobble.settings import Settings
from mopidy_mtscrobble.store import DB_FILENAME
from mopidy_mtscrobble.tracks import LocalTrack

from ..fakes.lastfm import FakeLastfm
from ..fakes.lastfm.server import APPLIED_THEN_LOST, RandomFaults
from ..fakes.player import FakeClock, ManualScheduler, Player, start_core
from ..support.builders import model_track
from ..support.frontend_harness import config_for
from .listenbrainz import NAME as LISTENBRAINZ
from .listenbrainz import ListenBrainzSide, Resends, SimulatedKill, feedback_of
from .user import (
    ACT_BEFORE_ROUND_RATE,
    ACT_BETWEEN_PLAYS_RATE,
    ACT_IN_FLIGHT_RATE,
    ACT_ON_QUEUED_RATE,
    QueueUser,
)

START_WALL = 1_700_000_000.0
DAY_S = 86_400.0
HOUR_S = 3600.0
USER, PASSWORD = "alice", "campaign-password"
TAG = "#"  # every title ends with "#<play number>", to find its scrobble
FAULT_RATE = 0.3
BAD_METADATA_RATE = 0.05
MAX_BODY_BYTES = 64 * 1024
MAX_BUSY_ROUNDS = 10_000  # rounds in a row that ask for the next one at once
LOVE_RATE = 0.01  # after a play: a love, or an unlove of one loved before
UNLOVE_SHARE = 0.4
UNKNOWN_RECORDING_SHARE = 0.2  # loved tracks ListenBrainz's lookup does not know
MIRROR_EDIT_RATE = 0.01  # after a play: a client edits the loved M3U mirror
MIRROR_CUT_SHARE = 0.5  # of those: written in place and seen cut off mid-line
MIRROR_DIED_SHARE = 0.4  # of the cut ones: the writer never finishes
MIRROR_FILE = "Loved on Last.fm (synced).m3u8"
DESTINATIONS = (LASTFM, LISTENBRAINZ)
USER_ACTIONS = ("edit", "hold", "release", "delete")


@dataclasses.dataclass
class Tally:
    """One destination's results."""

    faults: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    accepted: int = 0
    rejected: collections.Counter = dataclasses.field(
        default_factory=collections.Counter
    )
    resends: Resends = dataclasses.field(default_factory=Resends)
    loves_as_left: int = 0  # tracks whose love or unlove the server shows
    duplicates: int = 0
    lost: int = 0
    waiting: int = 0


@dataclasses.dataclass
class Outcome:
    seed: int
    plays: int = 0
    qualified: int = 0
    faults: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    at: dict[str, Tally] = dataclasses.field(
        default_factory=lambda: {name: Tally() for name in DESTINATIONS}
    )
    unexpected_errors: int = 0
    problems: list[str] = dataclasses.field(default_factory=list)
    simulated_days: float = 0.0
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def duplicates(self) -> int:
        return sum(t.duplicates for t in self.at.values())

    @property
    def lost(self) -> int:
        return sum(t.lost for t in self.at.values())

    @property
    def waiting(self) -> int:
        return sum(t.waiting for t in self.at.values())


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
        self.worker: Any = None
        self.changed = False  # the queue changed since the campaign last looked

    def now_playing(self, track) -> None:
        if self.worker is not None:
            self.worker.now_playing(track)

    def queue_changed(self) -> None:
        self.changed = True
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
        self.love_rng = random.Random(seed * 31 + 5)
        self.loved: dict[int, bool] = {}  # play number -> loved, as last left
        self.mirror_rng = random.Random(seed * 43 + 7)
        # A client's write of the mirror cut off mid-line: the whole text, the
        # love or unlove it makes, and when its writer finishes it.
        self.mirror_write: tuple[str, int, bool] | None = None
        self.mirror_done_at: float | None = None
        # The mirror's checks (every MIRROR_CHECK_S) are run in time only for
        # a while after a client's write; else once after each play: a check
        # every 15 s of twenty simulated days would cost minutes a seed.
        self.mirror_watch_until = -1.0
        self.recordings: dict[int, str | None] = {}  # as ListenBrainz looks up
        self.lb = ListenBrainzSide(self, seed, FAULT_RATE)
        # The user edits, holds and deletes queued plays while listening.
        self.user = QueueUser(seed, folder / "mtscrobble", _play_number, self._copies)
        self.listening = False

    # The world.

    def true_time(self) -> float:
        return self.true_start + self.clock.monotonic()

    def maybe_kill(self, where: str) -> None:
        self.user_acts(ACT_IN_FLIGHT_RATE)
        if self.no_recent_tracks and where.startswith("after"):
            return  # applied, then unknown: that server cannot tell
        if self.killing and self.rng.random() < self.kill_rate:
            self.outcome.at[LASTFM].faults["kill " + where.split()[0]] += 1
            raise SimulatedKill(where)

    def user_acts(self, rate: float, newest: bool = False) -> None:
        """Now and then (before a round, while a request is out, or when a
        play was just queued), the user acts on the queue."""
        if self.listening and self.lock_holder is None:
            self.user.maybe_act(rate, self.clock.wall(), newest)

    def _copies(self, n: int) -> dict[str, int]:
        at_lastfm = [s for s in self.server.scrobbles_of(USER)
                     if _play_number(s["track"]) == n]  # fmt: skip
        tag = f"{TAG}{n}"
        at_lb = [x for x in self.lb.listens()
                 if x["track_metadata"]["track_name"].endswith(tag)]  # fmt: skip
        return {LASTFM: len(at_lastfm), LISTENBRAINZ: len(at_lb)}

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
        self.lb.start_server()
        self.config = self._config()
        self.tracks = [self._track(n) for n in range(self.play_count)]
        self.core, self.audio = start_core(self.config, self.tracks)
        self.handle = DeliveryHandle()
        self.scheduler = ManualScheduler(self.clock)
        self._start_frontend()
        self._start_delivery()
        self.lb.start_worker()
        without = APPLIED_THEN_LOST if self.no_recent_tracks else frozenset()
        self.faults = RandomFaults(random.Random(self.seed), FAULT_RATE, without)
        self.server.fault_source = self.faults
        self.server.listing_lag_of = functools.partial(
            self._listing_lag, random.Random(self.seed * 7 + 3)
        )

    def _listing_lag(self, rng: random.Random) -> float:
        """How long Last.fm takes to list a scrobble: seconds mostly, minutes
        now and then, up to 20 minutes (its listing window is longer)."""
        roll = rng.random()
        if roll < 0.8:
            lag = rng.uniform(0, 5)
        else:
            lag = rng.uniform(20, 300) if roll < 0.97 else rng.uniform(300, 1200)
        if lag > LISTING_FIRST_LOOK_S:
            self.outcome.at[LASTFM].faults["listing lag"] += 1
        return lag

    def _config(self) -> dict[str, Any]:
        config = config_for(
            self.folder,
            network="custom",
            api_url=self.server.url,
            api_key=self.server.api_key,
            api_secret=self.server.api_secret,
            username=USER,
            password=PASSWORD,
            listenbrainz=self.lb.config_value(),
            favorites_uri_schemes=("dummy",),
        )
        self.playlists_dir = self.folder / "playlists"
        self.playlists_dir.mkdir(exist_ok=True)
        config["m3u"] = {"enabled": True, "playlists_dir": str(self.playlists_dir)}
        return config

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
            listenbrainz=(self.lb.handle,),
            store_lock_wait_s=0.01,
            match_library=False,
        ).proxy()
        self.player = Player(self.core, self.audio, self.clock, self.frontend)
        self.player.sync()
        self.mirror_scheduler = ManualScheduler(self.clock)
        self.mirror = MirrorFrontend.start(
            self.config, self.core, scheduler=self.mirror_scheduler
        ).proxy()
        self.mirror.syncs.get()  # its first sync has written the files

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
        # The mirror keeps no memory across a restart: a client's edit not
        # yet taken would be written over at the start (README says so of
        # edits made while Mopidy is stopped), so none is left pending.
        self.mirror.sync().get()
        self.mirror.actor_ref.stop()
        self.frontend.actor_ref.stop()
        self.outcome.unexpected_errors += self.handle.worker.unexpected_errors
        self.handle.worker.close()
        self.handle.worker = None
        self.lb.drop_worker()
        self._start_frontend()
        self._start_delivery()
        self.lb.start_worker()

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
            if now <= self.mirror_watch_until:
                self._mirror_checks()
            if self.handle.changed:  # a play was just queued: still editable
                self.handle.changed = False
                self.user_acts(ACT_ON_QUEUED_RATE, newest=True)
            again = self._lastfm_round(now)
            if self.lb.act(self.clock.monotonic()) or again:
                busy_rounds += 1
                if busy_rounds > MAX_BUSY_ROUNDS:
                    raise AssertionError("delivery keeps asking for rounds at once")
                continue
            now = self.clock.monotonic()
            due = [target]
            if self.delivery_wake_at is not None:
                due.append(self.delivery_wake_at)
            due += [t.due for t in self.scheduler.pending()]
            if now <= self.mirror_watch_until:
                due += [t.due for t in self.mirror_scheduler.pending()]
            due += self._next_world_event()
            step = min(due) - now
            if now >= target:
                return
            busy_rounds = 0
            self._pass_time(max(step, 0.001))

    def _lastfm_round(self, now: float) -> bool:
        """Last.fm's delivery round if one is due: whether another is wanted now."""
        worker = self.handle.worker
        woken = worker.consume_wake()
        if not woken and (self.delivery_wake_at is None or now < self.delivery_wake_at):
            return False
        if not self.delivery_opened:
            delay = worker.try_open()
            self.delivery_opened = delay is None
            self.delivery_wake_at = now + (delay or 0.0)
            return True
        self.user_acts(ACT_BEFORE_ROUND_RATE)
        self.killing = True
        try:
            delay = worker.run_round()
        except SimulatedKill:
            self._kill_delivery()
            return True
        finally:
            self.killing = False
        now = self.clock.monotonic()
        self.delivery_wake_at = None if delay is None else now + delay
        return delay == 0.0

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
        if self.mirror_done_at is not None and now >= self.mirror_done_at:
            self._finish_mirror_write()
        self.lb.world_events(now)

    def _next_world_event(self) -> list[float]:
        times = [self.server_down_until, self.lock_until, self.clock_fixed_at]
        times.append(self.mirror_done_at)
        return [t for t in times if t is not None] + self.lb.next_events()

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
        self.lb.disturb(now)
        if roll < 0.02 and self.server_down_until is None:
            self.outcome.at[LASTFM].faults["network down"] += 1
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
            self.outcome.at[LASTFM].faults["session revoked"] += 1
            for key in list(self.server.sessions):
                self.server.revoke(key)
        elif roll < 0.05 and self.mirror_write is None:
            self._restart_mopidy()

    # The listener.

    def listen(self) -> None:
        rng = self.rng
        gap_s = self.days * DAY_S / self.play_count
        self.listening = True
        for n in range(self.play_count):
            self._disturb()
            if self.lock_holder is None:
                self.user.maybe_act(ACT_BETWEEN_PLAYS_RATE, self.clock.wall())
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
            if self.love_rng.random() < LOVE_RATE:
                self._love_or_unlove(n)
            self._mirror_checks()
            if self.mirror_rng.random() < MIRROR_EDIT_RATE:
                self._edit_mirror(n)
        self.listening = False
        self._unlock()
        self.user.release_all(self.clock.wall())
        for n in self.user.deleted:
            self.expected[n] = False  # gone for good: at no server
        self.outcome.faults.update(
            {f"user {k}": v for k, v in self.user.counts.items()}
        )
        self.outcome.qualified = sum(self.expected.values())

    def _love_or_unlove(self, n: int) -> None:
        """What the web app asks: love this track, or unlove one loved before."""
        rng = self.love_rng
        loved = sorted(k for k, v in self.loved.items() if v)
        if loved and rng.random() < UNLOVE_SHARE:
            n, love = rng.choice(loved), False
        elif self.tracks[n].name == f"Song {TAG}{n}":
            love = True
        else:
            return  # bad metadata: not a library track anyone loves
        artist, title = self._known_to_listenbrainz(n)
        track = LocalTrack(f"dummy:{n}", title, (artist,), None, None)
        try:
            (self.frontend.love if love else self.frontend.unlove)(track).get()
        except MTScrobbleError:
            self.outcome.faults["love refused (database locked)"] += 1
            return
        self.outcome.faults["love" if love else "unlove"] += 1
        self.loved[n] = love

    def _known_to_listenbrainz(self, n: int) -> tuple[str, str]:
        """Play n's track's names; ListenBrainz's lookup knows its recording
        (most are known), decided the first time it is loved."""
        rng = self.love_rng
        artist, title = f"Artist {n % 37}", self.tracks[n].name
        if n not in self.recordings:
            known = rng.random() >= UNKNOWN_RECORDING_SHARE
            recording = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            self.recordings[n] = recording if known else None
            if known:
                self.lb.seed_lookup(artist, title, recording)
        return artist, title

    def _edit_mirror(self, n: int) -> None:
        """A client (MPD, Iris, a sync tool) edits the loved M3U mirror: adds
        this track, or removes one it lists. Now and then it writes the file
        in place and is seen cut off mid-line: its writer finishes a few
        seconds later (before or after the mirror's next check), or never
        (it died, the disk was full)."""
        if self.mirror_write is not None:
            return  # one writer at a time
        rng = self.mirror_rng
        self.mirror.syncs.get()  # between the mirror's rounds, as a file write
        path = self.playlists_dir / MIRROR_FILE
        entries = list(parse(path.read_text(encoding="utf-8")))
        if entries and rng.random() < UNLOVE_SHARE:
            uri = rng.choice(entries)
            m, love = int(uri.partition(":")[2]), False
            entries.remove(uri)
        elif self.tracks[n].name == f"Song {TAG}{n}" and f"dummy:{n}" not in entries:
            m, love = n, True
            entries.append(f"dummy:{n}")
        else:
            return  # bad metadata: not a library track anyone loves
        self._known_to_listenbrainz(m)
        text = "#EXTM3U\n" + "".join(f"#EXTINF:-1,Song\n{e}\n" for e in entries)
        kind = "mirror love" if love else "mirror unlove"
        if rng.random() >= MIRROR_CUT_SHARE:
            self.outcome.faults[kind] += 1
            path.write_text(text, encoding="utf-8")
            self.loved[m] = love
            self._watch_mirror()
            return
        # Cut off inside a line: a file that ends at a line's end reads as a
        # whole playlist, and one cut after an entry's line is a client's
        # removal of the entries after it (MPD's playlistdelete of the last).
        cuts = [i for i in range(1, len(text)) if text[i - 1] != "\n"]
        path.write_text(text[: rng.choice(cuts)], encoding="utf-8")
        self._watch_mirror()
        if rng.random() < MIRROR_DIED_SHARE:
            self.outcome.faults[kind + " cut, never finished"] += 1
            return  # the edit never happened: nothing changes
        self.outcome.faults[kind + " cut, finished later"] += 1
        self.mirror_write = (text, m, love)
        finish_s = rng.choice([1.0, MIRROR_CHECK_S + 1, 3 * MIRROR_CHECK_S])
        self.mirror_done_at = self.clock.monotonic() + finish_s

    def _mirror_checks(self) -> None:
        """The mirror's checks that are due (one, however late), done."""
        if self.mirror_scheduler.fire_due():
            self.mirror.syncs.get()

    def _watch_mirror(self) -> None:
        self.mirror_watch_until = self.clock.monotonic() + 4 * MIRROR_CHECK_S

    def _finish_mirror_write(self) -> None:
        assert self.mirror_write is not None
        text, m, love = self.mirror_write
        self.mirror.syncs.get()
        (self.playlists_dir / MIRROR_FILE).write_text(text, encoding="utf-8")
        self.loved[m] = love
        self.mirror_write = self.mirror_done_at = None
        self._watch_mirror()

    def heal(self) -> None:
        """The world is well again: healthy servers for longer than
        ListenBrainz's visibility window (listens not found are then sent
        again, and found), then we look."""
        self.server.fault_source = None
        now = self.clock.monotonic()
        for name in ("server_down_until", "lock_until", "clock_fixed_at"):
            if getattr(self, name) is not None:
                setattr(self, name, now)
        self.lb.heal(now)
        self.run_until(self.clock.monotonic() + VISIBILITY_WINDOW_S + HOUR_S)
        self.outcome.simulated_days = (self.true_time() - START_WALL) / DAY_S

    # The verdict.

    def judge(self) -> Outcome:
        outcome, lb = self.outcome, self.lb
        outcome.unexpected_errors += self.handle.worker.unexpected_errors
        outcome.unexpected_errors += lb.unexpected_errors
        outcome.unexpected_errors += lb.handle.worker.unexpected_errors
        outcome.at[LASTFM].faults.update(self.faults.counts)
        outcome.at[LISTENBRAINZ].faults.update(lb.faults + lb.random_faults.counts)
        queued = self._queued()
        if set(queued[LASTFM]) != set(queued[LISTENBRAINZ]):
            outcome.problems.append("the destinations were given different plays")
        at_lastfm = collections.Counter(
            _play_number(s["track"]) for s in self.server.scrobbles_of(USER)
        )
        self._judge_plays(LASTFM, queued[LASTFM], at_lastfm)
        at_lb = self._listens_by_play(queued[LISTENBRAINZ])
        self._judge_plays(LISTENBRAINZ, queued[LISTENBRAINZ], at_lb)
        tally = outcome.at[LISTENBRAINZ]
        problems: list[str] = []
        tally.resends = lb.judge_submissions(problems)
        tally.duplicates += len(problems)
        outcome.problems += [f"{LISTENBRAINZ}: {p}" for p in problems]
        self._judge_loves()
        self._judge_mirror()
        artists = {
            LASTFM: _by_play(
                (s["track"], s["artist"]) for s in self.server.scrobbles_of(USER)
            ),
            LISTENBRAINZ: _by_play(
                (x["track_metadata"]["track_name"], x["track_metadata"]["artist_name"])
                for x in lb.listens()
            ),
        }
        outcome.problems += self.user.judge(artists)
        if outcome.unexpected_errors:
            outcome.problems.append(
                f"the supervisors caught {outcome.unexpected_errors} unexpected errors"
            )
        return outcome

    def _queued(self) -> dict[str, dict[int, list[sqlite3.Row]]]:
        """Each destination's deliveries, by play number."""
        queued: dict[str, dict[int, list[sqlite3.Row]]] = {
            name: collections.defaultdict(list) for name in DESTINATIONS
        }
        for row in self._rows(
            "SELECT id, track, timestamp, destination, state, last_error FROM scrobbles"
        ):
            queued[row["destination"]][_play_number(row["track"])].append(row)
        return queued

    def _rows(self, sql: str) -> list[sqlite3.Row]:
        db = sqlite3.connect(self.folder / "mtscrobble" / DB_FILENAME)
        db.row_factory = sqlite3.Row
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()

    def _listens_by_play(
        self, queued: dict[int, list[sqlite3.Row]]
    ) -> collections.Counter[int]:
        """The listens at ListenBrainz, by play: its number in the title (when
        the title was not cut short), and its play's timestamp."""
        at_time = collections.defaultdict(list)
        for n, rows in queued.items():
            at_time[rows[0]["timestamp"]].append(n)
        found: collections.Counter[int] = collections.Counter()
        for listen in self.lb.listens():
            title = listen["track_metadata"]["track_name"]
            at = listen["listened_at"]
            numbers = [n for n in at_time.get(at, []) if title.endswith(f"{TAG}{n}")]
            numbers = numbers or at_time.get(at, [])
            if len(numbers) != 1:
                self.outcome.problems.append(
                    f"{LISTENBRAINZ}: a listen at {at} ({title[:40]!r}) is no one play"
                )
                continue
            found[numbers[0]] += 1
        return found

    def _judge_plays(
        self,
        name: str,
        queued: dict[int, list[sqlite3.Row]],
        at_server: collections.Counter[int],
    ) -> None:
        tally, problems = self.outcome.at[name], self.outcome.problems
        shown = self._rejected_shown(name)
        for n, wanted in self.expected.items():
            copies = at_server[n]
            entries = queued.get(n, [])
            if copies > 1:
                tally.duplicates += copies - 1
                problems.append(f"{name}: play {n} is at the server {copies} times")
            if not wanted:
                if copies or entries:
                    problems.append(f"{name}: play {n} should not have been queued")
                continue
            if len(entries) != 1:
                tally.lost += not entries
                problems.append(f"{name}: play {n} is queued {len(entries)} times")
                continue
            entry = entries[0]
            if entry["state"] in ("pending", "in_flight"):
                tally.waiting += 1
                problems.append(f"{name}: play {n} still {entry['state']}")
            elif copies:
                tally.accepted += 1
            elif entry["state"] == "rejected" and entry["last_error"]:
                tally.rejected[_reason(entry["last_error"])] += 1
                if f"#{entry['id']}" not in shown:
                    problems.append(
                        f"{name}: rejected play {n} not in the queue command"
                    )
            else:
                tally.lost += 1
                problems.append(
                    f"{name}: play {n} is {entry['state']} but not at the server"
                )

    def _judge_loves(self) -> None:
        """Every love and unlove sent, or not with a reason; each server shows
        each track loved or not as the user last left it."""
        problems = self.outcome.problems
        for row in self._rows(
            "SELECT a.artist, a.track, d.destination, d.state, d.last_error "
            "FROM love_deliveries AS d JOIN love_actions AS a ON a.id = d.action_id"
        ):
            where = f"{row['destination']}: love of {row['track'][:30]!r}"
            if row["state"] == "pending":
                self.outcome.at[row["destination"]].waiting += 1
                problems.append(f"{where} still pending")
            elif row["state"] != "sent" and not row["last_error"]:
                problems.append(f"{where} {row['state']} without a reason")
        lastfm_loved = {(t["artist"], t["track"]) for t in self.server.loved[USER]}
        feedback = feedback_of(self.lb.server)
        for n, love in self.loved.items():
            names = (f"Artist {n % 37}", self.tracks[n].name)
            recording = self.recordings[n]
            shown = {LASTFM: names in lastfm_loved}
            if recording is not None:
                shown[LISTENBRAINZ] = feedback.get(recording) == 1
            for name, loved in shown.items():
                if loved == love:
                    self.outcome.at[name].loves_as_left += 1
                else:
                    problems.append(
                        f"{name}: play {n}'s track is {'not ' * love}loved there "
                        f"though last {'loved' if love else 'unloved'} here"
                    )

    def _judge_mirror(self) -> None:
        """The loved M3U mirror lists exactly the tracks loved as left."""
        self.mirror.sync().get()
        listed = set(parse((self.playlists_dir / MIRROR_FILE).read_text("utf-8")))
        loved = {f"dummy:{n}" for n, love in self.loved.items() if love}
        if listed != loved:
            self.outcome.problems.append(
                f"the loved M3U mirror lists {sorted(listed - loved)} more and "
                f"{sorted(loved - listed)} fewer than the loved tracks"
            )

    def _rejected_shown(self, name: str) -> str:
        """What `mopidy mtscrobble queue --rejected --to NAME` prints."""
        output = io.StringIO()
        args = argparse.Namespace(rejected=True, limit=100_000, to=name)
        with contextlib.redirect_stdout(output):
            commands.queue(self.config, args)
        return output.getvalue()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.frontend.actor_ref.stop()
        if self.handle.worker is not None:
            self.handle.worker.close()
        self.lb.stop()
        pykka.ActorRegistry.stop_all()
        if self.lock_holder is not None:
            self.lock_holder.close()
        self.server.stop()


def _play_number(title: str) -> int:
    return int(title.rsplit(TAG, 1)[1])


def _by_play(copies: Any) -> dict[int, list[str]]:
    """(title, artist) of each copy at a server: the artists, by play number."""
    found: dict[int, list[str]] = collections.defaultdict(list)
    for title, artist in copies:
        if TAG in title and title.rsplit(TAG, 1)[1].isdigit():
            found[_play_number(title)].append(artist)
    return found


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


def rows(outcome: Outcome) -> list[str]:
    """One seed's results: a line for each destination."""
    o = outcome
    verdict = "ok" if o.ok else "FAILED"
    lines = []
    for name, t in o.at.items():
        lines.append(
            f"{o.seed:>6} {name:<7} {o.plays:>6} {o.qualified:>7} "
            f"{t.faults.total():>7} {t.accepted:>8} {t.rejected.total():>8} "
            f"{t.resends.explained:>6} {t.loves_as_left:>5} {t.duplicates:>5} "
            f"{t.lost:>4} {t.waiting:>7} {o.simulated_days:>8.1f} {o.wall_s:>7.1f}  "
            f"{verdict}"
        )
    return lines


def user_changes(outcome: Outcome) -> str:
    """What the user changed in the queue, and how often a change was refused."""
    done = {a: outcome.faults[f"user {a}"] for a in USER_ACTIONS}
    refused = sum(n for k, n in outcome.faults.items() if " refused (" in k)
    shown = ", ".join(f"{n} {a}s" for a, n in done.items())
    return f"the user's queue changes: {shown}; refused {refused}"


def table(outcomes: list[Outcome]) -> str:
    """The campaign's results, a row per seed and destination, and totals."""
    lines = [
        f"{'seed':>6} {'dest.':<7} {'plays':>6} {'qualif.':>7} {'faults':>7} "
        f"{'accepted':>8} {'rejected':>8} {'resent':>6} {'loves':>5} {'dupl.':>5} "
        f"{'lost':>4} {'waiting':>7} {'sim days':>8} {'wall s':>7}  verdict"
    ]
    for o in outcomes:
        lines += rows(o)
    lines.append("")
    lines.append("(resent: a listen submitted again after its first answer was lost)")
    world = sum((o.faults for o in outcomes), collections.Counter())
    lines.append("The world, by kind:")
    lines += [f"  {kind:<32} {count:>6}" for kind, count in sorted(world.items())]
    for name in DESTINATIONS:
        tallies = [o.at[name] for o in outcomes]
        faults = sum((t.faults for t in tallies), collections.Counter())
        rejected = sum((t.rejected for t in tallies), collections.Counter())
        lines.append(f"{name}: faults injected, by kind:")
        lines += [f"  {kind:<32} {count:>6}" for kind, count in sorted(faults.items())]
        lines.append(f"{name}: rejected, by reason:")
        lines += [f"  {why:<40} {count:>6}" for why, count in sorted(rejected.items())]
        resends = [t.resends for t in tallies]
        lines.append(
            f"{name}: sent again after a lost answer "
            f"{sum(r.after_lost_answer for r in resends)}, after a kill "
            f"{sum(r.after_kill for r in resends)}, after an ok answer "
            f"{sum(r.after_clear_answer for r in resends)}, though listed "
            f"{sum(r.seen_before for r in resends)}"
        )
    for o in outcomes:
        lines.append(f"seed {o.seed}: {user_changes(o)}")
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
        print("\n".join(rows(outcomes[-1])), flush=True)
    print(table(outcomes))
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
