"""Persistence of the tracker through Home Assistant's Store (DESIGN §2.4).

Saves are debounced so that a burst of webhooks costs one write, and flushed by the
Store itself when Home Assistant stops. The Store postpones a delayed write on every
new change, so under steady traffic a pending change would never be written: after
MAX_SAVE_WAIT the write is no longer postponed. The stored form is cheap to build:
each request caches its serialised dict until it changes again.

Each request's stored form is encoded in the event loop (it reads the live tracker)
once, and cached as JSON bytes until the request changes; a worker thread joins them
and writes the file.

Nothing on disk may stop the entry from starting: a file that does not decode is
set aside by the Store itself, one whose content we cannot read is kept here under a
timestamped name, and the entry starts empty and imports again what Jellyseerr still
has. A write that fails (a full disk) is tried again; the truth stays in memory.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NotRequired, TypedDict

from orjson import Fragment

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.json import SerializationError, json_bytes
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.file import WriteError

from .const import DOMAIN, LOGGER
from .engine.models import Request
from .engine.stored import migrate_request, request_from_dict, request_to_dict
from .engine.tracker import Tracker

STORAGE_VERSION = 1
# 1.2: problems are codes with placeholders, no longer English text.
CODED_PROBLEMS = 2
# 1.3: requests keep remediation's attempts and the downloads it replaced (new keys
# that 1.2 ignores: nothing to migrate).
REMEDIATION_RECORDS = 3
# 1.4: a request may name its Radarr/Sonarr instance (`arr_instance`), and an
# episode leaves out its download's id where its download says it (restored on
# load; 1.3 would lose them, hence the version: nothing to migrate).
INSTANCES = 4
STORAGE_MINOR_VERSION = INSTANCES
SAVE_DELAY = 2.0
# Stored requests restored per event-loop turn.
LOAD_BATCH = 250
MAX_SAVE_WAIT = 30.0
# A failed write is tried again this many seconds later.
SAVE_RETRY = 60.0


class StoredTracker(TypedDict):
    """What one config entry keeps on disk (requests encoded, as they are cached)."""

    requests: list[Any]
    tombstones: list[str]
    sightings: dict[str, str]
    sources_seen: NotRequired[dict[str, str]]
    backfilled: NotRequired[bool]
    requests_changed_until: NotRequired[str]
    timings: NotRequired[dict[str, list[float]]]


class Loaded(StrEnum):
    """What loading found on disk."""

    NOTHING = "nothing"
    LOADED = "loaded"
    MIGRATED = "migrated"
    DAMAGED = "damaged"


@dataclass(slots=True)
class EntryNotes:
    """What an entry keeps besides its requests."""

    # When each service (a Radarr/Sonarr subentry: by its id) last proved it can
    # reach us (any valid webhook).
    sources_seen: dict[str, datetime] = field(default_factory=dict)
    # Whether Jellyseerr's history was imported once (DESIGN §6: backfill_days).
    backfilled: bool = False
    # The newest change of a request Jellyseerr listed, by Jellyseerr's clock.
    requests_changed_until: datetime | None = None


class _TrackerStore(Store[StoredTracker]):
    """The Store, with our migrations, and told when a write fails."""

    migrated = False
    on_write_failed: Callable[[], None] = staticmethod(lambda: None)

    async def _async_migrate_func(
        self,
        old_major_version: int,
        old_minor_version: int,
        old_data: dict[str, Any],
    ) -> dict[str, Any]:
        """Bring data written by an older version of the integration up to date."""
        self.migrated = True
        if old_major_version == 1 and old_minor_version < CODED_PROBLEMS:
            old_data = {
                **old_data,
                "requests": [migrate_request(item) for item in old_data["requests"]],
            }
        return old_data

    async def _async_write_data(self, data: dict[str, Any]) -> None:
        """Build the stored form here, encode and write it in a worker thread.

        The Store encodes in the event loop by default. The stored form is a
        snapshot (fresh containers around each request's cached bytes, which are
        replaced, never changed, when their request changes), so encoding it off the
        loop is safe. A write that fails is said (the Store only logs it).
        """
        if "data_func" in data:
            data["data"] = data.pop("data_func")()
        try:
            # Built already: the Store (serialize_in_event_loop=False) encodes it in
            # its worker thread.
            await super()._async_write_data(data)
        except SerializationError, WriteError:
            self.on_write_failed()
            raise


class TrackerStorage:
    """Load and save one config entry's tracker and notes."""

    def __init__(
        self, hass: HomeAssistant, entry_id: str, tracker: Tracker, notes: EntryNotes
    ) -> None:
        """Use `.storage/media_request_tracker.<entry_id>`."""
        self._hass = hass
        self._tracker = tracker
        self.notes = notes
        self._key = f"{DOMAIN}.{entry_id}"
        self._store = _TrackerStore(
            hass,
            STORAGE_VERSION,
            self._key,
            minor_version=STORAGE_MINOR_VERSION,
            serialize_in_event_loop=False,
        )
        self._store.on_write_failed = self._retry_later
        self._unsaved_since: float | None = None
        self._cancel_retry: CALLBACK_TYPE | None = None
        # Where unreadable stored data was kept (Loaded.DAMAGED).
        self.damaged_key: str | None = None

    async def async_load(self) -> Loaded:
        """Fill the empty tracker with what was stored (nothing on first setup)."""
        data = await self._store.async_load()
        if data is None:
            return Loaded.NOTHING
        try:
            await self._async_fill(data)
        except (KeyError, TypeError, ValueError) as err:
            self.damaged_key = await self._async_set_aside(data, err)
            return Loaded.DAMAGED
        return Loaded.MIGRATED if self._store.migrated else Loaded.LOADED

    async def _async_fill(self, data: StoredTracker) -> None:
        """Restore the requests a batch per event-loop turn (thousands take a second).

        All are read before any is tracked: damaged data leaves the tracker empty.
        """
        sightings = {int(tvdb): item for tvdb, item in data["sightings"].items()}
        sources_seen = {
            source: datetime.fromisoformat(at)
            for source, at in data.get("sources_seen", {}).items()
        }
        tombstones = list(data["tombstones"])
        items = data["requests"]
        requests: list[Request] = []
        for start in range(0, len(items), LOAD_BATCH):
            for item in items[start : start + LOAD_BATCH]:
                request = request_from_dict(item)
                request.stored = _encoded(item)
                requests.append(request)
            await asyncio.sleep(0)
        self._tracker.timings.restore(data.get("timings", {}))
        for start in range(0, len(requests), LOAD_BATCH):
            batch = requests[start : start + LOAD_BATCH]
            self._tracker.load(batch, derive=self._store.migrated)
            await asyncio.sleep(0)
        self._tracker.load((), tombstones, sightings)
        self.notes.sources_seen.update(sources_seen)
        self.notes.backfilled = data.get("backfilled", False)
        if (changed_until := data.get("requests_changed_until")) is not None:
            self.notes.requests_changed_until = dt_util.parse_datetime(changed_until)

    async def _async_set_aside(self, data: StoredTracker, err: Exception) -> str:
        """Keep what we cannot read, for a backup or a bug report; start afresh."""
        key = f"{self._key}.damaged.{dt_util.utcnow():%Y%m%dT%H%M%S}"
        LOGGER.error(
            "Could not read the stored requests (%r); kept them as .storage/%s and "
            "starting afresh",
            err,
            key,
        )
        await Store[StoredTracker](self._hass, STORAGE_VERSION, key).async_save(data)
        return key

    @callback
    def schedule_save(self) -> None:
        """Save soon; further calls before then are folded into the same write."""
        now = self._hass.loop.time()  # the clock the Store schedules writes with
        if self._unsaved_since is None:
            self._unsaved_since = now
        waited = now - self._unsaved_since
        delay = (
            0.0 if waited >= MAX_SAVE_WAIT else min(SAVE_DELAY, MAX_SAVE_WAIT - waited)
        )

        def stored_form() -> StoredTracker:
            self._unsaved_since = None
            return serialize(self._tracker, self.notes)

        self._store.async_delay_save(stored_form, delay)

    @callback
    def _retry_later(self) -> None:
        if self._cancel_retry is not None:
            return

        @callback
        def retry(_now: datetime) -> None:
            self._cancel_retry = None
            self.schedule_save()

        self._cancel_retry = async_call_later(self._hass, SAVE_RETRY, retry)

    async def async_save_now(self) -> None:
        """Write at once (on unload), replacing any pending delayed or retried write."""
        if self._cancel_retry is not None:
            self._cancel_retry()
            self._cancel_retry = None
        await self._store.async_save(serialize(self._tracker, self.notes))


async def async_remove_storage(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's file (the config entry is being removed)."""
    await Store[StoredTracker](
        hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}"
    ).async_remove()


def serialize(tracker: Tracker, notes: EntryNotes) -> StoredTracker:
    """The stored form: each request's cached encoded, so cheap even for thousands."""
    stored: StoredTracker = {
        "requests": [_stored_form(request) for request in tracker.requests.values()],
        "tombstones": sorted(tracker.tombstones),
        "sightings": {str(tvdb): item for tvdb, item in tracker.sightings.items()},
        "sources_seen": {
            str(source): at.isoformat() for source, at in notes.sources_seen.items()
        },
        "backfilled": notes.backfilled,
        "timings": tracker.timings.to_dict(),
    }
    if notes.requests_changed_until is not None:
        stored["requests_changed_until"] = notes.requests_changed_until.isoformat()
    return stored


def _stored_form(request: Request) -> Fragment:
    """A request's stored form, encoded once until the request changes again.

    Kept as JSON bytes (an orjson fragment the Store writes as it is), not as
    dicts: a few KiB per request instead of thousands of objects that memory
    and every garbage collection pay for.
    """
    if not isinstance(request.stored, Fragment):
        request.stored = _encoded(request_to_dict(request))
    return request.stored


def _encoded(stored: dict[str, Any]) -> Fragment:
    # orjson's bytes keep the room they were written into (6 KiB for 3.6 of JSON
    # per request): an exact copy costs a memcpy and keeps only the JSON.
    return Fragment(bytes(memoryview(json_bytes(stored))))
