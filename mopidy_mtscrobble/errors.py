"""The errors of Mopidy-MTScrobble: each says what happened and what to do."""

from __future__ import annotations


class MTScrobbleError(Exception):
    """Base class. The message is shown to the user as it is."""


class ConfigurationError(MTScrobbleError):
    """A config value or the environment must be fixed by the user."""


class StorageError(MTScrobbleError):
    """The data directory or the database cannot be used."""
