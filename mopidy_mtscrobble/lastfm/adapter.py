"""The one place that uses pylast's private API, wrapped small.

pylast has no public way to make a signed call and read its whole answer
(its `scrobble_many` throws the per-item answer away), so we use its
`_Network` and `_Request`. A pylast release that changes them fails
`tests/lastfm/test_pylast_adapter.py` loudly; the supported range is in setup.cfg.

The requests go through our own httpx transport, handed to pylast as its
proxy mount (a public parameter): it sets our User-Agent on our requests only,
keeps the raw answer (status, Date, body) for us to read, and keeps the
connections open between requests.
"""

from __future__ import annotations

import dataclasses
import email.utils
import threading
from typing import Any

import pylast

from ..version import __version__

USER_AGENT = f"Mopidy-MTScrobble/{__version__} pylast/{pylast.__version__}"
httpx: Any = pylast.httpx  # whichever httpx pylast was built with
NetworkError = pylast.NetworkError


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    date: float | None  # the server's clock (Date header), unix seconds
    body: bytes


class Transport(httpx.BaseTransport):
    """Carries pylast's requests: our User-Agent on each, and the raw answer kept.

    pylast opens and closes an httpx client per request; the connections live
    here, so they are reused. Only this client's requests get our User-Agent.
    """

    def __init__(self, proxy: str | None) -> None:
        self.proxy = proxy or None
        self._inner = httpx.HTTPTransport(verify=pylast.SSL_CONTEXT, proxy=self.proxy)
        self._local = threading.local()

    def forget(self) -> None:
        self._local.answer = None

    def answer(self) -> Answer | None:
        answer: Answer | None = getattr(self._local, "answer", None)
        return answer

    def handle_request(self, request: Any) -> Any:
        request.headers["User-Agent"] = USER_AGENT
        response = self._inner.handle_request(request)
        try:
            body = response.read()
        finally:
            response.close()
        date = _http_date(response.headers.get("Date"))
        self._local.answer = Answer(response.status_code, date, body)
        return response

    def close(self) -> None:
        pass  # pylast closes its client after every request; the pool stays

    def shut(self) -> None:
        self._inner.close()


class Network:
    """A pylast network object for one server, API key and (maybe) session."""

    def __init__(
        self,
        name: str,
        homepage: str,
        server: tuple[str, str],
        api_key: str | None,
        api_secret: str | None,
        session_key: str | None,
        transport: Transport,
    ) -> None:
        self.api_key = api_key or ""
        self._network = pylast._Network(
            name=name,
            homepage=homepage,
            ws_server=server,
            api_key=api_key,
            api_secret=api_secret,
            session_key=session_key,
            username=None,
            password_hash=None,
            domain_names={},
            urls={},
            proxy={"https://": transport},
        )

    def request(self, method: str, params: dict[str, Any], sign: bool) -> Any:
        """A request, built and signed (it may raise UnicodeError and the like
        for values that cannot be signed)."""
        request = pylast._Request(self._network, method, params)
        if sign:
            request.sign_it()
        return request

    @staticmethod
    def send(request: Any) -> None:
        """Send it; NetworkError when no answer came. pylast's own reading of
        the answer may raise anything: the transport kept it for us."""
        try:
            request.execute(cacheable=False)
        except pylast.NetworkError:
            raise
        except Exception:  # noqa: S110 - read by us from the transport
            pass


def underlying_error(exc: pylast.NetworkError) -> BaseException:
    cause: BaseException = exc.underlying_error
    return cause


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
