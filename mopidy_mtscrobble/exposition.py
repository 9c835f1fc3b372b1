"""Prometheus's text exposition format (version 0.0.4), written by hand: a few
families of gauges and counters need no library, and none is packaged for
every Debian release we install on. Pure: values in, text out.
"""

from __future__ import annotations

import dataclasses
import math
import re

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = ("counter", "gauge", "untyped")

Labels = tuple[tuple[str, str], ...]


@dataclasses.dataclass
class Family:
    """One metric: its name, help, type, and samples (labels, value)."""

    name: str
    help: str
    type: str
    samples: list[tuple[Labels, float]] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name) or self.type not in TYPES:
            raise ValueError(f"not a metric: {self.name} {self.type}")

    def add(self, value: float, /, **labels: str) -> Family:
        for name in labels:
            if not LABEL_NAME.fullmatch(name) or name.startswith("__"):
                raise ValueError(f"not a label name: {name}")
        self.samples.append((tuple(labels.items()), value))
        return self


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def render(families: list[Family]) -> str:
    """The exposition of `families`, in order; a family without samples is
    still described (HELP and TYPE), as prometheus_client does."""
    lines = []
    for family in families:
        lines.append(f"# HELP {family.name} {escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.type}")
        for labels, value in family.samples:
            inside = ",".join(f'{k}="{escape_label(v)}"' for k, v in labels)
            shown = f"{{{inside}}}" if labels else ""
            lines.append(f"{family.name}{shown} {number(value)}")
    return "\n".join(lines) + "\n"
