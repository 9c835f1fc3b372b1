"""The listening history exported, as CSV or as JSON lines in ListenBrainz's
listen format, for `mopidy mtscrobble export` and GET /api/history alike.

Read in pages (keyset on played_at and id: each page costs the same, however
deep) and written page by page: an export of a million plays never sits in
memory whole.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import json
import json.encoder
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from .errors import RequestRefused
from .listenbrainz.listens import MEDIA_PLAYER, SUBMISSION_CLIENT
from .store import HistoryEntry, Store
from .version import __version__

CSV, JSONL = "csv", "jsonl"
FORMATS = (CSV, JSONL)
MEDIA_TYPES = {CSV: "text/csv; charset=utf-8", JSONL: "application/x-ndjson"}
COLUMNS = (
    "played_at", "artist", "track", "album", "album_artist", "duration_s",
    "heard_s", "uri", "origin", "outcome", "reason",
)  # fmt: skip
PAGE_ROWS = 2000
MS_PER_S = 1000
DATE_FORMATS = (
    "YYYY-MM-DD (from midnight UTC) or an ISO 8601 date and time, e.g. "
    "2026-01-31T18:00 (UTC) or 2026-01-31T18:00+01:00"
)
# JSON strings in ASCII only: no line separator of Unicode's inside a line.
quoted: Callable[[str], str] = json.encoder.encode_basestring_ascii
CLIENT_INFO = (
    f'"media_player": {quoted(MEDIA_PLAYER)}, '
    f'"submission_client": {quoted(SUBMISSION_CLIENT)}, '
    f'"submission_client_version": {quoted(__version__)}'
)
# A page's end, where the next page starts: (played_at, id).
Key = tuple[int, int]


class ExportRefused(RequestRefused):
    """An export asked for in a format or from a date we cannot read."""


def check_format(name: str | None) -> str:
    fmt = (name or "").strip().lower()
    if fmt not in FORMATS:
        raise ExportRefused(
            f"Unknown export format {name!r}: use {' or '.join(FORMATS)}."
        )
    return fmt


def parse_since(text: str | None) -> int:
    """`--since`/`since=` as UTC unix seconds: 0 when not given. A date alone
    is its midnight UTC; a date and time without an offset is UTC too."""
    if text is None or not text.strip():
        return 0
    try:
        when = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ExportRefused(f"{text!r} is not a date: write {DATE_FORMATS}.") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    try:
        return int(when.timestamp())
    except (OverflowError, OSError, ValueError):
        raise ExportRefused(f"{text!r} is out of range.") from None


def header(fmt: str) -> str:
    """What an export starts with: CSV's column names; JSON lines: nothing."""
    return _csv_text([COLUMNS]) if fmt == CSV else ""


def render(fmt: str, entries: list[HistoryEntry]) -> str:
    """A page of the history as text in `fmt`."""
    if fmt == CSV:
        return _csv_text(map(_csv_row, entries))
    return "".join(map(listen_line, entries))


def _csv_text(rows: Any) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def _csv_row(entry: HistoryEntry) -> tuple[Any, ...]:
    return entry[2:]  # from played_at_utc on: the columns, in their order


def listen_line(entry: HistoryEntry) -> str:
    """A play as one listen of ListenBrainz's JSON (a `payload` item of
    POST /1/submit-listens) on a line; what else we know of it in
    additional_info. The names were cleaned when the play was kept (see
    `sanitize`). Written by hand, strings escaped by json's own encoder: a
    million lines, three times faster than `json.dumps` of dicts."""
    q = quoted
    metadata = f'"artist_name": {q(entry.artist)}, "track_name": {q(entry.track)}'
    if entry.album:
        metadata += f', "release_name": {q(entry.album)}'
    info = CLIENT_INFO
    if entry.duration_s:
        info += f', "duration_ms": {int(entry.duration_s) * MS_PER_S}'
    if entry.album_artist:
        info += f', "release_artist_name": {q(entry.album_artist)}'
    if entry.uri:
        info += f', "mtscrobble_uri": {q(entry.uri)}'
    if entry.heard_s is not None:
        info += f', "mtscrobble_heard_s": {int(entry.heard_s)}'
    info += f', "mtscrobble_origin": {q(entry.origin)}'
    info += f', "mtscrobble_outcome": {q(entry.outcome)}'
    if entry.reason:
        info += f', "mtscrobble_reason": {q(entry.reason)}'
    return (
        f'{{"listened_at": {int(entry.played_at)}, "track_metadata": '
        f'{{{metadata}, "additional_info": {{{info}}}}}}}\n'
    )


@dataclasses.dataclass
class Chunk:
    """A page as text, and where the next one starts (None: it was the last)."""

    text: str
    rows: int
    after: Key | None


def chunk(store: Store, fmt: str, since_s: int, after: Key | None) -> Chunk:
    """The page after `after` (None: the first), rendered."""
    entries = store.history.page(since_s, after, PAGE_ROWS)
    last = (entries[-1].played_at, entries[-1].id) if entries else None
    after_next = last if len(entries) == PAGE_ROWS else None
    return Chunk(render(fmt, entries), len(entries), after_next)


def chunks(store: Store, fmt: str, since_s: int) -> Iterator[Chunk]:
    after: Key | None = None
    while True:
        page = chunk(store, fmt, since_s, after)
        yield page
        if page.after is None:
            return
        after = page.after


def export(store: Store, fmt: str, since_s: int, out: TextIO) -> int:
    """Write the history since `since_s` to `out`; how many plays it holds."""
    out.write(header(fmt))
    rows = 0
    for page in chunks(store, fmt, since_s):
        out.write(page.text)
        rows += page.rows
    return rows
