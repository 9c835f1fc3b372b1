"""A backend like Mopidy-Stream for the web tests: a lookup of an http URI
fetches it (here: makes a track of it), and the lookups are counted."""

from __future__ import annotations

from typing import ClassVar

import pykka
from mopidy import backend

from ..support.builders import model_track


class StreamLibrary(backend.LibraryProvider):
    """Like Mopidy-Stream: a lookup of an http URI fetches it. Counts lookups."""

    lookups: ClassVar[list[str]] = []

    def lookup(self, uri):
        StreamLibrary.lookups.append(uri)
        return [model_track(uri=uri, name="Fetched")]


class StreamBackend(pykka.ThreadingActor, backend.Backend):
    uri_schemes = ("http", "https")

    def __init__(self, config, audio):
        super().__init__()
        self.library = StreamLibrary(self)
