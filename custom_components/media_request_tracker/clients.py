"""The API clients of the configured services, and how to check that one works.

Setup builds its pollers' clients here and the config flow checks what users type
here, so both always talk to a service the same way.
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import ClientSession, CookieJar

from homeassistant.const import (
    CONF_API_KEY,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import (
    async_create_clientsession,
    async_get_clientsession,
)

from .const import LOGGER
from .engine.models import Service
from .sources.errors import UNUSABLE_ANSWER
from .sources.http import normalize_url
from .sources.jellyfin import JellyfinClient
from .sources.jellyseerr import JellyseerrClient
from .sources.qbittorrent import QBittorrentClient
from .sources.radarr import RadarrClient
from .sources.shoko import ShokoClient, async_obtain_api_key
from .sources.sonarr import SonarrClient

type ServiceConfig = Mapping[str, Any]

# Jellyseerr's application title when it has none (as Jellyseerr 2 itself does).
DEFAULT_TITLE = "Jellyseerr"


def session(hass: HomeAssistant, config: ServiceConfig) -> ClientSession:
    """Home Assistant's shared session, verifying certificates unless told not to."""
    return async_get_clientsession(hass, config.get(CONF_VERIFY_SSL, True))


def jellyseerr_client(hass: HomeAssistant, config: ServiceConfig) -> JellyseerrClient:
    """A client for the configured Jellyseerr."""
    return JellyseerrClient(
        session(hass, config), config[CONF_URL], config[CONF_API_KEY]
    )


async def async_application_title(client: JellyseerrClient) -> str | None:
    """What the household calls its Jellyseerr; None when it cannot be asked."""
    try:
        return await client.async_get_application_title() or DEFAULT_TITLE
    except UNUSABLE_ANSWER as err:
        LOGGER.debug("Could not read Jellyseerr's application title: %s", err)
        return None


def shoko_client(hass: HomeAssistant, config: ServiceConfig) -> ShokoClient:
    """A client for the configured Shoko Server."""
    return ShokoClient(session(hass, config), config[CONF_URL], config[CONF_API_KEY])


def radarr_client(hass: HomeAssistant, config: ServiceConfig) -> RadarrClient:
    """A client for the configured Radarr."""
    return RadarrClient(session(hass, config), config[CONF_URL], config[CONF_API_KEY])


def sonarr_client(hass: HomeAssistant, config: ServiceConfig) -> SonarrClient:
    """A client for the configured Sonarr."""
    return SonarrClient(session(hass, config), config[CONF_URL], config[CONF_API_KEY])


def jellyfin_client(hass: HomeAssistant, config: ServiceConfig) -> JellyfinClient:
    """A client for the configured Jellyfin."""
    return JellyfinClient(session(hass, config), config[CONF_URL], config[CONF_API_KEY])


def qbittorrent_client(
    hass: HomeAssistant, config: ServiceConfig, session: ClientSession | None = None
) -> QBittorrentClient:
    """A qBittorrent client with a session of its own.

    qBittorrent keeps its sync state per web session, so each poller needs its own,
    with a cookie jar that also keeps cookies of bare IP hosts (reference §1.2).
    Made during setup, Home Assistant detaches it when the entry unloads.
    """
    return QBittorrentClient(
        session or _qbittorrent_session(hass, config, auto_cleanup=True),
        config[CONF_URL],
        username=config.get(CONF_USERNAME),
        password=config.get(CONF_PASSWORD),
        api_key=config.get(CONF_API_KEY),
    )


def _qbittorrent_session(
    hass: HomeAssistant, config: ServiceConfig, *, auto_cleanup: bool
) -> ClientSession:
    return async_create_clientsession(
        hass,
        config.get(CONF_VERIFY_SSL, True),
        auto_cleanup=auto_cleanup,
        cookie_jar=CookieJar(unsafe=True),
    )


async def _check_jellyseerr(hass: HomeAssistant, config: ServiceConfig) -> None:
    await jellyseerr_client(hass, config).async_get_current_user()


async def _check_radarr(hass: HomeAssistant, config: ServiceConfig) -> None:
    await radarr_client(hass, config).async_get_status()


async def _check_sonarr(hass: HomeAssistant, config: ServiceConfig) -> None:
    await sonarr_client(hass, config).async_get_status()


async def _check_jellyfin(hass: HomeAssistant, config: ServiceConfig) -> None:
    client = jellyfin_client(hass, config)
    await client.async_get_public_info()
    await client.async_validate()


async def _check_qbittorrent(hass: HomeAssistant, config: ServiceConfig) -> None:
    # A session for this one check, released as Home Assistant asks: detach().
    session = _qbittorrent_session(hass, config, auto_cleanup=False)
    try:
        client = qbittorrent_client(hass, config, session)
        await client.async_login()
        await client.async_get_version()
    finally:
        session.detach()


async def _check_shoko(hass: HomeAssistant, config: ServiceConfig) -> None:
    await shoko_client(hass, config).async_validate()


async def async_shoko_api_key(hass: HomeAssistant, user_input: ServiceConfig) -> str:
    """The key typed in, or one Shoko issues for the username and password.

    Only the key is stored (DESIGN §4): the password is used once, here.
    """
    if key := user_input.get(CONF_API_KEY):
        return str(key)
    return await async_obtain_api_key(
        session(hass, user_input),
        normalize_url(user_input[CONF_URL]),
        user_input.get(CONF_USERNAME) or "",
        user_input.get(CONF_PASSWORD) or "",
    )


CHECKS: dict[Service, Callable[[HomeAssistant, ServiceConfig], Awaitable[None]]] = {
    Service.JELLYSEERR: _check_jellyseerr,
    Service.RADARR: _check_radarr,
    Service.SONARR: _check_sonarr,
    Service.QBITTORRENT: _check_qbittorrent,
    Service.JELLYFIN: _check_jellyfin,
    Service.SHOKO: _check_shoko,
}


async def async_check(
    hass: HomeAssistant, service: Service, config: ServiceConfig
) -> None:
    """Raise the client's error when the service cannot be used as configured."""
    await CHECKS[service](hass, config)
