"""A fake Last.fm server that follows the real protocol (see ../shared/LASTFM.md)."""

from .server import FakeLastfm, Fault, signature

__all__ = ["FakeLastfm", "Fault", "signature"]
