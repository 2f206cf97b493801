"""The shipped blueprints, loaded by Home Assistant and driven by real webhooks.

Each test copies `blueprints/` into the test configuration, sets an automation up
from a blueprint, plays a request through the webhooks and checks the phone
notifications the blueprint sends (mocked `notify.mobile_app_*` actions).
"""

from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
    async_mock_service,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from custom_components.media_request_tracker.const import DOMAIN

from .conftest import (
    JELLYSEERR_URL,
    Post,
    entity_state,
    entry_data,
    load_fixture,
)

BLUEPRINTS = Path(__file__).parent.parent / "blueprints"
READY = "media_request_tracker/notify_when_ready.yaml"
EPISODES = "media_request_tracker/new_episodes.yaml"
ATTENTION = "media_request_tracker/needs_attention.yaml"
ANNA = "person.anna"
BEN = "person.ben"
RADARR = "http://radarr.local:7878"
JELLYFIN_FOR_PHONES = "https://jellyfin.example.com/"
ARR = {"api_key": "arr-key", "verify_ssl": True, "webhook_secret": None}

type Phones = dict[str, list[ServiceCall]]


@pytest.fixture
async def phones(
    hass: HomeAssistant, tmp_path: Path, hass_admin_user: MockUser
) -> Phones:
    """Anna and Ben, each with a phone running the Companion app; the blueprints.

    Returns the notifications each phone's `notify.mobile_app_*` action received.
    """
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints")
    mobile_app = MockConfigEntry(domain="mobile_app", title="Companion app")
    mobile_app.add_to_hass(hass)
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    trackers: dict[str, str] = {}
    for person, phone in ((ANNA, "Anna's Pixel"), (BEN, "Ben iPhone")):
        device = devices.async_get_or_create(
            config_entry_id=mobile_app.entry_id,
            identifiers={("mobile_app", phone)},
            name=phone,
        )
        tracker = entities.async_get_or_create(
            "device_tracker",
            "mobile_app",
            phone,
            config_entry=mobile_app,
            device_id=device.id,
        )
        trackers[person] = tracker.entity_id
    # Anna is also followed by her router, which has no device and no phone.
    router = entities.async_get_or_create("device_tracker", "ping", "anna-router")
    assert await async_setup_component(
        hass,
        "person",
        {
            "person": [
                {
                    "id": "anna",
                    "name": "Anna",
                    "user_id": hass_admin_user.id,
                    "device_trackers": [router.entity_id, trackers[ANNA]],
                },
                {"id": "ben", "name": "Ben", "device_trackers": [trackers[BEN]]},
            ]
        },
    )
    return {
        ANNA: async_mock_service(hass, "notify", "mobile_app_anna_s_pixel"),
        BEN: async_mock_service(hass, "notify", "mobile_app_ben_iphone"),
    }


async def use_blueprint(hass: HomeAssistant, path: str, **inputs: Any) -> None:
    """An automation from one of the shipped blueprints."""
    assert await async_setup_component(
        hass,
        "automation",
        {"automation": {"use_blueprint": {"path": path, "input": inputs}}},
    )
    await hass.async_block_till_done()


async def link_people(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The options' People step links Jellyseerr's anna to Anna."""
    flow = await hass.config_entries.options.async_init(entry.entry_id)
    flow = await hass.config_entries.options.async_configure(flow["flow_id"], {})
    await hass.config_entries.options.async_configure(flow["flow_id"], {"anna": ANNA})
    await hass.async_block_till_done()


def by(user: str, fixture: str, request_id: str | None = None) -> dict[str, Any]:
    """A Jellyseerr webhook fixture, requested by another user."""
    payload = load_fixture(fixture)
    payload["request"]["requestedBy_username"] = user
    if request_id is not None:
        payload["request"]["request_id"] = request_id
    return payload


def status_entity(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    return entity_state(hass, "sensor", f"{entry.entry_id}_request_{key}").entity_id


async def test_ready_reaches_requester_and_followers(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post, phones: Phones
) -> None:
    """Anna asked for Dune, Ben follows: both phones get the poster and a link."""
    await use_blueprint(hass, READY, jellyfin_url=JELLYFIN_FOR_PHONES)
    await post(
        "jellyseerr", by("anna", "jellyseerr/media_auto_approved_movie_regular.json")
    )
    await link_people(hass, loaded_entry)
    await hass.services.async_call(
        DOMAIN,
        "follow",
        {"entity_id": status_entity(hass, loaded_entry, "80"), "person": BEN},
        blocking=True,
    )
    await post("radarr", "radarr/grab_regular.json")
    await post("radarr", "radarr/download_regular.json")
    assert not phones[ANNA]
    assert not phones[BEN]

    await post("jellyfin", "jellyfin-webhook/ItemAdded_Movie_regular.json")
    await hass.async_block_till_done()

    for person in (ANNA, BEN):
        (sent,) = phones[person]
        assert sent.data == {
            "title": "Ready to watch",
            "message": "Dune: Part Two is in Jellyfin.",
            "data": {
                "tag": "media_request_tracker_80",
                "group": "media_request_tracker",
                "image": "https://image.tmdb.org/t/p/w600_and_h900_bestv2/1pdfLvkbY9ohJlCjQH2CZjjYVvJ.jpg",
                "url": "https://jellyfin.example.com/web/#/details?id=c0ffee00d1e2f3a4b5c6d7e8f9a0b1c2",
                "clickAction": "https://jellyfin.example.com/web/#/details?id=c0ffee00d1e2f3a4b5c6d7e8f9a0b1c2",
                "actions": [
                    {
                        "action": "URI",
                        "title": "Open in Jellyfin",
                        "uri": "https://jellyfin.example.com/web/#/details?id=c0ffee00d1e2f3a4b5c6d7e8f9a0b1c2",
                    }
                ],
            },
        }


async def test_failure_offers_try_again(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    jellyseerr_ok: AiohttpClientMocker,
    post: Post,
    phones: Phones,
) -> None:
    """A failed request's "Try again" button searches in Radarr."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="stack",
        unique_id=JELLYSEERR_URL,
        data=entry_data(radarr={"url": RADARR, **ARR}),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await use_blueprint(hass, READY)
    aioclient_mock.get(
        f"{RADARR}/api/v3/movie",
        params={"tmdbId": 693134},
        json=[{"id": 71, "title": "Dune: Part Two", "tmdbId": 693134}],
    )
    aioclient_mock.post(f"{RADARR}/api/v3/command", json={"id": 1})
    await post(
        "jellyseerr",
        by("anna", "jellyseerr/media_auto_approved_movie_regular.json", "72"),
    )
    await link_people(hass, entry)

    await post("jellyseerr", by("anna", "jellyseerr/media_failed_movie.json"))
    await hass.async_block_till_done()

    (sent,) = phones[ANNA]
    assert sent.data["title"] == "Could not get Dune: Part Two"
    assert sent.data["message"]
    assert not phones[BEN]
    (button,) = sent.data["data"]["actions"]
    assert button["title"] == "Try again"

    hass.bus.async_fire("mobile_app_notification_action", {"action": button["action"]})
    hass.bus.async_fire("mobile_app_notification_action", {"action": "SOMETHING_ELSE"})
    await hass.async_block_till_done()
    commands = [
        call[2]
        for call in aioclient_mock.mock_calls
        if str(call[1]).endswith("/command")
    ]
    assert commands == [{"name": "MoviesSearch", "movieIds": [71]}]


async def test_new_episodes_once_they_settle(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post, phones: Phones
) -> None:
    """A season pack is one notification to the show's followers, listing episodes."""
    await use_blueprint(hass, EPISODES)
    await post("jellyseerr", by("anna", "jellyseerr/media_approved_tv_regular.json"))
    await link_people(hass, loaded_entry)
    await post("sonarr", "sonarr/grab_season_pack_regular.json")
    await post("sonarr", "sonarr/import_complete_season_pack_regular.json")
    episode_item = load_fixture("jellyfin-webhook/ItemAdded_Episode_regular.json")
    for number in range(1, 13):
        episode_item.update(
            EpisodeNumber=number,
            ItemId=f"e{number:031x}",
            Provider_tvdb=str(9100000 + number),
        )
        await post("jellyfin", episode_item)
    assert not phones[ANNA]

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=11))
    await hass.async_block_till_done()

    (sent,) = phones[ANNA]
    assert sent.data["title"] == "New episodes of Andor"
    assert sent.data["message"] == "12 new episodes: S01E01 to S01E12."
    assert sent.data["data"]["tag"] == "media_request_tracker_episodes_90"
    assert not phones[BEN]


async def test_attention_goes_to_the_chosen_admins(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post, phones: Phones
) -> None:
    """Ben hears of a problem (once, not when it clears); Anna, not chosen, does not."""
    await use_blueprint(hass, ATTENTION, admins=[BEN])
    request = by("anna", "jellyseerr/media_auto_approved_movie_regular.json", "85")
    request["media"]["tmdbId"] = "149"
    request["subject"] = "Akira (1988)"
    await post("jellyseerr", request)
    await post("radarr", "radarr/manual_interaction_required.json")
    mir = load_fixture("radarr/manual_interaction_required.json")
    await post(
        "radarr",
        load_fixture(
            "radarr/download.json", movie=mir["movie"], downloadId=mir["downloadId"]
        ),
    )
    await hass.async_block_till_done()

    (sent,) = phones[BEN]
    assert sent.data["title"] == "Akira needs attention"
    assert "Manual Import required" in sent.data["message"]
    device_id = entity_state(
        hass, "sensor", f"{loaded_entry.entry_id}_request_85"
    ).entity_id
    assert sent.data["data"]["actions"] == [
        {
            "action": "URI",
            "title": "Open in Home Assistant",
            "uri": f"/config/devices/device/{_device_of(hass, device_id)}",
        }
    ]
    assert not phones[ANNA]


def _device_of(hass: HomeAssistant, entity_id: str) -> str:
    entry = er.async_get(hass).async_get(entity_id)
    assert entry is not None
    assert entry.device_id is not None
    return entry.device_id


def test_every_blueprint_is_tested() -> None:
    """A new blueprint needs a test here."""
    shipped = {
        f"media_request_tracker/{path.name}"
        for path in (BLUEPRINTS / "automation" / "media_request_tracker").iterdir()
    }
    assert shipped == {READY, EPISODES, ATTENTION}
