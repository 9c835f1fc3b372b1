"""A fake ListenBrainz (or Maloja) server that follows the real protocol
(see ../shared/LISTENBRAINZ.md)."""

from .server import FakeListenBrainz, Fault, RandomFaults

__all__ = ["FakeListenBrainz", "Fault", "RandomFaults"]
