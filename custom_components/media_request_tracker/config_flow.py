"""Config flow: connect Jellyseerr, the one service every setup needs."""

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .compat import vol
from .const import (
    CONF_JELLYSEERR,
    CONF_WEBHOOK_IDS,
    CONF_WEBHOOK_SECRET,
    DOMAIN,
    LOGGER,
    PushSource,
)
from .sources.errors import (
    CannotConnect,
    InvalidAuth,
    InvalidUrl,
    NotFound,
    SslError,
    UpstreamError,
    WrongService,
)
from .sources.http import normalize_url
from .sources.jellyseerr import JellyseerrClient

JELLYSEERR_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_URL): TextSelector(
            TextSelectorConfig(type=TextSelectorType.URL)
        ),
        vol.Required(CONF_API_KEY): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        ),
        vol.Optional(CONF_VERIFY_SSL, default=True): bool,
    }
)
REAUTH_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_API_KEY): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        )
    }
)

ERROR_KEYS: dict[type[UpstreamError], str] = {
    SslError: "ssl_error",
    CannotConnect: "cannot_connect",
    InvalidAuth: "invalid_auth",
    InvalidUrl: "invalid_url",
    NotFound: "wrong_service",
    WrongService: "wrong_service",
}


def error_key(err: UpstreamError) -> str:
    """Translate a client error into the flow's error key (most specific first)."""
    for error_type, key in ERROR_KEYS.items():
        if isinstance(err, error_type):
            return key
    return "unknown"


def webhook_urls(hass: HomeAssistant, webhook_ids: Mapping[str, str]) -> dict[str, str]:
    """The URL each service posts to, keyed `<source>_url` for the flow's messages."""
    urls: dict[str, str] = {}
    for source, webhook_id in webhook_ids.items():
        try:
            url = webhook.async_generate_url(hass, webhook_id)
        except NoURLAvailableError:
            url = webhook.async_generate_path(webhook_id)
        urls[f"{source}_url"] = url
    return urls


class MediaRequestTrackerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one media stack, identified by its Jellyseerr URL."""

    VERSION = 1
    MINOR_VERSION = 1

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the Jellyseerr URL and API key, and check them."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                url = normalize_url(user_input[CONF_URL])
            except InvalidUrl:
                errors[CONF_URL] = "invalid_url"
            else:
                await self.async_set_unique_id(url)
                self._abort_if_unique_id_configured()
                service = {
                    CONF_URL: url,
                    CONF_API_KEY: user_input[CONF_API_KEY],
                    CONF_VERIFY_SSL: user_input[CONF_VERIFY_SSL],
                    CONF_WEBHOOK_SECRET: None,
                }
                if not (errors := await self._async_check_jellyseerr(service)):
                    webhook_ids = {
                        source.value: webhook.async_generate_id()
                        for source in PushSource
                    }
                    return self.async_create_entry(
                        title=urlsplit(url).netloc,
                        data={CONF_JELLYSEERR: service, CONF_WEBHOOK_IDS: webhook_ids},
                        description_placeholders=webhook_urls(self.hass, webhook_ids),
                    )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                JELLYSEERR_SCHEMA, user_input
            ),
            errors=errors,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Jellyseerr rejected the stored API key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new Jellyseerr API key and check it."""
        entry = self._get_reauth_entry()
        service = dict(entry.data[CONF_JELLYSEERR])
        errors: dict[str, str] = {}
        if user_input is not None:
            service[CONF_API_KEY] = user_input[CONF_API_KEY]
            if not (errors := await self._async_check_jellyseerr(service)):
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_JELLYSEERR: service}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=REAUTH_SCHEMA,
            description_placeholders={"url": service[CONF_URL]},
            errors=errors,
        )

    async def _async_check_jellyseerr(
        self, service: Mapping[str, Any]
    ) -> dict[str, str]:
        """Return the form errors of a Jellyseerr connection attempt (none when it works)."""
        client = JellyseerrClient(
            async_get_clientsession(self.hass, service[CONF_VERIFY_SSL]),
            service[CONF_URL],
            service[CONF_API_KEY],
        )
        try:
            await client.async_get_current_user()
        except UpstreamError as err:
            LOGGER.debug(
                "Jellyseerr at %s failed validation: %r", service[CONF_URL], err
            )
            return {"base": error_key(err)}
        return {}
