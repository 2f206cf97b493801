"""Config flow: Jellyseerr first, then the optional services, each checked live.

The same service forms serve setup, reconfiguration (add, change or remove a service
without losing tracked requests: an empty URL removes one) and reauthentication.
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from homeassistant.components import webhook
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlowWithReload,
    SubentryFlowResult,
)
from homeassistant.const import (
    CONF_API_KEY,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .clients import (
    DEFAULT_TITLE,
    async_application_title,
    async_check,
    async_shoko_api_key,
    jellyseerr_client,
)
from .compat import vol
from .const import (
    CONF_ROLE,
    CONF_WEBHOOK_ID,
    CONF_WEBHOOK_IDS,
    CONF_WEBHOOK_SECRET,
    DEFAULT_BACKFILL_DAYS,
    DEFAULT_EPISODE_SETTLE_MINUTES,
    DEFAULT_HISTORY_DAYS,
    DEFAULT_PROTECTED_TAG,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_STALL_HOURS,
    DOMAIN,
    LOGGER,
    NO_URL_UNIQUE_ID,
    OPTION_BACKFILL_DAYS,
    OPTION_EPISODE_ENTITIES,
    OPTION_EPISODE_SETTLE_MINUTES,
    OPTION_HISTORY_DAYS,
    OPTION_LOCAL_WEBHOOKS_ONLY,
    OPTION_PEOPLE,
    OPTION_PROTECTED_TAG,
    OPTION_REMEDIATION,
    OPTION_REQUESTERS,
    OPTION_RETENTION_DAYS,
    OPTION_STALL_HOURS,
    PERSON_DOMAIN,
    PUSH_SERVICES,
    REAUTH_SERVICE,
)
from .data import MediaRequestTrackerConfigEntry
from .engine.models import Service
from .engine.people import suggest_people
from .engine.remediation import Mode
from .instances import ARR_SERVICES, Role, arr_instances
from .sources.errors import (
    UNUSABLE_ANSWER,
    CannotConnect,
    InvalidAuth,
    InvalidUrl,
    NotFound,
    SslError,
    UpstreamError,
    WrongService,
)
from .sources.http import normalize_url

# Services offered after Jellyseerr, in the order of a request's journey.
OPTIONAL_SERVICES = (
    Service.RADARR,
    Service.SONARR,
    Service.QBITTORRENT,
    Service.JELLYFIN,
    Service.SHOKO,
)
# Services that take a username and password, or an API key.
LOGIN_SERVICES = (Service.QBITTORRENT, Service.SHOKO)
FINISH = "finish"

ERROR_KEYS: dict[type[UpstreamError], str] = {
    SslError: "ssl_error",
    CannotConnect: "cannot_connect",
    InvalidAuth: "invalid_auth",
    InvalidUrl: "invalid_url",
    NotFound: "wrong_service",
    WrongService: "wrong_service",
}

_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_SECRET = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_TEXT = TextSelector()


def _choice(
    values: type[StrEnum], translation_key: str, mode: SelectSelectorMode
) -> SelectSelector:
    """One of an enum's values, each named by its translation."""
    return SelectSelector(
        SelectSelectorConfig(
            options=[value.value for value in values],
            translation_key=translation_key,
            mode=mode,
        )
    )


def error_key(err: UpstreamError) -> str:
    """Translate a client error into the flow's error key (most specific first)."""
    for error_type, key in ERROR_KEYS.items():
        if isinstance(err, error_type):
            return key
    return "unknown"


def credentials_schema(service: Service) -> vol.Schema:
    """The fields that authenticate with a service."""
    if service in LOGIN_SERVICES:
        return vol.Schema(
            {
                vol.Optional(CONF_USERNAME): _TEXT,
                vol.Optional(CONF_PASSWORD): _SECRET,
                vol.Optional(CONF_API_KEY): _SECRET,
            }
        )
    return vol.Schema({vol.Required(CONF_API_KEY): _SECRET})


def service_schema(service: Service, *, url_required: bool) -> vol.Schema:
    """URL, credentials and certificate checking of one service."""
    url = vol.Required(CONF_URL) if url_required else vol.Optional(CONF_URL)
    return (
        vol.Schema({url: _URL})
        .extend(credentials_schema(service).schema)
        .extend({vol.Optional(CONF_VERIFY_SSL, default=True): bool})
    )


def service_config(service: Service, user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of a service (DESIGN §4): absent optional keys take defaults."""
    config: dict[str, Any] = {
        CONF_URL: normalize_url(user_input[CONF_URL]),
        CONF_VERIFY_SSL: user_input.get(CONF_VERIFY_SSL, True),
    }
    if service is Service.QBITTORRENT:
        for key in (CONF_USERNAME, CONF_PASSWORD, CONF_API_KEY):
            config[key] = user_input.get(key) or None
    else:
        # Shoko may get its key from a login instead (async_try_service).
        config[CONF_API_KEY] = user_input.get(CONF_API_KEY)
    if service in PUSH_SERVICES:
        config[CONF_WEBHOOK_SECRET] = user_input.get(CONF_WEBHOOK_SECRET)
    return config


async def async_try_service(
    hass: HomeAssistant, service: Service, user_input: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Check a service as typed: its stored form, or the form errors."""
    try:
        config = service_config(service, user_input)
    except InvalidUrl:
        return None, {CONF_URL: "invalid_url"}
    if service in LOGIN_SERVICES and not (
        user_input.get(CONF_API_KEY) or user_input.get(CONF_USERNAME)
    ):
        return None, {"base": "credentials_missing"}
    try:
        if service is Service.SHOKO:
            config[CONF_API_KEY] = await async_shoko_api_key(hass, user_input)
        await async_check(hass, service, config)
    except UpstreamError as err:
        LOGGER.debug("%s at %s failed its check: %r", service, config[CONF_URL], err)
        return None, {"base": error_key(err)}
    return config, {}


def host_and_port(url: str) -> tuple[str | None, int | None]:
    """The server a URL names: what tells two Jellyseerr entries apart.

    The port defaults by scheme, so `http://host` and `http://host:80` are one server.
    """
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return parts.hostname, parts.port or default


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


def _configured(data: Mapping[str, Any]) -> str:
    names = [name for name in OPTIONAL_SERVICES if name in data]
    return ", ".join(names) or "-"


class MediaRequestTrackerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one media stack, identified by its Jellyseerr server (host and port)."""

    VERSION = 1
    MINOR_VERSION = NO_URL_UNIQUE_ID

    def __init__(self) -> None:
        """Start with nothing configured."""
        self._data: dict[str, Any] = {}
        self._reauth_service = Service.JELLYSEERR

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlowHandler:
        """Options: retention, history, stalls, episode sensors, requesters."""
        return OptionsFlowHandler()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Further Radarr and Sonarr instances: a 4K one, one for anime (DESIGN §4)."""
        return {service.value: ArrInstanceFlow for service in ARR_SERVICES}

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
                if self._jellyseerr_taken(url):
                    return self.async_abort(reason="already_configured")
                config, errors = await async_try_service(
                    self.hass, Service.JELLYSEERR, user_input
                )
                if config is not None:
                    self._data[Service.JELLYSEERR] = config
                    return await self.async_step_services()
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                service_schema(Service.JELLYSEERR, url_required=True), user_input
            ),
            errors=errors,
        )

    async def async_step_services(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the other services, one at a time, then finish."""
        return self.async_show_menu(
            step_id="services",
            menu_options=[*OPTIONAL_SERVICES, FINISH],
            description_placeholders={"configured": _configured(self._data)},
        )

    async def async_step_radarr(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Radarr: grabs, imports and the download queue of movies."""
        return await self._async_service_step(Service.RADARR, user_input)

    async def async_step_sonarr(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Sonarr: grabs, imports and the download queue of shows."""
        return await self._async_service_step(Service.SONARR, user_input)

    async def async_step_qbittorrent(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """QBittorrent: live download progress."""
        return await self._async_service_step(Service.QBITTORRENT, user_input)

    async def async_step_jellyfin(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Jellyfin: whether a request is playable yet."""
        return await self._async_service_step(Service.JELLYFIN, user_input)

    async def async_step_shoko(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Shoko Server: anime matching (AniDB) before Shokofin shows it."""
        return await self._async_service_step(Service.SHOKO, user_input)

    async def _async_service_step(
        self, service: Service, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """One service's form: back to the menu once it checks out."""
        errors: dict[str, str] = {}
        if user_input is not None:
            config, errors = await async_try_service(self.hass, service, user_input)
            if config is not None:
                self._data[service] = config
                return await self.async_step_services()
        return self.async_show_form(
            step_id=service,
            data_schema=self.add_suggested_values_to_schema(
                service_schema(service, url_required=True), user_input
            ),
            errors=errors,
        )

    async def async_step_finish(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Create the entry and show where each service must send its webhooks."""
        webhook_ids = {
            service.value: webhook.async_generate_id() for service in PUSH_SERVICES
        }
        jellyseerr = jellyseerr_client(self.hass, self._data[Service.JELLYSEERR])
        title = await async_application_title(jellyseerr)
        return self.async_create_entry(
            title=title or DEFAULT_TITLE,
            data={**self._data, CONF_WEBHOOK_IDS: webhook_ids},
            description_placeholders=webhook_urls(self.hass, webhook_ids),
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose a service to add, change or remove; tracked requests stay."""
        entry = self._get_reconfigure_entry()
        return self.async_show_menu(
            step_id="reconfigure",
            menu_options=[
                f"reconfigure_{service}"
                for service in (Service.JELLYSEERR, *OPTIONAL_SERVICES)
            ],
            description_placeholders={"configured": _configured(entry.data)},
        )

    async def async_step_reconfigure_jellyseerr(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the Jellyseerr connection (it cannot be removed)."""
        return await self._async_reconfigure(Service.JELLYSEERR, user_input)

    async def async_step_reconfigure_radarr(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add, change or remove Radarr."""
        return await self._async_reconfigure(Service.RADARR, user_input)

    async def async_step_reconfigure_sonarr(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add, change or remove Sonarr."""
        return await self._async_reconfigure(Service.SONARR, user_input)

    async def async_step_reconfigure_qbittorrent(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add, change or remove qBittorrent."""
        return await self._async_reconfigure(Service.QBITTORRENT, user_input)

    async def async_step_reconfigure_jellyfin(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add, change or remove Jellyfin."""
        return await self._async_reconfigure(Service.JELLYFIN, user_input)

    async def async_step_reconfigure_shoko(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add, change or remove Shoko Server."""
        return await self._async_reconfigure(Service.SHOKO, user_input)

    def _jellyseerr_taken(self, url: str, entry_id: str | None = None) -> bool:
        """Whether another entry already tracks the Jellyseerr server at `url`."""
        server = host_and_port(url)
        return any(
            host_and_port(other.data[Service.JELLYSEERR][CONF_URL]) == server
            and other.entry_id != entry_id
            for other in self._async_current_entries(include_ignore=False)
        )

    async def _async_reconfigure(
        self, service: Service, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Save one service's new settings (an empty URL removes it) and reload."""
        entry = self._get_reconfigure_entry()
        current: Mapping[str, Any] = entry.data.get(service, {})
        required = service is Service.JELLYSEERR
        errors: dict[str, str] = {}
        if user_input is not None:
            if not user_input.get(CONF_URL) and not required:
                data = {
                    key: value for key, value in entry.data.items() if key != service
                }
                return self.async_update_reload_and_abort(entry, data=data)
            user_input = {
                CONF_WEBHOOK_SECRET: current.get(CONF_WEBHOOK_SECRET),
                **user_input,
            }
            config, errors = await async_try_service(self.hass, service, user_input)
            if config is not None:
                if required and self._jellyseerr_taken(
                    config[CONF_URL], entry.entry_id
                ):
                    return self.async_abort(reason="already_configured")
                return self.async_update_reload_and_abort(
                    entry, data_updates={service: config}
                )
        return self.async_show_form(
            step_id=f"reconfigure_{service}",
            data_schema=self.add_suggested_values_to_schema(
                service_schema(service, url_required=required),
                user_input or current,
            ),
            errors=errors,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """A service rejected its stored credentials (Jellyseerr unless named)."""
        self._reauth_service = Service(
            entry_data.get(REAUTH_SERVICE, Service.JELLYSEERR)
        )
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the service's new credentials and check them."""
        entry = self._get_reauth_entry()
        service = self._reauth_service
        current = dict(entry.data[service])
        errors: dict[str, str] = {}
        if user_input is not None:
            config, errors = await async_try_service(
                self.hass, service, {**current, **user_input}
            )
            if config is not None:
                return self.async_update_reload_and_abort(
                    entry, data_updates={service: config}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=credentials_schema(service),
            description_placeholders={
                "service": service.display_name,
                "url": current[CONF_URL],
            },
            errors=errors,
        )


def _hours(state: str) -> vol.Optional:
    return vol.Optional(state, default=DEFAULT_STALL_HOURS[state])


class OptionsFlowHandler(OptionsFlowWithReload):
    """Retention, history, backfill, stalls, episodes, requesters, then people."""

    def __init__(self) -> None:
        """Start with no answers."""
        self._options: dict[str, Any] = {}
        self._users: list[str] = []

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The tracking options; people follow when there are any to link."""
        if user_input is not None:
            self._options = user_input
            if self.hass.states.async_entity_ids(PERSON_DOMAIN) and self._users:
                return await self.async_step_people()
            return self._save(self.config_entry.options.get(OPTION_PEOPLE, {}))
        self._users = await self._async_jellyseerr_users()
        days = NumberSelector(
            NumberSelectorConfig(
                min=1, max=3650, mode=NumberSelectorMode.BOX, unit_of_measurement="d"
            )
        )
        # Fractions of an hour too: a test or a demo may want a stall in minutes.
        hours = NumberSelector(
            NumberSelectorConfig(
                min=0.05,
                max=720,
                step=0.05,
                mode=NumberSelectorMode.BOX,
                unit_of_measurement="h",
            )
        )
        schema = vol.Schema(
            {
                vol.Optional(
                    OPTION_RETENTION_DAYS, default=DEFAULT_RETENTION_DAYS
                ): days,
                vol.Optional(OPTION_HISTORY_DAYS, default=DEFAULT_HISTORY_DAYS): days,
                vol.Optional(OPTION_BACKFILL_DAYS, default=DEFAULT_BACKFILL_DAYS): days,
                vol.Optional(OPTION_EPISODE_ENTITIES, default=True): bool,
                vol.Optional(
                    OPTION_EPISODE_SETTLE_MINUTES,
                    default=DEFAULT_EPISODE_SETTLE_MINUTES,
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=0,
                        max=1440,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="min",
                    )
                ),
                vol.Optional(OPTION_LOCAL_WEBHOOKS_ONLY, default=True): bool,
                vol.Required(OPTION_REMEDIATION, default=Mode.OFF): _choice(
                    Mode, OPTION_REMEDIATION, SelectSelectorMode.DROPDOWN
                ),
                vol.Optional(
                    OPTION_PROTECTED_TAG, default=DEFAULT_PROTECTED_TAG
                ): TextSelector(),
                vol.Optional(OPTION_REQUESTERS, default=[]): SelectSelector(
                    SelectSelectorConfig(
                        options=self._users, multiple=True, custom_value=True
                    )
                ),
                vol.Optional(OPTION_STALL_HOURS): section(
                    vol.Schema({_hours(state): hours for state in DEFAULT_STALL_HOURS}),
                    {"collapsed": True},
                ),
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                schema, self.config_entry.options
            ),
        )

    async def async_step_people(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Which Home Assistant person each Jellyseerr user is.

        A user never offered before is suggested the one person of the same name,
        if there is one; one left empty stays so.
        """
        if user_input is not None:
            # A user left empty is remembered as linked to nobody: not suggested again.
            return self._save({user: user_input.get(user, "") for user in self._users})
        offered: dict[str, str] = self.config_entry.options.get(OPTION_PEOPLE, {})
        persons = {
            state.entity_id: state.name
            for state in self.hass.states.async_all(PERSON_DOMAIN)
        }
        suggested = suggest_people(
            (user for user in self._users if user not in offered), persons
        )
        linked = {user: person for user, person in offered.items() if person}
        person = EntitySelector(EntitySelectorConfig(domain=PERSON_DOMAIN))
        schema = vol.Schema({vol.Optional(user): person for user in self._users})
        return self.async_show_form(
            step_id="people",
            data_schema=self.add_suggested_values_to_schema(
                schema, {**suggested, **linked}
            ),
        )

    @callback
    def _save(self, people: Mapping[str, str]) -> ConfigFlowResult:
        """Save the options with the people links; saving reloads the entry."""
        return self.async_create_entry(
            data={**self._options, OPTION_PEOPLE: dict(people)}
        )

    async def _async_jellyseerr_users(self) -> list[str]:
        """Jellyseerr's users, those tracked requests name and those linked already.

        Jellyseerr is asked only while the entry is loaded; if it cannot answer,
        the names known here still do.
        """
        entry: MediaRequestTrackerConfigEntry = self.config_entry
        names = set(entry.options.get(OPTION_PEOPLE, {}))
        if entry.state is ConfigEntryState.LOADED:
            data = entry.runtime_data
            names.update(
                r.requested_by for r in data.tracker.requests.values() if r.requested_by
            )
            try:
                names.update(await data.jellyseerr.client.async_get_user_names())
            except UNUSABLE_ANSWER as err:
                LOGGER.debug("Jellyseerr did not list its users: %s", err)
        return sorted(names, key=str.casefold)


def instance_schema(service: Service, *, name: str) -> vol.Schema:
    """Name, role, URL, API key and certificate checking of a Radarr/Sonarr."""
    return vol.Schema(
        {
            vol.Required(CONF_NAME, default=name): _TEXT,
            vol.Required(CONF_ROLE, default=Role.UHD): _choice(
                Role, CONF_ROLE, SelectSelectorMode.LIST
            ),
        }
    ).extend(service_schema(service, url_required=True).schema)


class ArrInstanceFlow(ConfigSubentryFlow):
    """Another Radarr or Sonarr, with its role and its own webhook.

    A `4k` instance gets the 4K requests (Jellyseerr's 4K server); the primary
    one, in the entry's data, then only the others. An `anime` instance is a
    separate Sonarr (or Radarr) for anime: it serves whichever requests it holds.
    """

    @property
    def _service(self) -> Service:
        return Service(self._subentry_type)

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask where the instance is and what it is for; check it; give it a webhook."""
        service = self._service
        errors: dict[str, str] = {}
        if user_input is not None:
            config, errors = await self._async_try(user_input)
            if config is not None:
                config[CONF_WEBHOOK_ID] = webhook.async_generate_id()
                return self.async_create_entry(
                    title=user_input[CONF_NAME].strip(),
                    data=config,
                    description_placeholders=webhook_urls(
                        self.hass, {"instance": config[CONF_WEBHOOK_ID]}
                    ),
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                # Most often the 4K one (Jellyseerr's 4K server): the defaults say so.
                instance_schema(service, name=f"{service.display_name} 4K"),
                user_input,
            ),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the instance; its webhook and secret stay, and so do requests."""
        subentry = self._get_reconfigure_subentry()
        current = {CONF_NAME: subentry.title, **subentry.data}
        errors: dict[str, str] = {}
        if user_input is not None:
            config, errors = await self._async_try(user_input, subentry.subentry_id)
            if config is not None:
                kept = (CONF_WEBHOOK_ID, CONF_WEBHOOK_SECRET)
                return self.async_update_and_abort(
                    self._get_entry(),
                    subentry,
                    title=user_input[CONF_NAME].strip(),
                    data={
                        **config,
                        **{k: v for k, v in subentry.data.items() if k in kept},
                    },
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                instance_schema(self._service, name=subentry.title),
                user_input or current,
            ),
            errors=errors,
        )

    async def _async_try(
        self, user_input: Mapping[str, Any], subentry_id: str | None = None
    ) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """The instance's stored form once it checks out, or the form's errors.

        The same server as another instance of its kind (the primary one
        included) is refused; `subentry_id` is the instance being changed.
        """
        if not str(user_input[CONF_NAME]).strip():
            return None, {CONF_NAME: "name_missing"}
        try:
            server = host_and_port(normalize_url(user_input[CONF_URL]))
        except InvalidUrl:
            return None, {CONF_URL: "invalid_url"}
        others = [
            arr
            for arr in arr_instances(self._get_entry())
            if arr.service is self._service and arr.key != subentry_id
        ]
        if any(host_and_port(arr.config[CONF_URL]) == server for arr in others):
            return None, {CONF_URL: "instance_taken"}
        config, errors = await async_try_service(self.hass, self._service, user_input)
        if config is None:
            return None, errors
        config.pop(CONF_WEBHOOK_SECRET, None)
        return {**config, CONF_ROLE: Role(user_input[CONF_ROLE]).value}, {}
