"""Tagged audio files for tests, made by the script behind `make run`'s demo music."""

from __future__ import annotations

import pathlib
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).parent.parent.parent / "scripts" / "make_demo_music.py"


def write_track(
    path: pathlib.Path,
    artist: str = "Test Artist",
    album: str = "Test Album",
    title: str = "Test Title",
    number: int = 1,
    seconds: int = 31,
) -> str:
    """Write an Ogg Vorbis file; returns its file:// URI."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A process of its own: tags written after Mopidy's audio import get lost.
    subprocess.run(
        [sys.executable, str(SCRIPT), "--one", str(path), artist, album, title,
         str(number), str(seconds)],
        check=True,
        timeout=60,
    )  # fmt: skip
    return path.as_uri()


def write_mp3(path: pathlib.Path, seconds: int) -> bytes:
    """Write MP3 at a constant 128 kbit/s, as a radio station sends it; returns it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, str(SCRIPT), "--mp3", str(path), str(seconds)],
        check=True,
        timeout=60,
    )
    return path.read_bytes()


def write_many(folder: pathlib.Path, count: int) -> list[str]:
    """`count` one-second files "Many Artist - Song N" in `folder` (one process:
    about 10 ms a file); their file:// URIs, in order."""
    subprocess.run(
        [sys.executable, str(SCRIPT), "--many", str(folder), str(count)], check=True
    )
    return [(folder / f"{n:04}.ogg").as_uri() for n in range(count)]
