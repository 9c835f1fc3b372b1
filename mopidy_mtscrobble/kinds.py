"""What can be imported from the network: one registry that delivery, the
store, matching, the commands and the web app all read. Pure data.

A kind is a list of songs the network keeps for the user (loved tracks, play
counts), fetched a page at a time, staged, swapped in whole when the last page
came, and matched to local tracks.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class ImportKind:
    name: str  # "loved": the jobs row, and the SQL files' suffix
    label: str  # "loved tracks": what logs and messages call it
    title: str  # "Loved tracks": at the start of a status line
    command: str  # the `mopidy mtscrobble ...` command that imports it again
    api_path: str  # POST /mtscrobble/api/<api_path> does the same
    client_call: str  # the LastfmClient method that fetches a page
    value: str  # what each song carries besides its names: a column
    # The tables: the songs, their local matches (and the column naming the
    # song there), and the pages of an import still running.
    table: str
    matches: str
    match_key: str
    staging: str
    # "Imported 12 loved tracks", "Imported the play counts of 12 songs".
    imported: str
    help: str  # the command's help


LOVED = ImportKind(
    name="loved",
    label="loved tracks",
    title="Loved tracks",
    command="import-loved",
    api_path="import-loved",
    client_call="loved_tracks",
    value="loved_at",
    table="loved",
    matches="loved_matches",
    match_key="loved_id",
    staging="loved_import",
    imported="Imported {count} loved tracks",
    help="Import your loved tracks again (replaces the imported set).",
)
PLAYCOUNTS = ImportKind(
    name="playcounts",
    label="play counts",
    title="Play counts",
    command="sync-playcounts",
    api_path="sync-playcounts",
    client_call="top_tracks",
    value="playcount",
    table="playcounts",
    matches="playcount_matches",
    match_key="playcount_id",
    staging="playcounts_import",
    imported="Imported the play counts of {count} songs",
    help="Sync your play counts again (replaces the synced numbers).",
)

# In the order they run: loved tracks first.
KINDS = (LOVED, PLAYCOUNTS)
# The user's past scrobbles, into the listening history (`history_import`): not
# a song list (nothing staged, swapped in or matched), so not in KINDS; only
# imported when asked.
HISTORY = ImportKind(
    name="history",
    label="past scrobbles",
    title="Listening history",
    command="import-history",
    api_path="import-history",
    client_call="past_plays",
    value="played_at",
    table="history",
    matches="",
    match_key="",
    staging="",
    imported="Imported {count} past scrobbles",
    help="Import your past scrobbles into the listening history (resumable).",
)
# Every import with a jobs row: what the commands, the API and the page show.
IMPORTS = (*KINDS, HISTORY)
BY_NAME = {kind.name: kind for kind in IMPORTS}
BY_API_PATH = {kind.api_path: kind for kind in IMPORTS}
