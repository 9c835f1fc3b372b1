"""Mopidy-MTScrobble: Last.fm scrobbling for Mopidy that never loses a scrobble."""

from __future__ import annotations

import functools
import logging
import pathlib
import re
from importlib import metadata
from typing import Any

from mopidy import config, exceptions, ext

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
        if dependency_problem() is not None:
            from .compat import unavailable_command

            return unavailable_command()
        from .commands import build_command

        return build_command()

    def validate_environment(self) -> None:
        problem = dependency_problem()
        if problem is not None:
            # Mopidy logs the reason only at INFO (Mopidy 4: hidden by default).
            logger.warning("Mopidy-MTScrobble cannot run: %s", problem)
            raise exceptions.ExtensionError(problem)

    def setup(self, registry: ext.Registry) -> None:
        from .backend import MTScrobbleBackend
        from .frontend import MTScrobbleFrontend
        from .mirror_frontend import MirrorFrontend
        from .web import factory

        registry.add("backend", MTScrobbleBackend)
        registry.add("frontend", MTScrobbleFrontend)
        registry.add("frontend", MirrorFrontend)
        registry.add("http:app", {"name": self.ext_name, "factory": factory})


@functools.cache
def dependency_problem() -> str | None:
    """Why our Last.fm client cannot be used here (e.g. a pylast too old), or None.

    Mopidy calls get_command() before it checks the requirements: nothing that
    needs pylast may be imported before this says it can be.
    """
    try:
        from . import lastfm  # noqa: F401
    except (ImportError, AttributeError) as exc:
        try:
            found = f"pylast {metadata.version('pylast')}"
        except metadata.PackageNotFoundError:
            found = "no pylast"
        wanted = _requirement("pylast") or "pylast"
        return (
            f"found {found}, which cannot be used ({exc}); Mopidy-MTScrobble needs "
            f"{wanted}. Install it into Mopidy's Python, e.g. python3 -m pip "
            f"install '{wanted}' (Debian's Mopidy: see the README's Debian section)."
        )
    return None


def _requirement(name: str) -> str | None:
    """Our requirement on `name` as installed, e.g. 'pylast<7.1,>=6.0'."""
    try:
        requires = metadata.requires(Extension.dist_name) or []
    except metadata.PackageNotFoundError:
        return None
    for requirement in requires:
        spec = requirement.split(";")[0].strip()
        found = re.match(r"[A-Za-z0-9._-]+", spec)
        if found and found.group().lower() == name:
            return spec
    return None
