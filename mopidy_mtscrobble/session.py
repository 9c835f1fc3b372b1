"""The Last.fm session, kept in the data directory (mode 0600) between runs."""

from __future__ import annotations

import json
import logging
import os
import pathlib

from .datadir import ownership_remedy
from .errors import StorageError
from .lastfm import Session

logger = logging.getLogger(__name__)

SESSION_FILENAME = "session.json"
FILE_MODE = 0o600


class SessionFile:
    def __init__(self, data_dir: pathlib.Path, network: str) -> None:
        self.path = data_dir / SESSION_FILENAME
        self._network = network

    def stamp(self) -> tuple[int, int] | None:
        """Changes whenever the file is written or removed (by any process)."""
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_mtime_ns, info.st_ino

    def load(self) -> Session | None:
        """The stored session for the configured network, if any."""
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            logger.warning(
                "Ignoring the unreadable session file %s (%s); log in again.",
                self.path,
                exc.__class__.__name__,
            )
            return None
        if data.get("network") != self._network or not data.get("key"):
            return None
        return Session(key=data["key"], username=data.get("username", ""))

    def save(self, session: Session) -> None:
        data = {
            "network": self._network,
            "key": session.key,
            "username": session.username,
        }
        temporary = self.path.with_suffix(".tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(data, file)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, FILE_MODE)
            os.replace(temporary, self.path)
        except OSError as exc:
            raise StorageError(
                f"Cannot save the session in {self.path}: {exc.strerror}. "
                f"{ownership_remedy(self.path.parent)}."
            ) from None

    def clear(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageError(
                f"Cannot remove the session file {self.path}: {exc.strerror}."
            ) from None
