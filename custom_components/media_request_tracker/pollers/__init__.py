"""One poller per service: what to ask it and when, and how its failures show.

Pollers confirm and repair what webhooks and live events miss (DESIGN §2.1). Their
answers become evidence in `sources/`; the tracker applies it like any other.
"""

from .arr import RadarrPoller, SonarrPoller
from .base import ServicePoller
from .jellyfin import JellyfinPoller
from .jellyseerr import JellyseerrPoller
from .qbittorrent import QBittorrentPoller
from .shoko import ShokoPoller, async_setup_shoko

__all__ = [
    "JellyfinPoller",
    "JellyseerrPoller",
    "QBittorrentPoller",
    "RadarrPoller",
    "ServicePoller",
    "ShokoPoller",
    "SonarrPoller",
    "async_setup_shoko",
]
