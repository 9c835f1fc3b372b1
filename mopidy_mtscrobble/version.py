"""The version of Mopidy-MTScrobble (read by setup.cfg, sent in our User-Agent)."""

__version__ = "0.1.0"
