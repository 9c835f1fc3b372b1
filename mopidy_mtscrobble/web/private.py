"""GET/POST /mtscrobble/api/private: private mode (see `private`).

POST {"pause": "30m"|"1h"|"today"|"forever"} (or {"pause": ""}: the
private_default duration), {"resume": true} or {"skip": true}. The state is
in the database; the frontend reads it there when a play starts, is
announced or qualifies.
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import RequestRefused
from ..private import DURATIONS, PrivateState, pause_until
from ..store import Store
from .base import JsonHandler


def _private(state: PrivateState, now_s: float) -> dict[str, Any]:
    active = state.active(now_s)
    return {
        "active": active,
        "until": (int(state.until_s) if active and state.until_s else None),
        "until_text": state.until_text() if active else None,
        "skip_at": state.skip_at,
        "durations": DURATIONS,
    }


class PrivateHandler(JsonHandler):
    """GET: whether private mode is on and until when. POST: change it."""

    async def get(self) -> None:
        state = await self.context.in_store(lambda store: store.private.get())
        body = _private(state, time.time())
        body["default"] = self.context.settings.private_default
        self.answer(200, body)

    async def post(self) -> None:
        body = self.json_body({"pause": str, "resume": bool, "skip": bool})
        asked = [key for key in ("pause", "resume", "skip") if body.get(key)]
        asked += ["pause"] if body.get("pause") == "" else []
        if len(asked) != 1:
            raise RequestRefused(
                'Send one of {"pause": "30m"|"1h"|"today"|"forever"}, '
                '{"resume": true} or {"skip": true}'
            )
        now = time.time()
        work = self._change(asked[0], body, now)
        state = await self.context.in_store(work)
        answer = _private(state, now)
        answer["default"] = self.context.settings.private_default
        self.answer(200, answer)

    def _change(self, what: str, body: dict[str, Any], now: float) -> Any:
        if what == "resume":
            return lambda store: store.private.resume(now)
        if what == "skip":
            return lambda store: store.private.skip(now)
        duration = body["pause"] or self.context.settings.private_default
        if duration not in DURATIONS:
            raise RequestRefused(
                f"'pause' must be one of {', '.join(DURATIONS)}, not {duration!r}"[:300]
            )
        until = pause_until(duration, now)

        def pause(store: Store) -> PrivateState:
            return store.private.pause(until, now)

        return pause
