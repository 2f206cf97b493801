"""Home Assistant with the integration configured against the simulated stack.

The stack runs in its own process (`remote.py`); its services are configured as the
config flow stores them, polling is manual (unless asked for), and every pushing
service sends its webhooks to the integration. A webhook's latency is from the
moment the stack began sending it to the first change of an existing entity's state
after that moment.
"""

from bisect import bisect_left
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.helpers import entity_registry as er

from custom_components.media_request_tracker.config_flow import service_config
from custom_components.media_request_tracker.const import DOMAIN
from custom_components.media_request_tracker.engine.models import Service as Configured
from custom_components.media_request_tracker.entity import request_unique_id
from tests.simulator import Service
from tests.simulator.scenarios import Action
from tests.soak.home import async_settle

from .harness import Integration, StateWatch, running_integration
from .remote import RemoteStack, Sent
from .titles import Title

# The integration's services, and the simulator's fake of each.
POLLED_SERVICES = {
    Configured.JELLYSEERR: Service.JELLYSEERR,
    Configured.RADARR: Service.RADARR,
    Configured.SONARR: Service.SONARR,
    Configured.QBITTORRENT: Service.QBITTORRENT,
    Configured.JELLYFIN: Service.JELLYFIN,
}
PUSHING_SERVICES = (
    Service.JELLYSEERR,
    Service.RADARR,
    Service.SONARR,
    Service.JELLYFIN,
)


@dataclass(frozen=True, slots=True)
class Delivered:
    """One webhook the stack delivered, and what it did to the entities."""

    sent: Sent
    latency: float | None  # seconds from sending to the first state change, if any
    new_state: str | None  # that first change's new state


@dataclass(slots=True)
class Simulation:
    """The stack, the integration configured against it, and its state changes."""

    stack: RemoteStack
    integration: Integration
    watch: StateWatch

    def load(self) -> str:
        """The tracked load, for row names: `1,000 req., 10,800 ep.`."""
        requests = self.integration.entry.runtime_data.tracker.requests.values()
        episodes = sum(len(request.episodes) for request in requests)
        return f"{len(requests):,} req., {episodes:,} ep."

    def request_entities(self, titles: Iterable[Title]) -> dict[str, str]:
        """The request sensor of each tracked title, by the title's name."""
        data = self.integration.entry.runtime_data
        registry = er.async_get(self.integration.hass)
        names = {title.name for title in titles}
        found = {}
        for request in data.tracker.requests.values():
            if request.title in names:
                unique_id = request_unique_id(data.entry_id, request.key)
                if entity_id := registry.async_get_entity_id(
                    "sensor", DOMAIN, unique_id
                ):
                    found[request.title] = entity_id
        return found

    @property
    def pollers(self) -> dict[Configured, Any]:
        """The pollers of the simulated services, by service."""
        return {
            Configured(name): poller
            for name, poller in self.integration.pollers.items()
            if name in POLLED_SERVICES
        }

    async def play(
        self, actions: Iterable[Action], *, webhooks: bool = True
    ) -> list[Sent]:
        """Carry out actions in the stack; the webhooks they sent."""
        sent = await self.stack.play(actions, webhooks=webhooks)
        await self.integration.hass.async_block_till_done()
        return sent

    def delivered(self, sent: Sequence[Sent]) -> list[Delivered]:
        """Each webhook with the first state change that followed its sending."""
        changes = self.watch.changes
        moments = [moment for moment, _, _ in changes]
        found = []
        for webhook in sent:
            # Home Assistant changes the states before it answers: a change after
            # the answer belongs to a later webhook (this one changed nothing).
            index = bisect_left(moments, webhook.start)
            end = webhook.start + webhook.round_trip
            if index < len(changes) and moments[index] <= end:
                moment, _, state = changes[index]
                found.append(Delivered(webhook, moment - webhook.start, state))
            else:
                found.append(Delivered(webhook, None, None))
        return found


@asynccontextmanager
async def simulated_integration(
    services: Iterable[Configured] = tuple(POLLED_SERVICES),
    *,
    seed: int = 7,
    polling: bool = False,
    start: datetime | None = None,
) -> AsyncIterator[Simulation]:
    """The stack in its own process, and the integration polling it by hand.

    `polling` lets Home Assistant schedule the polls instead (for a run on simulated
    time, whose clock is moved by hand); `start` pins the date of the stack's second 0.
    """
    stack = RemoteStack(seed, start)
    try:
        credentials = await stack.credentials()
        configured: dict[str, dict[str, Any]] = {
            name: service_config(name, credentials[POLLED_SERVICES[name]])
            for name in services
        }
        async with running_integration(configured, polling=polling) as integration:
            # The first poll of every service runs in the background at setup.
            await async_settle(integration.hass)
            await stack.send_webhooks_to(
                {
                    service: integration.webhook_url(service.value)
                    for service in PUSHING_SERVICES
                }
            )
            watch = StateWatch(integration.hass)
            yield Simulation(stack, integration, watch)
            watch.close()
    finally:
        await stack.stop()
