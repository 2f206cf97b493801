"""Wiring: repairs that tell (and fix) which service does not post to us."""

from base64 import b64encode
from dataclasses import dataclass, field
from datetime import timedelta
from http import HTTPStatus
import json
import re
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.setup import async_setup_component

from custom_components.media_request_tracker.const import DOMAIN
from custom_components.media_request_tracker.wiring import ARR_EVENTS

from .conftest import (
    JELLYSEERR_USER,
    ME_URL,
    NO_REQUESTS,
    OUR_JELLYSEERR_WEBHOOK,
    REQUESTS_URL,
    WEBHOOK_SETTINGS_URL,
    Post,
    entry_data,
    our_connection,
)

RADARR = "http://radarr:7878"
HA_URL = "http://ha.local:8123"
RADARR_CONFIG = {
    "url": RADARR,
    "api_key": "radarr-key",
    "verify_ssl": True,
    "webhook_secret": "radarr-secret",
}
FOREIGN_CONNECTION = {
    "id": 7,
    "name": "Discord",
    "implementation": "Webhook",
    "fields": [{"name": "url", "value": "https://discord.example/hook"}],
    "onGrab": True,
}


@dataclass
class FakeRadarr:
    """Radarr's connections API, in memory (reference §2.5)."""

    connections: list[dict[str, Any]] = field(default_factory=list)
    down: bool = False

    def serve(self, mock: AiohttpClientMocker) -> None:
        """Answer the connections API, and an empty queue and library."""
        mock.get(re.compile(f"^{RADARR}/api/v3/notification"), side_effect=self.answer)
        for method in ("post", "put", "delete"):
            getattr(mock, method)(
                re.compile(f"^{RADARR}/api/v3/notification"), side_effect=self.answer
            )
        mock.get(f"{RADARR}/api/v3/queue", side_effect=self.answer_queue)
        mock.get(f"{RADARR}/api/v3/health", side_effect=self.answer_health)
        mock.get(f"{RADARR}/api/v3/movie", json=[])
        mock.get(re.compile(f"^{RADARR}/api/v3/history/since"), json=[])

    async def answer_health(
        self, method: str, url: URL, data: Any
    ) -> AiohttpClientMockResponse:
        """Every check fine, unless Radarr is down."""
        if self.down:
            return AiohttpClientMockResponse(method, url, HTTPStatus.BAD_GATEWAY)
        return AiohttpClientMockResponse(method, url, json=[])

    async def answer_queue(
        self, method: str, url: URL, data: Any
    ) -> AiohttpClientMockResponse:
        """An empty queue, unless Radarr is down."""
        if self.down:
            return AiohttpClientMockResponse(method, url, HTTPStatus.BAD_GATEWAY)
        empty = {"records": [], "totalRecords": 0}
        return AiohttpClientMockResponse(method, url, json=empty)

    async def answer(
        self, method: str, url: URL, data: Any
    ) -> AiohttpClientMockResponse:
        """Apply the call to the in-memory connections."""
        if self.down:
            return AiohttpClientMockResponse(method, url, HTTPStatus.BAD_GATEWAY)
        connection_id = int(url.name) if url.name.isdigit() else None
        match method.upper():
            case "POST":
                self.connections.append({**data, "id": 100 + len(self.connections)})
            case "PUT":
                assert url.query["forceSave"] == "true"
                self.connections = [
                    data if c["id"] == connection_id else c for c in self.connections
                ]
            case "DELETE":
                self.connections = [
                    c for c in self.connections if c["id"] != connection_id
                ]
        return AiohttpClientMockResponse(method, url, json=self.connections)


@dataclass
class FakeJellyseerrWebhook:
    """Jellyseerr's webhook settings, in memory (reference §4.6)."""

    settings: dict[str, Any]
    saved: list[dict[str, Any]] = field(default_factory=list)

    def serve(self, mock: AiohttpClientMocker) -> None:
        """Answer the webhook settings, the user and an empty request list."""
        mock.get(ME_URL, json=JELLYSEERR_USER)
        mock.get(REQUESTS_URL, json=NO_REQUESTS)
        mock.get(WEBHOOK_SETTINGS_URL, side_effect=self.answer)
        mock.post(WEBHOOK_SETTINGS_URL, side_effect=self.answer)

    async def answer(
        self, method: str, url: URL, data: Any
    ) -> AiohttpClientMockResponse:
        """Store what is posted, as the API does (the template decoded once)."""
        if method.upper() == "POST":
            self.saved.append(data)
            options = data["options"]
            self.settings = {
                **data,
                "options": {
                    **options,
                    "jsonPayload": json.loads(options["jsonPayload"]),
                },
            }
        return AiohttpClientMockResponse(method, url, json=self.settings)


def issue_ids(hass: HomeAssistant) -> set[str]:
    """Our open issues, without the entry id suffix."""
    return {
        issue_id.rsplit("_", 1)[0]
        for domain, issue_id in ir.async_get(hass).issues
        if domain == DOMAIN
    }


def issue(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> ir.IssueEntry:
    """One of our issues for this entry."""
    found = ir.async_get(hass).async_get_issue(DOMAIN, f"{key}_{entry.entry_id}")
    assert found is not None
    return found


async def load(hass: HomeAssistant, **services: Any) -> MockConfigEntry:
    """Set up an entry (with the repairs integration) and let the checks finish."""
    assert await async_setup_component(hass, "repairs", {})
    entry = MockConfigEntry(
        domain=DOMAIN, title="stack", unique_id="wiring", data=entry_data(**services)
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


async def fix(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entry: MockConfigEntry,
    key: str,
) -> dict[str, Any]:
    """Accept the repair's confirmation; the flow's last answer."""
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix",
        json={"handler": DOMAIN, "issue_id": f"{key}_{entry.entry_id}"},
    )
    assert response.status == HTTPStatus.OK
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert response.status == HTTPStatus.OK
    result: dict[str, Any] = await response.json()
    await hass.async_block_till_done(wait_background_tasks=True)
    return result


@pytest.fixture
def jellyseerr_webhook(aioclient_mock: AiohttpClientMocker) -> FakeJellyseerrWebhook:
    """A Jellyseerr whose webhook already posts to us."""
    fake = FakeJellyseerrWebhook(dict(OUR_JELLYSEERR_WEBHOOK))
    fake.serve(aioclient_mock)
    return fake


async def test_missing_connection_is_created_and_removed_with_the_entry(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    jellyseerr_webhook: FakeJellyseerrWebhook,
) -> None:
    """No connection to us: a repair creates it; removing the entry deletes it."""
    hass.config.internal_url = HA_URL
    radarr = FakeRadarr([dict(FOREIGN_CONNECTION)])
    radarr.serve(aioclient_mock)
    entry = await load(hass, radarr=RADARR_CONFIG)

    missing = issue(hass, entry, "radarr_webhook_missing")
    assert missing.is_fixable
    assert missing.translation_placeholders == {
        "entry": "stack",
        "service": "Radarr",
        "url": f"{HA_URL}/api/webhook/hook_radarr",
    }

    assert (await fix(hass, hass_client, entry, "radarr_webhook_missing"))[
        "type"
    ] == "create_entry"

    created = radarr.connections[-1]
    assert created["implementation"] == "Webhook"
    assert {f["name"]: f["value"] for f in created["fields"]} == {
        "url": f"{HA_URL}/api/webhook/hook_radarr",
        "method": 1,
        "username": "homeassistant",
        "password": "radarr-secret",
    }
    assert {key for key, on in created.items() if key.startswith("on") and on} == (
        ARR_EVENTS["radarr"]
    )
    assert issue_ids(hass) == set()

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert radarr.connections == [FOREIGN_CONNECTION]
    assert jellyseerr_webhook.saved[-1]["enabled"] is False


async def test_connection_missing_events_is_completed(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    jellyseerr_webhook: FakeJellyseerrWebhook,
) -> None:
    """A connection to us without the import events is updated in place.

    It still names Home Assistant's old address: the webhook id is what makes it ours.
    """
    hass.config.internal_url = HA_URL
    partial = our_connection("radarr") | {"onDownload": False, "onUpgrade": False}
    partial["fields"][0]["value"] = "http://old-ha:8123/api/webhook/hook_radarr"
    radarr = FakeRadarr([partial])
    radarr.serve(aioclient_mock)
    entry = await load(hass, radarr=RADARR_CONFIG)

    assert issue_ids(hass) == {"radarr_webhook_events"}
    assert issue(hass, entry, "radarr_webhook_events").translation_placeholders[
        "events"
    ] == ("onDownload, onUpgrade")

    await fix(hass, hass_client, entry, "radarr_webhook_events")

    [updated] = radarr.connections
    assert updated["id"] == 1
    assert updated["onDownload"] is updated["onUpgrade"] is True
    assert updated["fields"][0]["value"] == f"{HA_URL}/api/webhook/hook_radarr"
    assert issue_ids(hass) == set()


async def test_a_webhook_has_the_wiring_checked_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    aioclient_mock: AiohttpClientMocker,
    jellyseerr_webhook: FakeJellyseerrWebhook,
    post: Post,
) -> None:
    """The user made the connection by hand: its first webhook clears the issue.

    A webhook alone proves nothing (Radarr's *Test* button posts before the
    connection is saved); asking Radarr does, at most once a minute.
    """
    radarr = FakeRadarr([])
    radarr.serve(aioclient_mock)
    entry = await load(hass, radarr=RADARR_CONFIG)
    assert issue_ids(hass) == {"radarr_webhook_missing"}

    auth = b64encode(b"homeassistant:radarr-secret").decode()
    headers = {"Authorization": f"Basic {auth}"}
    await post("radarr", "radarr/test.json", headers=headers)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_ids(hass) == {"radarr_webhook_missing"}  # still no connection

    radarr.connections = [our_connection("radarr")]
    await post("radarr", "radarr/test.json", headers=headers)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_ids(hass) == {"radarr_webhook_missing"}  # asked a second ago

    freezer.tick(timedelta(minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_ids(hass) == set()
    assert entry.data["radarr"]["webhook_secret"] == "radarr-secret"


async def test_a_stale_fix_never_wires_twice(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    jellyseerr_webhook: FakeJellyseerrWebhook,
) -> None:
    """The connection appeared after the issue: the fix says so and adds nothing."""
    radarr = FakeRadarr([])
    radarr.serve(aioclient_mock)
    entry = await load(hass, radarr=RADARR_CONFIG)
    assert issue_ids(hass) == {"radarr_webhook_missing"}
    radarr.connections = [our_connection("radarr")]

    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix",
        json={
            "handler": DOMAIN,
            "issue_id": f"radarr_webhook_missing_{entry.entry_id}",
        },
    )
    result = await response.json()

    assert (result["type"], result["reason"]) == ("abort", "already_wired")
    assert radarr.connections == [our_connection("radarr")]
    assert issue_ids(hass) == set()


async def test_a_service_back_has_its_wiring_checked(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    aioclient_mock: AiohttpClientMocker,
    jellyseerr_webhook: FakeJellyseerrWebhook,
) -> None:
    """Down at setup, the wiring could not be asked; it is once Radarr answers."""
    radarr = FakeRadarr([], down=True)
    radarr.serve(aioclient_mock)
    await load(hass, radarr=RADARR_CONFIG)
    assert issue_ids(hass) == set()

    radarr.down = False
    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_ids(hass) == {"radarr_webhook_missing"}


async def test_a_removed_entry_leaves_no_issue(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    jellyseerr_webhook: FakeJellyseerrWebhook,
) -> None:
    """Its issues go with it, whatever a check was still doing."""
    FakeRadarr([]).serve(aioclient_mock)
    entry = await load(hass, radarr=RADARR_CONFIG)
    assert issue_ids(hass) == {"radarr_webhook_missing"}

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_ids(hass) == set()


async def test_fix_explains_why_it_could_not_wire(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    jellyseerr_webhook: FakeJellyseerrWebhook,
) -> None:
    """No Home Assistant URL, or Radarr down: the form says so and nothing changes."""
    radarr = FakeRadarr()
    radarr.serve(aioclient_mock)
    with patch(
        "homeassistant.components.webhook.get_url", side_effect=NoURLAvailableError
    ):
        entry = await load(hass, radarr=RADARR_CONFIG)
        missing = issue(hass, entry, "radarr_webhook_missing")
        assert missing.translation_placeholders is not None
        assert missing.translation_placeholders["url"] == "/api/webhook/hook_radarr"

        result = await fix(hass, hass_client, entry, "radarr_webhook_missing")
        assert result["errors"] == {"base": "no_url"}

    hass.config.internal_url = HA_URL
    radarr.down = True
    result = await fix(hass, hass_client, entry, "radarr_webhook_missing")
    assert result["errors"] == {"base": "cannot_connect"}
    assert radarr.connections == []
    assert issue_ids(hass) == {"radarr_webhook_missing"}


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"enabled": False, "types": 0, "options": {}}, "jellyseerr_webhook_free"),
        (
            {
                "enabled": True,
                "types": 4,
                "options": {"webhookUrl": "https://ntfy.example/jellyseerr"},
            },
            "jellyseerr_webhook_taken",
        ),
    ],
)
async def test_jellyseerr_webhook_is_taken_only_when_the_user_agrees(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    jellyseerr_webhook: FakeJellyseerrWebhook,
    settings: dict[str, Any],
    expected: str,
) -> None:
    """A free or foreign webhook slot is reported; the fix points it at us."""
    hass.config.internal_url = HA_URL
    jellyseerr_webhook.settings = settings
    data = entry_data()
    data["jellyseerr"]["webhook_secret"] = "Bearer seerr-secret"
    entry = await load(hass, jellyseerr=data["jellyseerr"])
    assert issue_ids(hass) == {expected}
    assert jellyseerr_webhook.saved == []

    await fix(hass, hass_client, entry, expected)

    [saved] = jellyseerr_webhook.saved
    assert saved["enabled"] is True
    assert saved["types"] == 222
    assert saved["options"]["webhookUrl"] == f"{HA_URL}/api/webhook/hook_jellyseerr"
    assert saved["options"]["authHeader"] == "Bearer seerr-secret"
    template = json.loads(json.loads(saved["options"]["jsonPayload"]))
    assert template["{{request}}"]["request_id"] == "{{request_id}}"
    assert issue_ids(hass) == set()


async def test_seerr_integration_keeps_the_webhook_and_we_poll(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    jellyseerr_webhook: FakeJellyseerrWebhook,
) -> None:
    """With Home Assistant's Seerr integration set up, its webhook is left alone."""
    MockConfigEntry(domain="overseerr").add_to_hass(hass)
    entry = await load(hass)

    polling = issue(hass, entry, "jellyseerr_polling")
    assert not polling.is_fixable
    assert not [
        c for c in aioclient_mock.mock_calls if c[1] == URL(WEBHOOK_SETTINGS_URL)
    ]

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert jellyseerr_webhook.saved == []


async def test_unreachable_service_gets_a_repair_after_an_hour(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    aioclient_mock: AiohttpClientMocker,
    jellyseerr_webhook: FakeJellyseerrWebhook,
) -> None:
    """A restart is not worth a repair; an hour down is; coming back clears it."""
    entry = await load(hass)

    async def five_minutes_pass(times: int) -> None:
        for _ in range(times):
            freezer.tick(timedelta(minutes=5))
            async_fire_time_changed(hass)
            await hass.async_block_till_done()

    aioclient_mock.clear_requests()
    aioclient_mock.get(REQUESTS_URL, status=HTTPStatus.BAD_GATEWAY)
    jellyseerr_webhook.serve(aioclient_mock)
    await five_minutes_pass(12)
    assert issue_ids(hass) == set()
    await five_minutes_pass(1)
    unreachable = issue(hass, entry, "service_unreachable_jellyseerr")
    assert unreachable.translation_placeholders is not None
    assert unreachable.translation_placeholders["service"] == "Jellyseerr"

    aioclient_mock.clear_requests()
    jellyseerr_webhook.serve(aioclient_mock)
    await five_minutes_pass(1)
    assert issue_ids(hass) == set()


async def test_service_that_never_posted_gets_a_repair(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    aioclient_mock: AiohttpClientMocker,
    jellyseerr_webhook: FakeJellyseerrWebhook,
    post: Post,
) -> None:
    """An hour without even Radarr's Test event is reported; one arriving clears it."""
    FakeRadarr([our_connection("radarr")]).serve(aioclient_mock)
    entry = await load(hass, radarr=RADARR_CONFIG | {"webhook_secret": None})
    assert issue_ids(hass) == set()

    freezer.tick(timedelta(hours=1, minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    never = issue(hass, entry, "webhook_never_received_radarr")
    assert never.translation_placeholders is not None
    assert never.translation_placeholders["url"].endswith("/api/webhook/hook_radarr")

    assert (await post("radarr", "radarr/test.json")).status == HTTPStatus.OK
    assert issue_ids(hass) == set()  # at once, not at the next hourly check
    freezer.tick(timedelta(hours=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_ids(hass) == set()


async def test_a_missing_webhook_is_one_repair_not_two(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    aioclient_mock: AiohttpClientMocker,
    jellyseerr_webhook: FakeJellyseerrWebhook,
) -> None:
    """No connection of ours in Radarr: the repair that creates it says it all."""
    FakeRadarr([]).serve(aioclient_mock)
    await load(hass, radarr=RADARR_CONFIG | {"webhook_secret": None})
    for _ in range(2):  # before and after the hour a service gets to post
        assert issue_ids(hass) == {"radarr_webhook_missing"}
        freezer.tick(timedelta(hours=1, minutes=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


async def test_wiring_sets_a_secret_the_webhook_then_checks(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    jellyseerr_webhook: FakeJellyseerrWebhook,
    post: Post,
) -> None:
    """Without a secret, the repair makes one: a leaked URL alone cannot post."""
    hass.config.internal_url = HA_URL
    radarr = FakeRadarr([])
    radarr.serve(aioclient_mock)
    entry = await load(hass, radarr=RADARR_CONFIG | {"webhook_secret": None})
    assert (await post("radarr", "radarr/test.json")).status == HTTPStatus.OK

    await fix(hass, hass_client, entry, "radarr_webhook_missing")

    secret = entry.data["radarr"]["webhook_secret"]
    assert len(secret or "") >= 40
    fields = {f["name"]: f["value"] for f in radarr.connections[-1]["fields"]}
    assert fields["password"] == secret
    assert (await post("radarr", "radarr/test.json")).status == HTTPStatus.UNAUTHORIZED
    basic = b64encode(f"homeassistant:{secret}".encode()).decode()
    auth = f"Basic {basic}"
    response = await post("radarr", "radarr/test.json", headers={"Authorization": auth})
    assert response.status == HTTPStatus.OK


async def test_failed_wiring_keeps_the_old_secret(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    jellyseerr_webhook: FakeJellyseerrWebhook,
) -> None:
    """A change the service refused leaves its webhook as it was (no secret)."""
    hass.config.internal_url = HA_URL
    radarr = FakeRadarr([])
    radarr.serve(aioclient_mock)
    entry = await load(hass, radarr=RADARR_CONFIG | {"webhook_secret": None})
    radarr.down = True
    result = await fix(hass, hass_client, entry, "radarr_webhook_missing")
    assert result["errors"] == {"base": "cannot_connect"}
    assert entry.data["radarr"]["webhook_secret"] is None
