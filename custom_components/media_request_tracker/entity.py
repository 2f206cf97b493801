"""Base entities: one device per request, one service device per config entry."""

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity

from .const import DOMAIN
from .engine.models import MediaType, Request
from .hub import TrackerHub, request_unique_id


def device_name(request: Request) -> str:
    """`"<title> (<year>)"`, `" 4K"` appended for 4K requests (DESIGN §4)."""
    name = (
        request.title if request.year is None else f"{request.title} ({request.year})"
    )
    return f"{name} 4K" if request.is_4k else name


def service_device(hub: TrackerHub, title: str) -> DeviceInfo:
    """The device that holds the entry's summary and connectivity entities."""
    return DeviceInfo(
        identifiers={(DOMAIN, hub.entry_id)},
        name=title,
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="Media Request Tracker",
    )


class RequestEntity(Entity):
    """An entity of one tracked request, refreshed when that request changes."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, hub: TrackerHub, request: Request, unique_id: str) -> None:
        """Attach the entity to the request's device."""
        self._hub = hub
        self._request_key = request.key
        self._attr_unique_id: str = unique_id
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, request_unique_id(hub.entry_id, request.key))},
            name=device_name(request),
            entry_type=DeviceEntryType.SERVICE,
            manufacturer="Jellyseerr request",
            model="Movie" if request.media_type is MediaType.MOVIE else "TV series",
        )

    @property
    def request(self) -> Request | None:
        """The request as the tracker knows it now."""
        return self._hub.tracker.requests.get(self._request_key)

    @property
    def available(self) -> bool:
        """Unavailable once the request has left the tracker."""
        return self.request is not None

    async def async_added_to_hass(self) -> None:
        """Follow the request's changes; tell the hub this entity now exists."""
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                self._hub.request_signal(self._request_key),
                self.async_write_ha_state,
            )
        )
        self._hub.entity_added(self._request_key, self._attr_unique_id)
