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

from .clients import jellyseerr_client, radarr_client, sonarr_client
from .const import CONF_WEBHOOK_IDS, CONF_WEBHOOK_SECRET, LOGGER
from .data import MediaRequestTrackerConfigEntry
from .engine.models import Service
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


@dataclass(frozen=True, slots=True)
class ArrWiring:
    """Whether Radarr/Sonarr posts to this entry, and which events it leaves out.

    `url` is where it should post (a path while Home Assistant has no URL).
    """

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


def webhook_url(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, service: Service
) -> str | None:
    """The URL a service must post to (None while Home Assistant has no URL)."""
    try:
        return webhook.async_generate_url(hass, entry.data[CONF_WEBHOOK_IDS][service])
    except NoURLAvailableError:
        return None


def seerr_owns_webhook(hass: HomeAssistant) -> bool:
    """Whether Home Assistant's Seerr integration is set up (it owns the slot)."""
    return bool(hass.config_entries.async_entries("overseerr"))


async def async_inspect(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> dict[Service, Wiring]:
    """How each pushing service is wired; services that do not answer are left out."""
    found: dict[Service, Wiring] = {}
    for service in (Service.RADARR, Service.SONARR, Service.JELLYSEERR):
        if service not in entry.data:
            continue
        try:
            found[service] = await async_inspect_service(hass, entry, service)
        except UNUSABLE_ANSWER as err:
            LOGGER.debug("Could not check how %s is wired: %s", service, err)
    return found


async def async_inspect_service(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, service: Service
) -> Wiring:
    """How one service is wired (its errors are the caller's)."""
    if service is Service.JELLYSEERR:
        return await _async_inspect_jellyseerr(hass, entry)
    return await _async_inspect_arr(hass, entry, service)


async def _async_inspect_arr(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, service: Service
) -> ArrWiring:
    ours = await _async_our_connections(
        _arr_client(hass, entry, service), entry, service
    )
    url = webhook_url(hass, entry, service) or webhook.async_generate_path(
        entry.data[CONF_WEBHOOK_IDS][service]
    )
    sent = frozenset[str]().union(*(connection.events for connection in ours))
    return ArrWiring(url, bool(ours), ARR_EVENTS[service] - sent)


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
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, service: Service
) -> None:
    """Make the service post to us with a secret (the user accepted the repair).

    A service without a webhook secret gets a random one, so that a leaked URL
    alone is not enough to post. It is kept before the service is changed (which
    tests the webhook at once), and given back if changing it fails.
    """
    url = webhook_url(hass, entry, service)
    if url is None:
        raise NoURLAvailableError
    previous = entry.data[service].get(CONF_WEBHOOK_SECRET)
    secret = previous or secrets.token_urlsafe(WEBHOOK_SECRET_BYTES)
    _keep_secret(hass, entry, service, secret)
    try:
        await _async_point_at(hass, entry, service, url, secret)
    except BaseException:
        _keep_secret(hass, entry, service, previous)
        raise


async def _async_point_at(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    service: Service,
    url: str,
    secret: str,
) -> None:
    if service is Service.JELLYSEERR:
        jellyseerr = jellyseerr_client(hass, entry.data[Service.JELLYSEERR])
        await jellyseerr.async_set_webhook(url, secret)
        return
    client = _arr_client(hass, entry, service)
    ours = await _async_our_connections(client, entry, service)
    await client.async_save_webhook(
        CONNECTION_NAME,
        url,
        # Warnings too: an indexer down is one, and it holds up every search.
        {**dict.fromkeys(ARR_EVENTS[service], True), "includeHealthWarnings": True},
        secret,
        connection_id=ours[0].connection_id if ours else None,
    )


def _keep_secret(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    service: Service,
    secret: str | None,
) -> None:
    """Store a service's webhook secret; the webhook reads it at each call."""
    config = {**entry.data[service], CONF_WEBHOOK_SECRET: secret}
    hass.config_entries.async_update_entry(entry, data={**entry.data, service: config})


async def async_unwire(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> None:
    """Remove the connections and the Jellyseerr webhook that point at this entry."""
    for service in (Service.RADARR, Service.SONARR):
        if service in entry.data:
            await _async_unwire_arr(hass, entry, service)
    if seerr_owns_webhook(hass):
        return
    client = jellyseerr_client(hass, entry.data[Service.JELLYSEERR])
    try:
        current = await client.async_get_webhook_url()
        if current and entry.data[CONF_WEBHOOK_IDS][Service.JELLYSEERR] in current:
            await client.async_set_webhook(None, None)
    except UNUSABLE_ANSWER as err:
        LOGGER.warning("Could not remove the webhook from Jellyseerr: %s", err)


async def _async_unwire_arr(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, service: Service
) -> None:
    client = _arr_client(hass, entry, service)
    try:
        for connection in await _async_our_connections(client, entry, service):
            await client.async_delete_webhook(connection.connection_id)
    except UNUSABLE_ANSWER as err:
        LOGGER.warning(
            "Could not remove the connection from %s at %s: %s",
            service.display_name,
            entry.data[service][CONF_URL],
            err,
        )


def _arr_client(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, service: Service
) -> ArrClient:
    config = entry.data[service]
    if service is Service.RADARR:
        return radarr_client(hass, config)
    return sonarr_client(hass, config)


async def _async_our_connections(
    client: ArrClient, entry: MediaRequestTrackerConfigEntry, service: Service
) -> list[WebhookConnection]:
    """The service's connections that post to this entry, whatever the host."""
    webhook_id = entry.data[CONF_WEBHOOK_IDS][service]
    return [c for c in await client.async_get_webhooks() if webhook_id in c.url]
