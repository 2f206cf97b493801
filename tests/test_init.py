"""Setting up, unloading and removing the entry, and its devices."""

from http import HTTPStatus
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component

from custom_components.media_request_tracker.const import DOMAIN

from .conftest import (
    JELLYSEERR_URL,
    ME_URL,
    REQUESTS_URL,
    SETTINGS_PUBLIC_URL,
    WEBHOOK_SETTINGS_URL,
    Post,
    entity_state,
    find_device,
    load_fixture,
)


def connection_state(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    unique_id = f"{entry.entry_id}_connected_jellyseerr"
    return entity_state(hass, "binary_sensor", unique_id).state


async def test_setup_and_unload(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Setup opens the webhooks and adds the service entities; unload closes them."""
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert connection_state(hass, loaded_entry) == STATE_ON
    assert hass.states.get("sensor.jellyseerr_active_requests") is not None

    tracker = loaded_entry.runtime_data.tracker
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    assert "Received message for unregistered webhook hook_jellyseerr" in caplog.text
    assert "80" not in tracker.requests


@pytest.mark.parametrize(
    ("answer", "title"),
    [
        (
            {"json": load_fixture("jellyseerr/settings_public.json")},
            "Kingsley Family Cinema",
        ),
        ({"json": {"initialized": True}}, "Jellyseerr"),
        ({"status": 502}, "jellyseerr.local:5055"),  # asked again at the next start
    ],
)
async def test_an_entry_named_after_its_url_takes_jellyseerrs_name(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
    entity_registry: er.EntityRegistry,
    answer: dict[str, Any],
    title: str,
) -> None:
    """Entries used to be titled `host:port`; entity ids made then stay as they are."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="jellyseerr.local:5055",
        data=config_entry.data,
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{entry.entry_id}_active_requests",
        config_entry=entry,
        suggested_object_id="jellyseerr_local_5055_active_requests",
    )
    jellyseerr_ok.get(SETTINGS_PUBLIC_URL, **answer)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.title == title
    device = find_device(hass, entry, entry.entry_id)
    assert device is not None
    assert (device.name, device.manufacturer, device.model) == (
        title,
        "Media Request Tracker",
        "Request pipeline",
    )
    assert device.configuration_url == JELLYSEERR_URL
    assert hass.states.get("sensor.jellyseerr_local_5055_active_requests") is not None


async def test_a_title_the_user_chose_stays(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
) -> None:
    """Only the old `host:port` title is replaced: Jellyseerr is not even asked."""
    assert loaded_entry.title == "Jellyseerr"
    assert not any(
        "settings/public" in str(call[1]) for call in jellyseerr_ok.mock_calls
    )


async def test_rejected_key_starts_reauth(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A 403 from Jellyseerr stops setup and asks the user for a new key."""
    aioclient_mock.get(ME_URL, status=403)
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_unreachable_jellyseerr_still_receives_webhooks(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    post: Post,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Jellyseerr being down must not close the door on Radarr's and Sonarr's events."""
    aioclient_mock.get(ME_URL, exc=TimeoutError())
    aioclient_mock.get(REQUESTS_URL, exc=TimeoutError())
    aioclient_mock.get(WEBHOOK_SETTINGS_URL, exc=TimeoutError())
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert config_entry.state is ConfigEntryState.LOADED
    assert connection_state(hass, config_entry) == STATE_OFF
    assert caplog.text.count("Error fetching Jellyseerr") == 1
    response = await post(
        "jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json"
    )
    assert response.status == HTTPStatus.OK
    assert "80" in config_entry.runtime_data.tracker.requests


async def test_remove_entry_deletes_storage(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    hass_storage: dict[str, object],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Removing the entry removes its stored requests and switches its webhook off."""
    aioclient_mock.post(WEBHOOK_SETTINGS_URL, json={})
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    key = f"{DOMAIN}.{loaded_entry.entry_id}"
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert key in hass_storage
    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
    [(_, _, body, _)] = [
        call for call in aioclient_mock.mock_calls if call[0] == "POST"
    ]
    assert body["enabled"] is False
    assert body["options"]["webhookUrl"] == ""


async def test_deleting_a_request_device_forgets_the_request(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A deleted request device leaves a tombstone; the service device stays."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)  # before any HTTP client freezes the router
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    devices = dr.async_get(hass)
    request_device = find_device(
        hass, loaded_entry, f"{loaded_entry.entry_id}_request_80"
    )
    service_device = find_device(hass, loaded_entry, loaded_entry.entry_id)
    assert request_device is not None
    assert service_device is not None

    for device, expected in ((service_device, False), (request_device, True)):
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": loaded_entry.entry_id,
                "device_id": device.id,
            }
        )
        response = await client.receive_json()
        assert response["success"] is expected

    await hass.async_block_till_done()
    assert "80" in loaded_entry.runtime_data.tracker.tombstones
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    assert "80" not in loaded_entry.runtime_data.tracker.requests
    assert devices.async_get(request_device.id) is None


async def test_finished_requests_leave_after_retention_then_history(
    freezer: FrozenDateTimeFactory,  # first: time is frozen before setup
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    hass_storage: dict[str, object],
) -> None:
    """Available requests keep their device 7 days and their history 90 days."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("jellyfin", "jellyfin-webhook/ItemAdded_Movie_regular.json")
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    identifier = f"{loaded_entry.entry_id}_request_80"

    freezer.tick(60 * 60 * 24 * 6)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert find_device(hass, loaded_entry, identifier) is not None

    freezer.tick(60 * 60 * 24 * 2)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert find_device(hass, loaded_entry, identifier) is None
    assert "80" in loaded_entry.runtime_data.tracker.requests
    assert (
        find_device(hass, loaded_entry, f"{loaded_entry.entry_id}_request_90")
        is not None
    )

    freezer.tick(60 * 60 * 24 * 90)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert "80" not in loaded_entry.runtime_data.tracker.requests
    assert "90" in loaded_entry.runtime_data.tracker.requests


async def test_unreadable_answer_marks_the_service_down(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An answer of the wrong shape is a failed poll, not an unexpected error."""
    aioclient_mock.get(ME_URL, json={"id": 1})
    aioclient_mock.get(REQUESTS_URL, json={"pageInfo": {}, "results": [{"id": "x"}]})
    aioclient_mock.get(WEBHOOK_SETTINGS_URL, json={"enabled": True, "options": []})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert connection_state(hass, config_entry) == STATE_OFF
    assert "Error fetching Jellyseerr" in caplog.text
    assert "Unexpected error" not in caplog.text
