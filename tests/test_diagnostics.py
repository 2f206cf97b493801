"""Diagnostics: useful for a bug report, and free of credentials and requesters."""

from datetime import datetime
import json
from typing import Any, cast
from unittest.mock import AsyncMock, patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from custom_components.media_request_tracker.const import DOMAIN
from custom_components.media_request_tracker.pollers.signalr import SignalRLink

from .conftest import JELLYSEERR_URL, WEBHOOK_IDS, Post, entry_data, find_device

RADARR = "http://radarr.local:7878"
SONARR = "http://sonarr.local:8989"
QBITTORRENT = "http://qbittorrent.local:8080"
SHOKO = "http://shoko-user:shoko-url-password@shoko.local:8111"
# Every value that must never leave Home Assistant through diagnostics.
SECRETS = {
    "jellyseerr-api-key": "jellyseerr api_key",
    "radarr-api-key": "radarr api_key",
    "radarr-hook-secret": "radarr webhook_secret",
    "sonarr-api-key": "sonarr api_key",
    "qbit-user": "qBittorrent username",
    "qbit-password": "qBittorrent password",
    "shoko-api-key": "Shoko api_key",
    "shoko-user": "credentials in a URL",
    "shoko-url-password": "credentials in a URL",
    **dict.fromkeys(WEBHOOK_IDS.values(), "webhook id"),
    "bob": "requester (username)",
    "carol": "requester (username)",
}


@pytest.fixture
async def secret_entry(
    hass: HomeAssistant, jellyseerr_ok: AiohttpClientMocker
) -> MockConfigEntry:
    """An entry whose every secret is a distinct, searchable string."""
    # Diagnostics registers HTTP views: before any test client freezes the router.
    assert await async_setup_component(hass, "diagnostics", {})
    data = entry_data(
        radarr={
            "url": RADARR,
            "api_key": "radarr-api-key",
            "verify_ssl": True,
            "webhook_secret": "radarr-hook-secret",
        },
        sonarr={"url": SONARR, "api_key": "sonarr-api-key", "verify_ssl": True},
        qbittorrent={
            "url": QBITTORRENT,
            "username": "qbit-user",
            "password": "qbit-password",
            "api_key": None,
            "verify_ssl": True,
        },
        shoko={"url": SHOKO, "api_key": "shoko-api-key", "verify_ssl": True},
    )
    data["jellyseerr"]["api_key"] = "jellyseerr-api-key"
    jellyseerr_ok.get(f"{QBITTORRENT}/api/v2/sync/maindata", status=500)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="stack",
        unique_id=JELLYSEERR_URL,
        data=data,
        options={
            "requesters": ["bob", "carol"],
            "retention_days": 3,
            "people": {"bob": "person.bob"},
        },
    )
    entry.add_to_hass(hass)
    # No live SignalR link: this Shoko does not exist (tests/test_shoko.py has one).
    with patch.object(SignalRLink, "async_run", AsyncMock()):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    return entry


def assert_no_secret(diagnostics: Any) -> None:
    """No secret value appears anywhere in the serialised diagnostics."""
    text = json.dumps(diagnostics, default=str)
    for secret, what in SECRETS.items():
        assert secret not in text, what


async def test_entry_diagnostics(
    hass: HomeAssistant,
    secret_entry: MockConfigEntry,
    post: Post,
    hass_client: ClientSessionGenerator,
) -> None:
    """Configuration, connectivity, counters and requests, every secret redacted."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    await post("sonarr", "sonarr/grab_season_pack_regular.json")
    secret_entry.runtime_data.tracking.forget(["80"])

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, secret_entry
    )

    assert_no_secret(diagnostics)
    assert isinstance(diagnostics, dict)
    config: Any = diagnostics["config"]
    assert config["data"]["webhook_ids"] == "**REDACTED**"
    assert config["data"]["qbittorrent"] == {
        "url": QBITTORRENT,
        "username": "**REDACTED**",
        "password": "**REDACTED**",
        "api_key": None,
        "verify_ssl": True,
    }
    assert config["data"]["shoko"]["url"] == "http://**REDACTED**@shoko.local:8111"
    assert config["data"]["radarr"]["url"] == RADARR
    assert config["options"] == {
        "requesters": "**REDACTED**",
        "retention_days": 3,
        "people": "**REDACTED**",
    }
    assert config["data"]["jellyseerr"]["url"] == JELLYSEERR_URL
    pollers: Any = diagnostics["pollers"]
    assert pollers["jellyseerr"] == {
        "last_update_success": True,
        "last_exception": None,
        "live_events": None,  # Jellyseerr has no live channel
    }
    # Its hub is out of reach in this test: why, not "connected".
    assert pollers["radarr"]["live_events"] == "no hub in this test"
    assert pollers["qbittorrent"]["last_update_success"] is False
    assert pollers["qbittorrent"]["last_exception"]
    seen: Any = diagnostics["sources_seen"]
    assert set(seen) == {"jellyseerr", "sonarr"}  # any valid webhook counts
    assert datetime.fromisoformat(seen["sonarr"]).tzinfo is not None
    assert diagnostics["counters"] == {
        "requests_by_state": {"grabbing": 1},
        "episodes": 12,
        "tombstones": 1,
    }
    (show,) = cast("list[Any]", diagnostics["requests"])
    assert show["key"] == "90"
    assert show["requested_by"] == "**REDACTED**"
    assert [entry["state"] for entry in show["timeline"]] == ["approved", "grabbing"]


async def test_request_device_diagnostics(
    hass: HomeAssistant,
    secret_entry: MockConfigEntry,
    post: Post,
    hass_client: ClientSessionGenerator,
) -> None:
    """A request's device shows that request; the service device the whole entry."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    entry_id = secret_entry.entry_id
    secret_entry.runtime_data.tracker.follow("80", "person.carol")
    device = find_device(hass, secret_entry, f"{entry_id}_request_80")
    service_device = find_device(hass, secret_entry, entry_id)
    assert device is not None
    assert service_device is not None

    diagnostics = await get_diagnostics_for_device(
        hass, hass_client, secret_entry, device
    )
    assert_no_secret(diagnostics)
    assert isinstance(diagnostics, dict)
    request: Any = diagnostics["request"]
    assert request["key"] == "80"
    assert request["title"] == "Dune: Part Two"
    assert request["requested_by"] == "**REDACTED**"
    assert request["followers"] == "**REDACTED**"

    secret_entry.runtime_data.tracking.forget(["80"])
    diagnostics = await get_diagnostics_for_device(
        hass, hass_client, secret_entry, device
    )
    assert diagnostics == {"request": None}

    diagnostics = await get_diagnostics_for_device(
        hass, hass_client, secret_entry, service_device
    )
    assert_no_secret(diagnostics)
    assert isinstance(diagnostics, dict)
    assert {"config", "pollers", "counters", "requests"} <= set(diagnostics)
