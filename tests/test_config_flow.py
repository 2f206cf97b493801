"""The config flow: Jellyseerr, the optional services, reconfigure, reauth, options."""

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from aiohttp import ClientError, ClientSSLError
from aiohttp.client_reqrep import ConnectionKey
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.components import webhook
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import (
    CONF_API_KEY,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.network import NoURLAvailableError

from custom_components.media_request_tracker.config_flow import webhook_urls
from custom_components.media_request_tracker.const import (
    CONF_WEBHOOK_IDS,
    CONF_WEBHOOK_SECRET,
    DOMAIN,
)
from custom_components.media_request_tracker.engine.models import State

from .conftest import (
    JELLYSEERR_URL,
    JELLYSEERR_USER,
    ME_URL,
    NO_REQUESTS,
    REQUESTS_URL,
    SETTINGS_PUBLIC_URL,
    entry_data,
    load_fixture,
    serve_wiring,
)

USER_INPUT = {
    CONF_URL: "HTTP://Jellyseerr.Local:5055/",
    CONF_API_KEY: "new-key",
    CONF_VERIFY_SSL: True,
}
RADARR = "http://radarr:7878"
SONARR = "http://sonarr:8989"
JELLYFIN = "http://jellyfin:8096"
QBITTORRENT = "http://qbittorrent:8080"
STATUS = {"version": "5.28.0", "instanceName": "Radarr"}


def serve_services(mock: AiohttpClientMocker) -> None:
    """Every service answers as itself."""
    mock.get(ME_URL, json=JELLYSEERR_USER)
    mock.get(SETTINGS_PUBLIC_URL, json=load_fixture("jellyseerr/settings_public.json"))
    mock.get(REQUESTS_URL, json=NO_REQUESTS)
    mock.get(f"{RADARR}/api/v3/system/status", json={**STATUS, "appName": "Radarr"})
    mock.get(f"{SONARR}/api/v3/system/status", json={**STATUS, "appName": "Sonarr"})
    mock.get(
        f"{JELLYFIN}/System/Info/Public",
        json={
            "ServerName": "jf",
            "Version": "10.11.11",
            "ProductName": "Jellyfin Server",
            "Id": "x",
        },
    )
    mock.get(
        f"{JELLYFIN}/System/Info", json={"ServerName": "jf", "Version": "10.11.11"}
    )
    mock.post(f"{QBITTORRENT}/api/v2/auth/login", text="Ok.")
    mock.get(f"{QBITTORRENT}/api/v2/app/version", text="v5.0.2")
    serve_wiring(mock)


async def _start(hass: HomeAssistant, user_input: dict[str, Any]) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {}
    return dict(
        await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    )


async def _choose(hass: HomeAssistant, flow_id: str, option: str) -> dict[str, Any]:
    return dict(
        await hass.config_entries.flow.async_configure(
            flow_id, {"next_step_id": option}
        )
    )


async def _submit(
    hass: HomeAssistant, flow_id: str, user_input: dict[str, Any]
) -> dict[str, Any]:
    return dict(await hass.config_entries.flow.async_configure(flow_id, user_input))


async def test_jellyseerr_alone_creates_the_entry(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Jellyseerr, then Finish: DESIGN §4's data layout and the webhook URLs."""
    serve_services(aioclient_mock)
    result = await _start(hass, USER_INPUT)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "services"

    result = await _choose(hass, result["flow_id"], "finish")

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Kingsley Family Cinema"  # its application title
    # No URL as the unique id (quality scale): the server is compared instead.
    assert result["result"].unique_id is None
    data = result["data"]
    assert data["jellyseerr"] == {
        CONF_URL: JELLYSEERR_URL,
        CONF_API_KEY: "new-key",
        CONF_VERIFY_SSL: True,
        CONF_WEBHOOK_SECRET: None,
    }
    webhook_ids = data[CONF_WEBHOOK_IDS]
    assert set(data) == {"jellyseerr", CONF_WEBHOOK_IDS}
    assert set(webhook_ids) == {"jellyseerr", "radarr", "sonarr", "jellyfin"}
    assert len(set(webhook_ids.values())) == 4
    assert aioclient_mock.mock_calls[0][3]["X-Api-Key"] == "new-key"
    assert result["description_placeholders"] == {
        f"{source}_url": webhook.async_generate_url(hass, webhook_id)
        for source, webhook_id in webhook_ids.items()
    }


async def test_every_service_is_checked_and_stored(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Each optional service is checked against its API and stored per DESIGN §4."""
    serve_services(aioclient_mock)
    flow_id = (await _start(hass, USER_INPUT))["flow_id"]
    answers = {
        "radarr": {CONF_URL: RADARR, CONF_API_KEY: "r"},
        "sonarr": {CONF_URL: SONARR, CONF_API_KEY: "s"},
        "jellyfin": {CONF_URL: JELLYFIN, CONF_API_KEY: "j", CONF_VERIFY_SSL: False},
        "qbittorrent": {
            CONF_URL: QBITTORRENT,
            CONF_USERNAME: "admin",
            CONF_PASSWORD: "pw",
        },
    }
    for name, answer in answers.items():
        form = await _choose(hass, flow_id, name)
        assert form["type"] is FlowResultType.FORM
        assert form["step_id"] == name
        menu = await _submit(hass, flow_id, answer)
        assert menu["type"] is FlowResultType.MENU
    result = await _choose(hass, flow_id, "finish")

    data = result["data"]
    assert data["radarr"] == {
        CONF_URL: RADARR,
        CONF_API_KEY: "r",
        CONF_VERIFY_SSL: True,
        CONF_WEBHOOK_SECRET: None,
    }
    assert data["jellyfin"][CONF_VERIFY_SSL] is False
    assert data["qbittorrent"] == {
        CONF_URL: QBITTORRENT,
        CONF_USERNAME: "admin",
        CONF_PASSWORD: "pw",
        CONF_API_KEY: None,
        CONF_VERIFY_SSL: True,
    }


@pytest.mark.parametrize(
    ("mock_kwargs", "error"),
    [
        ({"status": 403, "json": {"status": 403}}, "invalid_auth"),
        ({"status": 401}, "invalid_auth"),
        ({"status": 500}, "cannot_connect"),
        ({"exc": ClientError("refused")}, "cannot_connect"),
        ({"exc": TimeoutError()}, "cannot_connect"),
        (
            {
                "exc": ClientSSLError(
                    ConnectionKey("h", 443, True, True, None, None, None), OSError()
                )
            },
            "ssl_error",
        ),
        ({"status": 404}, "wrong_service"),
        ({"json": {"appName": "Radarr"}}, "wrong_service"),
        ({"text": "<html>not json</html>"}, "wrong_service"),
    ],
)
async def test_jellyseerr_errors_then_recovers(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    mock_kwargs: dict[str, Any],
    error: str,
) -> None:
    """Each failure shows its own error; fixing it moves on."""
    aioclient_mock.get(ME_URL, **mock_kwargs)

    result = await _start(hass, USER_INPUT)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    aioclient_mock.clear_requests()
    serve_services(aioclient_mock)
    result = await _submit(hass, result["flow_id"], USER_INPUT)
    assert result["type"] is FlowResultType.MENU


@pytest.mark.parametrize(
    ("name", "answer", "mock", "error"),
    [
        (
            "radarr",
            {CONF_URL: RADARR, CONF_API_KEY: "r"},
            (
                "get",
                f"{RADARR}/api/v3/system/status",
                {"json": {**STATUS, "appName": "Sonarr"}},
            ),
            "wrong_service",
        ),
        (
            "radarr",
            {CONF_URL: RADARR, CONF_API_KEY: "r"},
            ("get", f"{RADARR}/api/v3/system/status", {"status": 401}),
            "invalid_auth",
        ),
        ("sonarr", {CONF_URL: "not a url", CONF_API_KEY: "s"}, None, None),
        (
            "jellyfin",
            {CONF_URL: JELLYFIN, CONF_API_KEY: "j"},
            ("get", f"{JELLYFIN}/System/Info", {"status": 401}),
            "invalid_auth",
        ),
        (
            "qbittorrent",
            {CONF_URL: QBITTORRENT, CONF_USERNAME: "a", CONF_PASSWORD: "b"},
            ("post", f"{QBITTORRENT}/api/v2/auth/login", {"text": "Fails."}),
            "invalid_auth",
        ),
        ("qbittorrent", {CONF_URL: QBITTORRENT}, None, "credentials_missing"),
    ],
)
async def test_service_errors(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    name: str,
    answer: dict[str, Any],
    mock: tuple[str, str, dict[str, Any]] | None,
    error: str | None,
) -> None:
    """A service that fails its check keeps its form open with the reason."""
    if mock is not None:
        method, url, kwargs = mock
        getattr(aioclient_mock, method)(url, **kwargs)
    serve_services(aioclient_mock)
    flow_id = (await _start(hass, USER_INPUT))["flow_id"]
    await _choose(hass, flow_id, name)

    result = await _submit(hass, flow_id, answer)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == (
        {CONF_URL: "invalid_url"} if error is None else {"base": error}
    )


@pytest.mark.parametrize(
    "url", ["jellyseerr.local:5055", "ftp://jellyseerr", "http://", "http://host:99999"]
)
async def test_user_flow_invalid_url(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, url: str
) -> None:
    """A URL that is not absolute http(s) is refused before any request is made."""
    result = await _start(hass, {**USER_INPUT, CONF_URL: url})

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_URL: "invalid_url"}
    assert aioclient_mock.call_count == 0


@pytest.mark.parametrize(
    "url",
    ["HTTP://Jellyseerr.Local:5055/", "http://jellyseerr.local:5055/seerr"],
)
async def test_user_flow_already_configured(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    url: str,
) -> None:
    """The same Jellyseerr host and port, typed differently, is not set up twice."""
    config_entry.add_to_hass(hass)

    result = await _start(hass, {**USER_INPUT, CONF_URL: url})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert aioclient_mock.call_count == 0


async def test_default_ports_name_the_same_server(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """`http://host` and `http://host:80` are one server; another port is another."""
    data = entry_data()
    data["jellyseerr"] = {**data["jellyseerr"], CONF_URL: "http://seerr.lan"}
    MockConfigEntry(domain=DOMAIN, data=data, minor_version=2).add_to_hass(hass)
    result = await _start(hass, {**USER_INPUT, CONF_URL: "http://seerr.lan:80"})
    assert result["reason"] == "already_configured"
    aioclient_mock.get("http://seerr.lan:5055/api/v1/auth/me", json=JELLYSEERR_USER)
    result = await _start(hass, {**USER_INPUT, CONF_URL: "http://seerr.lan:5055"})
    assert result["type"] is FlowResultType.MENU


async def test_entries_with_a_url_unique_id_are_migrated(
    hass: HomeAssistant, jellyseerr_ok: AiohttpClientMocker
) -> None:
    """Entries made before 1.2 lose their URL unique id and keep working."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=entry_data(),
        unique_id=JELLYSEERR_URL,
        version=1,
        minor_version=1,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.minor_version, entry.unique_id) == (2, None)


async def test_entries_from_a_newer_version_are_refused(
    hass: HomeAssistant, jellyseerr_ok: AiohttpClientMocker
) -> None:
    """A downgrade does not guess at data it does not know."""
    entry = MockConfigEntry(domain=DOMAIN, data=entry_data(), version=2)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


async def test_webhook_urls_without_a_known_home_assistant_url(
    hass: HomeAssistant,
) -> None:
    """Without a configured URL the flow still shows the path to append."""
    with patch.object(webhook, "async_generate_url", side_effect=NoURLAvailableError):
        assert webhook_urls(hass, {"radarr": "abc"}) == {
            "radarr_url": "/api/webhook/abc"
        }


async def test_reauth_replaces_the_jellyseerr_key(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Reauth checks the new key, keeps everything else and reloads."""
    config_entry.add_to_hass(hass)
    aioclient_mock.get(ME_URL, status=403)
    result = await config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["service"] == "Jellyseerr"
    assert result["description_placeholders"]["url"] == JELLYSEERR_URL

    result = await _submit(hass, result["flow_id"], {CONF_API_KEY: "still-wrong"})
    assert result["errors"] == {"base": "invalid_auth"}

    aioclient_mock.clear_requests()
    serve_services(aioclient_mock)
    result = await _submit(hass, result["flow_id"], {CONF_API_KEY: "fresh-key"})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert config_entry.data["jellyseerr"][CONF_API_KEY] == "fresh-key"
    assert config_entry.data["jellyseerr"][CONF_URL] == JELLYSEERR_URL
    assert config_entry.data[CONF_WEBHOOK_IDS]["radarr"] == "hook_radarr"


async def test_reauth_of_another_service(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """A poller names its service; the flow asks for that service's credentials."""
    serve_services(aioclient_mock)
    data = {
        "jellyseerr": {
            CONF_URL: JELLYSEERR_URL,
            CONF_API_KEY: "k",
            CONF_VERIFY_SSL: True,
            CONF_WEBHOOK_SECRET: None,
        },
        "qbittorrent": {
            CONF_URL: QBITTORRENT,
            CONF_USERNAME: "admin",
            CONF_PASSWORD: "old",
            CONF_API_KEY: None,
            CONF_VERIFY_SSL: True,
        },
        CONF_WEBHOOK_IDS: {
            "jellyseerr": "a",
            "radarr": "b",
            "sonarr": "c",
            "jellyfin": "d",
        },
    }
    entry = MockConfigEntry(domain=DOMAIN, data=data, minor_version=2)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass, data={"service": "qbittorrent"})
    assert result["description_placeholders"]["service"] == "qBittorrent"
    assert result["description_placeholders"]["url"] == QBITTORRENT

    result = await _submit(
        hass, result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "new"}
    )
    await hass.async_block_till_done()

    assert result["reason"] == "reauth_successful"
    assert entry.data["qbittorrent"][CONF_PASSWORD] == "new"
    assert entry.data["qbittorrent"][CONF_USERNAME] == "admin"


async def test_reconfigure_adds_changes_and_removes_services(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    config_entry: MockConfigEntry,
) -> None:
    """Services come and go; the entry, its webhooks and its requests stay."""
    serve_services(aioclient_mock)
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    async def reconfigure(name: str, answer: dict[str, Any]) -> dict[str, Any]:
        menu = await config_entry.start_reconfigure_flow(hass)
        assert menu["type"] is FlowResultType.MENU
        form = await _choose(hass, menu["flow_id"], f"reconfigure_{name}")
        assert form["type"] is FlowResultType.FORM
        result = await _submit(hass, menu["flow_id"], answer)
        await hass.async_block_till_done()
        return result

    result = await reconfigure("radarr", {CONF_URL: RADARR, CONF_API_KEY: "r"})
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data["radarr"][CONF_API_KEY] == "r"
    assert "radarr" in config_entry.runtime_data.pollers

    aioclient_mock.get("http://nowhere:1/api/v3/system/status", exc=ClientError())
    failed = await reconfigure(
        "radarr", {CONF_URL: "http://nowhere:1", CONF_API_KEY: "r"}
    )
    assert failed["errors"] == {"base": "cannot_connect"}

    result = await reconfigure("radarr", {CONF_API_KEY: "r"})
    assert result["reason"] == "reconfigure_successful"
    assert "radarr" not in config_entry.data
    assert config_entry.data[CONF_WEBHOOK_IDS]["radarr"] == "hook_radarr"

    result = await reconfigure(
        "jellyseerr", {CONF_URL: JELLYSEERR_URL, CONF_API_KEY: "other"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data["jellyseerr"][CONF_API_KEY] == "other"

    moved = "http://seerr.home:5055"
    aioclient_mock.get(f"{moved}/api/v1/auth/me", json=JELLYSEERR_USER)
    aioclient_mock.get(f"{moved}/api/v1/request", json=NO_REQUESTS)
    aioclient_mock.get(f"{moved}/api/v1/settings/notifications/webhook", json={})
    result = await reconfigure("jellyseerr", {CONF_URL: moved, CONF_API_KEY: "k"})
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data["jellyseerr"][CONF_URL] == moved

    MockConfigEntry(domain=DOMAIN, data=entry_data(), minor_version=2).add_to_hass(hass)
    result = await reconfigure(
        "jellyseerr", {CONF_URL: JELLYSEERR_URL, CONF_API_KEY: "k"}
    )
    assert result["reason"] == "already_configured"
    assert config_entry.data["jellyseerr"][CONF_URL] == moved


async def test_options_are_saved_and_applied(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Options (DESIGN §4) reload the entry and reach the tracker."""
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "retention_days": 3,
            "history_days": 30,
            "backfill_days": 10,
            "episode_entities": False,
            "requesters": ["alice"],
            "stall_hours": {"approved": 12, "downloading": 0.05},
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    options = loaded_entry.runtime_data.tracking.options
    assert options.retention.days == 3
    assert options.requesters == ("alice",)
    assert options.episode_entities is False
    assert (
        options.stall_thresholds[
            next(s for s in options.stall_thresholds if s == "approved")
        ].total_seconds()
        == 12 * 3600
    )
    # Minutes are allowed: a demo shows a stall without waiting a day.
    assert options.stall_thresholds[State.DOWNLOADING] == timedelta(minutes=3)
