"""The states of the connection, and what each says: one table, read by the
log (when a state begins), by `mopidy mtscrobble status` and by the web API."""

from __future__ import annotations

import dataclasses
import enum
import logging

from ..settings import Settings

logger = logging.getLogger(__name__)


class State(enum.StrEnum):
    NOT_CONFIGURED = "not configured"
    WAITING = "waiting to start"
    NEEDS_LOGIN = "needs login"
    LOGIN_FAILED = "login failed"
    CONNECTED = "connected"
    RETRYING = "retrying"
    NEEDS_REAUTH = "needs re-authentication"
    BAD_CREDENTIALS = "API key or secret refused"
    OFF = "off"  # network = off: no Last.fm-compatible destination
    TOKEN_REFUSED = "token refused"  # noqa: S105 - a ListenBrainz destination's user token
    WRONG_ADDRESS = "wrong address"  # a ListenBrainz destination's URL or user


# Nothing can be sent in these until something changes (a login, the config).
BLOCKED_STATES = {
    State.NOT_CONFIGURED,
    State.WAITING,
    State.NEEDS_LOGIN,
    State.LOGIN_FAILED,
    State.NEEDS_REAUTH,
    State.BAD_CREDENTIALS,
    State.OFF,
    State.TOKEN_REFUSED,
    State.WRONG_ADDRESS,
}
# Waiting for a login that may happen in another process (the CLI).
AWAITING_LOGIN = {State.NEEDS_LOGIN, State.NEEDS_REAUTH, State.LOGIN_FAILED}


@dataclasses.dataclass(frozen=True)
class Status:
    state: State
    username: str | None
    last_error: str | None
    next_retry_at: float | None
    # Delivery has not looked yet (just started, or trying again): the state
    # says nothing about the session yet.
    looking: bool = False


@dataclasses.dataclass(frozen=True)
class Said:
    """What a state says. Templates: {network}, {username}, {error}, {detail}."""

    level: int  # of the log line when the state begins (0: none)
    log: str
    status: str  # one line: `status` and the API
    connected: bool


TEXTS = {
    State.NOT_CONFIGURED: Said(
        logging.INFO,
        "Not sending scrobbles: the API key and secret are not set",
        "not connected: {detail}",
        False,
    ),
    State.WAITING: Said(0, "", "waiting to start: {error}", False),
    State.NEEDS_LOGIN: Said(
        logging.INFO,
        "Not connected to {network} yet: scrobbles wait in the queue until you log "
        "in (mopidy mtscrobble login, or username/password in the [mtscrobble] "
        "config)",
        "not connected: run 'mopidy mtscrobble login'",
        False,
    ),
    State.LOGIN_FAILED: Said(
        logging.ERROR,
        "Logging in to {network} failed ({error}); {detail}. Scrobbles wait in the "
        "queue until a login works ('mopidy mtscrobble login', or fix the config "
        "and restart Mopidy).",
        "not connected: logging in with mtscrobble/username and "
        "mtscrobble/password failed. Check them.",
        False,
    ),
    State.CONNECTED: Said(
        logging.INFO, "Connected to {network} {detail}", "connected as {username}", True
    ),
    State.RETRYING: Said(
        logging.INFO,
        "{network} is not reachable for now; scrobbles wait in the queue",
        "connected as {username}; {network} is not reachable for now",
        True,
    ),
    State.NEEDS_REAUTH: Said(
        logging.WARNING,
        "{network} no longer accepts this session ({error}). Scrobbles wait in the "
        "queue: log in again with 'mopidy mtscrobble login'.",
        "session revoked: {network} no longer accepts it. Run 'mopidy mtscrobble "
        "login' again.",
        False,
    ),
    State.BAD_CREDENTIALS: Said(
        logging.ERROR,
        "{network} refuses the API key or secret ({error}). Check mtscrobble/api_key "
        "and mtscrobble/api_secret, then restart Mopidy. Scrobbles wait in the queue.",
        "not connected: {network} refused the API key or secret. Check "
        "mtscrobble/api_key and mtscrobble/api_secret.",
        False,
    ),
    State.OFF: Said(
        0, "", "off (network = off): plays go to the other destinations", False
    ),
    State.TOKEN_REFUSED: Said(
        logging.WARNING,
        "{network} refuses the user token ({error}). Listens wait in the queue: "
        "copy a valid token from your account settings (ListenBrainz: "
        "https://listenbrainz.org/settings/) into mtscrobble/listenbrainz and "
        "restart Mopidy.",
        "not connected: {network} refused the user token; put a valid one in "
        "mtscrobble/listenbrainz",
        False,
    ),
    State.WRONG_ADDRESS: Said(
        logging.ERROR,
        "{network} does not know this address or user ({error}). Listens wait in "
        "the queue: check the URL in mtscrobble/listenbrainz and restart Mopidy.",
        "not connected: wrong address or user; check the URL in "
        "mtscrobble/listenbrainz",
        False,
    ),
}


def describe(
    settings: Settings,
    state: str | None,
    username: str | None,
    error: str | None = None,
) -> tuple[bool, str]:
    """(connected, a line saying so), from the state delivery saved and the
    user of the session file (None: not logged in)."""
    missing = settings.missing_credentials()
    if settings.network == "off":
        chosen = State.OFF
    elif missing:
        chosen = State.NOT_CONFIGURED
    elif state in (State.BAD_CREDENTIALS, State.WAITING):
        chosen = State(state)
    elif username is None:
        if state == State.LOGIN_FAILED:
            chosen = State.LOGIN_FAILED
        elif settings.username and settings.password:
            return False, (
                "not connected yet: Mopidy logs in with mtscrobble/username at startup"
            )
        else:
            chosen = State.NEEDS_LOGIN
    elif state in (State.NEEDS_REAUTH, State.RETRYING):
        chosen = State(state)
    else:
        chosen = State.CONNECTED
    said = TEXTS[chosen]
    text = said.status.format(
        network=settings.network_name,
        username=username,
        error=error or "see Mopidy's log",
        detail=settings.credentials_problem() or "",
    )
    return said.connected, text


def say(state: State, network: str, detail: str, error: str | None) -> None:
    """Log what a change to `state` means, once, at its level (if any)."""
    said = TEXTS[state]
    if said.level:
        logger.log(
            said.level, said.log.format(network=network, detail=detail, error=error)
        )
