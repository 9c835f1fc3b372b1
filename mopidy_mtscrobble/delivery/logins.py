"""The session, and the ways to get one: the session file (written by any
process), an approved token (the browser login), and the username and
password of the config (at startup, and again when the session is refused).

What a login attempt came to is returned; the connection decides its state.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses

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
from ..lastfm import LastfmClient, Session
from ..session import SessionFile
from .states import State

PASSWORD_REFUSED = 4  # "authentication failed", the answer to a wrong password
CHECK_LOGIN = "check mtscrobble/username and mtscrobble/password"


@dataclasses.dataclass(frozen=True)
class LoginFailure:
    """A login that did not work: the state it leaves, and why."""

    state: State  # RETRYING: worth another try later
    error: str
    detail: str = ""


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

    def load(self) -> Session | None:
        """Take the session file as it is now."""
        self._stamp = self._sessions.stamp()
        self.session = self._sessions.load()
        self.retry_at = 0.0
        return self.session

    def with_token(
        self,
        client: LastfmClient,
        token: str,
        future: concurrent.futures.Future[Session],
    ) -> bool:
        """Turn an approved token into a saved session; the future gets it (or
        the error). True if it worked."""
        try:
            session = client.get_session(token)
            self._sessions.save(session)
        except (LastfmError, StorageError) as exc:
            future.set_exception(exc)
            return False
        future.set_result(session)
        return True

    def with_password(
        self, client: LastfmClient, username: str, password: str
    ) -> Session | LoginFailure:
        """Log in with the config's username and password; the session is saved."""
        try:
            session = client.get_mobile_session(username, password)
        except (TransientError, NeedsReauthError) as exc:
            if isinstance(exc, NeedsReauthError) and exc.code == PASSWORD_REFUSED:
                return LoginFailure(State.LOGIN_FAILED, str(exc), CHECK_LOGIN)
            # Anything else (9 makes no sense for a login) is worth another try.
            return LoginFailure(State.RETRYING, str(exc))
        except (RequestError, InvalidParametersError, HttpRefusedError) as exc:
            return LoginFailure(State.LOGIN_FAILED, str(exc), CHECK_LOGIN)
        except CredentialsError as exc:
            return LoginFailure(State.BAD_CREDENTIALS, str(exc))
        except LastfmError as exc:
            return LoginFailure(State.LOGIN_FAILED, str(exc))
        self._sessions.save(session)
        self.session = session
        self._stamp = self._sessions.stamp()
        return session

    def forget(self) -> None:
        """The server refused the session: a new one is needed."""
        self.session = None
