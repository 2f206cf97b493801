"""Webhook wiring: whether each service posts to us, and making it do so.

Radarr and Sonarr get a Webhook connection through their notification API once the
user accepts the repair. Jellyseerr's single webhook slot is taken only when it is
empty or the user explicitly agrees, and never while Home Assistant's own Seerr
integration (`overseerr`) owns it: that integration claims the slot back whenever
its settings differ, so requests are polled instead (DESIGN §2.7). What the user is
told about it is `repairs.py`'s business.
"""

from dataclasses import dataclass
import secrets

from homeassistant.components import webhook
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError

from .clients import jellyseerr_client
from .const import CONF_WEBHOOK_IDS, CONF_WEBHOOK_SECRET, LOGGER
from .data import MediaRequestTrackerConfigEntry
from .engine.models import Service
from .instances import ArrInstance, arr_instances
from .sources.arr import ArrClient, WebhookConnection
from .sources.errors import UNUSABLE_ANSWER

CONNECTION_NAME = "Home Assistant (Media Request Tracker)"
# Random bytes of the webhook secrets we set (URL-safe text, 43 characters).
WEBHOOK_SECRET_BYTES = 32
# The connection events each *arr must send (DESIGN §3, reference §2.1 and §3.1).
ARR_EVENTS: dict[Service, frozenset[str]] = {
    Service.RADARR: frozenset(
        {
            "onGrab",
            "onDownload",
            "onUpgrade",
            "onManualInteractionRequired",
            "onMovieDelete",
            "onMovieFileDelete",
            "onHealthIssue",
            "onHealthRestored",
        }
    ),
    Service.SONARR: frozenset(
        {
            "onGrab",
            "onDownload",
            "onUpgrade",
            "onImportComplete",
            "onManualInteractionRequired",
            "onSeriesDelete",
            "onEpisodeFileDelete",
            "onHealthIssue",
            "onHealthRestored",
        }
    ),
}


class InstanceGone(LookupError):
    """The Radarr/Sonarr to wire was removed meanwhile."""

    def __init__(self, service: Service, instance: str) -> None:
        """Name what is gone."""
        super().__init__(f"{service} {instance or 'primary'} is not configured")


@dataclass(frozen=True, slots=True)
class ArrWiring:
    """Whether Radarr/Sonarr posts to this entry, and which events it leaves out.

    `url` is where it should post (a path while Home Assistant has no URL).
    """

    arr: ArrInstance
    url: str
    connected: bool
    missing_events: frozenset[str]


@dataclass(frozen=True, slots=True)
class JellyseerrWiring:
    """Where Jellyseerr's one webhook posts: to us, to another tool, or nowhere.

    With Home Assistant's Seerr integration set up, the slot is its own.
    """

    seerr_owns_it: bool = False
    ours: bool = False
    other_url: str | None = None


type Wiring = ArrWiring | JellyseerrWiring


def is_wired(state: Wiring) -> bool:
    """Whether the service posts everything we need to us (or must not be asked)."""
    match state:
        case ArrWiring():
            return state.connected and not state.missing_events
        case JellyseerrWiring():
            return state.ours or state.seerr_owns_it


def webhook_url(hass: HomeAssistant, webhook_id: str) -> str | None:
    """The URL a service must post to (None while Home Assistant has no URL)."""
    try:
        return webhook.async_generate_url(hass, webhook_id)
    except NoURLAvailableError:
        return None


def find_arr(
    entry: MediaRequestTrackerConfigEntry, service: Service, key: str = ""
) -> ArrInstance | None:
    """The Radarr/Sonarr instance (`key` a subentry's id, "" the primary one)."""
    for arr in arr_instances(entry):
        if arr.service is service and arr.key == key:
            return arr
    return None


def seerr_owns_webhook(hass: HomeAssistant) -> bool:
    """Whether Home Assistant's Seerr integration is set up (it owns the slot)."""
    return bool(hass.config_entries.async_entries("overseerr"))


async def async_inspect(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> list[Wiring]:
    """How each pushing service is wired; services that do not answer are left out."""
    found: list[Wiring] = []
    for arr in arr_instances(entry):
        try:
            found.append(await _async_inspect_arr(hass, arr))
        except UNUSABLE_ANSWER as err:
            LOGGER.debug("Could not check how %s is wired: %s", arr.name, err)
    try:
        found.append(await _async_inspect_jellyseerr(hass, entry))
    except UNUSABLE_ANSWER as err:
        LOGGER.debug("Could not check how Jellyseerr is wired: %s", err)
    return found


async def async_inspect_service(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    service: Service,
    instance: str = "",
) -> Wiring | None:
    """How one service is wired (its errors are the caller's); None: it is gone."""
    if service is Service.JELLYSEERR:
        return await _async_inspect_jellyseerr(hass, entry)
    arr = find_arr(entry, service, instance)
    return None if arr is None else await _async_inspect_arr(hass, arr)


async def _async_inspect_arr(hass: HomeAssistant, arr: ArrInstance) -> ArrWiring:
    ours = await _async_our_connections(arr.client(hass), arr)
    url = webhook_url(hass, arr.webhook_id) or webhook.async_generate_path(
        arr.webhook_id
    )
    sent = frozenset[str]().union(*(connection.events for connection in ours))
    return ArrWiring(arr, url, bool(ours), ARR_EVENTS[arr.service] - sent)


async def _async_inspect_jellyseerr(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> JellyseerrWiring:
    if seerr_owns_webhook(hass):
        return JellyseerrWiring(seerr_owns_it=True)
    client = jellyseerr_client(hass, entry.data[Service.JELLYSEERR])
    current = await client.async_get_webhook_url()
    if current and entry.data[CONF_WEBHOOK_IDS][Service.JELLYSEERR] in current:
        return JellyseerrWiring(ours=True)
    return JellyseerrWiring(other_url=current)


async def async_wire(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    service: Service,
    instance: str = "",
) -> None:
    """Make the service post to us with a secret (the user accepted the repair).

    A service without a webhook secret gets a random one, so that a leaked URL
    alone is not enough to post. It is kept before the service is changed (which
    tests the webhook at once), and given back if changing it fails.
    """
    arr = None if service is Service.JELLYSEERR else find_arr(entry, service, instance)
    if arr is None and service is not Service.JELLYSEERR:
        raise InstanceGone(service, instance)
    config = entry.data[service] if arr is None else arr.config
    webhook_id = (
        entry.data[CONF_WEBHOOK_IDS][service] if arr is None else arr.webhook_id
    )
    url = webhook_url(hass, webhook_id)
    if url is None:
        raise NoURLAvailableError
    previous = config.get(CONF_WEBHOOK_SECRET)
    secret = previous or secrets.token_urlsafe(WEBHOOK_SECRET_BYTES)
    _keep_secret(hass, entry, service, instance, secret)
    try:
        if arr is None:
            jellyseerr = jellyseerr_client(hass, entry.data[Service.JELLYSEERR])
            await jellyseerr.async_set_webhook(url, secret)
        else:
            await _async_point_at(hass, arr, url, secret)
    except BaseException:
        _keep_secret(hass, entry, service, instance, previous)
        raise


async def _async_point_at(
    hass: HomeAssistant, arr: ArrInstance, url: str, secret: str
) -> None:
    client = arr.client(hass)
    ours = await _async_our_connections(client, arr)
    await client.async_save_webhook(
        CONNECTION_NAME,
        url,
        # Warnings too: an indexer down is one, and it holds up every search.
        {**dict.fromkeys(ARR_EVENTS[arr.service], True), "includeHealthWarnings": True},
        secret,
        connection_id=ours[0].connection_id if ours else None,
    )


def _keep_secret(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    service: Service,
    instance: str,
    secret: str | None,
) -> None:
    """Store a service's webhook secret; the webhook reads it at each call."""
    if subentry := entry.subentries.get(instance):
        data = {**subentry.data, CONF_WEBHOOK_SECRET: secret}
        hass.config_entries.async_update_subentry(entry, subentry, data=data)
        return
    config = {**entry.data[service], CONF_WEBHOOK_SECRET: secret}
    hass.config_entries.async_update_entry(entry, data={**entry.data, service: config})


async def async_unwire(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> None:
    """Remove the connections and the Jellyseerr webhook that point at this entry."""
    for arr in arr_instances(entry):
        await async_unwire_arr(hass, arr)
    if seerr_owns_webhook(hass):
        return
    client = jellyseerr_client(hass, entry.data[Service.JELLYSEERR])
    try:
        current = await client.async_get_webhook_url()
        if current and entry.data[CONF_WEBHOOK_IDS][Service.JELLYSEERR] in current:
            await client.async_set_webhook(None, None)
    except UNUSABLE_ANSWER as err:
        LOGGER.warning("Could not remove the webhook from Jellyseerr: %s", err)


async def async_unwire_arr(hass: HomeAssistant, arr: ArrInstance) -> None:
    """Remove the instance's connections that post to us (it is being removed)."""
    client = arr.client(hass)
    try:
        for connection in await _async_our_connections(client, arr):
            await client.async_delete_webhook(connection.connection_id)
    except UNUSABLE_ANSWER as err:
        LOGGER.warning(
            "Could not remove the connection from %s at %s: %s",
            arr.name,
            arr.config[CONF_URL],
            err,
        )


async def _async_our_connections(
    client: ArrClient, arr: ArrInstance
) -> list[WebhookConnection]:
    """The instance's connections that post to us, whatever the host."""
    return [c for c in await client.async_get_webhooks() if arr.webhook_id in c.url]
