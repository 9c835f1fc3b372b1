"""The user's edits of queued plays (the page, the API and the CLI): the new
names, checked, kept as the names sent (`sending.sent_columns`), and logged."""

from __future__ import annotations

import dataclasses
import logging

from .errors import RequestRefused
from .sending import NAMES, Names, sent_columns
from .store import EntryRefused, QueuedEntry, Store

logger = logging.getLogger(__name__)

# Names that are never left empty: a scrobble without them is refused.
REQUIRED = ("artist", "track")
MAX_NAME_CHARS = 1024
EDIT_ATTEMPTS = 5  # reads of an entry that other edits keep changing


def names_of(entry: QueuedEntry, heard: bool = False) -> Names:
    prefix = "heard_" if heard else ""
    values = (getattr(entry, f"{prefix}{n}") for n in NAMES)
    return Names(*values)


def edit(store: Store, play_id: int, changes: dict[str, str | None]) -> QueuedEntry:
    """Send play `play_id` with `changes` to its names (album, album_artist:
    None or '' for none); returns the entry as edited. Raises `EntryRefused`
    (unknown, in flight, sent) or `RequestRefused` (names not valid)."""
    unknown = sorted(set(changes) - set(NAMES))
    if unknown:
        raise RequestRefused(
            f"Unknown name(s) {', '.join(unknown)}: a queued scrobble has "
            f"{', '.join(NAMES)}."
        )
    cleaned = {k: _cleaned(k, v) for k, v in changes.items()}
    # Compare and set: an edit of other names made meanwhile (the page and
    # the CLI at once) is read again and kept, never overwritten.
    for _ in range(EDIT_ATTEMPTS):
        entry = store.editing.require(play_id)
        before = names_of(entry)
        values = {**dataclasses.asdict(before), **cleaned}
        after = Names(
            str(values["artist"]), str(values["track"]),
            values["album"], values["album_artist"],
        )  # fmt: skip
        heard = names_of(entry, heard=True)
        if store.editing.set_names(play_id, sent_columns(heard, after), entry):
            break
    else:
        raise EntryRefused(
            f"Scrobble #{play_id} kept changing while it was being edited; try again.",
            409,
        )
    logger.info("Edited scrobble #%d: %s → %s", play_id, _shown(before), _shown(after))
    edited = store.editing.get(play_id)
    if edited is None:  # deleted right after the edit
        raise EntryRefused(f"Scrobble #{play_id} was deleted meanwhile.", 404)
    return edited


def _cleaned(name: str, value: str | None) -> str | None:
    text = " ".join((value or "").split())
    if len(text) > MAX_NAME_CHARS:
        raise RequestRefused(
            f"The {name.replace('_', ' ')} is too long (at most {MAX_NAME_CHARS} "
            "characters); shorten it."
        )
    if not text and name in REQUIRED:
        raise RequestRefused(
            f"A scrobble needs its {name}: give one that is not empty."
        )
    return text or None


def _shown(names: Names) -> str:
    album = f" [{names.album}]" if names.album else ""
    return f"{names.artist} - {names.track}{album}"
