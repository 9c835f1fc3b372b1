"""Everything that differs between Mopidy 3.4 and Mopidy 4, kept in one place.

No `from __future__ import annotations` here: cyclopts reads the annotations
of the command functions made below at run time.
"""

import argparse
import dataclasses
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import mopidy

MOPIDY_MAJOR = int(mopidy.__version__.split(".", 1)[0])

Runner = Callable[[Mapping[str, Any], argparse.Namespace], int]


@dataclasses.dataclass(frozen=True)
class Subcommand:
    """One `mopidy mtscrobble NAME` command, described once for both Mopidy majors."""

    name: str
    help: str
    run: Runner
    # (args, kwargs) pairs for argparse's add_argument
    arguments: Sequence[tuple[tuple[str, ...], dict[str, Any]]] = ()


def build_command(help_text: str, subcommands: Sequence[Subcommand]) -> Any:
    """An argparse `Command` tree for Mopidy 3, a cyclopts `App` for Mopidy 4."""
    if MOPIDY_MAJOR >= 4:
        return _cyclopts_app(help_text, subcommands)
    return _argparse_command(help_text, subcommands)


def unavailable_command() -> Any:
    """A stand-in for the command while a dependency is unusable.

    Mopidy then disables the extension and says why (its requirement check, or
    our validate_environment), and `mopidy mtscrobble ...` ends with its own
    "Unable to run command provided by disabled extension". Mopidy 4 does not
    register the commands of a disabled extension at all.
    """
    if MOPIDY_MAJOR >= 4:
        return None
    from mopidy import commands

    class Unavailable(commands.Command):
        help = "Unavailable: see why in Mopidy's log (mopidy deps)."

        # Any words are accepted, so that Mopidy gets to say why it is disabled.
        def _parse(self, args: Any, namespace: Any, overrides: Any, prog: Any) -> Any:
            for attr, value in {**overrides, **self._overrides}.items():
                setattr(namespace, attr, value)
            namespace.command = self
            return namespace

        def run(self, args: argparse.Namespace, config: Mapping[str, Any]) -> int:
            return 1

    return Unavailable()


def _argparse_command(help_text: str, subcommands: Sequence[Subcommand]) -> Any:
    from mopidy import commands

    class Group(commands.Command):
        help = help_text

    class Leaf(commands.Command):
        def __init__(self, spec: Subcommand) -> None:
            super().__init__()
            self.help = spec.help
            self._spec = spec
            for args, kwargs in spec.arguments:
                self.add_argument(*args, **kwargs)

        def run(self, args: argparse.Namespace, config: Mapping[str, Any]) -> int:
            return self._spec.run(config, args)

    group = Group()
    for spec in subcommands:
        group.add_child(spec.name, Leaf(spec))
    return group


def _cyclopts_app(help_text: str, subcommands: Sequence[Subcommand]) -> Any:
    from typing import Annotated

    import cyclopts
    from mopidy.config import Config

    app = cyclopts.App(help=help_text)

    def register(spec: Subcommand) -> None:
        parser = argparse.ArgumentParser(
            prog=f"mopidy mtscrobble {spec.name}", description=spec.help
        )
        for args, kwargs in spec.arguments:
            parser.add_argument(*args, **kwargs)

        # Options are parsed by argparse so both majors accept the same command line.
        def command(
            *tokens: Annotated[
                str, cyclopts.Parameter(show=False, allow_leading_hyphen=True)
            ],
        ) -> None:
            namespace = parser.parse_args(list(tokens))
            sys.exit(spec.run(Config.get_global(), namespace))

        command.__doc__ = spec.help
        app.command(command, name=spec.name, help=spec.help)

    for spec in subcommands:
        register(spec)
    return app


def backend_lookup(library: Any, uri: str, timeout_s: float) -> list[Any]:
    """One URI's tracks, asked of a backend's library provider (a proxy).

    Mopidy 4 calls `lookup_many` (a backend may implement only that; the
    default calls `lookup`); Mopidy 3 knows only `lookup`.
    """
    if MOPIDY_MAJOR >= 4:
        found = library.lookup_many([uri]).get(timeout=timeout_s) or {}
        return list(found.get(uri) or [])
    return list(library.lookup(uri).get(timeout=timeout_s) or [])
