"""Home Assistant for the soak: set up through the config flow, restarted for real.

A restart is a whole new Home Assistant on the same configuration directory, not an
unload and setup of the entry: the old instance stops the way Home Assistant stops
(entries are not unloaded; the Store writes what is pending on the final write), its
HTTP port closes so that webhooks are refused meanwhile, and the new instance loads
the config entry from `.storage` and sets it up as a boot does, on the same port.
The integration keeps nothing but what it stored, which is what a household's
restart tests. (The test harness starts Home Assistant with empty device and entity
registries; entities come back under their unique ids.)
"""

import asyncio
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any
from unittest.mock import patch

from aiohttp.resolver import AsyncResolver
from aiohttp.test_utils import TestServer
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    async_test_home_assistant,
)

from homeassistant import loader
from homeassistant.config_entries import SOURCE_USER, ConfigEntries, ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from custom_components.media_request_tracker.const import DOMAIN
from tests.simulator import Service, SimulatedStack

HOST = "127.0.0.1"
# The optional services, in the order the config flow's menu offers them.
FLOW_SERVICES = (
    Service.RADARR,
    Service.SONARR,
    Service.QBITTORRENT,
    Service.JELLYFIN,
    Service.SHOKO,
)


class Home:
    """One Home Assistant at a time, each on the same directory and port."""

    def __init__(self, config_dir: Path) -> None:
        """Nothing runs until `start()`."""
        self.config_dir = config_dir
        self.hass: HomeAssistant | None = None
        self._port = 0
        self._server: TestServer | None = None
        self._exits: AsyncExitStack | None = None

    @property
    def entry(self) -> ConfigEntry[Any]:
        """The integration's config entry in the running instance."""
        if self.hass is None:
            raise RuntimeError("Home Assistant is not running")
        (entry,) = self.hass.config_entries.async_entries(DOMAIN)
        return entry

    async def start(
        self, *, before_setup: Callable[[HomeAssistant], None] | None = None
    ) -> HomeAssistant:
        """Boot: load the stored config entries, set everything up, then serve.

        `before_setup(hass)` runs before the integration starts (to listen to it).
        """
        exits = AsyncExitStack()
        # As the test harness does: Home Assistant's zeroconf resolver cannot be made
        # for a second instance in one process (and the fakes are addressed by IP).
        resolver = AsyncResolver()
        resolver.real_close = resolver.close  # type: ignore[attr-defined]
        exits.enter_context(
            patch(
                "homeassistant.helpers.aiohttp_client._async_make_resolver",
                return_value=resolver,
            )
        )
        hass: HomeAssistant = await exits.enter_async_context(
            async_test_home_assistant(config_dir=str(self.config_dir))
        )
        self.hass, self._exits = hass, exits
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
        hass.config_entries = ConfigEntries(hass, {})
        await hass.config_entries.async_initialize()
        if self._port:
            hass.config.internal_url = f"http://{HOST}:{self._port}"
        if before_setup is not None:
            before_setup(hass)
        # Everything that adds routes comes first: serving freezes the router.
        for component in ("http", "api", "webhook", "calendar", DOMAIN):
            if not await async_setup_component(hass, component, {}):
                raise RuntimeError(f"{component} did not set up")
        self._server = TestServer(hass.http.app, host=HOST, port=self._port)
        # No access log: its time zone lookup fails under freezegun.
        await self._server.start_server(access_log=None)
        self._port = self._server.port or 0
        hass.config.internal_url = f"http://{HOST}:{self._port}"
        return hass

    async def stop(self) -> None:
        """Stop as Home Assistant stops: the port closes first, then the instance."""
        if self.hass is None or self._exits is None or self._server is None:
            return
        await self._server.close()
        await self.hass.async_stop()
        _forget_timers(self.hass)
        await self._exits.aclose()
        self.hass = self._server = self._exits = None

    async def add_integration(self, stack: SimulatedStack) -> dict[Service, str]:
        """Run the config flow with every simulated service, as a user would.

        Returns the webhook URL the flow shows for each pushing service.
        """
        if self.hass is None:
            raise RuntimeError("Home Assistant is not running")
        credentials = stack.credentials()
        flows = self.hass.config_entries.flow
        flow = await flows.async_init(DOMAIN, context={"source": SOURCE_USER})
        jellyseerr = credentials[Service.JELLYSEERR]
        await flows.async_configure(
            flow["flow_id"],
            {"url": jellyseerr["url"], "api_key": jellyseerr["api_key"]},
        )
        for service in FLOW_SERVICES:
            await flows.async_configure(flow["flow_id"], {"next_step_id": service})
            answer = {
                key: value for key, value in credentials[service].items() if value
            }
            result = await flows.async_configure(flow["flow_id"], answer)
            if result["type"] != "menu":
                raise RuntimeError(f"the config flow refused {service}: {result}")
        result = await flows.async_configure(
            flow["flow_id"], {"next_step_id": "finish"}
        )
        if result["type"] != "create_entry":
            raise RuntimeError(f"the config flow did not finish: {result}")
        urls = result.get("description_placeholders") or {}
        return {
            service: urls[f"{service}_url"]
            for service in (
                Service.JELLYSEERR,
                Service.RADARR,
                Service.SONARR,
                Service.JELLYFIN,
            )
        }

    async def settle(self) -> None:
        """Until Home Assistant has nothing left to do at this simulated moment."""
        if self.hass is not None:
            await async_settle(self.hass)


async def async_settle(hass: HomeAssistant) -> None:
    """Until Home Assistant has nothing left to do, background tasks included.

    Polls run as background tasks; the ones that never end are the live
    connections (Radarr's, Sonarr's and Shoko's hubs), which are left alone.
    """
    while True:
        await hass.async_block_till_done()
        busy = [
            task
            for task in hass._background_tasks  # no public view of them
            if isinstance(task, asyncio.Task)
            and not task.done()
            and not task.get_name().endswith("live events")
        ]
        if not busy:
            return
        await asyncio.wait(busy)


def _forget_timers(hass: HomeAssistant) -> None:
    """Cancel the timers a stopped instance left behind, as its process exit would.

    A stopped Home Assistant leaves interval timers and debouncers scheduled (the
    process ends right after); in the soak's one process they would run on the old
    instance, with closed sessions, while the new one runs.
    """
    handles: list[asyncio.TimerHandle] = getattr(
        asyncio.get_running_loop(), "_scheduled", []
    )
    for handle in handles:
        # A bound method's object, or a callable object itself (a point-in-time
        # tracker, as the calendar's next-event alarm).
        action = getattr(handle, "_callback", None)
        owner = getattr(action, "__self__", action)
        if getattr(owner, "hass", None) is hass:
            handle.cancel()
