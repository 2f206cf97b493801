"""Diagnostic connectivity sensors, one per polled service."""

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .data import MediaRequestTrackerConfigEntry
from .entity import instance_device, service_device
from .pollers import ServicePoller

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a connectivity sensor for each service the entry polls.

    A Radarr/Sonarr subentry's sensor belongs to its subentry: removing the
    subentry removes it.
    """
    by_subentry: dict[str | None, list[ServiceConnectivitySensor]] = {}
    for key, poller in entry.runtime_data.pollers.items():
        subentry = poller.instance_key or None
        by_subentry.setdefault(subentry, []).append(
            ServiceConnectivitySensor(entry, key, poller)
        )
    for subentry, sensors in by_subentry.items():
        async_add_entities(sensors, config_subentry_id=subentry)


class ServiceConnectivitySensor(CoordinatorEntity[ServicePoller], BinarySensorEntity):
    """Whether a service answered its last poll."""

    _attr_has_entity_name = True
    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_translation_key = "connected"

    def __init__(
        self, entry: MediaRequestTrackerConfigEntry, key: str, poller: ServicePoller
    ) -> None:
        """Attach the sensor to the service device.

        `key` is the service, or a Radarr/Sonarr subentry's id.
        """
        super().__init__(poller)
        self._attr_unique_id = f"{entry.entry_id}_connected_{key}"
        self._attr_translation_placeholders = {"service": poller.label}
        arr = poller.instance
        if arr is not None and arr.subentry_id:
            # On the instance's own device, which already names it.
            self._attr_device_info = instance_device(entry, arr)
            self._attr_translation_key = "instance_connected"
        else:
            self._attr_device_info = service_device(entry)

    @property
    def available(self) -> bool:
        """Always: being unreachable is this sensor's state, not its absence."""
        return True

    @property
    def extra_state_attributes(self) -> dict[str, str] | None:
        """The live channel's state, for a service that pushes its changes."""
        live = self.coordinator.live_events
        return None if live is None else {"live_events": live}

    @property
    def is_on(self) -> bool:
        """Whether the last poll succeeded."""
        return self.coordinator.last_update_success
