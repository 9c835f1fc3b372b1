"""Tagged audio files for tests, made by the code behind `make run`'s demo music."""

from __future__ import annotations

import importlib.util
import pathlib

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

_SCRIPT = pathlib.Path(__file__).parent.parent / "scripts" / "make_demo_music.py"
_spec = importlib.util.spec_from_file_location("make_demo_music", _SCRIPT)
_demo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_demo)


def write_track(
    path: pathlib.Path,
    artist: str = "Test Artist",
    album: str = "Test Album",
    title: str = "Test Title",
    number: int = 1,
    seconds: int = 31,
) -> str:
    """Write an Ogg Vorbis file; returns its file:// URI."""
    Gst.init(None)
    path.parent.mkdir(parents=True, exist_ok=True)
    _demo.write_track(path, artist, album, title, number, seconds, 440)
    return path.as_uri()
