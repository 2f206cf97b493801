"""The part every fake service shares: an aiohttp app on a loopback port.

Each fake is a real HTTP server (port 0 picks a free port) so that the integration's own
clients, cookie jars and SignalR library are exercised exactly as against the real apps.
"""

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from aiohttp import web

HOST = "127.0.0.1"


class Service(StrEnum):
    """The upstream applications the simulator stands in for."""

    JELLYSEERR = "jellyseerr"
    RADARR = "radarr"
    SONARR = "sonarr"
    QBITTORRENT = "qbittorrent"
    JELLYFIN = "jellyfin"
    SHOKO = "shoko"


class FakeService:
    """An aiohttp application served on 127.0.0.1, which can go offline and back."""

    def __init__(self, service: Service, middlewares: Iterable[Any] = ()) -> None:
        """Create the application; subclasses add their routes."""
        self.service = service
        self.app = web.Application(middlewares=list(middlewares))
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._port = 0

    @property
    def url(self) -> str:
        """The base URL (valid once started)."""
        return f"http://{HOST}:{self._port}"

    @property
    def online(self) -> bool:
        """Whether it accepts connections (started, and not taken offline)."""
        return self._site is not None

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._runner = web.AppRunner(self.app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await self.go_online()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._site = None

    async def go_offline(self) -> None:
        """Behave like a stopped process: refuse connections, drop the open ones.

        Open connections are closed at once, not shut down gracefully: a graceful
        shutdown waits on the loop's clock, which a frozen test clock never moves.
        """
        if self._runner is None or self._site is None:
            return
        await self._site.stop()
        self._site = None
        server = self._runner.server
        if server is not None:
            for connection in server.connections:
                connection.force_close()

    async def go_online(self) -> None:
        """Accept connections again, on the same port."""
        if self._runner is None or self._site is not None:
            return
        self._site = web.TCPSite(self._runner, HOST, self._port)
        await self._site.start()
