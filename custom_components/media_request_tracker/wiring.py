"""Webhook wiring: whether each service sends us its webhooks, and fixing it.

Radarr and Sonarr get a Webhook connection through their notification API once the
user accepts the repair. Jellyseerr's single webhook slot is taken only when it is
empty or the user explicitly agrees, and never while Home Assistant's own Seerr
integration (`overseerr`) owns it: that integration claims the slot back whenever
its settings differ, so requests are polled instead (DESIGN §2.7).
"""

from collections.abc import Mapping
from typing import Any

from homeassistant.components import webhook
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError

from .connections import jellyseerr_client, radarr_client, sonarr_client
from .const import (
    CONF_JELLYSEERR,
    CONF_RADARR,
    CONF_SONARR,
    CONF_WEBHOOK_IDS,
    CONF_WEBHOOK_SECRET,
    DOMAIN,
    LOGGER,
    SERVICE_NAMES,
)
from .hub import MediaRequestTrackerConfigEntry
from .sources.arr import ArrClient, WebhookConnection
from .sources.errors import UNUSABLE_ANSWER

CONNECTION_NAME = "Home Assistant (Media Request Tracker)"
# The connection events each *arr must send (DESIGN §3, reference §2.1 and §3.1).
ARR_EVENTS: dict[str, frozenset[str]] = {
    CONF_RADARR: frozenset(
        {
            "onGrab",
            "onDownload",
            "onUpgrade",
            "onManualInteractionRequired",
            "onMovieDelete",
            "onMovieFileDelete",
        }
    ),
    CONF_SONARR: frozenset(
        {
            "onGrab",
            "onDownload",
            "onUpgrade",
            "onImportComplete",
            "onManualInteractionRequired",
            "onSeriesDelete",
            "onEpisodeFileDelete",
        }
    ),
}
# Issues, by the service they concern; `{service}` is filled in.
ARR_MISSING = "{service}_webhook_missing"
ARR_EVENTS_MISSING = "{service}_webhook_events"
JELLYSEERR_FREE = "jellyseerr_webhook_free"
JELLYSEERR_TAKEN = "jellyseerr_webhook_taken"
JELLYSEERR_POLLING = "jellyseerr_polling"


def webhook_url(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, source: str
) -> str | None:
    """The URL a service must post to (None while Home Assistant has no URL)."""
    try:
        return webhook.async_generate_url(hass, entry.data[CONF_WEBHOOK_IDS][source])
    except NoURLAvailableError:
        return None


def seerr_owns_webhook(hass: HomeAssistant) -> bool:
    """Whether Home Assistant's Seerr integration is set up (it owns the slot)."""
    return bool(hass.config_entries.async_entries("overseerr"))


def _arr_client(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, service: str
) -> ArrClient:
    config = entry.data[service]
    return (
        radarr_client(hass, config)
        if service == CONF_RADARR
        else sonarr_client(hass, config)
    )


async def _async_our_connections(
    client: ArrClient, entry: MediaRequestTrackerConfigEntry, service: str
) -> list[WebhookConnection]:
    """The service's connections that post to this entry, whatever the host."""
    webhook_id = entry.data[CONF_WEBHOOK_IDS][service]
    return [c for c in await client.async_get_webhooks() if webhook_id in c.url]


def _issue(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    key: str,
    *,
    fixable: bool,
    placeholders: Mapping[str, str],
    service: str,
) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{key}_{entry.entry_id}",
        is_fixable=fixable,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=key,
        translation_placeholders={"entry": entry.title, **placeholders},
        data={"entry_id": entry.entry_id, "service": service},
    )


def _clear(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, *keys: str
) -> None:
    for key in keys:
        ir.async_delete_issue(hass, DOMAIN, f"{key}_{entry.entry_id}")


async def async_check_wiring(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> None:
    """Raise or clear the repairs about webhooks (after setup, then hourly).

    A service that does not answer is skipped: its connectivity covers it.
    """
    for service in (CONF_RADARR, CONF_SONARR):
        if service in entry.data:
            await _async_check_arr(hass, entry, service)
    await _async_check_jellyseerr(hass, entry)


async def _async_check_arr(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, service: str
) -> None:
    missing_key = ARR_MISSING.format(service=service)
    events_key = ARR_EVENTS_MISSING.format(service=service)
    try:
        ours = await _async_our_connections(
            _arr_client(hass, entry, service), entry, service
        )
    except UNUSABLE_ANSWER as err:
        LOGGER.debug("Could not check %s's connections: %s", service, err)
        return
    name = SERVICE_NAMES[service]
    if not ours:
        _clear(hass, entry, events_key)
        webhook_id = entry.data[CONF_WEBHOOK_IDS][service]
        url = webhook_url(hass, entry, service) or webhook.async_generate_path(
            webhook_id
        )
        _issue(
            hass,
            entry,
            missing_key,
            fixable=True,
            service=service,
            placeholders={"service": name, "url": url},
        )
        return
    missing = ARR_EVENTS[service] - set().union(*(c.events for c in ours))
    _clear(hass, entry, missing_key)
    if missing:
        _issue(
            hass,
            entry,
            events_key,
            fixable=True,
            service=service,
            placeholders={"service": name, "events": ", ".join(sorted(missing))},
        )
    else:
        _clear(hass, entry, events_key)


async def _async_check_jellyseerr(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> None:
    keys = (JELLYSEERR_FREE, JELLYSEERR_TAKEN, JELLYSEERR_POLLING)
    if seerr_owns_webhook(hass):
        _clear(hass, entry, *keys)
        _issue(
            hass,
            entry,
            JELLYSEERR_POLLING,
            fixable=False,
            service=CONF_JELLYSEERR,
            placeholders={},
        )
        return
    webhook_id = entry.data[CONF_WEBHOOK_IDS][CONF_JELLYSEERR]
    try:
        current = await jellyseerr_client(
            hass, entry.data[CONF_JELLYSEERR]
        ).async_get_webhook_url()
    except UNUSABLE_ANSWER as err:
        LOGGER.debug("Could not read Jellyseerr's webhook settings: %s", err)
        return
    _clear(hass, entry, *keys)
    if current and webhook_id in current:
        return
    if current:
        _issue(
            hass,
            entry,
            JELLYSEERR_TAKEN,
            fixable=True,
            service=CONF_JELLYSEERR,
            placeholders={"url": current},
        )
    else:
        _issue(
            hass,
            entry,
            JELLYSEERR_FREE,
            fixable=True,
            service=CONF_JELLYSEERR,
            placeholders={},
        )


async def async_wire(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, service: str
) -> None:
    """Make the service post to us (the user accepted the repair)."""
    url = webhook_url(hass, entry, service)
    if url is None:
        raise NoURLAvailableError
    secret = entry.data[service].get(CONF_WEBHOOK_SECRET)
    if service == CONF_JELLYSEERR:
        jellyseerr = jellyseerr_client(hass, entry.data[CONF_JELLYSEERR])
        await jellyseerr.async_set_webhook(url, secret)
    else:
        client = _arr_client(hass, entry, service)
        ours = await _async_our_connections(client, entry, service)
        await client.async_save_webhook(
            CONNECTION_NAME,
            url,
            dict.fromkeys(ARR_EVENTS[service], True),
            secret,
            connection_id=ours[0].connection_id if ours else None,
        )
    await async_check_wiring(hass, entry)


async def async_unwire(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> None:
    """Remove the connections and the Jellyseerr webhook that point at this entry."""
    for service in (CONF_RADARR, CONF_SONARR):
        if service in entry.data:
            await _async_unwire_arr(hass, entry, service)
    if CONF_JELLYSEERR in entry.data and not seerr_owns_webhook(hass):
        client = jellyseerr_client(hass, entry.data[CONF_JELLYSEERR])
        try:
            current = await client.async_get_webhook_url()
            if current and entry.data[CONF_WEBHOOK_IDS][CONF_JELLYSEERR] in current:
                await client.async_set_webhook(None, None)
        except UNUSABLE_ANSWER as err:
            LOGGER.warning("Could not remove the webhook from Jellyseerr: %s", err)


async def _async_unwire_arr(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, service: str
) -> None:
    client = _arr_client(hass, entry, service)
    try:
        for connection in await _async_our_connections(client, entry, service):
            await client.async_delete_webhook(connection.connection_id)
    except UNUSABLE_ANSWER as err:
        LOGGER.warning(
            "Could not remove the connection from %s at %s: %s",
            SERVICE_NAMES[service],
            entry.data[service][CONF_URL],
            err,
        )


def issue_data(data: Mapping[str, Any] | None) -> tuple[str, str]:
    """The entry id and service a wiring issue is about."""
    data = data or {}
    return str(data.get("entry_id", "")), str(data.get("service", ""))
