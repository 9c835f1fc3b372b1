"""Where plays are delivered: each destination by the stable name the store
keeps its delivery states under. Pure data.

A name never changes once plays were queued under it: the store would take a
new name for a destination that never had any play.
"""

from __future__ import annotations

# Last.fm, Libre.fm or a custom Last.fm-compatible server (setting `network`):
# one destination whichever server it is, as before there were several.
LASTFM = "lastfm"
