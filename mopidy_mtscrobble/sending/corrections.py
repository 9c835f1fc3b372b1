"""The last sending step: the user's saved corrections (`store.corrections`).

Read from the database at each queueing, so a correction made from the page,
the API or the CLI counts for the next play, with no restart.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from . import Names

if TYPE_CHECKING:
    from ..store import NewScrobble, Store


def correct(names: Names, scrobble: NewScrobble, store: Store | None) -> Names:
    """`names` as the most specific saved correction that matches them says."""
    if store is None:
        return names
    found = store.corrections.find(names.artist, names.track, names.album)
    if found is None:
        return names
    artist, track, album = found.apply(names.artist, names.track, names.album)
    return dataclasses.replace(names, artist=artist, track=track, album=album)
