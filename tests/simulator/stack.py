"""The whole simulated media stack: six fake services, one clock, one scenario run.

`SimulatedStack` is what tests, the demo and the CLI use: it starts every fake on a
free loopback port, hands out their URLs and credentials (derived from the seed, like
every id and hash the scenarios produce), points each pushing service at a webhook
target, and plays scenarios on the shared clock.
"""

import asyncio
from collections.abc import Mapping, Sequence
import contextlib
from datetime import datetime
import random
from types import TracebackType
from typing import Self

from .arr import HEALTH_GRACE_SECONDS
from .clock import SimClock
from .jellyfin import JellyfinServer
from .jellyseerr import VERSION as JELLYSEERR_VERSION, JellyseerrServer
from .player import ScenarioPlayer, Services
from .qbittorrent import QBITTORRENT_VERSIONS, QBittorrentServer
from .radarr import RadarrServer
from .scenarios import Scenario
from .server import FakeService, Service
from .shoko import ShokoServer
from .sonarr import SonarrServer
from .webhooks import Delivery, WebhookSender, WebhookTarget

QBITTORRENT_USERNAME = "admin"
SHOKO_USERNAME = "Default"
PUSHING_SERVICES = (
    Service.JELLYSEERR,
    Service.RADARR,
    Service.SONARR,
    Service.JELLYFIN,
)


class SimulatedStack:
    """Jellyseerr, Radarr, Sonarr, qBittorrent, Jellyfin and Shoko on one clock.

    Use as `async with SimulatedStack(...) as stack:` or call `start()`/`stop()`.
    Scenarios given to the constructor start playing on `start()` (or call `play()`
    later, e.g. once a client is connected); `finished()` waits for the last step.
    """

    def __init__(
        self,
        *,
        speed: float = 1.0,
        seed: int = 0,
        scenarios: Sequence[Scenario] = (),
        qbittorrent_version: str = "5.0",
        start: datetime | None = None,
        shoko_keepalive: float = 15.0,
        shoko_version: str = "5",
        jellyseerr_version: str = JELLYSEERR_VERSION,
        health_grace: float = HEALTH_GRACE_SECONDS,
        radarr_4k: bool = False,
    ) -> None:
        """Build the services (nothing listens until `start()`).

        `shoko_version` is "5" or "6" (v6-dev); `jellyseerr_version` the Seerr release
        whose request rules to follow (before 2.6.0 nothing completes);
        `health_grace` the simulated seconds after the start (second 0) during which
        Radarr and Sonarr send no health webhook (upstream: 15 minutes);
        `radarr_4k` adds a second, 4K Radarr (`radarr_4k`), an instance of its own
        with its own key that the scenarios do not use.
        """
        if qbittorrent_version not in QBITTORRENT_VERSIONS:
            raise ValueError(f"unknown qBittorrent version {qbittorrent_version}")
        # Repeatable test data, not secrets.
        rng = random.Random(seed)  # noqa: S311
        self.api_keys: dict[Service, str] = {
            service: rng.randbytes(16).hex()
            for service in (
                Service.JELLYSEERR,
                Service.RADARR,
                Service.SONARR,
                Service.JELLYFIN,
                Service.SHOKO,
            )
        }
        self.qbittorrent_password = rng.randbytes(8).hex()
        if QBITTORRENT_VERSIONS[qbittorrent_version].login_204:
            self.api_keys[Service.QBITTORRENT] = f"qbt_{rng.randbytes(16).hex()}"
        self.clock = SimClock(speed, start=start)
        self.scenarios = tuple(scenarios)
        self.sender = WebhookSender(self.clock)
        self.qbittorrent = QBittorrentServer(
            self.clock,
            username=QBITTORRENT_USERNAME,
            password=self.qbittorrent_password,
            version=qbittorrent_version,
            api_key=self.api_keys.get(Service.QBITTORRENT),
        )
        self.jellyseerr = JellyseerrServer(
            self.clock,
            self.sender,
            self.api_keys[Service.JELLYSEERR],
            version=jellyseerr_version,
        )
        self.radarr = RadarrServer(
            self.clock,
            self.qbittorrent,
            self.sender,
            self.api_keys[Service.RADARR],
            health_grace=health_grace,
        )
        self.sonarr = SonarrServer(
            self.clock,
            self.qbittorrent,
            self.sender,
            self.api_keys[Service.SONARR],
            health_grace=health_grace,
        )
        self.radarr_4k = (
            RadarrServer(
                self.clock,
                self.qbittorrent,
                self.sender,
                rng.randbytes(16).hex(),
                health_grace=health_grace,
            )
            if radarr_4k
            else None
        )
        self.jellyfin = JellyfinServer(
            self.clock,
            self.sender,
            self.api_keys[Service.JELLYFIN],
            server_id=rng.randbytes(16).hex(),
        )
        self.shoko = ShokoServer(
            self.clock,
            self.api_keys[Service.SHOKO],
            username=SHOKO_USERNAME,
            keepalive=shoko_keepalive,
            version=shoko_version,
        )
        self.player = ScenarioPlayer(
            Services(
                self.clock,
                self.jellyseerr,
                self.radarr,
                self.sonarr,
                self.qbittorrent,
                self.jellyfin,
                self.shoko,
            ),
            seed,
        )
        self._services: dict[Service, FakeService] = {
            server.service: server
            for server in (
                self.jellyseerr,
                self.radarr,
                self.sonarr,
                self.qbittorrent,
                self.jellyfin,
                self.shoko,
            )
        }
        # Every server, a second Radarr included, for starting and stopping.
        self._servers: list[FakeService] = list(self._services.values())
        if self.radarr_4k is not None:
            self._servers.append(self.radarr_4k)
        self._run: asyncio.Task[None] | None = None

    @property
    def urls(self) -> dict[Service, str]:
        """The base URL of every service."""
        return {service: server.url for service, server in self._services.items()}

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook sent so far, in order."""
        return self.sender.deliveries

    def credentials(self) -> dict[str, dict[str, str]]:
        """URLs, keys and logins per service, as a config entry would hold them."""
        found: dict[str, dict[str, str]] = {}
        for service, url in self.urls.items():
            entry = {"url": url}
            if service in self.api_keys:
                entry["api_key"] = self.api_keys[service]
            if service is Service.QBITTORRENT:
                entry |= {
                    "username": QBITTORRENT_USERNAME,
                    "password": self.qbittorrent_password,
                }
            if service is Service.SHOKO:
                entry |= {"username": SHOKO_USERNAME, "password": ""}
            found[service] = entry
        return found

    def set_webhook_target(
        self,
        service: Service | str,
        url: str | None,
        *,
        username: str = "",
        password: str = "",
        authorization: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Point a pushing service at `url` (None: stop sending).

        Radarr/Sonarr get a Webhook connection with every event on (`username` and
        `password` become its Basic auth, `headers` its custom headers); Jellyseerr's
        one agent is set up with the default template and `authorization` as its
        Authorization header; the Jellyfin Webhook plugin sends `headers` (add
        `Content-Type: application/json`, or it posts text/plain).
        """
        service = Service(service)
        extra = dict(headers or {})
        if service is Service.JELLYFIN and authorization:
            extra["Authorization"] = authorization
        target = None
        if url is not None:
            target = WebhookTarget(
                url, headers=extra, username=username, password=password
            )
        match service:
            case Service.RADARR:
                self.radarr.set_webhook_target(target)
            case Service.SONARR:
                self.sonarr.set_webhook_target(target)
            case Service.JELLYSEERR:
                self.jellyseerr.set_webhook_target(url, authorization)
            case Service.JELLYFIN:
                self.jellyfin.webhook_target = target
            case _:
                raise ValueError(f"{service} does not send webhooks")

    def send_webhooks_to(self, urls: Mapping[Service, str] | Mapping[str, str]) -> None:
        """Point each pushing service at its URL, as a household wires them.

        The Jellyfin Webhook plugin is given its JSON content type (without it, it
        posts text/plain).
        """
        for service, url in urls.items():
            json_body = Service(service) is Service.JELLYFIN
            headers = {"Content-Type": "application/json"} if json_body else None
            self.set_webhook_target(service, url, headers=headers)

    async def start(self) -> None:
        """Start every service, then the scenarios given to the constructor."""
        await self.sender.start()
        for server in self._servers:
            await server.start()
        if self.scenarios:
            self.play(self.scenarios)

    def play(self, scenarios: Sequence[Scenario]) -> None:
        """Play scenarios from now on: the clock restarts at simulated second 0."""
        if self._run is not None:
            raise RuntimeError("scenarios are already playing")
        self.clock.restart()
        self._run = asyncio.create_task(self.player.play(scenarios), name="scenarios")

    async def finished(self) -> None:
        """Wait until every scenario step has been played."""
        if self._run is not None:
            await asyncio.shield(self._run)

    async def stop(self) -> None:
        """Stop the scenarios and every service; close the webhook sender."""
        self.player.stop()
        if self._run is not None:
            self._run.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._run
            self._run = None
        for server in self._servers:
            await server.stop()
        await self.sender.close()

    async def __aenter__(self) -> Self:
        """Start the stack."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the stack."""
        await self.stop()
