"""Request updates: the entry's events as an event entity.

The bus events (DESIGN §4) need YAML to be matched; an event entity is what Home
Assistant's automation editor offers in its UI: pick "Request updates", then the
kinds of update to act on. Each update carries the bus event's fields.
"""

from collections.abc import Mapping
from typing import Any

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    EVENT_EPISODE_STATE_CHANGED,
    EVENT_EPISODES_READY,
    EVENT_PROBLEM_CHANGED,
    EVENT_STATE_CHANGED,
)
from .data import MediaRequestTrackerConfigEntry
from .entity import service_device
from .events import fired_signal

PARALLEL_UPDATES = 0

# Request states whose arrival is an update of the same name.
STATE_UPDATES = (
    "requested",
    "approved",
    "downloading",
    "available",
    "failed",
    "removed",
)
UPDATES = (
    *STATE_UPDATES,
    "episode_available",
    "episodes_ready",
    "stalled",
    "recovered",
)


def update_of(event_type: str, data: Mapping[str, Any]) -> str | None:
    """The kind of update a bus event is, if it is one people act on.

    A request's problem events are `stalled` when it gets stuck and `recovered`
    when it is no longer; an episode's are left to the request's.
    """
    if event_type == EVENT_STATE_CHANGED and data["to_state"] in STATE_UPDATES:
        return str(data["to_state"])
    if event_type == EVENT_EPISODE_STATE_CHANGED and data["to_state"] == "available":
        return "episode_available"
    if event_type == EVENT_EPISODES_READY:
        return "episodes_ready"
    if event_type == EVENT_PROBLEM_CHANGED and "season" not in data:
        if data["stalled"]:
            return "stalled"
        if data["problem"] is None:
            return "recovered"
    return None


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One event entity per entry, on its service device."""
    async_add_entities([RequestUpdates(entry)])


class RequestUpdates(EventEntity):
    """Every update people automate on, with the request's fields."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_translation_key = "request_updates"

    def __init__(self, entry: MediaRequestTrackerConfigEntry) -> None:
        """Attach the entity to the service device."""
        self._entry_id = entry.entry_id
        self._attr_event_types = list(UPDATES)
        self._attr_unique_id = f"{entry.entry_id}_request_updates"
        self._attr_device_info = service_device(entry)

    async def async_added_to_hass(self) -> None:
        """Follow the events the entry fires."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, fired_signal(self._entry_id), self._on_fired
            )
        )

    @callback
    def _on_fired(self, event_type: str, data: dict[str, Any]) -> None:
        if (update := update_of(event_type, data)) is None:
            return
        # A state attribute `entity_id` makes Home Assistant's templates (`expand`)
        # take the entity for a group of that sensor.
        fields = {key: value for key, value in data.items() if key != "entity_id"}
        self._trigger_event(update, {"sensor_entity_id": data["entity_id"], **fields})
        self.async_write_ha_state()
