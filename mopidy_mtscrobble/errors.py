"""The errors of Mopidy-MTScrobble: each says what happened and what to do."""

from __future__ import annotations


class MTScrobbleError(Exception):
    """Base class. The message is shown to the user as it is.

    `http_status`: how the web API answers when this error ends a request.
    """

    http_status = 500


class StorageError(MTScrobbleError):
    """The data directory or the database cannot be used.

    `damaged`: the database file itself is damaged (not merely locked or
    unreadable): only the frontend, at Mopidy's start, sets such a file aside.
    """

    http_status = 503

    def __init__(self, message: str, damaged: bool = False) -> None:
        super().__init__(message)
        self.damaged = damaged


class LastfmError(MTScrobbleError):
    """A call to a scrobbling server failed (Last.fm and its kin, ListenBrainz,
    Maloja). `code`: lfm error code or HTTP status."""

    http_status = 502

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TransientError(LastfmError):
    """Try again later: the server is unreachable, busy or failing for now."""

    # True when no HTTP answer came at all (refused, reset, DNS, timeout): then a
    # cheap connection probe tells when the network is back.
    network_level = False


class UnreachableError(TransientError):
    """No connection could be made (refused, DNS, connect timeout): nothing was sent."""

    network_level = True


class AnswerLostError(TransientError):
    """The request may have reached the server, but no usable answer came back.

    HTTP 5xx, an answer that is not a well-formed Last.fm answer, or (for a
    scrobble) "operation failed" / "service offline" / "temporary error": the
    server may have applied it, so scrobbles are checked before being resent.
    """


class NoAnswerError(AnswerLostError):
    """The connection broke or timed out after the request was sent."""

    network_level = True


class HttpRefusedError(LastfmError):
    """HTTP 4xx without a Last.fm error: the server refused this request's content
    (e.g. 413, too large). Like "invalid parameters": some item in it is bad."""


class ConnectionLostError(TransientError):
    """The connection broke or timed out after a request that is safe to repeat
    was sent (a read, a "playing now", a feedback): nothing is uncertain."""

    network_level = True


class RateLimitedError(TransientError):
    """The server says we call too often (lfm 29, HTTP 429).

    `wait_s`: how long the server asked us to wait, when it said so.
    """

    def __init__(
        self, message: str, code: int | None = None, wait_s: float | None = None
    ) -> None:
        super().__init__(message, code)
        self.wait_s = wait_s


class NeedsReauthError(LastfmError):
    """The session is no longer valid (lfm 9 or 4): the user must log in again."""


class TokenRefusedError(NeedsReauthError):
    """The server refused the user token (ListenBrainz or Maloja, HTTP 401): the
    user must give a valid one; what waits to be sent is kept."""


class CredentialsError(LastfmError):
    """The API key or secret is wrong or suspended (lfm 10, 26, 13)."""


class InvalidParametersError(LastfmError):
    """The server refused the parameters (lfm 6): some item in the request is bad."""


class ListenRefusedError(InvalidParametersError):
    """A listen was refused, by the server (HTTP 400, 409) or by us before
    sending because the server would refuse it: it cannot be sent as it is.

    `listen`: the listen the server's answer names (its listened_at and
    track_metadata), when it names one; in an import, that is the bad one.
    """

    def __init__(
        self,
        message: str,
        code: int | None = None,
        listen: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, code)
        self.listen = listen


class TokenNotAuthorizedError(LastfmError):
    """The user has not approved the token yet (lfm 14)."""


class TokenExpiredError(LastfmError):
    """The token expired before it was approved (lfm 15)."""


class RequestError(LastfmError):
    """The server refused the request as such (lfm 2, 3, 5, 7, ...): a bug."""


class WrongAddressError(RequestError):
    """The server knows no such address or user (HTTP 404): the configured
    server address or user name is wrong."""


class NotSupportedError(RequestError):
    """The server does not offer this call (Maloja answers "Invalid Method"
    for most of ListenBrainz's API): do not ask it again."""


NOT_RUNNING = "Mopidy-MTScrobble is not running (see Mopidy's log)"


class NotReadyError(MTScrobbleError):
    """The extension is not running, or not yet (or did not answer in time)."""

    http_status = 503

    def __init__(self, message: str = NOT_RUNNING) -> None:
        super().__init__(message)


class RequestRefused(MTScrobbleError):
    """A request (web API or command) that cannot be done as asked."""

    def __init__(self, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.http_status = http_status


class TrackError(RequestRefused):
    """A track cannot be loved or unloved: none playing, unknown, or nameless.

    The HTTP status that fits: 404 unknown URI, 409 nothing playing, 400 nameless.
    """
