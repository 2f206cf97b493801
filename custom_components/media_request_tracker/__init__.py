"""Media Request Tracker: follow every media request from Jellyseerr to Jellyfin."""

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.typing import ConfigType

from .const import CONF_JELLYSEERR, CONF_SHOKO, DOMAIN, HOUSEKEEPING_INTERVAL, LOGGER
from .engine.tracker import Tracker
from .hub import (
    MediaRequestTrackerConfigEntry,
    TrackerHub,
    TrackerOptions,
    request_unique_id,
)
from .sources.errors import InvalidAuth, UpstreamError
from .sources.jellyseerr import JellyseerrClient
from .storage import TrackerStorage
from .webhook import async_register_webhooks

PLATFORMS = [Platform.BINARY_SENSOR, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Nothing to set up from YAML; entries come from the UI."""
    return True


async def async_setup_entry(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> bool:
    """Load the stored requests, open the webhooks and add the entities.

    Only a rejected Jellyseerr key stops setup. An unreachable Jellyseerr does not:
    the webhooks of the other services must keep being received meanwhile, or Radarr
    and Sonarr would count failures and silently drop events (reference §1).
    """
    jellyseerr_connected = await _async_check_jellyseerr(hass, entry)
    options = TrackerOptions.from_entry(entry)
    tracker = Tracker(
        anime_matching=CONF_SHOKO in entry.data, requesters=options.requesters
    )
    hub = TrackerHub(
        hass, entry, tracker, TrackerStorage(hass, entry.entry_id), options
    )
    await hub.async_load()
    hub.set_connected(CONF_JELLYSEERR, jellyseerr_connected)
    entry.runtime_data = hub
    entry.async_on_unload(async_register_webhooks(hass, entry.data, entry.title, hub))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    hub.async_housekeeping()
    entry.async_on_unload(
        async_track_time_interval(hass, hub.async_housekeeping, HOUSEKEEPING_INTERVAL)
    )
    return True


async def _async_check_jellyseerr(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Whether Jellyseerr answers; a rejected API key starts reauthentication."""
    service = entry.data[CONF_JELLYSEERR]
    client = JellyseerrClient(
        async_get_clientsession(hass, service[CONF_VERIFY_SSL]),
        service[CONF_URL],
        service[CONF_API_KEY],
    )
    try:
        await client.async_get_current_user()
    except InvalidAuth as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="jellyseerr_invalid_auth"
        ) from err
    except UpstreamError as err:
        LOGGER.info("Jellyseerr did not answer during setup: %s", err)
        return False
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> bool:
    """Close the webhooks and entities, and write pending changes now."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.async_flush()
    return unloaded


async def async_remove_entry(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> None:
    """Delete the stored requests with the entry."""
    await TrackerStorage(hass, entry.entry_id).async_remove()


async def async_remove_config_entry_device(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    device_entry: dr.DeviceEntry,
) -> bool:
    """A user deleting a request's device forgets the request for good."""
    prefix = request_unique_id(entry.entry_id, "")
    for domain, identifier in device_entry.identifiers:
        if domain == DOMAIN and identifier.startswith(prefix):
            entry.runtime_data.forget(identifier.removeprefix(prefix))
            return True
    return False
