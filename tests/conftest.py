"""Shared fixtures: a configured entry, upstream mocks and webhook posting."""

from collections.abc import Awaitable, Callable, Iterator
import copy
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import Event, HomeAssistant, State, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er

# Import our package before the harness looks for custom integrations, so that it is
# found instead of the harness's own example `custom_components` (ENVIRONMENT.md).
import custom_components.media_request_tracker  # noqa: F401
from custom_components.media_request_tracker.const import (
    CONF_WEBHOOK_IDS,
    CONF_WEBHOOK_SECRET,
    DOMAIN,
    EVENT_EPISODE_STATE_CHANGED,
    EVENT_EPISODES_READY,
    EVENT_PROBLEM_CHANGED,
    EVENT_REMEDIATION,
    EVENT_STATE_CHANGED,
)
from custom_components.media_request_tracker.pollers.arr import ArrPoller
from custom_components.media_request_tracker.wiring import ARR_EVENTS, CONNECTION_NAME

FIXTURES = Path(__file__).parent / "fixtures"
JELLYSEERR_URL = "http://jellyseerr.local:5055"
ME_URL = f"{JELLYSEERR_URL}/api/v1/auth/me"
SETTINGS_PUBLIC_URL = f"{JELLYSEERR_URL}/api/v1/settings/public"
REQUESTS_URL = f"{JELLYSEERR_URL}/api/v1/request"
USERS_URL = f"{JELLYSEERR_URL}/api/v1/user"
WEBHOOK_SETTINGS_URL = f"{JELLYSEERR_URL}/api/v1/settings/notifications/webhook"
NO_REQUESTS = {
    "pageInfo": {"pages": 0, "pageSize": 20, "results": 0, "page": 1},
    "results": [],
}
WEBHOOK_IDS = {
    "jellyseerr": "hook_jellyseerr",
    "radarr": "hook_radarr",
    "sonarr": "hook_sonarr",
    "jellyfin": "hook_jellyfin",
}
JELLYSEERR_USER = {"id": 1, "displayName": "admin", "email": "admin@example.com"}
# Jellyseerr's webhook settings when its one webhook already posts to us.
OUR_JELLYSEERR_WEBHOOK = {
    "enabled": True,
    "types": 222,
    "options": {"webhookUrl": "http://ha.local:8123/api/webhook/hook_jellyseerr"},
}

# The Radarr/Sonarr addresses the tests configure.
ARR_TEST_URLS = {
    "radarr": ("http://radarr:7878", "http://radarr.local:7878"),
    "sonarr": ("http://sonarr:8989", "http://sonarr.local:8989"),
}

type Post = Callable[..., Awaitable[ClientResponse]]


def load_fixture(name: str, **changes: Any) -> dict[str, Any]:
    """A fixture payload (e.g. `radarr/grab.json`), with top-level keys changed."""
    payload: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    payload = copy.deepcopy(payload)
    payload.update(changes)
    return payload


@pytest.fixture(autouse=True)
def arr_live_channels(request: pytest.FixtureRequest) -> Iterator[None]:
    """Radarr's and Sonarr's hubs are out of reach unless a test is marked.

    Most tests answer REST from Home Assistant's aiohttp mock, which a SignalR
    client (its own session, a WebSocket) cannot reach; the tests of the channels
    run them against the simulated apps.
    """
    if request.node.get_closest_marker("live_channels"):
        yield
        return

    async def unreachable(poller: ArrPoller) -> None:
        poller.link.error = "no hub in this test"

    with patch.object(ArrPoller, "async_listen", unreachable):
        yield


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load our integration in every test."""


def entry_data(**services: Any) -> dict[str, Any]:
    """Config entry data as DESIGN §4 lays it out."""
    return {
        "jellyseerr": {
            CONF_URL: JELLYSEERR_URL,
            CONF_API_KEY: "jellyseerr-secret-key",
            CONF_VERIFY_SSL: True,
            CONF_WEBHOOK_SECRET: None,
        },
        CONF_WEBHOOK_IDS: dict(WEBHOOK_IDS),
        **services,
    }


@pytest.fixture
def config_entry() -> MockConfigEntry:
    """An entry for the Jellyseerr at JELLYSEERR_URL."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Jellyseerr",
        data=entry_data(),
        version=1,
        minor_version=2,
    )


@pytest.fixture
def jellyseerr_ok(aioclient_mock: AiohttpClientMocker) -> AiohttpClientMocker:
    """Jellyseerr accepts the API key, lists no requests, and posts to us."""
    aioclient_mock.get(ME_URL, json=JELLYSEERR_USER)
    aioclient_mock.get(REQUESTS_URL, json=NO_REQUESTS)
    aioclient_mock.get(USERS_URL, json=load_fixture("jellyseerr/users.json"))
    serve_wiring(aioclient_mock)
    return aioclient_mock


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
) -> MockConfigEntry:
    """The entry, set up and loaded."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


@pytest.fixture
async def post(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> Post:
    """POST a payload (a fixture name, a dict or raw bytes) to a source's webhook."""
    clients: list[TestClient] = []

    async def post_payload(
        source: str, payload: str | dict[str, Any] | bytes, **kwargs: Any
    ) -> ClientResponse:
        if not clients:  # made on first use: `http` loads with the integration
            clients.append(await hass_client_no_auth())
        client = clients[0]
        if isinstance(payload, str):
            payload = load_fixture(payload)
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        response = await client.post(
            f"/api/webhook/{WEBHOOK_IDS[source]}", data=body, **kwargs
        )
        await hass.async_block_till_done()
        return response

    return post_payload


def entity_state(hass: HomeAssistant, platform: str, unique_id: str) -> State:
    """The state of one of the integration's entities, by its unique id."""
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


def find_device(
    hass: HomeAssistant, entry: MockConfigEntry, identifier: str
) -> dr.DeviceEntry | None:
    """The entry's device with this identifier (same on every supported version)."""
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id):
        if (DOMAIN, identifier) in device.identifiers:
            return device
    return None


class EventLog:
    """The integration's events, in the order they were fired."""

    def __init__(self) -> None:
        """Start empty."""
        self.events: list[Event] = []

    def of(self, event_type: str) -> list[dict[str, Any]]:
        """The data of every event of one type."""
        return [
            dict(event.data) for event in self.events if event.event_type == event_type
        ]

    def transitions(self, request_key: str) -> list[tuple[str | None, str]]:
        """(from_state, to_state) of a request's state changes."""
        return [
            (data["from_state"], data["to_state"])
            for data in self.of(EVENT_STATE_CHANGED)
            if data["request_key"] == request_key
        ]


@pytest.fixture
def events(hass: HomeAssistant) -> EventLog:
    """Record the integration's state, episode, summary and problem events."""
    log = EventLog()

    @callback  # in the event loop, in firing order (not in a worker thread)
    def record(event: Event) -> None:
        log.events.append(event)

    for event_type in (
        EVENT_STATE_CHANGED,
        EVENT_EPISODE_STATE_CHANGED,
        EVENT_EPISODES_READY,
        EVENT_PROBLEM_CHANGED,
        EVENT_REMEDIATION,
    ):
        hass.bus.async_listen(event_type, record)
    return log


def our_connection(service: str, connection_id: int = 1) -> dict[str, Any]:
    """A Radarr/Sonarr Webhook connection that posts to us with every event."""
    return {
        "id": connection_id,
        "name": CONNECTION_NAME,
        "implementation": "Webhook",
        "fields": [
            {
                "name": "url",
                "value": f"http://ha.local:8123/api/webhook/{WEBHOOK_IDS[service]}",
            },
            {"name": "method", "value": 1},
        ],
        **dict.fromkeys(ARR_EVENTS[service], True),
    }


def serve_wiring(
    mock: AiohttpClientMocker, jellyseerr_url: str = JELLYSEERR_URL
) -> None:
    """Jellyseerr and every Radarr/Sonarr the tests use already post to us."""
    mock.get(
        f"{jellyseerr_url}/api/v1/settings/notifications/webhook",
        json=OUR_JELLYSEERR_WEBHOOK,
    )
    for service, base_urls in ARR_TEST_URLS.items():
        for base_url in base_urls:
            mock.get(f"{base_url}/api/v3/notification", json=[our_connection(service)])
