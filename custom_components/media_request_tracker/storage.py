"""Persistence of the tracker through Home Assistant's Store (DESIGN §2.4).

Saves are debounced so that a burst of webhooks costs one write, and flushed by the
Store itself when Home Assistant stops. The Store postpones a delayed write on every
new change, so under steady traffic a pending change would never be written: after
MAX_SAVE_WAIT the write is no longer postponed. The stored form is cheap to build: each request caches
its serialised dict until it changes again.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN
from .engine.stored import migrate_request, request_from_dict, request_to_dict
from .engine.tracker import Tracker

STORAGE_VERSION = 1
# 1.2: problems are codes with placeholders, no longer English text.
CODED_PROBLEMS = 2
STORAGE_MINOR_VERSION = CODED_PROBLEMS
SAVE_DELAY = 2.0
MAX_SAVE_WAIT = 30.0


class StoredTracker(TypedDict):
    """What one config entry keeps on disk."""

    requests: list[dict[str, Any]]
    tombstones: list[str]
    sightings: dict[str, str]
    sources_seen: NotRequired[dict[str, str]]
    backfilled: NotRequired[bool]
    # Set by a migration: the loaded requests' problems must be derived again.
    derive: NotRequired[bool]


@dataclass(slots=True)
class EntryNotes:
    """What an entry keeps besides its requests."""

    # When each service last proved it can reach us (any valid webhook).
    sources_seen: dict[str, datetime] = field(default_factory=dict)
    # Whether Jellyseerr's history was imported once (DESIGN §6: backfill_days).
    backfilled: bool = False


class _TrackerStore(Store[StoredTracker]):
    """The Store, with the hook where future storage versions are migrated."""

    async def _async_migrate_func(
        self,
        old_major_version: int,
        old_minor_version: int,
        old_data: dict[str, Any],
    ) -> dict[str, Any]:
        """Bring data written by an older version of the integration up to date."""
        if old_major_version == 1 and old_minor_version < CODED_PROBLEMS:
            old_data = {
                **old_data,
                "requests": [migrate_request(item) for item in old_data["requests"]],
                "derive": True,
            }
        return old_data


class TrackerStorage:
    """Load and save one config entry's tracker."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Use `.storage/media_request_tracker.<entry_id>`."""
        self._store = _TrackerStore(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}",
            minor_version=STORAGE_MINOR_VERSION,
        )
        self._loop = hass.loop
        self._unsaved_since: float | None = None

    async def async_load_into(self, tracker: Tracker, notes: EntryNotes) -> None:
        """Fill an empty tracker with what was stored (nothing on first setup)."""
        data = await self._store.async_load()
        if data is None:
            return
        tracker.load(
            (request_from_dict(item) for item in data["requests"]),
            data["tombstones"],
            {int(tvdb): item for tvdb, item in data["sightings"].items()},
            derive=data.get("derive", False),
        )
        notes.sources_seen.update(
            (source, datetime.fromisoformat(at))
            for source, at in data.get("sources_seen", {}).items()
        )
        notes.backfilled = data.get("backfilled", False)

    def schedule_save(self, tracker: Tracker, notes: EntryNotes) -> None:
        """Save soon; further calls before then are folded into the same write."""
        now = self._loop.time()  # the clock the Store schedules its writes with
        if self._unsaved_since is None:
            self._unsaved_since = now
        waited = now - self._unsaved_since
        delay = (
            0.0 if waited >= MAX_SAVE_WAIT else min(SAVE_DELAY, MAX_SAVE_WAIT - waited)
        )

        def stored_form() -> StoredTracker:
            self._unsaved_since = None
            return serialize(tracker, notes)

        self._store.async_delay_save(stored_form, delay)

    async def async_save_now(self, tracker: Tracker, notes: EntryNotes) -> None:
        """Write at once (on unload), replacing any pending delayed write."""
        await self._store.async_save(serialize(tracker, notes))

    async def async_remove(self) -> None:
        """Delete the file (the config entry is being removed)."""
        await self._store.async_remove()


def serialize(tracker: Tracker, notes: EntryNotes) -> StoredTracker:
    """The stored form: cached per-request dicts, so cheap even for thousands."""
    return {
        "requests": [request_to_dict(request) for request in tracker.requests.values()],
        "tombstones": sorted(tracker.tombstones),
        "sightings": {str(tvdb): item for tvdb, item in tracker.sightings.items()},
        "sources_seen": {
            source: at.isoformat() for source, at in notes.sources_seen.items()
        },
        "backfilled": notes.backfilled,
    }
