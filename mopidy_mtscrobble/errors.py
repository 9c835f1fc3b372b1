"""The errors of Mopidy-MTScrobble: each says what happened and what to do."""

from __future__ import annotations


class MTScrobbleError(Exception):
    """Base class. The message is shown to the user as it is."""


class StorageError(MTScrobbleError):
    """The data directory or the database cannot be used."""


class LastfmError(MTScrobbleError):
    """A call to the scrobbling server failed. `code`: lfm error code or HTTP status."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TransientError(LastfmError):
    """Try again later: the server is unreachable, busy or failing for now."""


class AnswerLostError(TransientError):
    """The request may have reached the server, but its answer did not come back."""


class RateLimitedError(TransientError):
    """The server says we call too often (lfm 29)."""


class NeedsReauthError(LastfmError):
    """The session is no longer valid (lfm 9 or 4): the user must log in again."""


class CredentialsError(LastfmError):
    """The API key or secret is wrong or suspended (lfm 10, 26, 13)."""


class InvalidParametersError(LastfmError):
    """The server refused the parameters (lfm 6): some item in the request is bad."""


class TokenNotAuthorizedError(LastfmError):
    """The user has not approved the token yet (lfm 14)."""


class TokenExpiredError(LastfmError):
    """The token expired before it was approved (lfm 15)."""


class RequestError(LastfmError):
    """The server refused the request as such (lfm 2, 3, 5, 7, ...): a bug."""


class NotReadyError(MTScrobbleError):
    """The extension is not running, or not yet."""


class TrackError(MTScrobbleError):
    """A track cannot be loved or unloved: none playing, unknown, or nameless."""

    # The HTTP status that fits: 404 unknown URI, 409 nothing playing, 400 nameless.
    def __init__(self, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.http_status = http_status
