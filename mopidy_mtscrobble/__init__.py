"""Mopidy-MTScrobble: Last.fm scrobbling for Mopidy that never loses a scrobble."""

from __future__ import annotations

import logging
import pathlib
from typing import Any

from mopidy import config, ext

from .version import __version__

__all__ = ["Extension", "__version__"]

logger = logging.getLogger(__name__)


class Extension(ext.Extension):
    dist_name = "Mopidy-MTScrobble"
    ext_name = "mtscrobble"
    version = __version__

    def get_default_config(self) -> str:
        return str(config.read(pathlib.Path(__file__).parent / "ext.conf"))

    def get_config_schema(self) -> config.ConfigSchema:
        from .settings import build_schema

        return build_schema(self.ext_name, super().get_config_schema())

    def get_command(self) -> Any:
        from .commands import build_command

        return build_command()

    def setup(self, registry: ext.Registry) -> None:
        from .backend import MTScrobbleBackend
        from .frontend import MTScrobbleFrontend
        from .web import factory

        registry.add("backend", MTScrobbleBackend)
        registry.add("frontend", MTScrobbleFrontend)
        registry.add("http:app", {"name": self.ext_name, "factory": factory})
