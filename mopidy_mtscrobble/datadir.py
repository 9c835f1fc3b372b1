"""The extension's directory under Mopidy's `[core] data_dir`."""

from __future__ import annotations

import os
import pathlib
import tempfile
from collections.abc import Mapping
from typing import Any

from mopidy import ext

from .errors import StorageError

EXT_NAME = "mtscrobble"


class _Extension(ext.Extension):
    """Only to ask Mopidy where this extension's data goes, by its own rule."""

    ext_name = EXT_NAME


def prepare_data_dir(config: Mapping[str, Any]) -> pathlib.Path:
    """Create (if needed) and check the data directory, or raise StorageError."""
    core_dir = config["core"]["data_dir"]
    expected = pathlib.Path(os.path.expanduser(str(core_dir))) / EXT_NAME
    try:
        path = pathlib.Path(_Extension.get_data_dir(config))
        # Proves we can create files there, whoever we run as.
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if expected.exists() and not expected.is_dir():
            reason = "a file is in the way, not a directory"
        raise StorageError(
            f"Cannot use the data directory {expected}: {reason}. "
            f"Make it a directory the Mopidy user can write to, "
            f"or change [core] data_dir in mopidy.conf."
        ) from None
    return path
