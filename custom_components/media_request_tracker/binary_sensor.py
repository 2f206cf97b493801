"""Diagnostic connectivity sensors, one per configured service."""

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import SERVICE_NAMES
from .entity import service_device
from .hub import MediaRequestTrackerConfigEntry, TrackerHub

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a connectivity sensor for each service in the entry."""
    hub = entry.runtime_data
    async_add_entities(
        ServiceConnectivitySensor(hub, entry.title, service)
        for service in SERVICE_NAMES
        if service in entry.data
    )


class ServiceConnectivitySensor(BinarySensorEntity):
    """Whether a service answered the last time we asked it."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_translation_key = "connected"

    def __init__(self, hub: TrackerHub, title: str, service: str) -> None:
        """Attach the sensor to the service device."""
        self._hub = hub
        self._service = service
        self._attr_unique_id = f"{hub.entry_id}_connected_{service}"
        self._attr_translation_placeholders = {"service": SERVICE_NAMES[service]}
        self._attr_device_info = service_device(hub, title)

    @property
    def is_on(self) -> bool | None:
        """Reachable at the last check; unknown before the first one."""
        return self._hub.connected.get(self._service)

    async def async_added_to_hass(self) -> None:
        """Follow reachability changes."""
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, self._hub.connectivity_signal, self.async_write_ha_state
            )
        )
