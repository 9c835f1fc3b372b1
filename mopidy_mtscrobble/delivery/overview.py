"""Each destination's state, queue counts and last error, in one shape for
`mopidy mtscrobble status`, GET /mtscrobble/api/status and the page.

Last.fm's state is what its delivery knows (live, or as it saved it); each
ListenBrainz destination's is what its delivery saved in the store (under
its name), so a command run while Mopidy runs reads it too.
"""

from __future__ import annotations

import dataclasses

from ..destinations import LASTFM
from ..settings import OFF, Settings
from ..store import Store
from .states import TEXTS, State, describe

SECONDS_PER_DAY = 86_400
LASTFM_KIND = "lastfm"
LISTENBRAINZ_KIND = "listenbrainz"
NOT_STARTED = "not started yet: Mopidy-MTScrobble starts it (see Mopidy's log)"
# States in which a destination counts as working (retrying: just not now).
WORKING = (State.CONNECTED, State.RETRYING)


@dataclasses.dataclass(frozen=True)
class DestinationStatus:
    name: str
    kind: str  # LASTFM_KIND or LISTENBRAINZ_KIND
    server: str  # as the user knows it: "Last.fm", "ListenBrainz (lb)"
    state: str
    connected: bool
    message: str
    username: str | None
    counts: dict[str, int]
    last_error: str | None
    next_retry_at: int | None


def overview(
    settings: Settings,
    store: Store,
    now_s: float,
    lastfm_state: dict[str, str | None],
    lastfm_user: str | None,
) -> list[DestinationStatus]:
    """Every configured destination, Last.fm first. `lastfm_state`: its
    state, last_error and next_retry_at (as saved, or live); `lastfm_user`:
    the session's user."""
    found = []
    if settings.network != OFF:
        connected, message = describe(
            settings, lastfm_state.get("state"), lastfm_user,
            lastfm_state.get("last_error"),
        )  # fmt: skip
        found.append(
            DestinationStatus(
                LASTFM,
                LASTFM_KIND,
                settings.network_name,
                lastfm_state.get("state") or str(State.NOT_CONFIGURED),
                connected,
                message,
                lastfm_user,
                _counts(store, LASTFM, now_s),
                lastfm_state.get("last_error"),
                _time(lastfm_state),
            )
        )
    for destination in settings.listenbrainz:
        saved = store.delivery_status.load_for(destination.name)
        state = saved.get("state")
        known = state in set(State)
        said = TEXTS[State(state)] if known and state else None
        message = NOT_STARTED
        if said is not None:
            message = said.status.format(
                network=destination.display_name,
                username=saved.get("username"),
                error=saved.get("last_error") or "see Mopidy's log",
                detail="",
            )
        found.append(
            DestinationStatus(
                destination.name,
                LISTENBRAINZ_KIND,
                destination.display_name,
                state or "not started",
                state in WORKING,
                message,
                saved.get("username"),
                _counts(store, destination.name, now_s),
                saved.get("last_error"),
                _time(saved),
            )
        )
    return found


def _counts(store: Store, name: str, now_s: float) -> dict[str, int]:
    queue = store.queue_to(name)
    counts = queue.counts()
    return {
        "pending": counts["pending"],
        "in_flight": counts["in_flight"],
        "rejected": counts["rejected"],
        "sent_last_24h": queue.count_sent_since(now_s - SECONDS_PER_DAY),
    }


def _time(saved: dict[str, str | None]) -> int | None:
    value = saved.get("next_retry_at")
    return int(value) if value else None
