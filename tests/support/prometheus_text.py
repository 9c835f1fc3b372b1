"""A strict parser of Prometheus's text exposition format 0.0.4, written from
its specification (prometheus_client is not packaged for the test setup), to
check what /mtscrobble/metrics writes. Anything the format does not allow
raises ValueError: a sample before its TYPE, a family split in two, a second
HELP or TYPE, a duplicate series, a bad escape, a value that is not a float.
"""

from __future__ import annotations

import dataclasses
import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
SPECIAL = {"NaN": float("nan"), "+Inf": float("inf"), "-Inf": float("-inf")}


@dataclasses.dataclass
class ParsedFamily:
    type: str | None = None
    help: str | None = None
    samples: dict[tuple[tuple[str, str], ...], float] = dataclasses.field(
        default_factory=dict
    )


def parse(text: str) -> dict[str, ParsedFamily]:
    if not text.endswith("\n"):
        raise ValueError("the exposition must end with a line feed")
    families: dict[str, ParsedFamily] = {}
    closed: set[str] = set()
    current: str | None = None
    for number, line in enumerate(text[:-1].split("\n"), 1):
        try:
            current = _line(line, families, closed, current)
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}: {line!r}") from None
    return families


def _line(line, families, closed, current):
    if line.startswith("#"):
        parts = line.split(" ", 3)
        if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
            name = parts[2]
            if not NAME.fullmatch(name):
                raise ValueError("bad metric name")
            family = _open(name, families, closed, current)
            if parts[1] == "HELP":
                if family.help is not None:
                    raise ValueError("a second HELP")
                family.help = _unescape(parts[3] if len(parts) > 3 else "", "\\n")
            else:
                if family.type is not None or family.samples:
                    raise ValueError("TYPE again, or after samples")
                if len(parts) != 4 or parts[3] not in TYPES:
                    raise ValueError("bad TYPE")
                family.type = parts[3]
            return name
        return current  # a comment
    if not line.strip():
        return current
    match = NAME.match(line)
    if not match:
        raise ValueError("bad metric name")
    name, rest = match.group(), line[match.end() :]
    labels: list[tuple[str, str]] = []
    if rest.startswith("{"):
        labels, rest = _labels(rest[1:])
    if not rest.startswith(" "):
        raise ValueError("no space before the value")
    fields = rest.split()
    if not 1 <= len(fields) <= 2:
        raise ValueError("value and optional timestamp expected")
    value = _float(fields[0])
    if len(fields) == 2 and not re.fullmatch(r"-?[0-9]+", fields[1]):
        raise ValueError("bad timestamp")
    family = _open(name, families, closed, current)
    if family.type is None:
        raise ValueError("a sample before its TYPE")
    key = tuple(sorted(labels))
    if len({k for k, _ in labels}) != len(labels):
        raise ValueError("a label twice")
    if key in family.samples:
        raise ValueError("a duplicate series")
    family.samples[key] = value
    return name


def _open(name, families, closed, current):
    if name != current:
        if name in closed or name in families:
            raise ValueError(f"{name} appears in two places")
        if current is not None:
            closed.add(current)
        families[name] = ParsedFamily()
    return families[name]


def _labels(rest):
    labels = []
    while True:
        if rest.startswith("}"):
            return labels, rest[1:]
        match = LABEL_NAME.match(rest)
        if not match or not rest[match.end() :].startswith('="'):
            raise ValueError("bad label")
        name, rest = match.group(), rest[match.end() + 2 :]
        value, index = [], 0
        while True:
            if index >= len(rest):
                raise ValueError("unterminated label value")
            char = rest[index]
            if char == "\\":
                pair = rest[index : index + 2]
                if pair not in ("\\\\", '\\"', "\\n"):
                    raise ValueError("bad escape in a label value")
                value.append({"\\\\": "\\", '\\"': '"', "\\n": "\n"}[pair])
                index += 2
            elif char == '"':
                break
            elif char == "\n":
                raise ValueError("a raw line feed in a label value")
            else:
                value.append(char)
                index += 1
        labels.append((name, "".join(value)))
        rest = rest[index + 1 :]
        if rest.startswith(","):
            rest = rest[1:]
        elif not rest.startswith("}"):
            raise ValueError("labels must be separated by commas")


def _unescape(text, allowed):
    out, index = [], 0
    while index < len(text):
        if text[index] == "\\":
            pair = text[index : index + 2]
            if pair == "\\\\":
                out.append("\\")
            elif pair == "\\n":
                out.append("\n")
            else:
                raise ValueError("bad escape in HELP")
            index += 2
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def _float(text):
    if text in SPECIAL:
        return SPECIAL[text]
    if not FLOAT.fullmatch(text):
        raise ValueError("not a float")
    return float(text)
