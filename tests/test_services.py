"""Actions: get_requests, refresh, retry and forget (DESIGN §4)."""

from datetime import datetime
import json
from pathlib import Path
from typing import Any, cast

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
import yaml

from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    selector,
)
from homeassistant.setup import async_setup_component

from custom_components.media_request_tracker.compat import vol
from custom_components.media_request_tracker.const import DOMAIN
from custom_components.media_request_tracker.engine.models import State
from custom_components.media_request_tracker.services import (
    SERVICE_FOLLOW,
    SERVICE_FORGET,
    SERVICE_GET_REQUESTS,
    SERVICE_REFRESH,
    SERVICE_RETRY,
    SERVICE_UNFOLLOW,
)

from .conftest import (
    JELLYSEERR_URL,
    JELLYSEERR_USER,
    NO_REQUESTS,
    REQUESTS_URL,
    Post,
    entry_data,
    find_device,
    load_fixture,
    serve_wiring,
)

RADARR = "http://radarr.local:7878"
SONARR = "http://sonarr.local:8989"
ARR = {"api_key": "arr-key", "verify_ssl": True, "webhook_secret": None}
SECOND_URL = "http://second.local:5055"
SECOND_HOOKS = {
    "jellyseerr": "second_jellyseerr",
    "radarr": "second_radarr",
    "sonarr": "second_sonarr",
    "jellyfin": "second_jellyfin",
}
# What a Home Assistant state adds to the integration's own attributes.
STANDARD_ATTRIBUTES = {"options", "device_class", "friendly_name", "entity_picture"}
SERVICES_YAML = (
    Path(__file__).parents[1]
    / "custom_components"
    / "media_request_tracker"
    / "services.yaml"
)


@pytest.fixture
async def arr_entry(
    hass: HomeAssistant, jellyseerr_ok: AiohttpClientMocker
) -> MockConfigEntry:
    """An entry with Radarr and Sonarr configured, loaded."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="stack",
        unique_id=JELLYSEERR_URL,
        data=entry_data(radarr={"url": RADARR, **ARR}, sonarr={"url": SONARR, **ARR}),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


@pytest.fixture
async def second_entry(
    hass: HomeAssistant, jellyseerr_ok: AiohttpClientMocker
) -> MockConfigEntry:
    """An entry for another Jellyseerr, with webhooks of its own, loaded."""
    jellyseerr_ok.get(f"{SECOND_URL}/api/v1/auth/me", json=JELLYSEERR_USER)
    jellyseerr_ok.get(f"{SECOND_URL}/api/v1/request", json=NO_REQUESTS)
    serve_wiring(jellyseerr_ok, SECOND_URL)
    data = entry_data(webhook_ids=SECOND_HOOKS)
    data["jellyseerr"] = data["jellyseerr"] | {"url": SECOND_URL}
    entry = MockConfigEntry(
        domain=DOMAIN, title="second", unique_id=SECOND_URL, data=data
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


def jellyseerr(name: str, request_id: str | None = None, **changes: Any) -> Any:
    """A Jellyseerr webhook fixture, optionally for another request id."""
    payload = load_fixture(f"jellyseerr/{name}.json", **changes)
    if request_id is not None:
        payload["request"]["request_id"] = request_id
    return payload


async def post_second(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, payload: Any
) -> None:
    """POST a Jellyseerr payload to the second entry's webhook."""
    client = await hass_client_no_auth()
    response = await client.post(
        f"/api/webhook/{SECOND_HOOKS['jellyseerr']}", json=payload
    )
    assert response.status == 200
    await hass.async_block_till_done()


async def call(hass: HomeAssistant, action: str, **data: Any) -> ServiceResponse:
    """Call one of our actions and wait for it."""
    return await hass.services.async_call(
        DOMAIN,
        action,
        data,
        blocking=True,
        return_response=action == SERVICE_GET_REQUESTS,
    )


async def requests(hass: HomeAssistant, **data: Any) -> list[dict[str, Any]]:
    """`get_requests`' list of requests."""
    response = await call(hass, SERVICE_GET_REQUESTS, **data)
    assert response is not None
    return cast("list[dict[str, Any]]", response["requests"])


async def keys(hass: HomeAssistant, **data: Any) -> list[str]:
    """The request keys `get_requests` answers, in its order."""
    return [request["request_key"] for request in await requests(hass, **data)]


def entity(hass: HomeAssistant, unique_id: str) -> str:
    """The entity id of one of our sensors."""
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, unique_id)
    assert entity_id is not None
    return entity_id


def request_entity(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    """The entity id of a request's status sensor."""
    return entity(hass, f"{entry.entry_id}_request_{key}")


def request_device(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    """The device id of a request."""
    device = find_device(hass, entry, f"{entry.entry_id}_request_{key}")
    assert device is not None
    return device.id


def commands(mock: AiohttpClientMocker, base: str) -> list[Any]:
    """The bodies of the commands sent to a Radarr or Sonarr."""
    return [
        data
        for method, url, data, _ in mock.mock_calls
        if method.upper() == "POST" and str(url) == f"{base}/api/v3/command"
    ]


def calls_to(mock: AiohttpClientMocker, url: str) -> int:
    """How many requests went to a URL (any query)."""
    return sum(str(called).startswith(url) for _, called, _, _ in mock.mock_calls)


def polls_of(mock: AiohttpClientMocker, jellyseerr: str) -> int:
    """How many polls listed a Jellyseerr's newest requests."""
    return sum(
        str(called).startswith(jellyseerr) and called.query.get("filter") == "all"
        for _, called, _, _ in mock.mock_calls
    )


# get_requests


async def test_get_requests_answers_everything_newest_first(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """Every sensor attribute plus state, episodes and timeline, as plain JSON."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    await post("sonarr", "sonarr/grab_season_pack_regular.json")
    await post("jellyseerr", "jellyseerr/media_pending_movie.json")

    found = await requests(hass)

    assert [request["request_key"] for request in found] == ["90", "80", "72"]
    json.dumps(found)  # nothing but JSON types
    movie = found[1]
    state = hass.states.get(request_entity(hass, loaded_entry, "80"))
    assert state is not None
    assert movie["state"] == state.state == "approved"
    assert movie["waiting_for"] == "searching"
    for name, value in state.attributes.items():
        if name not in STANDARD_ATTRIBUTES:
            assert movie[name] == value, name
    assert movie["episodes"] == []
    assert movie["timeline"][0]["state"] == "approved"
    assert movie["timeline"][0]["source"] == "jellyseerr"
    assert datetime.fromisoformat(movie["timeline"][0]["time"]).tzinfo is not None
    show = found[0]
    assert len(show["episodes"]) == 12
    assert show["episodes"][0] == {
        "season": 1,
        "episode": 1,
        "title": "Chapter 1",
        "progress": 0,
        "problem": None,
        "problem_code": None,
        "waiting_for": "queued",
        "waiting_detail": "Queued in the download client",
        "watchable_at": None,
        "state": "grabbing",
    }
    assert [entry["state"] for entry in show["timeline"]] == ["approved", "grabbing"]


async def test_get_requests_filters(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """State, media type, requester and title filters combine; limit cuts."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    await post("jellyseerr", "jellyseerr/media_pending_movie.json")

    assert await keys(hass, state=["approved"]) == ["90", "80"]
    assert await keys(hass, state=["requested", "failed"]) == ["72"]
    assert await keys(hass, media_type="tv") == ["90"]
    assert await keys(hass, requested_by="ALICE") == ["72"]
    assert await keys(hass, search="dune") == ["80", "72"]
    assert await keys(hass, search="dune", state="approved") == ["80"]
    assert await keys(hass, limit=1) == ["90"]
    assert await keys(hass, search="nothing like it") == []


@pytest.mark.parametrize("limit", [0, 1001])
async def test_get_requests_limit_is_bounded(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, limit: int
) -> None:
    """1 to 1000 requests per call."""
    with pytest.raises(vol.Invalid):
        await call(hass, SERVICE_GET_REQUESTS, limit=limit)


async def test_get_requests_across_entries(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    second_entry: MockConfigEntry,
    post: Post,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """All loaded entries by default, newest first across them; or one entry."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post_second(
        hass, hass_client_no_auth, jellyseerr("media_approved_tv_regular", "85")
    )

    assert await keys(hass) == ["85", "80"]
    assert await keys(hass, config_entry_id=second_entry.entry_id) == ["85"]
    assert await keys(hass, config_entry_id=loaded_entry.entry_id) == ["80"]


async def test_get_requests_without_entries(hass: HomeAssistant) -> None:
    """The actions exist without any entry; there are no requests then."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert await keys(hass) == []


async def test_get_requests_needs_a_loaded_entry_of_ours(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Unknown, foreign and unloaded entries are refused with a translated error."""
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    cases = {"nope": "service_config_entry_not_found"}
    cases[other.entry_id] = "service_config_entry_wrong_domain"
    for entry_id, translation_key in cases.items():
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, SERVICE_GET_REQUESTS, config_entry_id=entry_id)
        assert err.value.translation_key == translation_key

    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, SERVICE_GET_REQUESTS, config_entry_id=loaded_entry.entry_id)
    assert err.value.translation_key == "service_config_entry_not_loaded"


# refresh


async def test_refresh_without_target_polls_every_entry(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    second_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Every loaded entry asks its services again, now."""
    before = (
        polls_of(aioclient_mock, REQUESTS_URL),
        polls_of(aioclient_mock, SECOND_URL),
    )

    await call(hass, SERVICE_REFRESH)

    after = (
        polls_of(aioclient_mock, REQUESTS_URL),
        polls_of(aioclient_mock, SECOND_URL),
    )
    assert after == (before[0] + 1, before[1] + 1)


async def test_refresh_polls_only_the_targeted_entries(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    second_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A request's entity or device refreshes its own entry, once."""
    await post_second(
        hass, hass_client_no_auth, jellyseerr("media_approved_tv_regular", "85")
    )
    before = (
        polls_of(aioclient_mock, REQUESTS_URL),
        polls_of(aioclient_mock, SECOND_URL),
    )

    await call(
        hass,
        SERVICE_REFRESH,
        entity_id=request_entity(hass, second_entry, "85"),
        device_id=request_device(hass, second_entry, "85"),
    )

    after = (
        polls_of(aioclient_mock, REQUESTS_URL),
        polls_of(aioclient_mock, SECOND_URL),
    )
    assert after == (before[0], before[1] + 1)


# retry


async def test_retry_movie_searches_in_radarr(
    hass: HomeAssistant,
    arr_entry: MockConfigEntry,
    post: Post,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """`MoviesSearch` with the movie id the Grab named."""
    aioclient_mock.post(f"{RADARR}/api/v3/command", json={"id": 1})
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("radarr", "radarr/grab_regular.json")

    await call(hass, SERVICE_RETRY, entity_id=request_entity(hass, arr_entry, "80"))

    assert commands(aioclient_mock, RADARR) == [
        {"name": "MoviesSearch", "movieIds": [71]}
    ]


async def test_retry_movie_looks_the_movie_up(
    hass: HomeAssistant,
    arr_entry: MockConfigEntry,
    post: Post,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Before any Radarr evidence, Radarr's id comes from its library (TMDB id)."""
    aioclient_mock.get(
        f"{RADARR}/api/v3/movie",
        params={"tmdbId": 693134},
        json=[{"id": 71, "title": "Dune: Part Two", "tmdbId": 693134}],
    )
    aioclient_mock.post(f"{RADARR}/api/v3/command", json={"id": 1})
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")

    await call(hass, SERVICE_RETRY, device_id=request_device(hass, arr_entry, "80"))

    assert commands(aioclient_mock, RADARR) == [
        {"name": "MoviesSearch", "movieIds": [71]}
    ]


async def test_retry_movie_radarr_does_not_have(
    hass: HomeAssistant,
    arr_entry: MockConfigEntry,
    post: Post,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A movie Radarr does not know cannot be searched: a validation error."""
    aioclient_mock.get(f"{RADARR}/api/v3/movie", json=[])
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, SERVICE_RETRY, entity_id=request_entity(hass, arr_entry, "80"))
    assert err.value.translation_key == "not_in_arr"
    assert err.value.translation_placeholders == {
        "service": "Radarr",
        "title": "Dune: Part Two",
    }


async def test_retry_when_radarr_fails(
    hass: HomeAssistant,
    arr_entry: MockConfigEntry,
    post: Post,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Radarr down or refusing: a translated HomeAssistantError, not a crash."""
    aioclient_mock.post(f"{RADARR}/api/v3/command", status=500)
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("radarr", "radarr/grab_regular.json")

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, SERVICE_RETRY, entity_id=request_entity(hass, arr_entry, "80"))
    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "service_unavailable"
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["service"] == "Radarr"


async def test_retry_show_searches_the_missing_episodes(
    hass: HomeAssistant,
    arr_entry: MockConfigEntry,
    post: Post,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """`EpisodeSearch` for the episodes not yet available; an episode targets its show."""
    aioclient_mock.post(f"{SONARR}/api/v3/command", json={"id": 2})
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    await post("sonarr", "sonarr/grab_season_pack_regular.json")
    await post("jellyfin", "jellyfin-webhook/ItemAdded_Episode_regular.json")
    assert arr_entry.runtime_data.tracker.requests["90"].episodes[1, 1].state == (
        State.AVAILABLE
    )

    episode = entity(hass, f"{arr_entry.entry_id}_episode_90_s1e2")
    await call(hass, SERVICE_RETRY, entity_id=episode)

    assert commands(aioclient_mock, SONARR) == [
        {"name": "EpisodeSearch", "episodeIds": list(range(1202, 1213))}
    ]


async def test_retry_show_without_episodes_searches_its_seasons(
    hass: HomeAssistant,
    arr_entry: MockConfigEntry,
    post: Post,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """No episode known yet: `SeasonSearch` for each requested season."""
    aioclient_mock.get(
        f"{SONARR}/api/v3/series",
        json=[{"id": 5, "title": "Breaking Bad", "tvdbId": 81189}],
    )
    aioclient_mock.post(f"{SONARR}/api/v3/command", json={"id": 2})
    await post("jellyseerr", "jellyseerr/media_approved_tv.json")

    await call(hass, SERVICE_RETRY, entity_id=request_entity(hass, arr_entry, "73"))

    assert commands(aioclient_mock, SONARR) == [
        {"name": "SeasonSearch", "seriesId": 5, "seasonNumber": season}
        for season in (1, 2, 3)
    ]


async def test_retry_show_of_every_season_searches_the_series(
    hass: HomeAssistant,
    arr_entry: MockConfigEntry,
    post: Post,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """No episode and no season list (all seasons): `SeriesSearch`."""
    aioclient_mock.get(
        f"{SONARR}/api/v3/series", json=[{"id": 31, "title": "Andor", "tvdbId": 393189}]
    )
    aioclient_mock.post(f"{SONARR}/api/v3/command", json={"id": 2})
    await post("jellyseerr", jellyseerr("media_approved_tv_regular", extra=[]))

    await call(hass, SERVICE_RETRY, entity_id=request_entity(hass, arr_entry, "90"))

    assert commands(aioclient_mock, SONARR) == [
        {"name": "SeriesSearch", "seriesId": 31}
    ]


async def test_retry_show_sonarr_does_not_have(
    hass: HomeAssistant,
    arr_entry: MockConfigEntry,
    post: Post,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A series Sonarr does not know, or one without a TVDB id, cannot be searched."""
    aioclient_mock.get(f"{SONARR}/api/v3/series", json=[])
    await post("jellyseerr", "jellyseerr/media_approved_tv.json")
    no_tvdb = jellyseerr("media_approved_tv_regular")
    no_tvdb["media"]["tvdbId"] = ""
    await post("jellyseerr", no_tvdb)

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, SERVICE_RETRY, entity_id=request_entity(hass, arr_entry, "90"))
    assert err.value.translation_key == "not_in_arr"
    assert calls_to(aioclient_mock, f"{SONARR}/api/v3/series") == 0

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, SERVICE_RETRY, entity_id=request_entity(hass, arr_entry, "73"))
    assert err.value.translation_key == "not_in_arr"
    assert commands(aioclient_mock, SONARR) == []


async def test_retry_needs_the_service_configured(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """Without Radarr/Sonarr in the entry there is nothing to ask."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")

    for key, service in (("80", "Radarr"), ("90", "Sonarr")):
        with pytest.raises(ServiceValidationError) as err:
            await call(
                hass, SERVICE_RETRY, entity_id=request_entity(hass, loaded_entry, key)
            )
        assert err.value.translation_key == "service_not_configured"
        assert err.value.translation_placeholders is not None
        assert err.value.translation_placeholders["service"] == service


async def test_retry_checks_every_target_before_searching(
    hass: HomeAssistant,
    arr_entry: MockConfigEntry,
    post: Post,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A finished request refuses the whole call; nothing is sent for the others."""
    aioclient_mock.post(f"{RADARR}/api/v3/command", json={"id": 1})
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("radarr", "radarr/grab_regular.json")
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie.json")
    await post("jellyseerr", "jellyseerr/media_available_movie.json")

    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            SERVICE_RETRY,
            entity_id=[
                request_entity(hass, arr_entry, "80"),
                request_entity(hass, arr_entry, "69"),
            ],
        )
    assert err.value.translation_key == "retry_finished"
    assert commands(aioclient_mock, RADARR) == []


# forget


@pytest.mark.parametrize("by", ["entity", "device", "episode"])
async def test_forget_removes_the_request_for_good(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post, by: str
) -> None:
    """Tombstoned, device and entities removed, and no webhook brings it back."""
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    await post("sonarr", "sonarr/grab_season_pack_regular.json")
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    entity_id = request_entity(hass, loaded_entry, "90")
    target = {
        "entity": {"entity_id": entity_id},
        "device": {"device_id": request_device(hass, loaded_entry, "90")},
        "episode": {
            "entity_id": entity(hass, f"{loaded_entry.entry_id}_episode_90_s1e3")
        },
    }[by]

    await call(hass, SERVICE_FORGET, **target)
    await hass.async_block_till_done()

    tracker = loaded_entry.runtime_data.tracker
    assert "90" in tracker.tombstones
    assert set(tracker.requests) == {"80"}
    assert (
        find_device(hass, loaded_entry, f"{loaded_entry.entry_id}_request_90") is None
    )
    assert er.async_get(hass).async_get(entity_id) is None
    assert hass.states.get(entity_id) is None
    assert request_entity(hass, loaded_entry, "80")  # the other request stays
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    assert set(tracker.requests) == {"80"}


async def test_targets_through_an_area(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """Requests in an area are found; other devices there are skipped."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("jellyseerr", "jellyseerr/media_pending_movie.json")
    area = ar.async_get(hass).async_create("Cinema")
    devices = dr.async_get(hass)
    devices.async_update_device(
        request_device(hass, loaded_entry, "80"), area_id=area.id
    )
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    foreign = devices.async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "tv")}
    )
    devices.async_update_device(foreign.id, area_id=area.id)
    er.async_get(hass).async_get_or_create(
        "sensor", "other", "tv", device_id=foreign.id
    )

    await call(hass, SERVICE_FORGET, area_id=area.id)

    assert set(loaded_entry.runtime_data.tracker.requests) == {"72"}


# Bad targets


async def test_targets_that_are_not_requests(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """Unknown ids, foreign entities, the service device and its sensors are refused."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    foreign = er.async_get(hass).async_get_or_create("sensor", "other", "x")
    service_device = find_device(hass, loaded_entry, loaded_entry.entry_id)
    assert service_device is not None
    summary = entity(hass, f"{loaded_entry.entry_id}_active_requests")
    request = request_entity(hass, loaded_entry, "80")
    # Each beside a real request: one stray target refuses the whole call.
    cases: list[tuple[dict[str, Any], str]] = [
        ({"entity_id": [request, "sensor.not_there"]}, "sensor.not_there"),
        ({"entity_id": [request, foreign.entity_id]}, foreign.entity_id),
        ({"entity_id": [request, summary]}, summary),
        ({"entity_id": request, "device_id": service_device.id}, service_device.id),
        ({"entity_id": request, "device_id": "not-a-device"}, "not-a-device"),
    ]
    for action in (
        SERVICE_REFRESH,
        SERVICE_RETRY,
        SERVICE_FORGET,
        SERVICE_FOLLOW,
        SERVICE_UNFOLLOW,
    ):
        for target, named in cases:
            with pytest.raises(ServiceValidationError) as err:
                await call(hass, action, **target)
            assert err.value.translation_key == "not_a_request"
            assert err.value.translation_placeholders == {"target": named}
    assert "80" in loaded_entry.runtime_data.tracker.requests


async def test_area_without_requests(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A target that holds no request at all is refused."""
    area = ar.async_get(hass).async_create("Kitchen")
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, SERVICE_REFRESH, area_id=area.id)
    assert err.value.translation_key == "no_request_targeted"


async def test_request_no_longer_tracked(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """An entity whose request left the tracker (before housekeeping) is refused."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    entity_id = request_entity(hass, loaded_entry, "80")
    loaded_entry.runtime_data.tracking.forget(["80"])

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, SERVICE_FORGET, entity_id=entity_id)
    assert err.value.translation_key == "unknown_request"
    assert err.value.translation_placeholders == {"request_key": "80"}


async def test_request_of_an_unloaded_entry(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """The entities of an unloaded entry stay in the registry; acting on them fails."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    entity_id = request_entity(hass, loaded_entry, "80")
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, SERVICE_REFRESH, entity_id=entity_id)
    assert err.value.translation_key == "service_config_entry_not_loaded"


async def test_retry_and_forget_need_a_target(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Only `refresh` may go without one."""
    for action in (SERVICE_RETRY, SERVICE_FORGET):
        with pytest.raises(vol.Invalid):
            await call(hass, action)


# services.yaml


def test_services_yaml_describes_every_action() -> None:
    """Every action is described, with valid selectors and every state."""
    described = yaml.safe_load(SERVICES_YAML.read_text())
    assert set(described) == {
        SERVICE_GET_REQUESTS,
        SERVICE_REFRESH,
        SERVICE_RETRY,
        SERVICE_FORGET,
        SERVICE_FOLLOW,
        SERVICE_UNFOLLOW,
    }
    fields = described[SERVICE_GET_REQUESTS]["fields"]
    for field in [
        *fields.values(),
        described[SERVICE_FOLLOW]["fields"]["person"],
        described[SERVICE_RETRY]["fields"]["step"],
    ]:
        selector.validate_selector(field["selector"])
    assert fields["state"]["selector"]["select"]["options"] == [s.value for s in State]
    for action in (
        SERVICE_REFRESH,
        SERVICE_RETRY,
        SERVICE_FORGET,
        SERVICE_FOLLOW,
        SERVICE_UNFOLLOW,
    ):
        assert described[action]["target"]["entity"]["integration"] == DOMAIN
