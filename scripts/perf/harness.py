"""Home Assistant with the integration, served over a real local HTTP socket.

`running_integration()` is the one way every measurement starts Home Assistant: with
an unreachable Jellyseerr (webhooks only), or with the simulated services' stored
configuration; optionally from a prepared config directory (a `.storage` file) and
with the setup timed and its memory traced.
"""

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
import gc
from pathlib import Path
import re
import tempfile
import threading
import time
import tracemalloc
from typing import Any
from unittest.mock import patch

from aiohttp import ClientSession
from aiohttp.resolver import AsyncResolver
from aiohttp.test_utils import TestServer
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
    async_test_home_assistant,
)

from homeassistant import loader
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import (
    entity_registry as er,
    issue_registry as ir,
    storage as storage_helper,
)
from homeassistant.helpers.json import json_bytes

from custom_components.media_request_tracker import storage
from custom_components.media_request_tracker.const import (
    CONF_WEBHOOK_IDS,
    DOMAIN,
)
from custom_components.media_request_tracker.data import MediaRequestTrackerData
from custom_components.media_request_tracker.engine.tracker import Tracker
from custom_components.media_request_tracker.entity import request_unique_id
from custom_components.media_request_tracker.pollers import ServicePoller
from custom_components.media_request_tracker.publish import ENTITY_CAP
from custom_components.media_request_tracker.repairs import Repair, issue_id

from .loop import Callbacks, longest_callback
from .report import Result

HOOKS = {
    source: f"bench_{source}"
    for source in ("jellyseerr", "radarr", "sonarr", "jellyfin")
}
# Nothing listens there: setup goes on without Jellyseerr, webhooks still work.
UNREACHABLE_JELLYSEERR = {
    "url": "http://127.0.0.1:9",
    "api_key": "k",
    "verify_ssl": True,
}


@dataclass(frozen=True, slots=True)
class Startup:
    """How long the entry took to be loaded, and to have every entity."""

    loaded_seconds: float
    all_entities_seconds: float
    # The longest event-loop callbacks meanwhile (Home Assistant's and ours).
    callbacks: Callbacks


@dataclass(slots=True)
class Integration:
    """A running Home Assistant with one config entry of the integration."""

    hass: HomeAssistant
    entry: ConfigEntry[Any]
    server: TestServer
    session: ClientSession
    # How the entry started, and the memory its setup kept.
    startup: Startup
    setup_bytes: int | None

    @property
    def setup_seconds(self) -> float:
        """Wall time of `async_setup` until every entity exists."""
        return self.startup.all_entities_seconds

    def webhook_url(self, source: str) -> str:
        """Where a push source posts."""
        return str(self.server.make_url(f"/api/webhook/{HOOKS[source]}"))

    async def post(self, source: str, body: dict[str, Any]) -> float:
        """POST a webhook body; returns the moment it was sent (perf_counter)."""
        start = time.perf_counter()
        async with self.session.post(self.webhook_url(source), json=body) as response:
            response.raise_for_status()
        return start

    def entities(self) -> tuple[int, int, int]:
        """(requests tracked, request sensors, enabled entities of the entry)."""
        tracker = self.entry.runtime_data.tracker
        registry = er.async_get(self.hass)
        entries = er.async_entries_for_config_entry(registry, self.entry.entry_id)
        wanted = {
            request_unique_id(self.entry.entry_id, key) for key in tracker.requests
        }
        requests = sum(entry.unique_id in wanted for entry in entries)
        enabled = sum(entry.disabled_by is None for entry in entries)
        return len(tracker.requests), requests, enabled

    @property
    def entry_entities(self) -> int:
        """The entry's own entities: summaries, connectivity, calendar, event."""
        registry = er.async_get(self.hass)
        entry_id = self.entry.entry_id
        entries = er.async_entries_for_config_entry(registry, entry_id)
        # `<entry_id>_request_80`, `…_episode_81_s1e2`, `…_followers_80`: a
        # request's (`…_request_updates` is the entry's event entity).
        about_requests = re.compile(rf"{entry_id}_(request|episode|followers)_\d")
        return sum(not about_requests.match(entry.unique_id) for entry in entries)

    def left_out(self) -> int:
        """Sensors the entity cap left out, as the repair counts them (0: none)."""
        issue = ir.async_get(self.hass).async_get_issue(
            DOMAIN, issue_id(self.entry.entry_id, Repair.TOO_MANY_ENTITIES)
        )
        placeholders = (issue and issue.translation_placeholders) or {}
        return int(placeholders.get("count", "0").replace(",", ""))

    def entity_row(self, what: str) -> Result:
        """A row: a sensor for every request, and the entry within the entity cap.

        Home Assistant enables at most 10,000 entities per entry; episode sensors
        fill what the requests leave, those of the longest finished going first.
        """
        tracked, sensors, enabled = self.entities()
        return Result(
            f"entities: enabled, every request's sensor among them ({what})",
            enabled,
            "entities",
            f"<= {ENTITY_CAP:,}",
            sensors == tracked and enabled <= ENTITY_CAP,
        )

    @property
    def pollers(self) -> dict[str, ServicePoller]:
        """The entry's pollers, by service (a Radarr/Sonarr subentry's by its id)."""
        data: MediaRequestTrackerData = self.entry.runtime_data
        return data.pollers


@asynccontextmanager
async def running_integration(
    services: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    config_dir: Path | None = None,
    entry_id: str | None = None,
    polling: bool = True,
    trace_memory: bool = False,
) -> AsyncIterator[Integration]:
    """Home Assistant with the integration set up, and its HTTP server listening.

    `services` is the entry's stored service configuration (Jellyseerr unreachable when
    absent). `polling=False` sets the entry's "disable polling" preference: pollers then
    run only when a measurement refreshes them (plus once at setup), so their requests
    can be counted per cycle. `trace_memory` traces the allocations of the setup.
    """
    with (
        _config_dir(config_dir) as directory,
        # As the test harness does: Home Assistant's zeroconf resolver cannot be made
        # for a second instance in one process (and the fakes are addressed by IP).
        patch(
            "homeassistant.helpers.aiohttp_client._async_make_resolver",
            return_value=AsyncResolver(),
        ),
    ):
        async with async_test_home_assistant(config_dir=str(directory)) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            data = dict(services or {"jellyseerr": UNREACHABLE_JELLYSEERR})
            entry = MockConfigEntry(
                domain=DOMAIN,
                data={**data, CONF_WEBHOOK_IDS: HOOKS},
                entry_id=entry_id,
                pref_disable_polling=not polling,
            )
            entry.add_to_hass(hass)
            # The integration's own setup (async_setup) is not what is measured.
            await loader.async_get_integration(hass, DOMAIN)
            loaded_at: list[float] = []

            @callback
            def loaded() -> None:
                if entry.state is ConfigEntryState.LOADED and not loaded_at:
                    loaded_at.append(time.perf_counter())

            entry.async_on_state_change(loaded)
            with _traced(trace_memory) as kept, longest_callback() as callbacks:
                start = time.perf_counter()
                await hass.config_entries.async_setup(entry.entry_id)
                await hass.async_block_till_done()
                setup_seconds = time.perf_counter() - start
            startup = Startup(
                loaded_at[0] - start if loaded_at else setup_seconds,
                setup_seconds,
                callbacks,
            )
            server = TestServer(hass.http.app)
            await server.start_server()
            async with ClientSession() as session:
                yield Integration(
                    hass, entry, server, session, startup, kept.get("bytes")
                )
            await server.close()
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()


@contextmanager
def _config_dir(given: Path | None) -> Iterator[Path]:
    if given is not None:
        yield given
        return
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


@contextmanager
def _traced(enabled: bool) -> Iterator[dict[str, int]]:
    """Bytes still allocated at the end of the block (`kept["bytes"]`) if enabled."""
    kept: dict[str, int] = {}
    if not enabled:
        yield kept
        return
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        yield kept
        gc.collect()
        kept["bytes"] = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def write_store(config_dir: Path, entry_id: str, tracker: Tracker) -> int:
    """Write an entry's `.storage` file as the integration would; returns its size."""
    path = config_dir / ".storage" / f"{DOMAIN}.{entry_id}"
    path.parent.mkdir(parents=True, exist_ok=True)
    encoded = json_bytes(
        {
            "version": storage.STORAGE_VERSION,
            "minor_version": storage.STORAGE_MINOR_VERSION,
            "key": f"{DOMAIN}.{entry_id}",
            "data": storage.serialize(tracker, storage.EntryNotes(backfilled=True)),
        }
    )
    path.write_bytes(encoded)
    return len(encoded)


@dataclass(slots=True)
class StoreWrites:
    """The Store's disk writes so far: when each ended, and what each took.

    `loop_seconds` is the part that holds the event loop (building the stored form
    and encoding it); `seconds` adds the file write in the executor and any wait for
    the busy loop in between.
    """

    ended: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    loop_seconds: list[float] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Writes so far."""
        return len(self.ended)

    def since(self, moment: float) -> list[int]:
        """Indexes of the writes that ended after `moment` (perf_counter)."""
        return [n for n, ended in enumerate(self.ended) if ended > moment]


@contextmanager
def counted_store_writes() -> Iterator[StoreWrites]:
    """Count and time the integration's Store writes while the block runs."""
    writes = StoreWrites()
    store_class = storage._TrackerStore  # noqa: SLF001
    original = store_class._async_write_data  # noqa: SLF001
    encode = storage_helper.json_helper.prepare_save_json
    on_loop = [0.0]

    def timed_encode(*args: Any, **kwargs: Any) -> Any:
        """Encoding counts as event-loop time only where it runs on the loop."""
        start = time.perf_counter()
        try:
            return encode(*args, **kwargs)
        finally:
            if threading.current_thread() is threading.main_thread():
                on_loop[0] += time.perf_counter() - start

    async def timed_write(self: Any, data: dict[str, Any]) -> None:
        stored_form = data.get("data_func")
        if stored_form is not None:

            def timed_stored_form() -> Any:
                start = time.perf_counter()
                try:
                    return stored_form()
                finally:
                    on_loop[0] += time.perf_counter() - start

            data["data_func"] = timed_stored_form
        on_loop[0] = 0.0
        start = time.perf_counter()
        await original(self, data)
        writes.ended.append(time.perf_counter())
        writes.seconds.append(writes.ended[-1] - start)
        writes.loop_seconds.append(on_loop[0])

    store_class._async_write_data = timed_write  # type: ignore[method-assign]  # noqa: SLF001
    storage_helper.json_helper.prepare_save_json = timed_encode
    try:
        yield writes
    finally:
        store_class._async_write_data = original  # type: ignore[method-assign]  # noqa: SLF001
        storage_helper.json_helper.prepare_save_json = encode


class StateWatch:
    """Every change of an existing entity's state, with its moment (perf_counter)."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Listen to every state change from now on."""
        self.changes: list[tuple[float, str, str | None]] = []
        self._unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, self._record)

    @callback
    def _record(self, event: Event[Any]) -> None:
        new_state = event.data["new_state"]
        if event.data["old_state"] is None:
            return  # an entity was added: no webhook or poll result shows there yet
        self.changes.append(
            (
                time.perf_counter(),
                event.data["entity_id"],
                None if new_state is None else new_state.state,
            )
        )

    def first_after(
        self, start: float, wanted: Callable[[str, str | None], bool] | None = None
    ) -> tuple[float, str, str | None] | None:
        """The first (wanted) change after `start`: seconds since, entity, new state."""
        found = None
        for moment, entity_id, state in reversed(self.changes):
            if moment < start:
                break
            if wanted is None or wanted(entity_id, state):
                found = (moment - start, entity_id, state)
        return found

    def close(self) -> None:
        """Stop listening."""
        self._unsubscribe()
