"""GET /mtscrobble/api/history?format=csv|jsonl&since=DATE: the listening
history exported, streamed a page at a time.

Each page is read and rendered on the database's thread (never on the event
loop) and written and flushed before the next is read, so an export of a
million plays never sits in memory, nor keeps other clients of Mopidy's
server waiting.
"""

from __future__ import annotations

import logging

import tornado.iostream

from ..errors import MTScrobbleError
from ..history_export import (
    MEDIA_TYPES,
    Chunk,
    Key,
    check_format,
    chunk,
    header,
    parse_since,
)
from .base import JsonHandler

logger = logging.getLogger(__name__)


class HistoryHandler(JsonHandler):
    """GET ?format=csv|jsonl[&since=DATE]: the plays since DATE, oldest first."""

    async def get(self) -> None:
        fmt = check_format(self.get_query_argument("format", None))
        since = parse_since(self.get_query_argument("since", None))
        page = await self._page(fmt, since, None)  # errors still answer JSON
        self.set_header("Content-Type", MEDIA_TYPES[fmt])
        self.set_header(
            "Content-Disposition", f'attachment; filename="listening-history.{fmt}"'
        )
        self.write(header(fmt))
        try:
            while True:
                self.write(page.text)
                await self.flush()
                if page.after is None:
                    break
                page = await self._page(fmt, since, page.after)
        except tornado.iostream.StreamClosedError:
            return  # the client went away
        except MTScrobbleError as exc:
            # Too late for an answer of its own: end the download unfinished.
            logger.warning("The history export stopped: %s", exc)
            self.request.connection.close()  # type: ignore[union-attr]
            return
        self.finish()

    async def _page(self, fmt: str, since: int, after: Key | None) -> Chunk:
        return await self.context.in_store(
            lambda store: chunk(store, fmt, since, after)
        )
