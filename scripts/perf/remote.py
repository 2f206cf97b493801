"""The simulated stack in a process of its own, driven over a pipe.

The fakes must not share Home Assistant's event loop or process: their own work
(building a 4 MB Sonarr queue, say) would block the loop and count as the
integration's CPU. In their own process they run on the other core, as real services
would run on other machines. The child answers commands (`StackCommands`); the parent
calls them through `RemoteStack`. Two instruments run in the child:

- a traffic meter: requests and response body bytes per fake service and per endpoint
  (a middleware in front of each), to count what a poll cycle and each call cost;
- a send log: when each webhook was sent (`time.perf_counter`, the system-wide
  monotonic clock, so comparable with the parent's) and its round trip.
"""

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
import multiprocessing
from multiprocessing.connection import Connection
import time
from typing import Any

from aiohttp import web

from tests.simulator import Service, SimulatedStack, Step
from tests.simulator.household import Lifecycle, household
from tests.simulator.scenarios import Action
from tests.simulator.webhooks import Delivery, WebhookTarget

from .titles import STAGE_BUCKETS, Stage, Title, add_titles, idle_torrent


@dataclass(slots=True)
class Traffic:
    """What one fake service answered: requests and response body bytes."""

    requests: int = 0
    bytes: int = 0

    def __sub__(self, other: Traffic) -> Traffic:
        """The traffic between two readings."""
        return Traffic(self.requests - other.requests, self.bytes - other.bytes)

    def count(self, body_bytes: int) -> None:
        """One more answer of `body_bytes`."""
        self.requests += 1
        self.bytes += body_bytes


# A fake service and the path of one of its endpoints (no query).
type Endpoint = tuple[Service, str]


@dataclass(frozen=True, slots=True)
class Sent:
    """One webhook the stack sent."""

    service: str
    event: str
    item_type: str | None  # Jellyfin's `ItemType`
    start: float  # time.perf_counter() when sending began
    round_trip: float  # seconds until the answer


class StackCommands:
    """What the parent may ask of the stack (runs in the child)."""

    def __init__(self, stack: SimulatedStack) -> None:
        """Instrument the stack (before it starts)."""
        self.stack = stack
        self._traffic: dict[Service, Traffic] = {}
        self._endpoints: defaultdict[Endpoint, Traffic] = defaultdict(Traffic)
        self._sent: list[Sent] = []
        self._next_title = 1
        for server in (
            stack.jellyseerr,
            stack.radarr,
            stack.sonarr,
            stack.qbittorrent,
            stack.jellyfin,
            stack.shoko,
        ):
            self._traffic[server.service] = Traffic()
            server.app.middlewares.insert(0, self._meter(server.service))
        self._log_sends()

    def _meter(self, service: Service) -> Any:
        """Bytes are uncompressed response bodies: the fakes send JSON as is."""
        totals = self._traffic[service]

        @web.middleware
        async def count(request: web.Request, handler: Any) -> web.StreamResponse:
            response: web.StreamResponse = await handler(request)
            size = 0
            if isinstance(response, web.Response) and response.body is not None:
                size = len(response.body)  # type: ignore[arg-type]
            totals.count(size)
            self._endpoints[service, request.path].count(size)
            return response

        return count

    def _log_sends(self) -> None:
        sender = self.stack.sender
        send = sender.send

        async def timed(
            service: str,
            event: str,
            target: WebhookTarget,
            body: Any,
            *,
            content_type: str = "application/json",
        ) -> Delivery:
            start = time.perf_counter()
            delivery = await send(
                service, event, target, body, content_type=content_type
            )
            item_type = body.get("ItemType") if isinstance(body, dict) else None
            self._sent.append(
                Sent(service, event, item_type, start, time.perf_counter() - start)
            )
            return delivery

        sender.send = timed  # type: ignore[method-assign]

    async def credentials(self) -> dict[str, dict[str, str]]:
        """URLs, keys and logins per service."""
        return self.stack.credentials()

    async def add_titles(
        self,
        prefix: str,
        count: int,
        episodes: int,
        movies_only: bool,
        stages: Sequence[Stage],
    ) -> list[Title]:
        """Add titles to the catalogue (see `titles.add_titles`), numbered on.

        A title's number gives its ids: each call goes on from the last, so that
        titles of two calls never share one.
        """
        titles = add_titles(
            prefix,
            count,
            episodes=episodes,
            movies_only=movies_only,
            stages=stages,
            first_id=self._next_title,
        )
        self._next_title += count
        return titles

    async def add_household(
        self, count: int, seed: int, every: float, prefix: str
    ) -> list[Lifecycle]:
        """Add a household's titles to the catalogue (see `household.household`)."""
        return household(count, seed, every=every, prefix=prefix)

    async def add_idle_torrents(self, count: int) -> None:
        """Seeding torrents nobody tracks, already finished."""
        for n in range(count):
            info_hash, release = idle_torrent(n)
            self.stack.qbittorrent.add_torrent(info_hash, release, "radarr", 1.0)

    async def play(self, actions: Sequence[Action], webhooks: bool) -> list[Sent]:
        """Carry out actions one after the other; the webhooks they sent."""
        for action in actions:
            await self.stack.player.apply(Step(0.0, action, webhooks=webhooks))
        sent, self._sent = self._sent, []
        return sent

    async def advance(self, seconds: float) -> None:
        """Move the simulated clock."""
        self.stack.clock.advance(seconds)

    async def forget_qbittorrent_sessions(self) -> None:
        """What a qBittorrent restart does: every session expires."""
        self.stack.qbittorrent.forget_sessions()

    async def send_webhooks_to(self, urls: Mapping[str, str]) -> None:
        """Point every pushing service at its webhook URL."""
        self.stack.send_webhooks_to(urls)

    async def take_down_arr_hubs(self) -> None:
        """Radarr's and Sonarr's live hubs refuse every client (their APIs answer)."""
        for arr in (self.stack.radarr, self.stack.sonarr):
            await arr.hub.take_down()

    async def traffic(self) -> dict[Service, Traffic]:
        """The totals so far (subtract two readings for what happened between)."""
        return {service: replace(t) for service, t in self._traffic.items()}

    async def endpoint_traffic(self) -> dict[Endpoint, Traffic]:
        """The totals so far per endpoint (only those that were called)."""
        return {endpoint: replace(t) for endpoint, t in self._endpoints.items()}


def serve(connection: Connection, seed: int, start: datetime | None) -> None:
    """The child process: run the stack and answer commands until `stop`."""
    asyncio.run(_serve(connection, seed, start))


async def _serve(connection: Connection, seed: int, start: datetime | None) -> None:
    stack = SimulatedStack(speed=0, seed=seed, start=start)
    commands = StackCommands(stack)
    await stack.start()
    loop = asyncio.get_running_loop()
    try:
        while True:
            name, args = await loop.run_in_executor(None, connection.recv)
            if name == "stop":
                break
            try:
                result: Any = await getattr(commands, name)(*args)
            except Exception as err:  # noqa: BLE001 (handed to the parent)
                result = err
            connection.send(result)
    finally:
        await stack.stop()
        connection.send(None)


class RemoteStack:
    """The parent's handle on the stack process: one command at a time."""

    def __init__(self, seed: int, start: datetime | None = None) -> None:
        """Start the process (spawned: no copy of the parent's threads or loop).

        `start` pins the date of simulated second 0 (default: when the stack starts).
        """
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(
            target=serve,
            args=(child, seed, start),
            name="simulated stack",
            daemon=True,
        )
        self._process.start()
        self._lock = asyncio.Lock()

    async def _call(self, name: str, *args: Any) -> Any:
        async with self._lock:
            self._connection.send((name, args))
            result = await asyncio.to_thread(self._connection.recv)
        if isinstance(result, Exception):
            raise result
        return result

    async def credentials(self) -> dict[str, dict[str, str]]:
        """URLs, keys and logins per service."""
        credentials: dict[str, dict[str, str]] = await self._call("credentials")
        return credentials

    async def add_titles(
        self,
        prefix: str,
        count: int,
        *,
        episodes: int,
        movies_only: bool = False,
        stages: Sequence[Stage] = STAGE_BUCKETS,
    ) -> list[Title]:
        """Add titles to the stack's catalogue (see `titles.add_titles`)."""
        titles: list[Title] = await self._call(
            "add_titles", prefix, count, episodes, movies_only, stages
        )
        return titles

    async def add_household(
        self, count: int, seed: int, *, every: float, prefix: str
    ) -> list[Lifecycle]:
        """Add a generated household's titles to the stack's catalogue."""
        lifecycles: list[Lifecycle] = await self._call(
            "add_household", count, seed, every, prefix
        )
        return lifecycles

    async def add_idle_torrents(self, count: int) -> None:
        """Seeding torrents nobody tracks."""
        await self._call("add_idle_torrents", count)

    async def play(
        self, actions: Iterable[Action], *, webhooks: bool = True
    ) -> list[Sent]:
        """Carry out actions in the stack; the webhooks they sent."""
        sent: list[Sent] = await self._call("play", list(actions), webhooks)
        return sent

    async def advance(self, seconds: float) -> None:
        """Move the simulated clock."""
        await self._call("advance", seconds)

    async def forget_qbittorrent_sessions(self) -> None:
        """Expire every qBittorrent session."""
        await self._call("forget_qbittorrent_sessions")

    async def send_webhooks_to(self, urls: Mapping[str, str]) -> None:
        """Point every pushing service at its webhook URL."""
        await self._call("send_webhooks_to", dict(urls))

    async def take_down_arr_hubs(self) -> None:
        """Radarr's and Sonarr's live hubs refuse every client."""
        await self._call("take_down_arr_hubs")

    async def traffic(self) -> dict[Service, Traffic]:
        """The traffic totals per service so far."""
        traffic: dict[Service, Traffic] = await self._call("traffic")
        return traffic

    async def endpoint_traffic(self) -> dict[Endpoint, Traffic]:
        """The traffic totals per endpoint so far."""
        traffic: dict[Endpoint, Traffic] = await self._call("endpoint_traffic")
        return traffic

    async def stop(self) -> None:
        """Stop the stack and the process."""
        async with self._lock:
            self._connection.send(("stop", ()))
            await asyncio.to_thread(self._connection.recv)
        await asyncio.to_thread(self._process.join, 10)


def traffic_between[Key](
    before: Mapping[Key, Traffic], after: Mapping[Key, Traffic]
) -> dict[Key, Traffic]:
    """Per service or endpoint, what was answered between two readings."""
    return {key: after[key] - before.get(key, Traffic()) for key in after}
