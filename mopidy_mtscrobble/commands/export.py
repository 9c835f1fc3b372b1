"""`export --format csv|jsonl [--since DATE] [--output FILE]`: the listening
history, written page by page (see `history_export`)."""

from __future__ import annotations

import argparse
import contextlib
import os
import pathlib
import sys
import time
from collections.abc import Iterator
from typing import TextIO

from ..datadir import prepare_data_dir
from ..history_export import DATE_FORMATS, FORMATS, check_format, export, parse_since
from ..store import Store
from .common import EXIT_FAILED, EXIT_OK, Config, guarded

# The history is the user's own: an export file is private like the database.
FILE_MODE = 0o600

ARGUMENTS = (
    (
        ("--format",),
        {"required": True, "choices": FORMATS, "help": "csv, or jsonl (ListenBrainz)"},
    ),
    (("--since",), {"metavar": "DATE", "help": DATE_FORMATS}),
    (
        ("--output",),
        {"metavar": "FILE", "help": "write to FILE (default: standard output)"},
    ),
)


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    if path is None or path == "-":
        yield sys.stdout
        return
    fd = os.open(pathlib.Path(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as file:
        yield file


@guarded
def export_history(config: Config, args: argparse.Namespace) -> int:
    fmt = check_format(args.format)
    since = parse_since(args.since)
    store = Store.open(prepare_data_dir(config), time.time())
    try:
        try:
            with _output(args.output) as out:
                rows = export(store, fmt, since, out)
        except BrokenPipeError:  # read by a command that stopped early (head)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_OK
        except OSError as exc:
            print(
                f"Error: cannot write {args.output}: {exc.strerror or exc}. "
                "Choose another --output file."
            )
            return EXIT_FAILED
    finally:
        store.close()
    if args.output not in (None, "-"):
        print(f"Exported {rows} plays to {args.output} ({fmt}).")
    return EXIT_OK
