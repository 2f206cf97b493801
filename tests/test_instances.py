"""Further Radarr and Sonarr instances: subentries with a role and their own webhook."""

import json
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from homeassistant.components import webhook
from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigSubentry,
    ConfigSubentryData,
)
from homeassistant.const import CONF_API_KEY, CONF_NAME, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component

from custom_components.media_request_tracker.const import (
    CONF_ROLE,
    CONF_WEBHOOK_ID,
    CONF_WEBHOOK_SECRET,
    DOMAIN,
)
from custom_components.media_request_tracker.engine.models import Service
from custom_components.media_request_tracker.repairs import (
    Repair,
    async_create_fix_flow,
    async_raise,
    issue_id,
)
from custom_components.media_request_tracker.wiring import ARR_EVENTS, CONNECTION_NAME

from .conftest import (
    Post,
    entity_state,
    entry_data,
    find_device,
    load_fixture,
)
from .test_webhook import basic

RADARR = "http://radarr.local:7878"
RADARR_4K = "http://radarr4k.local:7878"
ARR = {CONF_API_KEY: "arr-key", CONF_VERIFY_SSL: True, CONF_WEBHOOK_SECRET: None}
HOOK_4K = "hook_radarr_4k"
SECRET = "s3cret"
SUBENTRY_4K = "01JRADARR4K"
# Jellyseerr's HD (80) and 4K (75) requests for Dune: Part Two.
HD_REQUEST = "jellyseerr/media_auto_approved_movie_regular.json"
UHD_REQUEST = "jellyseerr/media_auto_approved_movie_4k.json"


def radarr_4k(**data: Any) -> ConfigSubentryData:
    """The 4K Radarr as its subentry stores it (DESIGN §4)."""
    return ConfigSubentryData(
        data={
            CONF_URL: RADARR_4K,
            CONF_API_KEY: "4k-key",
            CONF_VERIFY_SSL: True,
            CONF_ROLE: "4k",
            CONF_WEBHOOK_ID: HOOK_4K,
            **data,
        },
        subentry_id=SUBENTRY_4K,
        subentry_type="radarr",
        title="Radarr 4K",
        unique_id=None,
    )


def connection(webhook_id: str, connection_id: int = 1) -> dict[str, Any]:
    """A Radarr Webhook connection that posts to one of our webhooks."""
    return {
        "id": connection_id,
        "name": CONNECTION_NAME,
        "implementation": "Webhook",
        "fields": [
            {"name": "url", "value": f"http://ha.local:8123/api/webhook/{webhook_id}"},
            {"name": "method", "value": 1},
        ],
        **dict.fromkeys(ARR_EVENTS["radarr"], True),
    }


def serve_4k(mock: AiohttpClientMocker, connections: list[dict[str, Any]]) -> None:
    """The 4K Radarr answers its status and lists these connections."""
    status = load_fixture("radarr/api_system_status.json", instanceName="Radarr 4K")
    mock.get(f"{RADARR_4K}/api/v3/system/status", json=status)
    mock.get(f"{RADARR_4K}/api/v3/notification", json=connections)


async def set_up(
    hass: HomeAssistant, *instances: ConfigSubentryData
) -> MockConfigEntry:
    """An entry with a primary Radarr and these subentries, loaded."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="stack",
        data=entry_data(radarr={CONF_URL: RADARR, **ARR}),
        version=1,
        minor_version=2,
        subentries_data=list(instances),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


@pytest.fixture
async def entry_4k(
    hass: HomeAssistant, jellyseerr_ok: AiohttpClientMocker
) -> MockConfigEntry:
    """An entry with a primary Radarr and a 4K Radarr subentry, loaded."""
    serve_4k(jellyseerr_ok, [connection(HOOK_4K)])
    return await set_up(hass, radarr_4k())


async def post_to(
    hass: HomeAssistant,
    client_factory: ClientSessionGenerator,
    webhook_id: str,
    payload: dict[str, Any],
    **kwargs: Any,
) -> int:
    """POST a payload to one of our webhooks; the answer's status."""
    client = await client_factory()
    response = await client.post(f"/api/webhook/{webhook_id}", json=payload, **kwargs)
    await hass.async_block_till_done()
    return response.status


def request_state(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    """A request's status sensor state."""
    return entity_state(hass, "sensor", f"{entry.entry_id}_request_{key}").state


async def test_hd_and_4k_requests_take_evidence_from_their_own_radarr(
    hass: HomeAssistant,
    entry_4k: MockConfigEntry,
    post: Post,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """The 4K Radarr's grab is the 4K request's; the primary's the HD one's."""
    await post("jellyseerr", HD_REQUEST)
    await post("jellyseerr", UHD_REQUEST)
    grab = load_fixture("radarr/grab_regular.json")

    assert await post_to(hass, hass_client_no_auth, HOOK_4K, grab) == 200
    assert request_state(hass, entry_4k, "75") == "grabbing"
    assert request_state(hass, entry_4k, "80") == "approved"

    await post("radarr", "radarr/grab_regular.json")
    assert request_state(hass, entry_4k, "80") == "grabbing"
    tracker = entry_4k.runtime_data.tracker
    assert tracker.requests["75"].arr_instance == SUBENTRY_4K
    assert tracker.requests["80"].arr_instance == ""


async def test_each_instance_has_its_connectivity_sensor_and_webhook(
    hass: HomeAssistant, entry_4k: MockConfigEntry
) -> None:
    """On a device of its own (a device belongs to one subentry), named by it."""
    registry = er.async_get(hass)
    sensor = registry.async_get_entity_id(
        "binary_sensor", DOMAIN, f"{entry_4k.entry_id}_connected_{SUBENTRY_4K}"
    )
    assert sensor is not None
    registered = registry.async_get(sensor)
    assert registered is not None
    assert registered.config_subentry_id == SUBENTRY_4K
    state = hass.states.get(sensor)
    assert state is not None
    assert state.attributes["friendly_name"] == "Radarr 4K Connection"
    device = find_device(hass, entry_4k, f"{entry_4k.entry_id}_{SUBENTRY_4K}")
    assert device is not None
    assert device.name == "Radarr 4K"
    assert device.configuration_url == RADARR_4K
    assert HOOK_4K in hass.data[webhook.DOMAIN]


async def test_a_subentry_s_webhook_secret_is_checked(
    hass: HomeAssistant,
    jellyseerr_ok: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Set by its wiring repair, the secret lives in the subentry's data."""
    serve_4k(jellyseerr_ok, [connection(HOOK_4K)])
    await set_up(hass, radarr_4k(webhook_secret=SECRET))
    grab = load_fixture("radarr/grab_regular.json")

    assert await post_to(hass, hass_client_no_auth, HOOK_4K, grab) == 401
    ok = {"Authorization": basic("", SECRET)}
    assert await post_to(hass, hass_client_no_auth, HOOK_4K, grab, headers=ok) == 200


async def test_subentry_flow_adds_an_instance_with_its_webhook(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
) -> None:
    """Checked live, given a webhook id; the entry reloads and polls it."""
    serve_4k(jellyseerr_ok, [])
    result = await hass.config_entries.subentries.async_init(
        (loaded_entry.entry_id, "radarr"), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.FORM

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: " Radarr UHD ",
            CONF_ROLE: "4k",
            CONF_URL: f"{RADARR_4K}/",
            CONF_API_KEY: "4k-key",
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    (subentry,) = loaded_entry.subentries.values()
    assert subentry.title == "Radarr UHD"
    assert {k: v for k, v in subentry.data.items() if k != CONF_WEBHOOK_ID} == {
        CONF_URL: RADARR_4K,
        CONF_API_KEY: "4k-key",
        CONF_VERIFY_SSL: True,
        CONF_ROLE: "4k",
    }
    assert subentry.data[CONF_WEBHOOK_ID]
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert subentry.subentry_id in loaded_entry.runtime_data.pollers
    assert subentry.data[CONF_WEBHOOK_ID] in hass.data[webhook.DOMAIN]


async def test_subentry_flow_refuses_what_does_not_work(
    hass: HomeAssistant,
    entry_4k: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
) -> None:
    """The same Radarr twice, a missing name, a rejected key: errors, nothing made."""
    other = "http://radarr-anime.local:7878"
    jellyseerr_ok.get(f"{other}/api/v3/system/status", status=401)
    result = await hass.config_entries.subentries.async_init(
        (entry_4k.entry_id, "radarr"), context={"source": "user"}
    )
    typed = {CONF_NAME: "Anime", CONF_ROLE: "anime", CONF_API_KEY: "k"}
    for url, name, error in (
        (RADARR, "Anime", {CONF_URL: "instance_taken"}),
        (
            RADARR_4K.replace("radarr4k", "RADARR4K"),
            "Anime",
            {CONF_URL: "instance_taken"},
        ),
        (other, "  ", {CONF_NAME: "name_missing"}),
        (other, "Anime", {"base": "invalid_auth"}),
    ):
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {**typed, CONF_URL: url, CONF_NAME: name}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == error
    assert list(entry_4k.subentries) == [SUBENTRY_4K]


async def test_reconfigure_keeps_the_webhook_and_its_secret(
    hass: HomeAssistant,
    jellyseerr_ok: AiohttpClientMocker,
) -> None:
    """A new key and name; the same webhook (Radarr keeps posting to it)."""
    serve_4k(jellyseerr_ok, [connection(HOOK_4K)])
    entry = await set_up(hass, radarr_4k(webhook_secret=SECRET))

    result = await entry.start_subentry_reconfigure_flow(hass, SUBENTRY_4K)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Radarr 2160p",
            CONF_ROLE: "4k",
            CONF_URL: RADARR_4K,
            CONF_API_KEY: "new-key",
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.ABORT, result.get("errors")
    assert result["reason"] == "reconfigure_successful"
    subentry = entry.subentries[SUBENTRY_4K]
    assert subentry.title == "Radarr 2160p"
    assert subentry.data[CONF_API_KEY] == "new-key"
    assert subentry.data[CONF_WEBHOOK_ID] == HOOK_4K
    assert subentry.data[CONF_WEBHOOK_SECRET] == SECRET
    # Reloaded with the new settings.
    poller = entry.runtime_data.pollers[SUBENTRY_4K]
    assert poller.label == "Radarr 2160p"


async def test_removing_the_subentry_removes_its_connection_and_webhook(
    hass: HomeAssistant,
    entry_4k: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
) -> None:
    """Once: the reload that follows is not taken for another removal."""
    jellyseerr_ok.delete(f"{RADARR_4K}/api/v3/notification/1", status=200)
    sensor_id = f"{entry_4k.entry_id}_connected_{SUBENTRY_4K}"

    assert hass.config_entries.async_remove_subentry(entry_4k, SUBENTRY_4K)
    await hass.async_block_till_done(wait_background_tasks=True)

    deleted = [
        str(url)
        for method, url, _, _ in jellyseerr_ok.mock_calls
        if method.upper() == "DELETE"
    ]
    assert deleted == [f"{RADARR_4K}/api/v3/notification/1"]
    assert HOOK_4K not in hass.data[webhook.DOMAIN]
    assert entry_4k.state is ConfigEntryState.LOADED
    assert SUBENTRY_4K not in entry_4k.runtime_data.pollers
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("binary_sensor", DOMAIN, sensor_id) is None


async def test_retry_acts_on_the_instance_that_owns_the_request(
    hass: HomeAssistant,
    entry_4k: MockConfigEntry,
    post: Post,
    hass_client_no_auth: ClientSessionGenerator,
    jellyseerr_ok: AiohttpClientMocker,
) -> None:
    """The 4K request's search goes to the 4K Radarr, with that Radarr's id."""
    jellyseerr_ok.post(f"{RADARR_4K}/api/v3/command", json={"id": 1})
    await post("jellyseerr", UHD_REQUEST)
    grab = load_fixture("radarr/grab_regular.json")
    await post_to(hass, hass_client_no_auth, HOOK_4K, grab)
    entity_id = entity_state(
        hass, "sensor", f"{entry_4k.entry_id}_request_75"
    ).entity_id

    await hass.services.async_call(
        DOMAIN, "retry", {"entity_id": entity_id}, blocking=True
    )

    sent = [
        (str(url), data)
        for method, url, data, _ in jellyseerr_ok.mock_calls
        if method.upper() == "POST" and str(url).endswith("/api/v3/command")
    ]
    assert sent == [
        (f"{RADARR_4K}/api/v3/command", {"name": "MoviesSearch", "movieIds": [71]})
    ]


async def test_the_wiring_repair_works_per_instance(
    hass: HomeAssistant, jellyseerr_ok: AiohttpClientMocker
) -> None:
    """The 4K Radarr without a connection: its own issue, fixed on its own."""
    hass.config.internal_url = "http://ha.local:8123"
    serve_4k(jellyseerr_ok, [])
    jellyseerr_ok.post(f"{RADARR_4K}/api/v3/notification", json=connection(HOOK_4K))
    entry = await set_up(hass, radarr_4k())
    runtime = entry.runtime_data

    issue = issue_id(
        entry.entry_id, Repair.WEBHOOK_MISSING, Service.RADARR, SUBENTRY_4K
    )
    found = ir.async_get(hass).async_get_issue(DOMAIN, issue)
    assert found is not None
    assert found.translation_placeholders is not None
    assert found.translation_placeholders["service"] == "Radarr 4K"
    assert found.translation_placeholders["url"].endswith(f"/api/webhook/{HOOK_4K}")
    # The primary Radarr posts to us already: no issue of its own.
    primary = issue_id(entry.entry_id, Repair.WEBHOOK_MISSING, Service.RADARR)
    assert ir.async_get(hass).async_get_issue(DOMAIN, primary) is None

    flow = await async_create_fix_flow(hass, issue, found.data)
    flow.hass = hass
    flow.issue_id = issue
    result = await flow.async_step_confirm({})
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    (created,) = [
        data
        for method, url, data, _ in jellyseerr_ok.mock_calls
        if method.upper() == "POST" and str(url) == f"{RADARR_4K}/api/v3/notification"
    ]
    fields = {field["name"]: field.get("value") for field in created["fields"]}
    assert fields["url"] == f"http://ha.local:8123/api/webhook/{HOOK_4K}"
    secret = entry.subentries[SUBENTRY_4K].data[CONF_WEBHOOK_SECRET]
    assert secret
    assert fields["password"] == secret
    # A secret is read at each call: the entry was not reloaded for it.
    assert entry.runtime_data is runtime


async def test_diagnostics_show_instances_without_their_secrets(
    hass: HomeAssistant,
    entry_4k: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """Role and address shown; key and webhook id redacted; its poller listed."""
    assert await async_setup_component(hass, "diagnostics", {})
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry_4k)

    assert isinstance(diagnostics, dict)
    assert diagnostics["config"]["instances"] == {
        SUBENTRY_4K: {
            "type": "radarr",
            "title": "Radarr 4K",
            CONF_URL: RADARR_4K,
            CONF_API_KEY: "**REDACTED**",
            CONF_VERIFY_SSL: True,
            CONF_ROLE: "4k",
            CONF_WEBHOOK_ID: "**REDACTED**",
        }
    }
    assert SUBENTRY_4K in diagnostics["pollers"]
    assert HOOK_4K not in json.dumps(diagnostics)


async def test_an_instance_added_while_the_entry_sets_up_is_not_missed(
    hass: HomeAssistant, jellyseerr_ok: AiohttpClientMocker
) -> None:
    """Added after setup built its pollers: the entry reloads with it at once."""
    serve_4k(jellyseerr_ok, [connection(HOOK_4K)])
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="stack",
        data=entry_data(radarr={CONF_URL: RADARR, **ARR}),
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    forward = hass.config_entries.async_forward_entry_setups

    async def add_then_forward(*args: Any) -> None:
        if not entry.subentries:
            hass.config_entries.async_add_subentry(entry, ConfigSubentry(**radarr_4k()))
        await forward(*args)

    with patch.object(
        hass.config_entries, "async_forward_entry_setups", add_then_forward
    ):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)

    assert entry.state is ConfigEntryState.LOADED
    assert SUBENTRY_4K in entry.runtime_data.pollers
    assert HOOK_4K in hass.data[webhook.DOMAIN]


async def test_the_primary_radarr_s_webhook_never_speaks_for_a_4k_request(
    hass: HomeAssistant, entry_4k: MockConfigEntry, post: Post
) -> None:
    """With a 4K Radarr configured, the primary's grab is no 4K request's."""
    await post("jellyseerr", UHD_REQUEST)
    await post("radarr", "radarr/grab_regular.json")
    assert request_state(hass, entry_4k, "75") == "approved"


async def test_removing_an_instance_removes_its_issues(
    hass: HomeAssistant, entry_4k: MockConfigEntry, jellyseerr_ok: AiohttpClientMocker
) -> None:
    """An issue about a Radarr that is gone would never clear by itself."""
    jellyseerr_ok.delete(f"{RADARR_4K}/api/v3/notification/1", status=200)
    (arr,) = [p.arr for p in entry_4k.runtime_data.arrs if p.arr.key == SUBENTRY_4K]
    async_raise(hass, entry_4k, Repair.SERVICE_UNREACHABLE, arr.service, instance=arr)
    issue = issue_id(
        entry_4k.entry_id, Repair.SERVICE_UNREACHABLE, arr.service, arr.key
    )
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue) is not None

    hass.config_entries.async_remove_subentry(entry_4k, SUBENTRY_4K)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert ir.async_get(hass).async_get_issue(DOMAIN, issue) is None
