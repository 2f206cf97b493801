"""Persistence: debounced saves, restart mid-flow, nothing lost or duplicated."""

import json
from typing import Any
from unittest.mock import AsyncMock, patch

from freezegun.api import FrozenDateTimeFactory
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.json import json_bytes
from homeassistant.helpers.storage import Store
from homeassistant.util.file import WriteError

from custom_components.media_request_tracker.const import DOMAIN
from custom_components.media_request_tracker.engine.models import Request
from custom_components.media_request_tracker.engine.stored import (
    request_to_dict,
)
from custom_components.media_request_tracker.pollers.signalr import SignalRLink
from custom_components.media_request_tracker.sensor import ENTITIES_PER_BATCH
from custom_components.media_request_tracker.storage import (
    MAX_SAVE_WAIT,
    SAVE_RETRY,
    STORAGE_MINOR_VERSION,
    STORAGE_VERSION,
)

from .conftest import EventLog, Post, load_fixture

PACK = "sonarr/import_complete_season_pack_regular.json"


def stored_json(request: Request) -> Any:
    """A request's stored form as it reads back from disk."""
    return json.loads(json_bytes(request_to_dict(request)))


async def test_saves_are_debounced_into_one_write(
    freezer: FrozenDateTimeFactory,  # first: time is frozen before setup
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    hass_storage: dict[str, Any],
) -> None:
    """A burst of webhooks is written once, shortly after it ends."""
    key = f"{DOMAIN}.{loaded_entry.entry_id}"
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("radarr", "radarr/grab_regular.json")
    await post("radarr", "radarr/download_regular.json")
    assert key not in hass_storage

    freezer.tick(5)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    stored = hass_storage[key]
    assert stored["version"] == STORAGE_VERSION
    assert stored["minor_version"] == STORAGE_MINOR_VERSION
    (request,) = stored["data"]["requests"]
    assert request["state"] == "importing"
    assert request["file_paths"] == [
        "/data/movies/Dune - Part Two (2024)/Dune - Part Two (2024) [Bluray-1080p].mkv"
    ]


async def test_restart_mid_season_pack_completes_without_duplicates(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    events: EventLog,
) -> None:
    """Half the episodes imported, restart, the rest imported: all there, once."""
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    await post("sonarr", "sonarr/grab_season_pack_regular.json")
    pack = load_fixture(PACK)
    file_event = load_fixture(
        "sonarr/download_season_pack_file.json", series=pack["series"]
    )
    file_event["downloadId"] = pack["downloadId"]

    async def import_file(index: int) -> None:
        file_event.update(
            episodes=[pack["episodes"][index]], episodeFile=pack["episodeFiles"][index]
        )
        await post("sonarr", file_event)

    for index in range(6):
        await import_file(index)
    before = stored_json(loaded_entry.runtime_data.tracker.requests["90"])
    entities_before = len(
        er.async_entries_for_config_entry(er.async_get(hass), loaded_entry.entry_id)
    )

    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    restored = loaded_entry.runtime_data.tracker.requests["90"]
    assert stored_json(restored) == before
    # Half the files are in: the pack waits on the episodes still to import.
    assert restored.state == "downloaded"
    entities_after = er.async_entries_for_config_entry(
        er.async_get(hass), loaded_entry.entry_id
    )
    assert len(entities_after) == entities_before
    events.events.clear()

    for index in range(6, 12):
        await import_file(index)
    await post("sonarr", pack)
    item = load_fixture("jellyfin-webhook/ItemAdded_Episode_regular.json")
    for number in range(1, 13):
        item.update(
            EpisodeNumber=number,
            Provider_tvdb=str(9100000 + number),
            ItemId=f"{number:032x}",
        )
        await post("jellyfin", item)

    final = loaded_entry.runtime_data.tracker.requests["90"]
    assert final.state == "available"
    assert len(final.episodes) == 12
    assert events.transitions("90") == [
        ("downloaded", "importing"),
        ("importing", "available"),
    ]
    assert all(
        data["from_state"] is not None
        for data in events.of("media_request_tracker_episode_state_changed")
    )


async def test_stored_requests_load_on_startup(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    post: Post,
) -> None:
    """What a previous run stored shows as entities at once, and keeps working."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    stored = hass_storage[f"{DOMAIN}.{loaded_entry.entry_id}"]["data"]
    assert [request["key"] for request in stored["requests"]] == ["80"]
    assert "jellyseerr" in stored["sources_seen"]

    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{loaded_entry.entry_id}_request_80"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "approved"
    await post("radarr", "radarr/grab_regular.json")
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "grabbing"


async def test_steady_traffic_cannot_postpone_saves_forever(
    freezer: FrozenDateTimeFactory,  # first: time is frozen before setup
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    hass_storage: dict[str, Any],
) -> None:
    """A change every second still reaches the disk within MAX_SAVE_WAIT."""
    key = f"{DOMAIN}.{loaded_entry.entry_id}"
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    pending = load_fixture("jellyseerr/media_pending_movie.json")
    for second in range(int(MAX_SAVE_WAIT) + 5):
        pending["request"]["request_id"] = str(1000 + second)
        await post("jellyseerr", pending)
        freezer.tick(1)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        if key in hass_storage:
            break
    assert key in hass_storage
    assert second <= MAX_SAVE_WAIT + 1


def version_1_1_store() -> dict[str, Any]:
    """What version 1.1 wrote: problems as English text, derived text stored too."""
    created = "2026-11-20T08:00:00+00:00"
    problem = {"text": "Movie title mismatch", "stage": 5, "polled_by": "radarr"}
    return {
        "version": 1,
        "minor_version": 1,
        "key": "media_request_tracker.old",
        "data": {
            "requests": [
                {
                    "key": "80",
                    "media_type": "movie",
                    "title": "Dune: Part Two",
                    "created_at": created,
                    "tmdb_id": 693134,
                    "stage": 2,
                    "downloads": [
                        {"download_id": "ABC", "stage": 5, "problem": problem}
                    ],
                    "state": "failed",
                    "problem_text": "Movie title mismatch",
                    "reached": {"approved": created, "failed": created},
                    "timeline": [],
                },
                {
                    "key": "83",
                    "media_type": "movie",
                    "title": "Paprika",
                    "created_at": created,
                    "tmdb_id": 4977,
                    "stage": 2,
                    "downloads": [
                        {
                            "download_id": "MIR",
                            "stage": 5,
                            "problem": {"text": "Unable to parse", "stage": 5},
                        }
                    ],
                    "state": "failed",
                    "problem_text": "Unable to parse",
                    "stall_reason": "Downloaded, but Radarr/Sonarr has not imported",
                    "reached": {"failed": created},
                },
                {
                    "key": "81",
                    "media_type": "movie",
                    "title": "Perfect Blue",
                    "created_at": created,
                    "stage": 2,
                    "problem": {
                        "text": "Jellyseerr could not hand the request to "
                        "Radarr/Sonarr",
                        "stage": 2,
                    },
                    "state": "failed",
                    "problem_text": "Jellyseerr could not hand the request to "
                    "Radarr/Sonarr",
                    "reached": {"failed": created},
                },
                {
                    "key": "82",
                    "media_type": "movie",
                    "title": "Akira",
                    "created_at": created,
                    "stage": 6,
                    "is_anime": True,
                    "file_paths": ["/anime/Akira (1988).mkv"],
                    "shoko": {
                        "file_id": 7,
                        "unmatched": "Shoko could not match this file (AniDB): "
                        "Akira (1988).mkv",
                    },
                    "state": "anime_matching",
                    "blocked_reason": "Shoko could not match this file (AniDB): "
                    "Akira (1988).mkv",
                    "reached": {"anime_matching": created},
                },
            ],
            "tombstones": ["12"],
            "sightings": {},
        },
    }


async def test_text_problems_of_version_1_1_become_codes(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
    hass_storage: dict[str, Any],
) -> None:
    """Stored English text is migrated to codes, and shown in HA's language again."""
    shoko = {"url": "http://shoko.local:8111", "api_key": "k", "verify_ssl": True}
    jellyseerr_ok.get(f"{shoko['url']}/api/v3/File/PathEndsWith", json=[])
    entry = MockConfigEntry(
        domain=DOMAIN, data=config_entry.data | {"shoko": shoko}, minor_version=2
    )
    hass_storage[f"{DOMAIN}.{entry.entry_id}"] = version_1_1_store()
    entry.add_to_hass(hass)
    # No live SignalR link: this Shoko does not exist (tests/test_shoko.py has one).
    with patch.object(SignalRLink, "async_run", AsyncMock()):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    tracker = entry.runtime_data.tracker
    assert set(tracker.requests) == {"80", "81", "82", "83"}
    assert tracker.tombstones == {"12"}

    def attributes(key: str) -> dict[str, Any]:
        entity_id = er.async_get(hass).async_get_entity_id(
            "sensor", DOMAIN, f"{entry.entry_id}_request_{key}"
        )
        assert entity_id is not None
        state = hass.states.get(entity_id)
        assert state is not None
        return dict(state.attributes)

    assert (attributes("80")["problem_code"], attributes("80")["problem"]) == (
        "import_blocked",
        "Radarr cannot import the download. Movie title mismatch",
    )
    assert attributes("81")["problem_code"] == "jellyseerr_failed"
    # Words a webhook brought (no poller named) were Manual Interaction Required.
    assert attributes("83")["problem_code"] == "manual_interaction"
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}"]
    assert (stored["version"], stored["minor_version"]) == (1, STORAGE_MINOR_VERSION)
    assert "stall_reason" not in json.dumps(stored)
    assert (attributes("82")["problem_code"], attributes("82")["stalled"]) == (
        "file_not_matched",
        True,
    )
    assert attributes("82")["problem"] == (
        "Shoko Server could not match Akira (1988).mkv with AniDB."
    )


async def test_unreadable_store_is_kept_aside_and_tracking_starts_afresh(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
    hass_storage: dict[str, Any],
) -> None:
    """Data we cannot read is kept, a repair says so, and the entry still starts."""
    key = f"{DOMAIN}.{config_entry.entry_id}"
    damaged = {"requests": [{"key": "80", "state": "teleporting"}], "tombstones": []}
    hass_storage[key] = {"version": 1, "minor_version": 2, "key": key, "data": damaged}
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert config_entry.state is ConfigEntryState.LOADED
    assert config_entry.runtime_data.tracker.requests == {}
    (kept,) = [k for k in hass_storage if k.startswith(f"{key}.damaged.")]
    assert hass_storage[kept]["data"] == damaged
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"storage_damaged_{config_entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders["kept"] == f".storage/{kept}"
    # Jellyseerr's history is imported again (the backfill's larger page).
    (listing,) = [
        call
        for call in jellyseerr_ok.mock_calls
        if "request" in str(call[1]) and call[1].query["filter"] == "all"
    ]
    assert listing[1].query["take"] == "100"


async def test_a_failed_write_is_tried_again(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    hass_storage: dict[str, Any],
) -> None:
    """A full disk loses nothing: the same truth is written once it has room."""
    key = f"{DOMAIN}.{loaded_entry.entry_id}"
    full = AsyncMock(side_effect=WriteError("No space left on device"))
    with patch.object(Store, "_async_write_data", full):
        await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
        freezer.tick(5)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert full.await_count
    assert key not in hass_storage
    for wait in (SAVE_RETRY, 5):  # the retry, then the save it schedules
        freezer.tick(wait)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    (request,) = hass_storage[key]["data"]["requests"]
    assert request["key"] == "80"


async def test_thousands_of_stored_requests_get_their_sensors_a_batch_at_a_time(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
    hass_storage: dict[str, Any],
) -> None:
    """Setup adds one batch; the rest follow once the entry is loaded, in order."""
    created = "2026-11-20T08:00:00+00:00"
    count = 2 * ENTITIES_PER_BATCH + 50
    hass_storage[f"{DOMAIN}.{config_entry.entry_id}"] = {
        "version": 1,
        "minor_version": STORAGE_MINOR_VERSION,
        "key": f"{DOMAIN}.{config_entry.entry_id}",
        "data": {
            "requests": [
                {
                    "key": str(key),
                    "media_type": "movie",
                    "title": f"Movie {key}",
                    "created_at": created,
                    "tmdb_id": 1000 + key,
                    "stage": 2,
                    "state": "approved",
                    "reached": {"approved": created},
                }
                for key in range(1, count + 1)
            ],
            "tombstones": [],
            "sightings": {},
        },
    }
    config_entry.add_to_hass(hass)
    registry = er.async_get(hass)

    def sensors() -> int:
        return sum(
            entry.unique_id.startswith(f"{config_entry.entry_id}_request_")
            and entry.domain == "sensor"
            for entry in er.async_entries_for_config_entry(
                registry, config_entry.entry_id
            )
        )

    when_loaded: list[int] = []

    @callback
    def loaded() -> None:
        if config_entry.state is ConfigEntryState.LOADED:
            when_loaded.append(sensors())

    config_entry.async_on_state_change(loaded)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    # One batch during setup (status sensors come first), the rest after.
    assert when_loaded == [ENTITIES_PER_BATCH]
    assert sensors() == count
