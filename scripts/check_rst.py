"""Fail on any docutils warning or error in the given reStructuredText files
(README.rst is the PyPI page: a malformed table there shows as raw text)."""

from __future__ import annotations

import io
import sys

import docutils.core


def problems(path: str) -> str:
    report = io.StringIO()
    with open(path, encoding="utf-8") as file:
        docutils.core.publish_string(
            file.read(),
            source_path=path,
            writer_name="null",
            settings_overrides={
                "report_level": 2,
                "halt_level": 5,
                "warning_stream": report,
            },
        )
    return report.getvalue()


def main(paths: list[str]) -> int:
    found = {path: problems(path) for path in paths}
    for text in found.values():
        sys.stderr.write(text)
    return 1 if any(found.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
