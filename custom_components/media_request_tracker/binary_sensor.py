"""Diagnostic connectivity sensors, one per polled service."""

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import (
    CoordinatorEntity,
    DataUpdateCoordinator,
)

from .data import MediaRequestTrackerConfigEntry
from .engine.models import Service
from .entity import service_device

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a connectivity sensor for each service the entry polls."""
    async_add_entities(
        ServiceConnectivitySensor(entry, service, poller)
        for service, poller in entry.runtime_data.pollers.items()
    )


class ServiceConnectivitySensor(
    CoordinatorEntity[DataUpdateCoordinator[None]], BinarySensorEntity
):
    """Whether a service answered its last poll."""

    _attr_has_entity_name = True
    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_translation_key = "connected"

    def __init__(
        self,
        entry: MediaRequestTrackerConfigEntry,
        service: Service,
        poller: DataUpdateCoordinator[None],
    ) -> None:
        """Attach the sensor to the service device."""
        super().__init__(poller)
        self._attr_unique_id = f"{entry.entry_id}_connected_{service}"
        self._attr_translation_placeholders = {"service": service.display_name}
        self._attr_device_info = service_device(entry)

    @property
    def available(self) -> bool:
        """Always: being unreachable is this sensor's state, not its absence."""
        return True

    @property
    def is_on(self) -> bool:
        """Whether the last poll succeeded."""
        return self.coordinator.last_update_success
