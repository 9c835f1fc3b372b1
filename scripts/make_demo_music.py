"""Write a few short, tagged Ogg Vorbis files for trying Mopidy-MTScrobble out.

Usage: python make_demo_music.py DIRECTORY
       python make_demo_music.py --one PATH ARTIST ALBUM TITLE NUMBER SECONDS
       python make_demo_music.py --many DIRECTORY COUNT
       python make_demo_music.py --mp3 PATH SECONDS
Existing files are left alone. Needs GStreamer with its base plugins (--mp3,
the audio a test radio station sends: its good plugins too).
"""

from __future__ import annotations

import pathlib
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GObject, Gst  # noqa: E402

SAMPLE_RATE_HZ = 44100
SAMPLES_PER_BUFFER = 1024

DEMO_TRACKS = (
    # (file name, artist, album, title, track number, seconds, tone Hz)
    ("01-sunrise.ogg", "The Demo Band", "Test Tones", "Sunrise", 1, 45, 440),
    ("02-midday.ogg", "The Demo Band", "Test Tones", "Midday", 2, 40, 523),
    ("03-sunset.ogg", "The Demo Band", "Test Tones", "Sunset", 3, 35, 659),
    ("01-radio-song.ogg", "Björk & Friends", "Ünïcödé Hits", "Radio Song", 1, 32, 330),
)


def _tone_into(
    path: pathlib.Path, seconds: int, tone_hz: int, channels: int, encoder: str
) -> Gst.Pipeline:
    """A pipeline writing `seconds` of a sine tone to `path` through `encoder`."""
    buffers = seconds * SAMPLE_RATE_HZ // SAMPLES_PER_BUFFER + 1
    pipeline = Gst.parse_launch(
        f"audiotestsrc wave=sine volume=0.2 freq={tone_hz} num-buffers={buffers} "
        f"samplesperbuffer={SAMPLES_PER_BUFFER} "
        f"! audio/x-raw,rate={SAMPLE_RATE_HZ},channels={channels} ! audioconvert "
        f"! {encoder} ! filesink name=sink"
    )
    pipeline.get_by_name("sink").set_property("location", str(path))
    return pipeline


def _run(pipeline: Gst.Pipeline, path: pathlib.Path) -> None:
    """Play `pipeline` to its end; a GStreamer error ends the script, saying why."""
    pipeline.set_state(Gst.State.PLAYING)
    message = pipeline.get_bus().timed_pop_filtered(
        Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR
    )
    pipeline.set_state(Gst.State.NULL)
    if message.type == Gst.MessageType.ERROR:
        error, _debug = message.parse_error()
        raise SystemExit(f"Could not write {path}: {error.message}")


def write_track(
    path: pathlib.Path,
    artist: str,
    album: str,
    title: str,
    number: int,
    seconds: int,
    tone_hz: int,
) -> None:
    pipeline = _tone_into(
        path, seconds, tone_hz, 1, "vorbisenc name=enc quality=0.1 ! oggmux"
    )
    tags = Gst.TagList.new_empty()
    for tag, value in (
        (Gst.TAG_ARTIST, artist),
        (Gst.TAG_ALBUM, album),
        (Gst.TAG_TITLE, title),
        (Gst.TAG_ALBUM_ARTIST, artist),
        (Gst.TAG_TRACK_NUMBER, GObject.Value(GObject.TYPE_UINT, number)),
    ):
        tags.add_value(Gst.TagMergeMode.REPLACE, tag, value)
    # Only GStreamer's base plugins are needed. (Run this in a process of its own:
    # once Mopidy's audio module is imported, these tags get lost.)
    pipeline.get_by_name("enc").merge_tags(tags, Gst.TagMergeMode.REPLACE)
    _run(pipeline, path)


def write_mp3(path: pathlib.Path, seconds: int) -> None:
    """Untagged MP3 at a constant 128 kbit/s (16,000 bytes a second), as
    internet radio sends it; its frames can be sent in a loop."""
    pipeline = _tone_into(
        path, seconds, 330, 2, "lamemp3enc target=bitrate bitrate=128 cbr=true"
    )
    _run(pipeline, path)


def main(directory: str) -> None:
    Gst.init(None)
    root = pathlib.Path(directory)
    for name, artist, album, title, number, seconds, tone in DEMO_TRACKS:
        folder = root / artist / album
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        if not path.exists():
            write_track(path, artist, album, title, number, seconds, tone)
            print(f"Wrote {path}")


def main_one(args: list[str]) -> None:
    """--one PATH ARTIST ALBUM TITLE NUMBER SECONDS: one file (for the tests)."""
    path, artist, album, title, number, seconds = args
    Gst.init(None)
    write_track(
        pathlib.Path(path), artist, album, title, int(number), int(seconds), 440
    )


def main_many(directory: str, count: str) -> None:
    """--many DIRECTORY COUNT: COUNT one-second files "Many Artist - Song N"
    (for the tests: a big library, written in one process)."""
    Gst.init(None)
    root = pathlib.Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    for n in range(int(count)):
        write_track(
            root / f"{n:04}.ogg",
            "Many Artist",
            "Many Album",
            f"Song {n}",
            n + 1,
            1,
            440,
        )


if __name__ == "__main__":
    if len(sys.argv) == 8 and sys.argv[1] == "--one":
        main_one(sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "--mp3":
        Gst.init(None)
        write_mp3(pathlib.Path(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "--many":
        main_many(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 2:
        main(sys.argv[1])
    else:
        raise SystemExit(__doc__)
