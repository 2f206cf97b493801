"""Base entities and unique ids: one device per request, one service device per entry."""

from collections.abc import Iterable

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_URL
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity

from .const import DOMAIN
from .data import MediaRequestTrackerData
from .engine.models import (
    Episode,
    EpisodeKey,
    MediaType,
    Request,
    Service,
    episode_label,
)
from .instances import ArrInstance


def request_unique_id(entry_id: str, request_key: str) -> str:
    """Unique id of a request status sensor, and identifier of its device."""
    return f"{entry_id}_request_{request_key}"


def episode_unique_id(entry_id: str, request_key: str, episode: Episode) -> str:
    """Unique id of an episode status sensor (`…_s1e3`, numbers unpadded)."""
    return f"{entry_id}_episode_{request_key}_s{episode.season}e{episode.number}"


def followers_unique_id(entry_id: str, request_key: str) -> str:
    """Unique id of a request's followers sensor."""
    return f"{entry_id}_followers_{request_key}"


def device_request(identifiers: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """(entry id, request key) of a request's device; None for any other device."""
    marker = request_unique_id("", "")
    for domain, identifier in identifiers:
        entry_id, separator, key = identifier.partition(marker)
        if domain == DOMAIN and separator:
            return entry_id, key
    return None


def device_name(request: Request) -> str:
    """`"<title> (<year>)"`, `" 4K"` appended for 4K requests (DESIGN §4)."""
    name = (
        request.title if request.year is None else f"{request.title} ({request.year})"
    )
    return f"{name} 4K" if request.is_4k else name


def episode_name(key: EpisodeKey, title: str | None) -> str:
    """An episode sensor's name: `S01E03`, and the title when Sonarr gave one."""
    label = episode_label(key)
    return f"{label} {title}" if title else label


def track_name(request: Request, episode: Episode | None) -> str:
    """A request's or an episode's full name, as its status sensor is called.

    The device's name, then the episode's: how Home Assistant names an entity
    that has an entity name of its own.
    """
    name = device_name(request)
    if episode is None:
        return name
    return f"{name} {episode_name(episode.key, episode.title)}"


def service_device(entry: ConfigEntry) -> DeviceInfo:
    """The device that holds the entry's summary and connectivity entities.

    Named like the entry (after the household's Jellyseerr); its link opens Jellyseerr.
    """
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="Media Request Tracker",
        model="Request pipeline",
        configuration_url=entry.data[Service.JELLYSEERR][CONF_URL],
    )


def instance_device_id(entry_id: str, subentry_id: str) -> str:
    """The identifier of a Radarr/Sonarr subentry's device."""
    return f"{entry_id}_{subentry_id}"


def instance_device(entry: ConfigEntry, arr: ArrInstance) -> DeviceInfo:
    """The device of a Radarr/Sonarr subentry, next to the service device.

    A device belongs to one subentry in Home Assistant: the instance's entities
    cannot share the entry's service device. Its link opens that Radarr/Sonarr.
    """
    return DeviceInfo(
        identifiers={(DOMAIN, instance_device_id(entry.entry_id, arr.key))},
        name=arr.name,
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="Media Request Tracker",
        model=f"{arr.service.display_name} instance",
        configuration_url=arr.config[CONF_URL],
    )


class RequestEntity(Entity):
    """An entity of one tracked request, refreshed when that request changes."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self, data: MediaRequestTrackerData, request: Request, unique_id: str
    ) -> None:
        """Attach the entity to the request's device."""
        self._data = data
        self._request_key = request.key
        self._attr_unique_id: str = unique_id

    @property
    def device_info(self) -> DeviceInfo | None:
        """The request's device, made when asked (only as the entity is added).

        Not kept on the entity: one request has a dozen entities, thousands of
        requests have tens of thousands.
        """
        request = self.request
        if request is None:
            return None
        return DeviceInfo(
            identifiers={
                (DOMAIN, request_unique_id(self._data.publisher.entry_id, request.key))
            },
            name=device_name(request),
            entry_type=DeviceEntryType.SERVICE,
            manufacturer="Jellyseerr request",
            model="Movie" if request.media_type is MediaType.MOVIE else "TV series",
        )

    @property
    def request(self) -> Request | None:
        """The request as the tracker knows it now."""
        return self._data.tracker.requests.get(self._request_key)

    @property
    def available(self) -> bool:
        """Unavailable once the request has left the tracker."""
        return self.request is not None

    async def async_added_to_hass(self) -> None:
        """Follow the request's changes; tell the publisher this entity now exists."""
        publisher = self._data.publisher
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                publisher.request_signal(self._request_key),
                self.async_write_ha_state,
            )
        )
        publisher.entity_added(self._request_key, self._attr_unique_id)
