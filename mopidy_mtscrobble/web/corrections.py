"""The saved corrections in the JSON API: /mtscrobble/api/corrections[/ID].

GET lists them; POST makes one (or changes the one with the same match),
PUT /ID changes one, DELETE /ID deletes one. POST and PUT take
{"match_artist", "match_track", "match_album", "artist", "track", "album",
"apply_waiting"}: with "apply_waiting": true, the plays still waiting are
sent with the new names too. All store work runs off the IOLoop.
"""

from __future__ import annotations

import time
from typing import Any

from ..store import Correction, Store
from .base import JsonHandler, cap

FIELDS = {
    "match_artist": str,
    "match_track": str,
    "match_album": str,
    "artist": str,
    "track": str,
    "album": str,
    "apply_waiting": bool,
}


def _correction(found: Correction) -> dict[str, Any]:
    return {
        "id": found.id,
        **{
            name: cap(getattr(found, name))
            for name in FIELDS
            if name != "apply_waiting"
        },
        "created_at": found.created_at,
        "updated_at": found.updated_at,
    }


class CorrectionsHandler(JsonHandler):
    """GET: every correction; POST {...}: save one."""

    async def get(self) -> None:
        found = await self.context.in_store(lambda store: store.corrections.list())
        self.answer(200, {"corrections": [_correction(c) for c in found]})

    async def post(self) -> None:
        body = self.json_body(FIELDS)

        def save(store: Store) -> tuple[Correction, int | None]:
            saved = store.corrections.add(body, time.time())
            return saved, _apply(store, saved, body)

        saved, applied = await self.context.in_store(save)
        self.answer(201, {"correction": _correction(saved), "applied": applied})


class CorrectionHandler(JsonHandler):
    """PUT /ID {...}: change a correction (every field); DELETE /ID: delete it."""

    SUPPORTED_METHODS = ("PUT", "DELETE", "OPTIONS", "HEAD")
    guarded_methods = frozenset({"PUT", "DELETE"})

    async def put(self, correction_id: str) -> None:
        body = self.json_body(FIELDS)

        def change(store: Store) -> tuple[Correction, int | None]:
            saved = store.corrections.update(int(correction_id), body, time.time())
            return saved, _apply(store, saved, body)

        saved, applied = await self.context.in_store(change)
        self.answer(200, {"correction": _correction(saved), "applied": applied})

    async def delete(self, correction_id: str) -> None:
        await self.context.in_store(
            lambda store: store.corrections.delete(int(correction_id))
        )
        self.answer(200, {"deleted": int(correction_id)})


def _apply(store: Store, saved: Correction, body: dict[str, Any]) -> int | None:
    """How many waiting plays changed, if asked to apply it to them."""
    if not body.get("apply_waiting"):
        return None
    return store.corrections.apply_to_waiting(saved.id)
