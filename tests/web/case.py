"""`WebCase`: the HTTP app through Tornado's test client, with a real frontend
(with its delivery thread, talking to the fake Last.fm) in a Mopidy core with a
test library behind it, as in Mopidy."""

from __future__ import annotations

import json
import pathlib
import tempfile
import time

import pykka
import pylast
import tornado.testing
import tornado.web
from mopidy import core

from mopidy_mtscrobble.backend import MTScrobbleBackend
from mopidy_mtscrobble.frontend import MTScrobbleFrontend
from mopidy_mtscrobble.kinds import KINDS
from mopidy_mtscrobble.lastfm import Session
from mopidy_mtscrobble.session import SessionFile
from mopidy_mtscrobble.store import Store
from mopidy_mtscrobble.web import factory

from ..fakes.lastfm import FakeLastfm
from ..fakes.library_backends import SearchingBackend
from ..fakes.player import TestAudio
from ..support.builders import model_track
from ..support.frontend_harness import config_for

TRACKS = [
    model_track(uri="local:track:1", name="Song", artists=("Singer",)),
    model_track(uri="local:track:2", name="<img src=x onerror=alert(1)>"),
]
JSON = {"Content-Type": "application/json"}


class WebCase(tornado.testing.AsyncHTTPTestCase):
    """A real frontend, delivery and fake server behind the app; no tests here."""

    extra_backends: tuple = ()

    def setUp(self) -> None:
        # The app finds "the" frontend in Pykka's registry: none may be left
        # from an earlier test in this process.
        pykka.ActorRegistry.stop_all()
        self.folder = pathlib.Path(tempfile.mkdtemp())
        self.lastfm = FakeLastfm().start()
        pylast.SSL_CONTEXT.load_verify_locations(
            self.lastfm.ca_file(self.folder / "ca.pem")
        )
        self.data_dir = self.folder / "mtscrobble"
        self.data_dir.mkdir()
        self.session_key = self.lastfm.add_user("alice")
        SessionFile(self.data_dir, "custom").save(
            Session(key=self.session_key, username="alice")
        )
        store = Store.open(self.data_dir, time.time())
        for kind in KINDS:  # imported before: none starts now
            store.jobs.start(kind, "alice", time.time())
            store.jobs.finish(kind, time.time())
        store.close()
        self.config = config_for(
            self.folder,
            network="custom",
            api_url=self.lastfm.url,
            api_key=self.lastfm.api_key,
            api_secret=self.lastfm.api_secret,
            favorites_uri_schemes=("local",),
        )
        audio = TestAudio.start().proxy()
        backends = [
            SearchingBackend.start(config=self.config, audio=audio, tracks=TRACKS),
            MTScrobbleBackend.start(config=self.config, audio=audio),
            *(b.start(config=self.config, audio=audio) for b in self.extra_backends),
        ]
        self.core = core.Core.start(
            config=self.config,
            mixer=None,
            backends=[b.proxy() for b in backends],
            audio=audio,
        ).proxy()
        self.frontend = MTScrobbleFrontend.start(self.config, self.core).proxy()
        self.frontend.settings.get()  # on_start has run
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()
        pykka.ActorRegistry.stop_all()
        self.lastfm.stop()

    def get_app(self) -> tornado.web.Application:
        return tornado.web.Application(factory(self.config, self.core))

    def request(self, method, path, body=None, headers=None, raw=None):
        if method == "POST" and raw is None:
            raw = json.dumps(body or {}).encode()
        answer = self.fetch(path, method=method, body=raw,
                            headers=JSON if headers is None else headers)  # fmt: skip
        text = answer.body.decode()
        if answer.headers.get("Content-Type", "").startswith("application/json"):
            return answer.code, json.loads(text)
        return answer.code, text

    def no_secret_in(self, body) -> None:
        text = json.dumps(body)
        assert self.lastfm.api_secret not in text
        assert self.session_key not in text

    def context_of_app(self):
        """The context the app's handlers share (its store thread, its origins)."""
        for rule in self._app.wildcard_router.rules:
            for inner in getattr(rule.target, "rules", [rule]):
                context = (inner.target_kwargs or {}).get("context")
                if context is not None:
                    return context
        raise AssertionError("no context")
