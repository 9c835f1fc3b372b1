"""The HTTP app under /mtscrobble/: the page, the JSON API and the login callback."""

from __future__ import annotations

import pathlib
from collections.abc import Mapping
from typing import Any

from ..kinds import IMPORTS
from .api import (
    ImportHandler,
    LoveHandler,
    NotFoundHandler,
    QueueHandler,
    RecentHandler,
    RetryHandler,
    StatusHandler,
    TrackHandler,
    UnloveHandler,
)
from .base import Context, origin_allowed
from .charts import ChartsHandler
from .corrections import CorrectionHandler, CorrectionsHandler
from .health_api import HealthHandler
from .history_api import HistoryHandler
from .login import AuthCallbackHandler, LoginHandler, LogoutHandler, PageHandler
from .metrics_api import MetricsHandler
from .private import PrivateHandler
from .queue_api import QueueEntryHandler, QueueHoldHandler
from .rematch import RematchHandler
from .tracks_api import TracksHandler

STATIC_DIR = pathlib.Path(__file__).parent.parent / "static"

__all__ = ["factory", "origin_allowed"]


def factory(config: Mapping[str, Any], core: Any) -> list[tuple[Any, ...]]:
    """Mopidy's `http:app` factory: the routes under /mtscrobble/."""
    context = Context(config, core)
    given = {"context": context}
    return [
        (r"/auth/callback/([A-Za-z0-9_-]{1,64})", AuthCallbackHandler, given),
        (r"/auth/callback/?", AuthCallbackHandler, given),
        (r"/api/status", StatusHandler, given),
        (r"/api/queue", QueueHandler, given),
        (r"/api/queue/([0-9]{1,10})", QueueEntryHandler, given),
        (r"/api/queue/([0-9]{1,10})/(hold|release)", QueueHoldHandler, given),
        (r"/api/recent", RecentHandler, given),
        (r"/api/login", LoginHandler, given),
        (r"/api/logout", LogoutHandler, given),
        (r"/api/retry", RetryHandler, given),
        (
            rf"/api/({'|'.join(kind.api_path for kind in IMPORTS)})",
            ImportHandler,
            given,
        ),
        (r"/api/love", LoveHandler, given),
        (r"/api/unlove", UnloveHandler, given),
        (r"/api/track", TrackHandler, given),
        (r"/api/tracks", TracksHandler, given),
        (r"/api/corrections", CorrectionsHandler, given),
        (r"/api/corrections/([0-9]{1,10})", CorrectionHandler, given),
        (r"/api/private", PrivateHandler, given),
        (r"/api/rematch", RematchHandler, given),
        (r"/api/charts", ChartsHandler, given),
        (r"/api/health", HealthHandler, given),
        (r"/api/history", HistoryHandler, given),
        (r"/api/.*", NotFoundHandler, given),
        (r"/metrics", MetricsHandler, given),
        (
            r"/(.*)",
            PageHandler,
            {"path": str(STATIC_DIR), "default_filename": "index.html"},
        ),
    ]
