"""POST /mtscrobble/api/rematch: the library changed, match it again now."""

from __future__ import annotations

from .base import FRONTEND_TIMEOUT_S, JsonHandler


class RematchHandler(JsonHandler):
    """POST {}: the matcher rematches the library on its own thread."""

    async def post(self) -> None:
        self.json_body({})
        frontend = await self.context.frontend()
        await self.context.ask(
            lambda: frontend.rematch().get(timeout=FRONTEND_TIMEOUT_S),
            FRONTEND_TIMEOUT_S,
        )
        self.answer(202, {"rematching": True})
