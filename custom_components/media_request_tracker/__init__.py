"""Media Request Tracker: follow every media request from Jellyseerr to Jellyfin."""

from datetime import datetime
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http import StaticPathConfig
from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.const import CONF_URL, Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.typing import ConfigType
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_when_setup

from .assist import async_setup_assist
from .clients import (
    async_application_title,
    jellyfin_client,
    jellyseerr_client,
    qbittorrent_client,
)
from .const import (
    DOMAIN,
    HOUSEKEEPING_INTERVAL,
    LOGGER,
    NO_URL_UNIQUE_ID,
    STALL_CHECK_INTERVAL,
)
from .data import (
    MediaRequestTrackerConfigEntry,
    MediaRequestTrackerData,
    TrackerOptions,
)
from .engine.models import Service
from .engine.tracker import Tracker
from .entity import device_request, instance_device_id
from .events import RequestEvents
from .instances import ArrInstance, arr_instances
from .pollers import (
    JellyfinPoller,
    JellyseerrPoller,
    QBittorrentPoller,
    RadarrPoller,
    SonarrPoller,
    async_setup_shoko,
)
from .posters import Posters, PosterView
from .publish import ENTITY_CAP, EntityPublisher
from .remediation import Remediation
from .repairs import (
    Repair,
    RepairChecks,
    async_raise,
    async_remove_instance_issues,
    async_remove_issues,
    async_show_left_out_episodes,
)
from .services import async_setup_services
from .sources.errors import InvalidAuth, UpstreamError
from .sources.jellyseerr import JellyseerrClient
from .storage import EntryNotes, Loaded, TrackerStorage, async_remove_storage
from .texts import Texts
from .tracking import RequestTracking
from .webhook import async_register_webhooks
from .wiring import async_unwire, async_unwire_arr

PLATFORMS = [Platform.BINARY_SENSOR, Platform.CALENDAR, Platform.EVENT, Platform.SENSOR]
CARD_URL = f"/{DOMAIN}/media-request-card.js"
CARD_PATH = Path(__file__).parent / "frontend" / "media-request-card.js"
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions and Assist's questions; serve the dashboard card.

    Entries come from the UI; nothing is set up from YAML.
    """
    async_setup_services(hass)
    async_setup_assist(hass)
    hass.http.register_view(PosterView(hass))
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


async def async_migrate_entry(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> bool:
    """1.2: the entry no longer uses Jellyseerr's URL as its unique id.

    The quality scale forbids URLs as unique ids; a second entry for the same
    Jellyseerr host and port is refused by the config flow instead.
    """
    if entry.version > 1:
        return False
    if entry.minor_version < NO_URL_UNIQUE_ID:
        hass.config_entries.async_update_entry(
            entry, unique_id=None, minor_version=NO_URL_UNIQUE_ID
        )
        LOGGER.debug("Migrated entry %s to version 1.2", entry.entry_id)
    return True


async def async_setup_entry(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> bool:
    """Load the stored requests, open the webhooks, add the entities, start polling.

    Only a rejected Jellyseerr key stops setup. An unreachable Jellyseerr does not:
    the webhooks of the other services must keep being received meanwhile, or Radarr
    and Sonarr would count failures and silently drop events (reference §1).
    """
    jellyseerr = jellyseerr_client(hass, entry.data[Service.JELLYSEERR])
    if await _async_check_jellyseerr_key(jellyseerr):
        await _async_rename_legacy_title(hass, entry, jellyseerr)
    options = TrackerOptions.from_entry(entry)
    texts = Texts(hass)
    await texts.async_load()
    # One view of the Radarr/Sonarr instances for the whole setup: a subentry
    # added meanwhile reloads the entry (_follow_subentries).
    arrs = arr_instances(entry)
    tracking = _tracking(hass, entry, options, texts, arrs)
    entry.async_on_unload(tracking.events.async_cancel)
    entry.async_on_unload(texts.async_follow_language(tracking.publisher.refresh_all))
    if await tracking.async_load() is Loaded.DAMAGED:
        kept = f".storage/{tracking.storage.damaged_key}"
        async_raise(hass, entry, Repair.STORAGE_DAMAGED, kept=kept)
    entry.runtime_data = data = _runtime_data(
        hass, entry, tracking, texts, jellyseerr, arrs=arrs
    )
    tracking.tracker.unbind_gone_instances({(arr.service, arr.key) for arr in arrs})
    tracking.publisher.notify_when_left_out(
        partial(async_show_left_out_episodes, hass, entry, cap=ENTITY_CAP)
    )
    checks = RepairChecks(hass, entry, tracking.notes.sources_seen, data.delivers_live)
    entry.async_on_unload(
        async_register_webhooks(hass, entry, tracking, arrs, checks.webhook_arrived)
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Before the first polls: repairs follow each poller's very first answer.
    entry.async_on_unload(checks.async_start(data.pollers))
    for service, poller in data.pollers.items():
        # Coordinators poll only while something listens, and the connectivity
        # sensors may be disabled: the tracker itself always listens.
        entry.async_on_unload(poller.async_add_listener(_keep_polling))
        entry.async_create_background_task(
            hass, poller.async_refresh(), f"{DOMAIN} first poll of {service}"
        )
    tracking.async_housekeeping()
    entry.async_on_unload(
        async_track_time_interval(
            hass, tracking.async_housekeeping, HOUSEKEEPING_INTERVAL
        )
    )
    entry.async_on_unload(_follow_subentries(hass, entry))
    data.remediation = remediation = Remediation(hass, entry)

    @callback
    def check_stuck(now: datetime) -> None:
        """Flag stalls, then help what is stuck (when remediation is on)."""
        tracking.check_stalls(now)
        remediation.async_check(now)

    entry.async_on_unload(
        async_track_time_interval(hass, check_stuck, STALL_CHECK_INTERVAL)
    )
    return True


def _tracking(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    options: TrackerOptions,
    texts: Texts,
    arrs: list[ArrInstance],
) -> RequestTracking:
    """The tracker with its storage, entities and events."""
    tracker = Tracker(
        anime_matching=Service.SHOKO in entry.data,
        requesters=options.requesters,
        people=options.people,
    )
    publisher = EntityPublisher(
        hass,
        entry.entry_id,
        tracker,
        options,
        [instance_device_id(entry.entry_id, arr.key) for arr in arrs if arr.key],
    )
    return RequestTracking(
        tracker,
        TrackerStorage(hass, entry.entry_id, tracker, EntryNotes()),
        options,
        publisher,
        RequestEvents(hass, tracker, publisher, texts, options.episode_settle),
    )


def _runtime_data(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    tracking: RequestTracking,
    texts: Texts,
    jellyseerr: JellyseerrClient,
    *,
    arrs: list[ArrInstance],
) -> MediaRequestTrackerData:
    """A poller for every configured service, and the posters."""
    config = entry.data
    jellyfin_api = (
        None
        if (jellyfin := config.get(Service.JELLYFIN)) is None
        else jellyfin_client(hass, jellyfin)
    )
    data = MediaRequestTrackerData(
        tracking,
        texts,
        Posters(hass, entry, tracking.tracker, jellyseerr, jellyfin_api),
        JellyseerrPoller(hass, entry, tracking, jellyseerr, tracking.options.backfill),
    )
    data.arrs = [
        (RadarrPoller if arr.service is Service.RADARR else SonarrPoller)(
            hass, entry, tracking, arr
        )
        for arr in arrs
    ]
    for poller in data.arrs:
        entry.async_create_background_task(
            hass, poller.async_listen(), f"{DOMAIN} {poller.label} live events"
        )
    if (qbittorrent := config.get(Service.QBITTORRENT)) is not None:
        data.qbittorrent = QBittorrentPoller(
            hass, entry, tracking, qbittorrent_client(hass, qbittorrent)
        )
    if jellyfin_api is not None:
        data.jellyfin = JellyfinPoller(hass, entry, tracking, jellyfin_api)
    if Service.SHOKO in config:
        on_match = () if data.jellyfin is None else (data.jellyfin,)
        data.shoko = async_setup_shoko(hass, entry, tracking, on_match)
    return data


@callback
def _follow_subentries(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> CALLBACK_TYPE:
    """Reload when a Radarr/Sonarr subentry is added, changed or removed.

    Home Assistant only runs update listeners for subentries, and those cannot
    coexist with `OptionsFlowWithReload` (DESIGN §4): the entries' change signal
    tells us instead, and a change made while the entry was being set up is
    caught at once. A removed instance's connections to us are removed from it.
    """
    # The instances this setup polls: a subentry added while it ran counts as new.
    known = {
        poller.arr.key: poller.arr
        for poller in entry.runtime_data.arrs
        if poller.arr.subentry_id
    }

    @callback
    def changed(change: ConfigEntryChange, changed_entry: ConfigEntry) -> None:
        nonlocal known
        if change is not ConfigEntryChange.UPDATED or changed_entry is not entry:
            return
        now = _subentry_instances(entry)
        if {k: a.settings for k, a in now.items()} == {
            k: a.settings for k, a in known.items()
        }:
            return
        # The entry's state changes while it reloads are updates too: once is enough.
        before, known = known, now
        for key in before.keys() - now.keys():
            arr = before[key]
            async_remove_instance_issues(hass, entry.entry_id, key)
            hass.async_create_background_task(
                async_unwire_arr(hass, arr), f"{DOMAIN} unwire {arr.name}"
            )
        hass.config_entries.async_schedule_reload(entry.entry_id)

    unsubscribe = async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, changed)
    changed(ConfigEntryChange.UPDATED, entry)
    return unsubscribe


def _subentry_instances(
    entry: MediaRequestTrackerConfigEntry,
) -> dict[str, ArrInstance]:
    return {arr.key: arr for arr in arr_instances(entry) if arr.subentry_id}


@callback
def _keep_polling() -> None:
    """A listener that only keeps a coordinator scheduled."""


async def _async_rename_legacy_title(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    jellyseerr: JellyseerrClient,
) -> None:
    """An entry still named after its URL takes the household's Jellyseerr name.

    Entries used to be titled `host:port`; a title the user chose stays, and entity
    ids, fixed in the registry, do not change.
    """
    if entry.title != urlsplit(entry.data[Service.JELLYSEERR][CONF_URL]).netloc:
        return
    if title := await async_application_title(jellyseerr):
        hass.config_entries.async_update_entry(entry, title=title)


async def _async_check_jellyseerr_key(client: JellyseerrClient) -> bool:
    """A rejected API key starts reauthentication; being unreachable is polled.

    Returns whether Jellyseerr answered (else nothing more is asked during setup).
    """
    try:
        await client.async_get_current_user()
    except InvalidAuth as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="jellyseerr_invalid_auth"
        ) from err
    except UpstreamError as err:
        LOGGER.debug("Jellyseerr did not answer during setup: %s", err)
        return False
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> bool:
    """Close the webhooks and entities, and write pending changes now."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        data = entry.runtime_data
        # A step under way is cancelled before the last write: none lands after it.
        if data.remediation is not None:
            await data.remediation.async_stop()
        await data.tracking.async_flush()
    return unloaded


async def async_remove_entry(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> None:
    """Remove our webhooks from the services, the stored requests and the issues."""
    await async_unwire(hass, entry)
    await async_remove_storage(hass, entry.entry_id)
    async_remove_issues(hass, entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    device_entry: dr.DeviceEntry,
) -> bool:
    """A user deleting a request's device forgets the request for good."""
    request = device_request(device_entry.identifiers)
    if request is None or request[0] != entry.entry_id:
        return False
    entry.runtime_data.tracking.forget([request[1]])
    return True
