"""How the fake ends a request: an answer of any status and body, or no answer."""

from __future__ import annotations

import json
from typing import Any


class Answer(Exception):
    """End a request with this status and JSON body (or raw bytes)."""

    def __init__(self, status: int, body: Any, content_type: str = "application/json"):
        super().__init__(status)
        self.status, self.body, self.content_type = status, body, content_type

    def raw(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


class Drop(Exception):
    """Close the connection without an answer."""


def error(status: int, message: str) -> Answer:
    return Answer(status, {"code": status, "error": message})
