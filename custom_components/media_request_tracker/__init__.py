"""Media Request Tracker: follow every media request from Jellyseerr to Jellyfin."""

from datetime import datetime
from pathlib import Path

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http import StaticPathConfig
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.typing import ConfigType
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_when_setup

from .connections import (
    jellyfin_client,
    jellyseerr_client,
    qbittorrent_client,
    radarr_client,
    sonarr_client,
)
from .const import (
    CONF_JELLYFIN,
    CONF_JELLYSEERR,
    CONF_QBITTORRENT,
    CONF_RADARR,
    CONF_SHOKO,
    CONF_SONARR,
    DOMAIN,
    HOUSEKEEPING_INTERVAL,
    LOGGER,
    STALL_CHECK_INTERVAL,
)
from .coordinator import (
    JellyfinPoller,
    JellyseerrPoller,
    QBittorrentPoller,
    RadarrPoller,
    ServicePoller,
    SonarrPoller,
)
from .engine.tracker import Tracker
from .hub import (
    MediaRequestTrackerConfigEntry,
    TrackerHub,
    TrackerOptions,
    device_request,
)
from .services import async_setup_services
from .shoko import async_setup_shoko
from .sources.errors import InvalidAuth, UpstreamError
from .sources.jellyseerr import JellyseerrClient
from .storage import TrackerStorage
from .webhook import async_register_webhooks
from .wiring import async_check_wiring, async_unwire

PLATFORMS = [Platform.BINARY_SENSOR, Platform.SENSOR]
CARD_URL = f"/{DOMAIN}/media-request-card.js"
CARD_PATH = Path(__file__).parent / "frontend" / "media-request-card.js"
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions; serve the dashboard card and have every frontend load it.

    Entries come from the UI; nothing is set up from YAML.
    """
    async_setup_services(hass)
    await hass.http.async_register_static_paths(
        [StaticPathConfig(CARD_URL, str(CARD_PATH), cache_headers=True)]
    )
    # The version in the URL makes browsers fetch the card again after an update,
    # despite the long cache headers.
    version = (await async_get_integration(hass, DOMAIN)).version

    async def add_card(hass: HomeAssistant, component: str) -> None:
        add_extra_js_url(hass, f"{CARD_URL}?v={version}")

    # Not a manifest dependency: without the frontend (a headless instance, or a
    # test) the integration still runs, and the card is added if it ever loads.
    async_when_setup(hass, "frontend", add_card)
    return True


async def async_setup_entry(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> bool:
    """Load the stored requests, open the webhooks, add the entities, start polling.

    Only a rejected Jellyseerr key stops setup. An unreachable Jellyseerr does not:
    the webhooks of the other services must keep being received meanwhile, or Radarr
    and Sonarr would count failures and silently drop events (reference §1).
    """
    jellyseerr = jellyseerr_client(hass, entry.data[CONF_JELLYSEERR])
    await _async_check_jellyseerr_key(jellyseerr)
    options = TrackerOptions.from_entry(entry)
    tracker = Tracker(
        anime_matching=CONF_SHOKO in entry.data, requesters=options.requesters
    )
    hub = TrackerHub(
        hass, entry, tracker, TrackerStorage(hass, entry.entry_id), options
    )
    await hub.async_load()
    hub.pollers = _pollers(hass, entry, hub, jellyseerr)
    entry.runtime_data = hub
    entry.async_on_unload(async_register_webhooks(hass, entry.data, entry.title, hub))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    for service, poller in hub.pollers.items():
        # Coordinators poll only while something listens, and the connectivity
        # sensors may be disabled: the tracker itself always listens.
        entry.async_on_unload(poller.async_add_listener(_keep_polling))
        entry.async_create_background_task(
            hass, poller.async_refresh(), f"{DOMAIN} first poll of {service}"
        )
    hub.async_housekeeping()
    entry.async_on_unload(
        async_track_time_interval(hass, hub.async_housekeeping, HOUSEKEEPING_INTERVAL)
    )
    entry.async_on_unload(
        async_track_time_interval(hass, hub.check_stalls, STALL_CHECK_INTERVAL)
    )

    async def check_wiring(_now: datetime | None = None) -> None:
        await async_check_wiring(hass, entry)

    entry.async_create_background_task(hass, check_wiring(), f"{DOMAIN} wiring check")
    entry.async_on_unload(
        async_track_time_interval(hass, check_wiring, HOUSEKEEPING_INTERVAL)
    )
    return True


@callback
def _keep_polling() -> None:
    """A listener that only keeps a coordinator scheduled."""


async def _async_check_jellyseerr_key(client: JellyseerrClient) -> None:
    """A rejected API key starts reauthentication; being unreachable is polled."""
    try:
        await client.async_get_current_user()
    except InvalidAuth as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="jellyseerr_invalid_auth"
        ) from err
    except UpstreamError as err:
        LOGGER.debug("Jellyseerr did not answer during setup: %s", err)


def _pollers(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    hub: TrackerHub,
    jellyseerr: JellyseerrClient,
) -> dict[str, ServicePoller]:
    """A poller for every configured service."""
    data = entry.data
    pollers: dict[str, ServicePoller] = {
        CONF_JELLYSEERR: JellyseerrPoller(
            hass, entry, hub, jellyseerr, hub.options.backfill
        )
    }
    # Without qBittorrent (e.g. a usenet client) the queue reports progress.
    queue_progress = CONF_QBITTORRENT not in data
    if (radarr := data.get(CONF_RADARR)) is not None:
        pollers[CONF_RADARR] = RadarrPoller(
            hass, entry, hub, radarr_client(hass, radarr), queue_progress=queue_progress
        )
    if (sonarr := data.get(CONF_SONARR)) is not None:
        pollers[CONF_SONARR] = SonarrPoller(
            hass, entry, hub, sonarr_client(hass, sonarr), queue_progress=queue_progress
        )
    if (qbittorrent := data.get(CONF_QBITTORRENT)) is not None:
        pollers[CONF_QBITTORRENT] = QBittorrentPoller(
            hass, entry, hub, qbittorrent_client(hass, qbittorrent)
        )
    if (jellyfin := data.get(CONF_JELLYFIN)) is not None:
        pollers[CONF_JELLYFIN] = JellyfinPoller(
            hass, entry, hub, jellyfin_client(hass, jellyfin)
        )
    if CONF_SHOKO in data:
        pollers[CONF_SHOKO] = async_setup_shoko(hass, entry, hub)
    return pollers


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
    """Remove our webhooks from the services, and the stored requests."""
    await async_unwire(hass, entry)
    await TrackerStorage(hass, entry.entry_id).async_remove()


async def async_remove_config_entry_device(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    device_entry: dr.DeviceEntry,
) -> bool:
    """A user deleting a request's device forgets the request for good."""
    request = device_request(device_entry.identifiers)
    if request is None or request[0] != entry.entry_id:
        return False
    entry.runtime_data.forget(request[1])
    return True
