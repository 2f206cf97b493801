"""The four media paths, end to end through the real webhook endpoints.

Each test posts reference-shaped payloads (tests/fixtures) and asserts on the entities,
their attributes and the events automations see.
"""

from http import HTTPStatus

from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.const import ATTR_ENTITY_PICTURE, ATTR_FRIENDLY_NAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from custom_components.media_request_tracker.const import (
    DOMAIN,
    EVENT_EPISODE_STATE_CHANGED,
    EVENT_PROBLEM_CHANGED,
)

from .conftest import EventLog, Post, entry_data, load_fixture

ANIME_SERIES_SEASON_PACK = "sonarr/import_complete_season_pack.json"


def status_entity(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    """The entity id of a request's status sensor."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_request_{key}"
    )
    assert entity_id is not None, f"no status sensor for request {key}"
    return entity_id


def episode_entity(
    hass: HomeAssistant, entry: MockConfigEntry, key: str, s: int, e: int
) -> str:
    """The entity id of an episode's status sensor."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_episode_{key}_s{s}e{e}"
    )
    assert entity_id is not None, f"no sensor for S{s}E{e} of request {key}"
    return entity_id


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_regular_movie(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post, events: EventLog
) -> None:
    """Jellyseerr approved → Radarr Grab → Download → Jellyfin ItemAdded → available."""
    response = await post(
        "jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json"
    )
    assert response.status == HTTPStatus.OK
    entity_id = status_entity(hass, loaded_entry, "80")
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "approved"
    assert state.attributes[ATTR_FRIENDLY_NAME] == "Dune: Part Two (2024)"
    assert state.attributes["requested_by"] == "bob"
    assert state.attributes["media_type"] == "movie"
    assert state.attributes["tmdb_id"] == 693134
    assert state.attributes["tvdb_id"] is None
    assert state.attributes["poster_url"].startswith("https://image.tmdb.org/")
    assert state.attributes[ATTR_ENTITY_PICTURE].startswith(
        f"/api/media_request_tracker/poster/{loaded_entry.entry_id}/80?v="
    )

    await post("radarr", "radarr/grab_regular.json")
    assert state_of(hass, entity_id) == "grabbing"
    await post("radarr", "radarr/download_regular.json")
    assert state_of(hass, entity_id) == "importing"
    await post("jellyfin", "jellyfin-webhook/ItemAdded_Movie_regular.json")
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "available"
    assert state.attributes["jellyfin_item_id"] == "c0ffee00d1e2f3a4b5c6d7e8f9a0b1c2"
    assert state.attributes["progress"] == 100

    assert events.transitions("80") == [
        (None, "approved"),
        ("approved", "grabbing"),
        ("grabbing", "importing"),
        ("importing", "available"),
    ]
    available = events.of("media_request_tracker_state_changed")[-1]
    device = dr.async_get(hass).async_get(available["device_id"])
    assert device is not None
    assert device.name == "Dune: Part Two (2024)"
    assert available == {
        "request_key": "80",
        "entity_id": entity_id,
        "device_id": device.id,
        "title": "Dune: Part Two",
        "media_type": "movie",
        "from_state": "importing",
        "to_state": "available",
        "problem": None,
        "problem_code": None,
        "requested_by": "bob",
        "requested_by_person": None,  # no people are linked
        "followers": [],
        "poster_url": "https://image.tmdb.org/t/p/w600_and_h900_bestv2/1pdfLvkbY9ohJlCjQH2CZjjYVvJ.jpg",
        "watchable_at": None,  # it is watchable now: nothing to expect
        "source": "webhook",
    }


async def test_regular_tv_season_pack(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post, events: EventLog
) -> None:
    """One Grab of 12 episodes, Import Complete, then a Jellyfin item per episode."""
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    await post("sonarr", "sonarr/grab_season_pack_regular.json")
    request_entity = status_entity(hass, loaded_entry, "90")
    assert state_of(hass, request_entity) == "grabbing"
    for number in range(1, 13):
        assert (
            state_of(hass, episode_entity(hass, loaded_entry, "90", 1, number))
            == "grabbing"
        )
    first = hass.states.get(episode_entity(hass, loaded_entry, "90", 1, 1))
    assert first is not None
    assert first.attributes[ATTR_FRIENDLY_NAME] == "Andor (2022) S01E01 Chapter 1"

    await post("sonarr", "sonarr/import_complete_season_pack_regular.json")
    assert state_of(hass, request_entity) == "importing"

    episode_item = load_fixture("jellyfin-webhook/ItemAdded_Episode_regular.json")
    for number in range(1, 13):
        episode_item.update(
            EpisodeNumber=number,
            ItemId=f"e{number:031x}",
            Provider_tvdb=str(9100000 + number),
        )
        await post("jellyfin", episode_item)
        expected = "available" if number == 12 else "importing"
        assert state_of(hass, request_entity) == expected

    request_state = hass.states.get(request_entity)
    assert request_state is not None
    assert request_state.attributes["episodes_total"] == 12
    assert request_state.attributes["episodes_available"] == 12
    assert events.transitions("90")[-1] == ("importing", "available")
    episode_events = [
        data for data in events.of(EVENT_EPISODE_STATE_CHANGED) if data["episode"] == 7
    ]
    assert [(d["from_state"], d["to_state"]) for d in episode_events] == [
        (None, "grabbing"),
        ("grabbing", "importing"),
        ("importing", "available"),
    ]
    assert episode_events[-1]["entity_id"] == episode_entity(
        hass, loaded_entry, "90", 1, 7
    )
    assert episode_events[-1]["season"] == 1
    assert episode_events[-1]["episode_title"] == "Chapter 7"


async def test_tv_file_imports_and_import_complete_together(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """One Download per file plus Import Complete: every episode, no duplicates."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_tv.json")
    await post("sonarr", "sonarr/grab_season_pack.json")
    file_event = load_fixture("sonarr/download_season_pack_file.json")
    pack = load_fixture(ANIME_SERIES_SEASON_PACK)
    for episode, episode_file in zip(
        pack["episodes"], pack["episodeFiles"], strict=True
    ):
        file_event.update(episodes=[episode], episodeFile=episode_file)
        await post("sonarr", file_event)
        number = episode["episodeNumber"]
        assert (
            state_of(hass, episode_entity(hass, loaded_entry, "68", 1, number))
            == "importing"
        )
        if number < 13:
            assert (
                state_of(hass, episode_entity(hass, loaded_entry, "68", 1, number + 1))
                == "downloaded"
            )
    await post("sonarr", pack)
    registry = er.async_get(hass)
    sensors = [
        e
        for e in er.async_entries_for_config_entry(registry, loaded_entry.entry_id)
        if "_episode_68_" in e.unique_id
    ]
    assert len(sensors) == 13
    assert state_of(hass, status_entity(hass, loaded_entry, "68")) == "importing"


async def test_anime_movie_and_anime_tv_wait_for_matching(
    hass: HomeAssistant, jellyseerr_ok: object, post: Post
) -> None:
    """With Shoko configured, imported anime shows `anime_matching` until Jellyfin has it."""
    shoko = {"url": "http://shoko:8111", "api_key": "k", "verify_ssl": True}
    config_entry = MockConfigEntry(domain=DOMAIN, data=entry_data(shoko=shoko))
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    await post("jellyseerr", "jellyseerr/media_auto_approved_movie.json")
    await post("radarr", "radarr/grab.json")
    await post("radarr", "radarr/download.json")
    movie = status_entity(hass, config_entry, "69")
    assert state_of(hass, movie) == "anime_matching"
    movie_state = hass.states.get(movie)
    assert movie_state is not None
    assert movie_state.attributes["is_anime"] is True
    item = load_fixture(
        "jellyfin-webhook/ItemAdded_Movie_regular.json", Provider_tmdb="533514"
    )
    await post("jellyfin", item)
    assert state_of(hass, movie) == "available"

    await post("jellyseerr", "jellyseerr/media_auto_approved_tv.json")
    await post("sonarr", "sonarr/grab_season_pack.json")
    await post("sonarr", ANIME_SERIES_SEASON_PACK)
    show = status_entity(hass, config_entry, "68")
    assert state_of(hass, show) == "anime_matching"
    episode_item = load_fixture(
        "jellyfin-webhook/ItemAdded_Episode_SendAllProperties.json"
    )
    for episode in load_fixture(ANIME_SERIES_SEASON_PACK)["episodes"]:
        episode_item.update(
            ItemId=f"{episode['id']:032x}", Provider_tvdb=str(episode["tvdbId"])
        )
        await post("jellyfin", episode_item)
    assert state_of(hass, show) == "available"


async def test_pending_then_approved_then_declined_and_failed(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post, events: EventLog
) -> None:
    """MEDIA_PENDING → MEDIA_APPROVED; MEDIA_DECLINED and MEDIA_FAILED requests."""
    await post("jellyseerr", "jellyseerr/media_pending_movie.json")
    pending = load_fixture("jellyseerr/media_pending_movie.json")
    key = pending["request"]["request_id"]
    entity_id = status_entity(hass, loaded_entry, key)
    assert state_of(hass, entity_id) == "requested"
    approved = load_fixture(
        "jellyseerr/media_pending_movie.json", notification_type="MEDIA_APPROVED"
    )
    await post("jellyseerr", approved)
    assert state_of(hass, entity_id) == "approved"

    await post("jellyseerr", "jellyseerr/media_declined_tv.json")
    declined = load_fixture("jellyseerr/media_declined_tv.json")["request"][
        "request_id"
    ]
    assert state_of(hass, status_entity(hass, loaded_entry, declined)) == "declined"

    await post("jellyseerr", "jellyseerr/media_failed_movie.json")
    failed_key = load_fixture("jellyseerr/media_failed_movie.json")["request"][
        "request_id"
    ]
    failed = hass.states.get(status_entity(hass, loaded_entry, failed_key))
    assert failed is not None
    assert failed.state == "failed"
    assert failed.attributes["problem"]
    problems = [
        d for d in events.of(EVENT_PROBLEM_CHANGED) if d["request_key"] == failed_key
    ]
    assert problems[-1]["problem"] == failed.attributes["problem"]


async def test_manual_interaction_then_recovery(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """ManualInteractionRequired → failed with Radarr's words; the import recovers."""
    request = load_fixture(
        "jellyseerr/media_auto_approved_movie_regular.json",
        subject="Akira (1988)",
        media={
            "media_type": "movie",
            "tmdbId": "149",
            "tvdbId": "",
            "status": "PENDING",
            "status4k": "UNKNOWN",
        },
    )
    request["request"]["request_id"] = "85"
    await post("jellyseerr", request)
    await post("radarr", "radarr/manual_interaction_required.json")
    entity_id = status_entity(hass, loaded_entry, "85")
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "failed"
    assert "Manual Import required" in state.attributes["problem"]

    mir = load_fixture("radarr/manual_interaction_required.json")
    download = load_fixture(
        "radarr/download.json", movie=mir["movie"], downloadId=mir["downloadId"]
    )
    await post("radarr", download)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "importing"
    assert state.attributes["problem"] is None


async def test_upgrade_does_not_reopen_and_rerequest_is_new(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """IsUpgrade leaves an available movie alone; a re-request gets the later webhooks."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("radarr", "radarr/grab_regular.json")
    await post("radarr", "radarr/download_regular.json")
    await post("jellyfin", "jellyfin-webhook/ItemAdded_Movie_regular.json")
    first = status_entity(hass, loaded_entry, "80")
    upgrade = load_fixture(
        "radarr/download_upgrade.json",
        movie=load_fixture("radarr/grab_regular.json")["movie"],
    )
    await post("radarr", upgrade)
    assert state_of(hass, first) == "available"

    rerequest = load_fixture("jellyseerr/media_auto_approved_movie_regular.json")
    rerequest["request"]["request_id"] = "81"
    await post("jellyseerr", rerequest)
    await post("radarr", "radarr/grab_minimal.json")
    assert state_of(hass, status_entity(hass, loaded_entry, "81")) == "grabbing"
    assert state_of(hass, first) == "available"


async def test_grab_for_unrequested_title_creates_nothing(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """No phantom requests from *arr activity nobody asked for."""
    before = len(hass.states.async_all("sensor"))
    for source, name in (
        ("radarr", "radarr/grab.json"),
        ("sonarr", "sonarr/grab_single_episode.json"),
        ("jellyfin", "jellyfin-webhook/ItemAdded_Movie_SendAllProperties.json"),
    ):
        assert (await post(source, name)).status == HTTPStatus.OK
    assert len(hass.states.async_all("sensor")) == before


async def test_airing_season_rejoins_the_request(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post, events: EventLog
) -> None:
    """A new episode of a requested season reopens the request; other seasons don't."""
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    grab = load_fixture("sonarr/grab_season_pack_regular.json")
    grab["episodes"] = grab["episodes"][:2]
    await post("sonarr", grab)
    item = load_fixture("jellyfin-webhook/ItemAdded_Episode_regular.json")
    for number in (1, 2):
        item.update(
            EpisodeNumber=number,
            Provider_tvdb=str(9100000 + number),
            ItemId=f"{number:032x}",
        )
        await post("jellyfin", item)
    request_entity = status_entity(hass, loaded_entry, "90")
    assert state_of(hass, request_entity) == "available"

    later = load_fixture("sonarr/grab_season_pack_regular.json", downloadId="E3E3E3")
    later["episodes"] = [later["episodes"][2]]
    await post("sonarr", later)
    assert state_of(hass, request_entity) == "grabbing"
    assert state_of(hass, episode_entity(hass, loaded_entry, "90", 1, 3)) == "grabbing"

    other_season = load_fixture(
        "sonarr/grab_season_pack_regular.json", downloadId="S2S2"
    )
    other_season["episodes"] = [
        dict(other_season["episodes"][0], seasonNumber=2, tvdbId=9300001)
    ]
    await post("sonarr", other_season)
    assert (
        er.async_get(hass).async_get_entity_id(
            "sensor", DOMAIN, f"{loaded_entry.entry_id}_episode_90_s2e1"
        )
        is None
    )

    item.update(EpisodeNumber=3, Provider_tvdb="9100003", ItemId=f"{3:032x}")
    await post("jellyfin", item)
    assert state_of(hass, request_entity) == "available"
    assert events.transitions("90")[-2:] == [
        ("available", "grabbing"),
        ("grabbing", "available"),
    ]
