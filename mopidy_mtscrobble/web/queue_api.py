"""The editable queue in the JSON API (see `store.editing`):

- PUT /mtscrobble/api/queue/ID {"artist", "track", "album", "album_artist"}:
  send the entry with these names (those left out stay as they are);
- POST /mtscrobble/api/queue/ID/hold and .../release;
- DELETE /mtscrobble/api/queue/ID?confirm=1 (or the body {"confirm": true}).

Each answers the entry as it is now (a delete: {"deleted": ID}); 404 for an
unknown entry, 409 for one a destination has in flight or sent. The listing
is GET /mtscrobble/api/queue (its "plays").
"""

from __future__ import annotations

from typing import Any

from .. import queue_edits
from ..errors import NotReadyError, RequestRefused
from ..sending import NAMES
from ..store import QueuedEntry, Store
from .base import JsonHandler, cap

CONFIRMED = ("1", "true", "yes")


def queued_entry(entry: QueuedEntry) -> dict[str, Any]:
    """An entry as the API shows it: names sent and heard, held, and its
    state at each destination."""
    return {
        "id": entry.id,
        "timestamp": entry.timestamp,
        "held": entry.held,
        "edited": entry.edited,
        "sent": {name: cap(getattr(entry, name)) for name in NAMES},
        "heard": {name: cap(getattr(entry, f"heard_{name}")) for name in NAMES},
        "destinations": dict(entry.states),
    }


class QueueEntryHandler(JsonHandler):
    """PUT: edit one entry's names; DELETE: forget it, once confirmed."""

    SUPPORTED_METHODS = ("PUT", "DELETE", "OPTIONS", "HEAD")
    guarded_methods = frozenset({"PUT", "DELETE"})

    async def put(self, play_id: str) -> None:
        body = self.json_body(dict.fromkeys(NAMES, str))
        changes = {k: body[k] for k in NAMES if k in body}
        if not changes:
            raise RequestRefused(
                f"Nothing to edit: give at least one of {', '.join(NAMES)}"
            )

        def edit(store: Store) -> QueuedEntry:
            return queue_edits.edit(store, int(play_id), changes)

        self.answer(200, queued_entry(await self.context.in_store(edit)))

    async def delete(self, play_id: str) -> None:
        body = self.json_body({"confirm": bool})
        asked = self.get_query_argument("confirm", "").lower() in CONFIRMED
        if not (asked or body.get("confirm") is True):
            raise RequestRefused(
                "A deleted scrobble is gone for good: confirm with ?confirm=1 "
                'or the body {"confirm": true}'
            )
        await self.context.in_store(lambda store: store.editing.delete(int(play_id)))
        self.answer(200, {"deleted": int(play_id)})


class QueueHoldHandler(JsonHandler):
    """POST {} to .../hold or .../release."""

    async def post(self, play_id: str, action: str) -> None:
        self.json_body({})

        def change(store: Store) -> QueuedEntry:
            if action == "hold":
                store.editing.hold(int(play_id))
            else:
                store.editing.release(int(play_id))
            return store.editing.require(int(play_id))

        entry = await self.context.in_store(change)
        if action == "release":
            await self._wake_delivery()
        self.answer(200, queued_entry(entry))

    async def _wake_delivery(self) -> None:
        """Released: sent now, not at delivery's next look (a minute at most)."""
        try:
            frontend = await self.context.frontend()
        except NotReadyError:
            return  # no delivery runs: it sends the play when it starts
        frontend.plays_released()  # told, not awaited
