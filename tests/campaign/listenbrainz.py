"""The fault campaign's ListenBrainz destination (see campaign.py).

The fake ListenBrainz runs in-process on the campaign's simulated clock, with
faults of its own at the campaign's rate (those applied and then lost too),
a visibility lag drawn for each listen, its rate limit, and outages of its
own. The real `ListenBrainzDelivery` is stepped in simulated time as the
campaign steps Last.fm's, and killed at random points around its requests (a
new worker then opens the same data dir, the killed one's rows left as they
were). `judge_submissions` tells which listens were submitted more than once,
and whether each time the first answer had been lost and no listing had shown
the listen since.
"""

from __future__ import annotations

import collections
import dataclasses
import random
import urllib.parse
from typing import TYPE_CHECKING, Any

from mopidy_mtscrobble.delivery.listenbrainz import ListenBrainzDelivery
from mopidy_mtscrobble.listenbrainz import ListenBrainzClient
from mopidy_mtscrobble.probe import tcp_probe
from mopidy_mtscrobble.settings import ListenBrainzList, Settings

from ..fakes.listenbrainz import FakeListenBrainz, RandomFaults
from ..fakes.listenbrainz.rules import msid
from .user import ACT_BEFORE_ROUND_RATE, ACT_IN_FLIGHT_RATE

if TYPE_CHECKING:
    from .campaign import Campaign

NAME = "lb"  # the destination's name in the config and the store
USER = "carol"
TOKEN = "campaign-listenbrainz-token-5f0c2b9e"
MAX_LAG_S = 120.0  # each listen shows in listings 0 to this after it is stored
OUTAGE_RATE = 0.02  # between plays: the ListenBrainz server goes away
OUTAGES_S = (60, 600, 3600, 6 * 3600)
MOPIDY_VERSION = "3.4.2"


class SimulatedKill(BaseException):
    """kill -9: nothing after it runs (not an Exception: nothing catches it)."""


class KillableClient(ListenBrainzClient):
    """The real client; the campaign may kill the process around a request."""

    def __init__(self, *args: Any, side: ListenBrainzSide, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._side = side

    def _request(self, method: str, path: str, exchange: Any, *args: Any, **kw: Any):
        self._side.maybe_kill("before " + path, answered=False)
        try:
            answer = super()._request(method, path, exchange, *args, **kw)
        except BaseException:
            self._side.maybe_kill("after " + path, answered=False)
            raise
        self._side.maybe_kill("after " + path, answered=True)
        return answer


class Handle:
    """What the frontend tells, forwarded to whichever worker runs now."""

    def __init__(self) -> None:
        self.worker: Any = None

    def now_playing(self, track: Any) -> None:
        if self.worker is not None:
            self.worker.now_playing(track)

    def queue_changed(self) -> None:
        if self.worker is not None:
            self.worker.queue_changed()


@dataclasses.dataclass
class Resends:
    """Listens submitted (and applied) more than once, by the first answer."""

    after_lost_answer: int = 0  # a fault after it was applied
    after_kill: int = 0  # killed once the answer came
    after_clear_answer: int = 0  # a bug: the client knew it arrived
    seen_before: int = 0  # a bug: a listing had shown it meanwhile

    @property
    def explained(self) -> int:
        return self.after_lost_answer + self.after_kill


class ListenBrainzSide:
    """The ListenBrainz half of one seed's world, and its delivery."""

    def __init__(self, campaign: Campaign, seed: int, fault_rate: float) -> None:
        self.campaign = campaign
        self.rng = random.Random(seed * 7919 + 17)  # its own: Last.fm's world stays
        self.fault_rate = fault_rate
        self.handle = Handle()
        self.killing = False
        self.down_until: float | None = None
        self.port = 0
        self.opened = False
        self.wake_at: float | None = None
        self.unexpected_errors = 0
        self.faults: collections.Counter[str] = collections.Counter()
        self.killed_after: set[int] = set()  # requests answered, then a kill

    # Set-up.

    def start_server(self) -> None:
        campaign = self.campaign
        self.server = FakeListenBrainz(clock=campaign.true_time).start()
        self.server.lag_of = lambda: self.rng.uniform(0.0, MAX_LAG_S)
        self.server.add_user(USER, TOKEN)
        self.random_faults = RandomFaults(random.Random(self.rng.random()),
                                          self.fault_rate)  # fmt: skip
        self.server.fault_source = self.random_faults
        self.context = self.server.client_context()

    def config_value(self) -> Any:
        """The `listenbrainz` config value, as Mopidy reads it from the file."""
        return ListenBrainzList().deserialize(f"{NAME} {TOKEN} {self.server.base_url}")

    def seed_lookup(self, artist: str, title: str, recording: str) -> None:
        self.server.add_lookup(artist, title, {
            "artist_credit_name": artist, "artist_mbids": [],
            "recording_mbid": recording, "recording_name": title,
            "release_mbid": None, "release_name": None,
        })  # fmt: skip

    def start_worker(self) -> None:
        campaign = self.campaign
        settings = Settings.from_config(campaign.config["mtscrobble"])
        (destination,) = settings.listenbrainz
        self.handle.worker = ListenBrainzDelivery(
            destination,
            campaign.folder / "mtscrobble",
            clock=campaign.clock,
            rng=random.Random(self.rng.random()),
            client_factory=self._client,
            probe=tcp_probe,
            mopidy_version=MOPIDY_VERSION,
            now_playing_enabled=settings.now_playing,
            store_lock_wait_s=0.01,
        )
        self.opened = False  # opened in act(), as the thread does
        self.wake_at = campaign.clock.monotonic()

    def _client(self, destination: Any, proxy: str | None = None) -> KillableClient:
        return KillableClient(
            destination.token, destination.url, server_name=destination.display_name,
            proxy=proxy, verify=self.context, clock=self.campaign.clock.wall,
            side=self,
        )  # fmt: skip

    def drop_worker(self) -> None:
        """What the OS does for a stopped or killed process: files and locks go."""
        worker = self.handle.worker
        self.unexpected_errors += worker.unexpected_errors
        worker.close()
        self.handle.worker = None

    def stop(self) -> None:
        if self.handle.worker is not None:
            self.handle.worker.close()
        self.server.stop()

    # Its world.

    def maybe_kill(self, where: str, answered: bool) -> None:
        campaign = self.campaign
        campaign.user_acts(ACT_IN_FLIGHT_RATE)
        if self.killing and self.rng.random() < campaign.kill_rate:
            self.faults["kill " + where.split()[0]] += 1
            if answered:
                self.killed_after.add(len(self.server.requests) - 1)
            raise SimulatedKill(where)

    def disturb(self, now: float) -> None:
        """Between plays, now and then: this server goes away for a while."""
        if self.rng.random() < OUTAGE_RATE and self.down_until is None:
            self.faults["network down"] += 1
            self.port = self.server.port
            self.server.stop()
            self.down_until = now + self.rng.choice(OUTAGES_S)

    def world_events(self, now: float) -> None:
        if self.down_until is not None and now >= self.down_until:
            self.server.start(self.port)
            self.down_until = None

    def next_events(self) -> list[float]:
        times = [self.down_until, self.wake_at]
        return [t for t in times if t is not None]

    def heal(self, now: float) -> None:
        self.server.fault_source = None
        if self.down_until is not None:
            self.down_until = now

    # Its delivery, stepped.

    def act(self, now: float) -> bool:
        """A round if one is due: whether another is wanted at once."""
        worker = self.handle.worker
        woken = worker.consume_wake()
        if not woken and (self.wake_at is None or now < self.wake_at):
            return False
        if not self.opened:
            delay = worker.try_open()
            self.opened = delay is None
            self.wake_at = now + (delay or 0.0)
            return True
        self.campaign.user_acts(ACT_BEFORE_ROUND_RATE)
        self.killing = True
        try:
            delay = worker.run_round()
        except SimulatedKill:
            self.drop_worker()
            self.start_worker()
            return True
        finally:
            self.killing = False
        now = self.campaign.clock.monotonic()
        self.wake_at = None if delay is None else now + delay
        return delay == 0.0

    # The verdict.

    def listens(self) -> list[dict[str, Any]]:
        return self.server.listens_of(USER)

    def judge_submissions(self, problems: list[str]) -> Resends:
        """Each listen applied more than once: why it was sent again."""
        resends = Resends()
        applied: dict[tuple[int, str], list[int]] = collections.defaultdict(list)
        requests = self.server.requests
        for index, request in enumerate(requests):
            if request.call != "submit-listens" or not _applied(request):
                continue
            body = request.json()
            if body["listen_type"] == "playing_now":
                continue
            for listen in body["payload"]:
                key = (listen["listened_at"], msid(listen["track_metadata"]))
                applied[key].append(index)
        stored = {(x["listened_at"], x["recording_msid"]): x for x in self.listens()}
        for key, indexes in applied.items():
            first = indexes[0]
            for again in indexes[1:]:
                seen = self._listed_between(stored[key], requests, again)
                if seen is not None:
                    resends.seen_before += 1
                    problems.append(
                        f"listen at {key[0]} sent again (request {again}) after "
                        f"listing {seen} showed it"
                    )
                elif requests[first].outcome.startswith("applied"):
                    resends.after_lost_answer += 1
                elif first in self.killed_after:
                    resends.after_kill += 1
                else:
                    resends.after_clear_answer += 1
                    problems.append(
                        f"listen at {key[0]} sent again (request {again}) though "
                        f"request {first} was answered ok"
                    )
        return resends

    def _listed_between(
        self, listen: dict[str, Any], requests: list[Any], before: int
    ) -> int | None:
        """A listing answered between the listen showing and `before`, of
        the time around it."""
        shown_at = self.server.visible_at(listen)
        for index in range(before):
            request = requests[index]
            if request.call != "listens" or request.outcome != "ok":
                continue
            if request.arrived_at < shown_at:
                continue
            bounds = dict(urllib.parse.parse_qsl(request.query))
            if "min_ts" not in bounds or "max_ts" not in bounds:
                continue  # the newest listens only (the token check's look)
            if int(bounds["min_ts"]) < listen["listened_at"] < int(bounds["max_ts"]):
                return index
        return None


def _applied(request: Any) -> bool:
    return request.outcome == "ok" or request.outcome.startswith("applied")


def feedback_of(server: FakeListenBrainz) -> dict[str, int]:
    """USER's recording feedback at the server: recording -> score."""
    return {rec: score for (user, rec), score in server.feedback.items()
            if user == USER}  # fmt: skip
