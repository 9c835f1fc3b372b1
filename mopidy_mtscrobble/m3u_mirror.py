"""Our playlists mirrored as playlists of Mopidy's M3U backend.

Iris (3.70) builds its Playlists page from a fixed list of URI schemes
(`m3u:`, `spotify:`, ...), so `mtscrobble:` playlists never appear there. Each
of ours is written as `<name>.m3u8` into the M3U backend's `playlists_dir`,
where every client lists it, and kept in sync both ways:

- our side (a love on the page, an import, a play count) rewrites the file
  when its tracks differ from ours, never a client's save that lists the
  same tracks, and never over a save made while we write (it is taken at
  the next round: MPD's lookup-edit-save and ours share the file, unlocked);
- a client's edit of the file (Iris's Remove track, MPD's playlistdelete: the
  M3U backend rewrites it) is compared with what we last wrote: in "Loved" a
  track removed is unloved and one added loved, through the same code as a
  save of our own playlist (`loved_edits`); "Most played" is read-only, so
  its edits are undone with a WARNING.
- the file deleted (Iris's Delete) or renamed (Iris's Edit) means: this
  mirror is no longer wanted. It is not written again until Mopidy restarts
  (`m3u_mirror = false` stops it for good), and nothing is unloved.

A love is never lost to the mirror: only an entry a client removed from a
file we could read whole unloves. A missing or unreadable file unloves
nothing; nor does one cut short (no newline at its end, an #EXTINF without
its entry: a writer not done, a full disk), which is looked at once more at
the next check and then written anew; nor one with no entry left where we
wrote several (clearing it is refused, with a WARNING). A client's file is compared
with the copy it most likely started from (the one of our recent copies it
differs least from), so an older copy saved back never undoes the loves made
since.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pathlib
import tempfile
import urllib.parse
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from . import loved_edits
from .store import LocalMatch

logger = logging.getLogger(__name__)

M3U_SCHEME = "m3u"
VERSIONS_KEPT = 20  # recent copies of a mirror a client's save may start from
MIRROR_SUFFIX = ".m3u8"  # always UTF-8 for the M3U backend, whatever its encoding
TEMP_SUFFIX = ".mtscrobble-tmp"  # not .m3u/.m3u8: never listed as a playlist


def m3u_playlists_dir(config: Mapping[str, Any]) -> pathlib.Path | None:
    """Where the M3U backend keeps its playlists, or None when it is off."""
    section = config.get(M3U_SCHEME)
    if not section or not section.get("enabled"):
        return None
    if section.get("playlists_dir"):
        return pathlib.Path(os.path.expanduser(str(section["playlists_dir"])))
    # The M3U backend's default: its data dir, by Mopidy's rule.
    return pathlib.Path(os.path.expanduser(str(config["core"]["data_dir"]))) / "m3u"


def m3u_uri(filename: str) -> str:
    """The URI the M3U backend gives the playlist file `filename`."""
    return f"{M3U_SCHEME}:{urllib.parse.quote(filename)}"


def render(matches: Sequence[LocalMatch]) -> str:
    lines = ["#EXTM3U"]
    for match in matches:
        title = " - ".join(x for x in (match.artist, match.name) if x) or match.uri
        seconds = match.length_ms // 1000 if match.length_ms else -1
        lines += [f"#EXTINF:{seconds},{title}", match.uri]
    return "\n".join(lines) + "\n"


def complete(text: str) -> bool:
    """Whether a file reads as a whole playlist: nothing, or lines that all
    end, the last of them not an #EXTINF still waiting for its entry."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return True
    return text.endswith("\n") and not lines[-1].upper().startswith("#EXTINF")


def parse(text: str) -> tuple[str, ...]:
    """The entries of an M3U playlist, in order (comments and blanks skipped)."""
    lines = (line.strip() for line in text.splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


def write_atomically(
    path: pathlib.Path, text: str, unchanged: Callable[[], bool] = lambda: True
) -> bool:
    """Replace `path` by `text` at once (a reader never sees half a file),
    unless `unchanged()` says no: False then, and the file is left alone.

    `unchanged` is asked after the slow part (the write and its fsync), just
    before the rename: a client that saved the file meanwhile keeps its save.
    """
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=TEMP_SUFFIX)
    try:
        with open(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if not unchanged():
            pathlib.Path(temp).unlink()
            return False
        os.replace(temp, path)
    except BaseException:
        pathlib.Path(temp).unlink(missing_ok=True)
        raise
    return True


def peek(path: pathlib.Path) -> str | None:
    """The file's text, or None if it cannot be read (nothing said)."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


@dataclasses.dataclass
class Mirror:
    """One playlist of ours and its file: what we last wrote there."""

    name: str
    source_uri: str  # our own playlist (mtscrobble:playlist:...)
    writable: bool
    read_only_hint: str = ""
    written: str | None = None  # the text we last wrote (or found and applied)
    active: bool = True
    # Our recent copies, newest last: a client's save started from one of them.
    versions: list[str] = dataclasses.field(default_factory=list)
    cut_short: str | None = None  # a file seen incomplete: looked at once more
    unapplied: bool = False  # a client's edit the store failed to take: again

    def remember(self, text: str) -> None:
        self.written = text
        if not self.versions or self.versions[-1] != text:
            self.versions = [*self.versions, text][-VERSIONS_KEPT:]

    def base_of(self, entries: Sequence[str]) -> tuple[str, ...]:
        """The copy a client's save of `entries` most likely started from:
        of our recent copies it changes, the one it changes least (the newest
        of those). A copy it does not change is not one it started from: the
        save of an older copy with one track removed must not be read as the
        removal of the loves made since, and the removal of the newest love
        must not be read as the save of the copy from before it."""
        copies = [parse(v) for v in self.versions] or [()]

        def changes(copy: tuple[str, ...]) -> int:
            found = loved_edits.edits(copy, entries)
            return len(found.added) + len(found.removed)

        if not changes(copies[-1]):
            return copies[-1]  # the newest tracks, maybe in another order
        changed = [c for c in copies if changes(c)] or copies[-1:]
        fewest = min(changes(c) for c in changed)
        return [c for c in changed if changes(c) == fewest][-1]

    @property
    def filename(self) -> str:
        return self.name.replace(os.sep, "|") + MIRROR_SUFFIX

    @property
    def uri(self) -> str:
        return m3u_uri(self.filename)


# What the mirror needs from the rest: our playlist's tracks now (None when
# the store cannot say), and the loved playlist's editor.
Tracks = Callable[[str], "list[LocalMatch] | None"]
Apply = Callable[
    [Sequence[LocalMatch], Sequence[str], Collection[str]], loved_edits.Outcome
]


class Mirrors:
    """The mirrors in one directory; `sync()` is one deterministic round."""

    def __init__(
        self,
        directory: pathlib.Path,
        mirrors: Sequence[Mirror],
        tracks: Tracks,
        schemes: Collection[str],
        apply: Apply = loved_edits.apply,
    ) -> None:
        self.directory = directory
        self.mirrors = list(mirrors)
        self._tracks, self._schemes, self._apply = tracks, schemes, apply

    def files(self) -> tuple[tuple[int, int, int] | None, ...]:
        """What the mirror files look like on disk (modified, size, inode; None
        if missing): a change means a client or a hand may have edited one."""
        found: list[tuple[int, int, int] | None] = []
        for mirror in self.mirrors:
            try:
                stat = (self.directory / mirror.filename).stat()
            except OSError:
                found.append(None)
            else:
                found.append((stat.st_mtime_ns, stat.st_size, stat.st_ino))
        return tuple(found)

    def unsettled(self) -> bool:
        """Whether a file seen cut short, or a client's edit not applied yet,
        waits to be looked at again."""
        return any(
            m.cut_short is not None or m.unapplied for m in self.mirrors if m.active
        )

    def uris(self) -> set[str]:
        return {m.uri for m in self.mirrors} | {m.source_uri for m in self.mirrors}

    def sync(self) -> None:
        for mirror in self.mirrors:
            if mirror.active:
                self._sync(mirror)

    def _sync(self, mirror: Mirror) -> None:
        path = self.directory / mirror.filename
        text = self._read(mirror, path)
        if not mirror.active:
            return  # deleted or renamed by a client
        if text is not None and mirror.written not in (None, text):
            if complete(text):
                if not self._take_edits(mirror, text):
                    # Not applied yet (the store failed): the file stays as
                    # the client left it, taken again at the next check.
                    mirror.unapplied = True
                    return
            elif mirror.cut_short != text:
                # Maybe a writer not done yet: looked at again at the next check.
                logger.debug("The playlist file %s looks cut short", path)
                mirror.cut_short = text
                return
            else:
                logger.warning(
                    "The playlist file %s was cut short (its last line is not "
                    "whole): nothing was unloved, and it is written again from "
                    "your loved tracks",
                    path,
                )
        mirror.cut_short = None
        mirror.unapplied = False
        current = self._tracks(mirror.source_uri)
        if current is None:
            return  # the store failed (logged): the file stays as it is
        if text is not None and parse(text) == tuple(m.uri for m in current):
            # The right tracks, maybe in the M3U backend's words: a client's
            # save is left as it is (a rewrite now could undo its next one).
            mirror.remember(text)
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            written = write_atomically(
                path, render(current), lambda: peek(path) == text
            )
        except OSError as exc:
            logger.error(
                "The playlist %r could not be written to %s (%s): Iris and other "
                "clients show it as it was; check that Mopidy may write into "
                "m3u/playlists_dir, or set mtscrobble/m3u_mirror = false",
                mirror.name,
                path,
                exc.strerror or exc,
            )
            if text is not None:
                mirror.remember(text)
            return
        # Not written: a client saved meanwhile, its edits are the next round's.
        if written:
            mirror.remember(render(current))
        elif text is not None:
            mirror.remember(text)

    def _read(self, mirror: Mirror, path: pathlib.Path) -> str | None:
        """The file's text; None if unreadable or missing (then, once we have
        written it, the mirror is no longer active)."""
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if mirror.written is None:
                return None  # first round: created now
            mirror.active = False
            logger.warning(
                "The playlist file %s was deleted or renamed by a client: %r is "
                "no longer mirrored there until Mopidy restarts, and nothing was "
                "unloved (set mtscrobble/m3u_mirror = false to stop the mirror "
                "for good)",
                path,
                mirror.name,
            )
            return None
        except (OSError, UnicodeDecodeError) as exc:
            logger.warning(
                "The playlist file %s could not be read (%s): nothing was "
                "unloved, and it is written again from your loved tracks",
                path,
                exc,
            )
            return None

    def _take_edits(self, mirror: Mirror, text: str) -> bool:
        """A client's edit, taken; False if it could not be yet (the store
        failed, logged): then it is to be taken again."""
        if not mirror.writable:
            logger.warning(
                "The playlist %r was edited by a client and is put back: %s",
                mirror.name,
                mirror.read_only_hint,
            )
            return True
        entries = parse(text)
        current = self._tracks(mirror.source_uri)
        if current is None:
            return False
        if not entries and len(parse(mirror.written or "")) > 1:
            # Not a client's edit of one entry: a sync tool, a full disk.
            logger.warning(
                "The playlist file %s was emptied: nothing was unloved, and it "
                "is written again from your loved tracks (to unlove them all, "
                "use MTScrobble's page or 'mopidy mtscrobble unlove')",
                self.directory / mirror.filename,
            )
            return True
        changes = loved_edits.edits(mirror.base_of(entries), entries)
        now = [m.uri for m in current]
        removed = set(changes.removed)
        wanted = [u for u in now if u not in removed]
        wanted += [u for u in changes.added if u not in now]
        outcome = self._apply(current, wanted, self._schemes)
        return outcome is not loved_edits.Outcome.FAILED
