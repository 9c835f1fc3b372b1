"""The Mopidy frontend: a thin adapter from Mopidy's events to the extension."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pykka
from mopidy.core import CoreListener

from .datadir import prepare_data_dir
from .errors import MTScrobbleError
from .settings import API_ACCOUNT_URL, Settings

logger = logging.getLogger(__name__)


class MTScrobbleFrontend(pykka.ThreadingActor, CoreListener):
    def __init__(self, config: Mapping[str, Any], core: Any) -> None:
        # Nothing here may fail: an exception in __init__ would stop Mopidy.
        super().__init__()
        self._config = config
        self._core = core
        self.settings: Settings | None = None
        self.data_dir = None

    def on_start(self) -> None:
        try:
            self.settings = Settings.from_config(self._config["mtscrobble"])
            self.data_dir = prepare_data_dir(self._config)
        except MTScrobbleError as exc:
            logger.error("Mopidy-MTScrobble is not running: %s", exc)
            return
        logger.info(
            "Mopidy-MTScrobble started: scrobbling to %s, data in %s",
            self.settings.network_name,
            self.data_dir,
        )
        report_credentials(self.settings)


def report_credentials(settings: Settings) -> None:
    missing = settings.missing_credentials()
    if not missing:
        return
    keys = " and ".join(f"mtscrobble/{key}" for key in missing)
    where = (
        f"Create an API account at {API_ACCOUNT_URL} and put its key and secret"
        if settings.network == "lastfm"
        else f"Put the API key and secret for {settings.network_name}"
    )
    logger.error(
        "%s not set, so nothing can be sent to %s (plays are still recorded). "
        "%s in the [mtscrobble] section of mopidy.conf, then restart Mopidy.",
        keys,
        settings.network_name,
        where,
    )
