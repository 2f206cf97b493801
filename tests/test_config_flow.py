"""The config flow: Jellyseerr validation, errors, duplicates and reauthentication."""

from typing import Any
from unittest.mock import patch

from aiohttp import ClientError, ClientSSLError
from aiohttp.client_reqrep import ConnectionKey
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.components import webhook
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.network import NoURLAvailableError

from custom_components.media_request_tracker.config_flow import webhook_urls
from custom_components.media_request_tracker.const import (
    CONF_JELLYSEERR,
    CONF_WEBHOOK_IDS,
    CONF_WEBHOOK_SECRET,
    DOMAIN,
)

from .conftest import JELLYSEERR_URL, JELLYSEERR_USER, ME_URL

USER_INPUT = {
    CONF_URL: "HTTP://Jellyseerr.Local:5055/",
    CONF_API_KEY: "new-key",
    CONF_VERIFY_SSL: True,
}


async def _start(hass: HomeAssistant, user_input: dict[str, Any]) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {}
    return dict(
        await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    )


async def test_user_flow_creates_entry(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """A working URL and key create the entry with DESIGN §4's data layout."""
    aioclient_mock.get(ME_URL, json=JELLYSEERR_USER)

    result = await _start(hass, USER_INPUT)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "jellyseerr.local:5055"
    assert result["result"].unique_id == JELLYSEERR_URL
    data = result["data"]
    assert data[CONF_JELLYSEERR] == {
        CONF_URL: JELLYSEERR_URL,
        CONF_API_KEY: "new-key",
        CONF_VERIFY_SSL: True,
        CONF_WEBHOOK_SECRET: None,
    }
    webhook_ids = data[CONF_WEBHOOK_IDS]
    assert set(webhook_ids) == {"jellyseerr", "radarr", "sonarr", "jellyfin"}
    assert len(set(webhook_ids.values())) == 4
    assert aioclient_mock.mock_calls[0][3]["X-Api-Key"] == "new-key"
    assert result["description_placeholders"] == {
        f"{source}_url": webhook.async_generate_url(hass, webhook_id)
        for source, webhook_id in webhook_ids.items()
    }


async def test_webhook_urls_without_a_known_home_assistant_url(
    hass: HomeAssistant,
) -> None:
    """Without a configured URL the flow still shows the path to append."""
    with patch.object(webhook, "async_generate_url", side_effect=NoURLAvailableError):
        assert webhook_urls(hass, {"radarr": "abc"}) == {
            "radarr_url": "/api/webhook/abc"
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
async def test_user_flow_errors_then_recovers(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    mock_kwargs: dict[str, Any],
    error: str,
) -> None:
    """Each failure shows its own error; fixing it then creates the entry."""
    aioclient_mock.get(ME_URL, **mock_kwargs)

    result = await _start(hass, USER_INPUT)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    aioclient_mock.clear_requests()
    aioclient_mock.get(ME_URL, json=JELLYSEERR_USER)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], USER_INPUT
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


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


async def test_user_flow_already_configured(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The same Jellyseerr, typed differently, is not set up twice."""
    config_entry.add_to_hass(hass)

    result = await _start(hass, USER_INPUT)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert aioclient_mock.call_count == 0


async def test_reauth_replaces_the_key(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Reauth checks the new key, keeps everything else and reloads."""
    config_entry.add_to_hass(hass)
    aioclient_mock.get(ME_URL, status=403)
    result = await config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    aioclient_mock.clear_requests()
    aioclient_mock.get(ME_URL, json=JELLYSEERR_USER)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "fresh-key"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert config_entry.data[CONF_JELLYSEERR][CONF_API_KEY] == "fresh-key"
    assert config_entry.data[CONF_JELLYSEERR][CONF_URL] == JELLYSEERR_URL
    assert config_entry.data[CONF_WEBHOOK_IDS]["radarr"] == "hook_radarr"
