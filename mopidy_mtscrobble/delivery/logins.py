"""The session, and the ways to get one: the session file (written by any
process), an approved token (the browser login), and the username and
password of the config (at startup, and again when the session is refused)."""

from __future__ import annotations

import concurrent.futures
import logging
from typing import TYPE_CHECKING

from ..errors import (
    CredentialsError,
    HttpRefusedError,
    InvalidParametersError,
    LastfmError,
    NeedsReauthError,
    RequestError,
    StorageError,
    TransientError,
)
from ..lastfm import Session
from ..session import SessionFile
from .states import State

if TYPE_CHECKING:
    from .connection import Connection

logger = logging.getLogger(__name__)

PASSWORD_REFUSED = 4  # "authentication failed", the answer to a wrong password
CHECK_LOGIN = "check mtscrobble/username and mtscrobble/password"


class Logins:
    def __init__(self, sessions: SessionFile) -> None:
        self._sessions = sessions
        self.session: Session | None = None
        self._stamp: tuple[int, int] | None = None
        self.retry_at = 0.0  # monotonic: no password login before this
        self.relogins = 0  # logins since the server last accepted a call

    def changed(self) -> bool:
        """Whether the session file changed (a login or logout, by anyone)."""
        return self._sessions.stamp() != self._stamp

    def load(self, connection: Connection) -> None:
        """Take the session file as it is now."""
        self._stamp = self._sessions.stamp()
        self.session = self._sessions.load()
        connection.drop_client()
        self.retry_at = 0.0
        if self.session is not None:
            if connection.state not in (State.CONNECTED, State.RETRYING):
                connection.state = None
            connection.set_state(State.CONNECTED, f"as {self.session.username}")
        elif connection.state in (
            State.NEEDS_REAUTH, State.CONNECTED, State.RETRYING, State.LOGIN_FAILED,
        ):  # fmt: skip
            connection.state = None

    def with_token(
        self, connection: Connection, token: str, future: concurrent.futures.Future
    ) -> None:
        """Turn an approved token into a session; the future gets it (or the error)."""
        client = connection.new_client()
        try:
            session = client.get_session(token)
            self._sessions.save(session)
        except (LastfmError, StorageError) as exc:
            future.set_exception(exc)
            return
        finally:
            client.close()
        connection.state = None  # whatever blocked delivery before, try again
        self.load(connection)
        future.set_result(session)

    def log_in(self, connection: Connection) -> bool:
        """With username/password configured: get a session (at startup, and
        again whenever the server stops accepting the one we have)."""
        settings = connection.settings
        if not (settings.username and settings.password):
            connection.set_state(State.NEEDS_LOGIN)
            return False
        mono = connection.clock.monotonic()
        if mono < self.retry_at:
            return False
        client = connection.new_client()
        connection.attempt()
        try:
            session = client.get_mobile_session(settings.username, settings.password)
        except (TransientError, NeedsReauthError) as exc:
            if isinstance(exc, NeedsReauthError) and exc.code == PASSWORD_REFUSED:
                return self._refused(connection, exc, CHECK_LOGIN)
            # Anything else (9 makes no sense for a login) is worth another try.
            self.retry_at = mono + connection.backoff.failed()
            connection.last_error = str(exc)
            connection.set_state(State.RETRYING)
            return False
        except (RequestError, InvalidParametersError, HttpRefusedError) as exc:
            return self._refused(connection, exc, CHECK_LOGIN)
        except CredentialsError as exc:
            connection.last_error = str(exc)
            connection.set_state(State.BAD_CREDENTIALS)
            return False
        except LastfmError as exc:
            return self._refused(connection, exc, "")
        finally:
            client.close()
        self._sessions.save(session)
        self.session = session
        self._stamp = self._sessions.stamp()
        connection.drop_client()
        connection.backoff.reset()
        connection.retry_at = 0.0
        connection.set_state(State.CONNECTED, f"as {session.username}")
        return True

    @staticmethod
    def _refused(connection: Connection, exc: LastfmError, detail: str) -> bool:
        connection.last_error = str(exc)
        connection.set_state(State.LOGIN_FAILED, detail)
        return False

    def renew(self, connection: Connection, exc: LastfmError) -> bool:
        """The server refused the session: with a password in the config, log
        in again by ourselves (at once, then after growing pauses). False
        when the user must log in."""
        settings = connection.settings
        if not (settings.username and settings.password):
            return False
        (logger.info if self.relogins else logger.warning)(
            "%s no longer accepts the session (%s); logging in again with "
            "mtscrobble/username. Scrobbles wait in the queue.",
            settings.network_name,
            exc,
        )
        mono = connection.clock.monotonic()
        wait = connection.backoff.failed() if self.relogins else 0.0
        self.retry_at = mono + wait
        self.relogins += 1
        self.session = None
        connection.drop_client()
        connection.set_state(State.RETRYING)
        return True
