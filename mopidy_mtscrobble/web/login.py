"""Logging in from the page: the authorization address, the callback, logout.

The network's authorization page sends the browser back to our callback
with a token. Any token some account approved would do for Last.fm, so a
page elsewhere on the network could log this player in to a stranger's
account (login CSRF). The callback therefore only takes a token that comes
back on the address handed out by POST /api/login: it carries a single-use
state that expires after 15 minutes. A working session is only replaced
when the login was started asking for it.
"""

from __future__ import annotations

import asyncio
import html
from typing import Any

import tornado.web

from ..errors import (
    LastfmError,
    MTScrobbleError,
    RequestRefused,
    TokenExpiredError,
    TokenNotAuthorizedError,
)
from ..lastfm import LastfmClient
from .base import PAGE_POLICY, Context, JsonHandler, SecureHandler, cap

LOGIN_TIMEOUT_S = 60.0

CALLBACK_PATH = "/mtscrobble/auth/callback/"


async def _connected_as(context: Context, delivery: Any) -> str | None:
    """The account of a working session, if there is one (a revoked one is not)."""
    session = await context.ask(context.sessions().load, 5.0)
    if session is None or delivery.status().state == "needs re-authentication":
        return None
    return session.username or "(unknown)"


class LoginHandler(JsonHandler):
    """POST {} (or {"replace": true}): the address of the network's page that
    grants access, with a callback that only this login can use."""

    async def post(self) -> None:
        body = self.json_body({"replace": bool})
        replace = bool(body.get("replace"))
        settings = self.context.settings
        missing = settings.missing_credentials()
        if missing:
            keys = " and ".join(f"mtscrobble/{k}" for k in missing)
            raise RequestRefused(
                f"Set {keys} in mopidy.conf first, then restart Mopidy", 503
            )
        delivery = await self.context.delivery()
        username = await _connected_as(self.context, delivery)
        if username and not replace:
            raise RequestRefused(
                f"Already connected as {cap(username)}: log out first, or ask "
                'with {"replace": true} to connect another account',
                409,
            )
        state = self.context.logins.new(replace)
        callback = (
            f"{self.request.protocol}://{self.request.host}{CALLBACK_PATH}{state}"
        )
        url = LastfmClient(settings).authorization_url(callback=callback)
        self.answer(200, {"url": url})


class LogoutHandler(JsonHandler):
    """POST {}: forget the session; queued scrobbles stay."""

    async def post(self) -> None:
        self.json_body({})
        sessions = self.context.sessions()
        await self.context.ask(sessions.clear, 5.0)
        self.answer(200, {"connected": False})


class AuthCallbackHandler(SecureHandler):
    """Where the authorization page sends the browser back: .../<state>?token=..."""

    policy = PAGE_POLICY

    def initialize(self, context: Context) -> None:
        self.context = context

    async def get(self, state: str = "") -> None:
        replace = self.context.logins.take(state) if state else None
        if replace is None:
            self.page(
                403,
                "This login was not started here, or it expired. Start it again "
                "from the Mopidy-MTScrobble page (Connect).",
            )
            return
        token = self.get_query_argument("token", "").strip()
        if not token:
            self.page(
                400,
                "No token came back from the authorization page. "
                "Start the login again.",
            )
            return
        try:
            delivery = await self.context.delivery()
        except MTScrobbleError:
            self.page(503, "Mopidy-MTScrobble is not running; see Mopidy's log.")
            return
        username = await _connected_as(self.context, delivery)
        if username and not replace:
            self.page(
                409,
                f"Already connected as {username}. Log out first to connect "
                "another account.",
            )
            return
        future = delivery.login_with_token(token)
        try:
            session = await asyncio.wait_for(
                asyncio.wrap_future(future), LOGIN_TIMEOUT_S
            )
        except TokenNotAuthorizedError:
            self.page(
                403,
                "Access was not allowed. Start the login again and "
                "choose 'Yes, allow access'.",
            )
        except TokenExpiredError:
            self.page(403, "The authorization expired. Start the login again.")
        except (LastfmError, MTScrobbleError) as exc:
            self.page(502, f"Logging in failed: {exc}")
        except TimeoutError:
            self.page(504, "The server did not answer in time. Try again later.")
        else:
            self.page(
                200,
                f"Connected to {delivery.settings.network_name} as "
                f"{session.username}. You can close this page.",
            )

    def page(self, status: int, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            '<!DOCTYPE html><html><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width">'
            "<title>Mopidy-MTScrobble</title></head><body>"
            f"<p>{html.escape(cap(message) or '')}</p>"
            '<p><a href="/mtscrobble/">Back to Mopidy-MTScrobble</a></p></body></html>'
        )

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        status, message = self.error_of(status_code, kwargs)
        self.page(status, message)


class PageHandler(tornado.web.StaticFileHandler):
    """The page's files, with a policy that lets them load only themselves."""

    def set_default_headers(self) -> None:
        from .base import SECURITY_HEADERS

        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)
        self.set_header("Content-Security-Policy", PAGE_POLICY)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code} {self._reason}\n")
