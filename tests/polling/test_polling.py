"""Polling: what webhooks miss is found by asking the services (DESIGN §2.1)."""

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from custom_components.media_request_tracker.const import (
    DOMAIN,
    EVENT_PROBLEM_CHANGED,
)

from ..conftest import (
    JELLYSEERR_URL,
    EventLog,
    Post,
    find_device,
    load_fixture,
)
from .conftest import (
    ANDOR_HASH,
    ANDOR_SERIES,
    DUNE,
    DUNE_HASH,
    JELLYFIN,
    RADARR,
    Stack,
    history_row,
    jellyfin_movie,
    poll,
    queue_record,
    request_state,
    torrent,
)


async def test_movie_reaches_available_without_any_arr_or_jellyfin_webhook(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    stack: Stack,
    post: Post,
    freezer: FrozenDateTimeFactory,
    events: EventLog,
) -> None:
    """Only Jellyseerr's webhook arrives; polls carry the request all the way.

    The queue, qBittorrent, Radarr's library and Jellyfin's items stand in for the
    webhooks that never came.
    """
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    assert request_state(hass, full_entry, "80").state == "approved"

    stack.queue = [queue_record()]
    stack.serve()
    await poll(hass, full_entry, "radarr")
    assert request_state(hass, full_entry, "80").state == "downloading"

    stack.torrents = {DUNE_HASH.lower(): torrent()}
    stack.serve()
    await poll(hass, full_entry, "qbittorrent")
    state = request_state(hass, full_entry, "80")
    assert state.attributes["progress"] == 42
    assert state.attributes["download_speed"] == 2_000_000
    assert state.attributes["eta"] == 300

    stack.torrents = {
        DUNE_HASH.lower(): torrent(
            state="stalledUP", progress=1.0, amount_left=0, eta=8640000
        )
    }
    stack.queue = []
    stack.movies = [
        DUNE
        | {
            "imdbId": "tt15239678",
            "hasFile": True,
            "monitored": True,
            "movieFile": {"path": "/movies/Dune - Part Two (2024)/Dune.mkv"},
        }
    ]
    stack.serve()
    await poll(hass, full_entry, "qbittorrent")
    assert request_state(hass, full_entry, "80").state == "downloaded"

    freezer.tick(timedelta(minutes=6))
    await poll(hass, full_entry, "radarr")
    assert request_state(hass, full_entry, "80").state == "importing"

    stack.items = [jellyfin_movie(LocationType="Virtual", Path=None)]
    stack.serve()
    await poll(hass, full_entry, "jellyfin")
    assert request_state(hass, full_entry, "80").state == "importing"

    stack.items = [jellyfin_movie()]
    stack.serve()
    await poll(hass, full_entry, "jellyfin")
    assert request_state(hass, full_entry, "80").state == "available"
    assert [
        (data["to_state"], data["source"])
        for data in events.of("media_request_tracker_state_changed")
    ] == [
        ("approved", "webhook"),
        ("grabbing", "poll"),
        ("downloading", "poll"),
        ("downloaded", "poll"),
        ("importing", "poll"),
        ("available", "poll"),
    ]


async def test_season_pack_episodes_progress_separately(
    hass: HomeAssistant, full_entry: MockConfigEntry, stack: Stack, post: Post
) -> None:
    """Per-episode progress comes from the torrent's files, matched by name."""
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    await post("sonarr", "sonarr/grab_season_pack_regular.json")
    stack.torrents = {ANDOR_HASH.lower(): torrent(name="Andor.S01", progress=0.5)}
    stack.files = [
        {
            "name": f"Andor.S01/Andor.S01E{n:02d}.mkv",
            "size": 10,
            "progress": 1.0 if n <= 6 else 0.0,
            "priority": 1,
        }
        for n in range(1, 13)
    ]
    stack.serve()
    await poll(hass, full_entry, "qbittorrent")
    registry = er.async_get(hass)

    def episode_progress(number: int) -> int:
        entity_id = registry.async_get_entity_id(
            "sensor", DOMAIN, f"{full_entry.entry_id}_episode_90_s1e{number}"
        )
        assert entity_id is not None
        state = hass.states.get(entity_id)
        assert state is not None
        return int(state.attributes["progress"])

    assert [episode_progress(n) for n in (1, 6, 7, 12)] == [100, 100, 0, 0]
    assert request_state(hass, full_entry, "90").state == "downloading"
    calls = [call for call in stack.mock.mock_calls if "torrents/files" in str(call[1])]
    await poll(hass, full_entry, "qbittorrent")
    again = [call for call in stack.mock.mock_calls if "torrents/files" in str(call[1])]
    assert len(again) == len(calls) == 1


async def test_an_episode_in_jellyfin_is_found_while_others_download(
    hass: HomeAssistant, full_entry: MockConfigEntry, stack: Stack, post: Post
) -> None:
    """A TV request shows its least advanced episode; its first may wait already.

    Jellyfin is asked about every request with an episode waiting for it, so a
    missed Item Added costs one poll, not the rest of the season's download.
    """
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    pack = load_fixture("sonarr/grab_season_pack_regular.json")
    await post("sonarr", pack)
    await import_pack_episode(post, pack, 0)
    # The rest of the pack is downloaded; S01E01 alone is imported.
    assert request_state(hass, full_entry, "90").state == "downloaded"
    stack.items = [
        {
            "Id": ANDOR_SERIES,
            "Type": "Series",
            "Name": "Andor",
            "ProductionYear": 2022,
            "ProviderIds": {"Tvdb": str(pack["series"]["tvdbId"])},
            "LocationType": "FileSystem",
        }
    ]
    stack.jellyfin_episodes = [
        {
            "Id": "e" * 32,
            "Type": "Episode",
            "Name": "Chapter 1",
            "ParentIndexNumber": 1,
            "IndexNumber": 1,
            "SeriesId": ANDOR_SERIES,
            "ProviderIds": {},
            "LocationType": "FileSystem",
            "Path": "/tv/Andor/Season 1/Andor - S01E01.mkv",
        }
    ]
    stack.serve()
    await poll(hass, full_entry, "jellyfin")
    show = full_entry.runtime_data.tracker.requests["90"]
    assert show.episodes[(1, 1)].state == "available"
    assert show.episodes[(1, 2)].state == "downloaded"


async def test_radarr_tags_tell_anime_without_a_webhook(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    stack: Stack,
    post: Post,
    freezer: FrozenDateTimeFactory,
) -> None:
    """REST answers name tags by id: Radarr's tag list says which is `anime`.

    Webhooks carry the label; without them the library check must tell it.
    """
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    assert request_state(hass, full_entry, "80").attributes["is_anime"] is False
    stack.movies = [{**DUNE, "hasFile": False, "monitored": True, "tags": [3]}]
    stack.tags = [{"id": 1, "label": "4k"}, {"id": 3, "label": "Anime"}]
    stack.serve()
    for _ in range(2):  # each time the library is due for a check
        freezer.tick(timedelta(minutes=5))
        await poll(hass, full_entry, "radarr")
    assert request_state(hass, full_entry, "80").attributes["is_anime"] is True
    assert calls(stack.mock, "/api/v3/tag") == 1  # known tags are not asked again


async def test_a_request_gone_from_the_list_is_asked_after_first(
    hass: HomeAssistant, full_entry: MockConfigEntry, stack: Stack, post: Post
) -> None:
    """Deleted in Jellyseerr (no webhook says so): removed at the next poll.

    Only five tracked requests are asked after per poll; one that the newest
    list named last time and does not now comes first, whatever else waits.
    """
    approved = load_fixture("jellyseerr/media_auto_approved_movie_regular.json")
    for key in range(80, 93):
        approved["request"]["request_id"] = str(key)
        approved["media"]["tmdbId"] = str(693134 + key)
        await post("jellyseerr", approved)
    listed = {
        "id": 80,
        "status": 2,
        "type": "movie",
        "is4k": False,
        "updatedAt": "2026-11-22T11:00:00.000Z",
        "createdAt": "2026-11-22T11:00:00.000Z",
        "requestedBy": {"displayName": "bob"},
        "media": {"tmdbId": 693134 + 80, "status": 3, "status4k": 1},
        "seasons": [],
    }
    stack.requests = [listed]
    stack.details = {693134 + 80: {"title": "Dune: Part Two", "releaseDate": "2024"}}
    stack.serve()
    for key in range(81, 93):
        stack.mock.get(
            f"{JELLYSEERR_URL}/api/v1/request/{key}", json={**listed, "id": key}
        )
    await poll(hass, full_entry, "jellyseerr")

    stack.requests = []
    stack.serve()
    stack.mock.get(f"{JELLYSEERR_URL}/api/v1/request/80", status=404)
    for key in range(81, 93):
        stack.mock.get(
            f"{JELLYSEERR_URL}/api/v1/request/{key}", json={**listed, "id": key}
        )
    await poll(hass, full_entry, "jellyseerr")
    assert request_state(hass, full_entry, "80").state == "removed"


async def test_torrent_error_fails_and_recovery_clears_it(
    hass: HomeAssistant, full_entry: MockConfigEntry, stack: Stack, post: Post
) -> None:
    """QBittorrent `error` → failed with a reason; downloading again → recovered."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("radarr", "radarr/grab_regular.json")
    stack.torrents = {DUNE_HASH.lower(): torrent(state="error")}
    stack.serve()
    await poll(hass, full_entry, "qbittorrent")
    state = request_state(hass, full_entry, "80")
    assert state.state == "failed"
    assert state.attributes["problem_code"] == "download_error"
    assert state.attributes["problem"] == (
        "The download client reports an error for this download."
    )

    stack.torrents = {DUNE_HASH.lower(): torrent()}
    stack.serve()
    await poll(hass, full_entry, "qbittorrent")
    state = request_state(hass, full_entry, "80")
    assert state.state == "downloading"
    assert state.attributes["problem"] is None


async def test_import_blocked_then_fixed(
    hass: HomeAssistant, full_entry: MockConfigEntry, stack: Stack, post: Post
) -> None:
    """A blocked import fails the request in Radarr's words; the import clears it."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    stack.queue = [
        queue_record(
            status="completed",
            trackedDownloadStatus="warning",
            trackedDownloadState="importBlocked",
            statusMessages=[
                {
                    "title": "Dune",
                    "messages": [
                        "Movie title mismatch, automatic import is not possible."
                    ],
                }
            ],
        )
    ]
    stack.serve()
    await poll(hass, full_entry, "radarr")
    state = request_state(hass, full_entry, "80")
    assert state.state == "failed"
    assert state.attributes["problem_code"] == "import_blocked"
    assert state.attributes["problem"] == (
        "Radarr cannot import the download. "
        "Movie title mismatch, automatic import is not possible."
    )

    stack.queue = [queue_record(status="completed", trackedDownloadState="imported")]
    stack.serve()
    await poll(hass, full_entry, "radarr")
    state = request_state(hass, full_entry, "80")
    assert state.state == "importing"
    assert state.attributes["problem"] is None


async def test_a_manual_import_reported_twice_is_one_problem(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    stack: Stack,
    post: Post,
    events: EventLog,
) -> None:
    """Radarr's webhook and its queue name the same blocked import: no second news.

    The words do not flip from "needs a manual import" to "cannot import", and an
    automation on problem changes hears of it once.
    """
    mismatch = [{"title": "Dune", "messages": ["Movie title mismatch."]}]
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("radarr", "radarr/grab_regular.json")
    await post(
        "radarr",
        load_fixture(
            "radarr/manual_interaction_required.json",
            movie=load_fixture("radarr/grab_regular.json")["movie"],
            downloadId=DUNE_HASH,
            downloadStatusMessages=mismatch,
        ),
    )
    stack.queue = [
        queue_record(
            status="completed",
            trackedDownloadStatus="warning",
            trackedDownloadState="importBlocked",
            statusMessages=mismatch,
        )
    ]
    stack.serve()
    await poll(hass, full_entry, "radarr")

    state = request_state(hass, full_entry, "80")
    assert state.state == "failed"
    assert state.attributes["problem_code"] == "manual_interaction"
    assert state.attributes["problem"] == (
        "Radarr needs a manual import. Movie title mismatch."
    )
    raised = [e for e in events.of(EVENT_PROBLEM_CHANGED) if e["problem"] is not None]
    assert len(raised) == 1


async def test_what_radarrs_queue_says_shows_beside_qbittorrent(
    hass: HomeAssistant, full_entry: MockConfigEntry, stack: Stack, post: Post
) -> None:
    """The queue's own words reach `waiting_detail` though qBittorrent is polled.

    qBittorrent's view comes first; a warning of Radarr's about the same download,
    or a pending import, is still what the request waits for.
    """
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("radarr", "radarr/grab_regular.json")
    stack.torrents = {DUNE_HASH.lower(): torrent()}
    warning = [{"title": "Dune", "messages": ["Download client is unavailable"]}]
    stack.queue = [
        queue_record(trackedDownloadStatus="warning", statusMessages=warning)
    ]
    stack.serve()
    await poll(hass, full_entry, "qbittorrent", "radarr")
    attributes = request_state(hass, full_entry, "80").attributes
    assert attributes["waiting_for"] == "arr_health"
    assert attributes["waiting_detail"] == (
        "Radarr reports a problem. Download client is unavailable"
    )

    pending = [{"title": "Dune", "messages": ["Waiting for the folder to settle"]}]
    stack.torrents = {
        DUNE_HASH.lower(): torrent(state="stalledUP", progress=1.0, amount_left=0)
    }
    stack.queue = [
        queue_record(
            status="completed",
            sizeleft=0,
            trackedDownloadState="importPending",
            statusMessages=pending,
        )
    ]
    stack.serve()
    await poll(hass, full_entry, "qbittorrent", "radarr")
    state = request_state(hass, full_entry, "80")
    assert state.state == "downloaded"
    assert state.attributes["waiting_for"] == "import_pending"
    assert state.attributes["waiting_detail"] == (
        "Downloaded, waiting for Radarr to import it. Waiting for the folder to settle"
    )


async def test_sonarr_lists_the_aired_episodes_of_requested_seasons(
    hass: HomeAssistant, full_entry: MockConfigEntry, stack: Stack, post: Post
) -> None:
    """Episodes come from Sonarr's API; unaired ones and other seasons do not count."""
    stack.series_queue = [
        {
            "id": 7,
            "seriesId": 31,
            "episodeId": 1201,
            "seasonNumber": 1,
            "episode": {
                "id": 1201,
                "seasonNumber": 1,
                "episodeNumber": 1,
                "tvdbId": 9100001,
            },
            "size": 100,
            "sizeleft": 50,
            "title": "Andor.S01E01",
            "status": "downloading",
            "trackedDownloadState": "downloading",
            "downloadId": "E1",
            "protocol": "usenet",
        }
    ]
    stack.series = [
        {
            "id": 31,
            "title": "Andor",
            "year": 2022,
            "tvdbId": 393189,
            "seriesType": "standard",
        }
    ]
    stack.episodes = [
        {
            "id": 1200 + n,
            "seriesId": 31,
            "seasonNumber": season,
            "episodeNumber": n,
            "title": f"Chapter {n}",
            "tvdbId": 9100000 + n,
            "hasFile": n == 2,
            "monitored": True,
            "airDateUtc": "2022-09-21T07:00:00Z" if n < 4 else "2099-01-01T00:00:00Z",
        }
        for season in (1, 2)
        for n in range(1, 5)
    ]
    stack.serve()
    # The new request wakes Sonarr's poller, which finds all of it at once.
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    await hass.async_block_till_done(wait_background_tasks=True)
    show = full_entry.runtime_data.tracker.requests["90"]
    assert sorted(show.episodes) == [(1, 1), (1, 2), (1, 3)]
    assert show.episodes[(1, 1)].state == "downloading"
    assert show.episodes[(1, 2)].state == "importing"
    assert show.episodes[(1, 3)].state == "approved"
    assert request_state(hass, full_entry, "90").attributes["progress"] == 50


async def test_jellyseerr_backfill_then_polling(
    hass: HomeAssistant,
    stack: Stack,
    config_entry: MockConfigEntry,
    events: EventLog,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Backfill takes recent, unfinished requests; later polls find missed ones.

    The first import carries source `backfill`, later ones `poll`.
    """

    def remote(
        key: int, status: int, updated: str, media_status: int = 3
    ) -> dict[str, Any]:
        return {
            "id": key,
            "status": status,
            "type": "movie",
            "is4k": False,
            "updatedAt": updated,
            "createdAt": updated,
            "requestedBy": {"displayName": "dana"},
            "media": {"tmdbId": 1000 + key, "status": media_status, "status4k": 1},
            "seasons": [],
        }

    freezer.move_to("2026-11-22T12:00:00Z")
    stack.requests = [
        remote(1, 2, "2026-11-20T10:00:00.000Z"),
        remote(2, 2, "2025-01-01T10:00:00.000Z"),
        remote(3, 5, "2026-11-21T10:00:00.000Z", media_status=5),
    ]
    stack.details = {
        1001: {"title": "Recent", "releaseDate": "2025-03-01", "posterPath": "/p.jpg"},
        1004: {"title": "Later", "releaseDate": "2026-01-01"},
    }
    stack.serve()
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)  # the first poll

    tracker = config_entry.runtime_data.tracker
    assert set(tracker.requests) == {"1"}
    assert tracker.requests["1"].title == "Recent"
    assert (
        tracker.requests["1"].poster_url
        == "https://image.tmdb.org/t/p/w600_and_h900_bestv2/p.jpg"
    )
    assert events.of("media_request_tracker_state_changed")[0]["source"] == "backfill"

    stack.requests.append(remote(4, 1, "2026-11-22T11:00:00.000Z"))
    stack.serve()
    await config_entry.runtime_data.pollers["jellyseerr"].async_refresh()
    await hass.async_block_till_done()
    assert tracker.requests["4"].state == "requested"
    assert events.of("media_request_tracker_state_changed")[-1]["source"] == "poll"


async def test_a_title_has_one_year_the_media_details(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    stack: Stack,
    post: Post,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A webhook's subject names the request first; Jellyseerr's details decide.

    The next poll reads the details once; the device takes their year, and a later
    webhook with another year in its subject changes nothing.
    """
    approved = load_fixture("jellyseerr/media_auto_approved_movie_regular.json")
    approved["subject"] = "Dune: Part Two (2023)"
    await post("jellyseerr", approved)
    state = request_state(hass, full_entry, "80")
    assert state.attributes["year"] == 2023

    stack.requests = [
        {
            "id": 80,
            "status": 2,
            "type": "movie",
            "is4k": False,
            "updatedAt": "2026-11-22T10:00:00.000Z",
            "createdAt": "2026-11-22T10:00:00.000Z",
            "requestedBy": {"displayName": "dana"},
            "media": {"tmdbId": 693134, "status": 3, "status4k": 1},
            "seasons": [],
        }
    ]
    stack.details = {693134: {"title": "Dune: Part Two", "releaseDate": "2024-02-27"}}
    stack.serve()
    await poll(hass, full_entry, "jellyseerr")
    await poll(hass, full_entry, "jellyseerr")
    assert calls(stack.mock, "/api/v1/movie/693134") == 1

    state = request_state(hass, full_entry, "80")
    assert state.attributes["year"] == 2024
    assert state.name == "Dune: Part Two (2024)"
    device = find_device(hass, full_entry, f"{full_entry.entry_id}_request_80")
    assert device is not None
    assert device.name == "Dune: Part Two (2024)"
    assert "will stop working" not in caplog.text  # no deprecated registry call

    await post("jellyseerr", approved)
    assert request_state(hass, full_entry, "80").attributes["year"] == 2024


@pytest.mark.parametrize(
    "failure",
    [
        {"exc": TimeoutError()},
        {"status": 500},
        {"text": "<html>oops</html>"},
        {"status": 401},
    ],
)
async def test_unreachable_service_is_off_then_recovers(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    stack: Stack,
    post: Post,
    caplog: pytest.LogCaptureFixture,
    failure: dict[str, Any],
) -> None:
    """A failing service turns its sensor off, keeps the requests, logs once each way."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    stack.queue = [queue_record()]
    stack.failing = {RADARR: failure}
    stack.serve()
    sensor = er.async_get(hass).async_get_entity_id(
        "binary_sensor", DOMAIN, f"{full_entry.entry_id}_connected_radarr"
    )
    assert sensor is not None
    for _ in range(3):
        await poll(hass, full_entry, "radarr")
    state = hass.states.get(sensor)
    assert state is not None
    assert state.state == STATE_OFF
    assert request_state(hass, full_entry, "80").state == "approved"
    assert caplog.text.count("Error fetching Radarr") == 1

    stack.failing = {}
    stack.serve()
    await poll(hass, full_entry, "radarr")
    state = hass.states.get(sensor)
    assert state is not None
    assert state.state == STATE_ON
    assert request_state(hass, full_entry, "80").state == "downloading"
    assert caplog.text.count("Fetching Radarr") == 1


async def test_stalled_download_is_flagged_once_and_cleared(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    stack: Stack,
    post: Post,
    freezer: FrozenDateTimeFactory,
    events: EventLog,
) -> None:
    """No seeds for longer than the threshold: stalled, one event; seeds back: cleared."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("radarr", "radarr/grab_regular.json")
    stack.torrents = {
        DUNE_HASH.lower(): torrent(state="stalledDL", num_seeds=0, dlspeed=0)
    }
    stack.serve()
    await poll(hass, full_entry, "qbittorrent")
    for _ in range(3):
        freezer.tick(timedelta(hours=9))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        await poll(hass, full_entry, "qbittorrent")
    state = request_state(hass, full_entry, "80")
    assert state.state == "downloading"
    assert state.attributes["stalled"] is True
    assert state.attributes["problem_code"] == "stalled"
    assert state.attributes["problem"] == (
        "The download has stalled: no seed is sending data (for more than 24 hours)"
    )
    stalled = [d for d in events.of(EVENT_PROBLEM_CHANGED) if d["stalled"]]
    assert len(stalled) == 1

    stack.torrents = {
        DUNE_HASH.lower(): torrent(state="stalledUP", progress=1.0, amount_left=0)
    }
    stack.serve()
    await poll(hass, full_entry, "qbittorrent")
    state = request_state(hass, full_entry, "80")
    assert state.state == "downloaded"
    assert state.attributes["stalled"] is False
    assert events.of(EVENT_PROBLEM_CHANGED)[-1]["problem"] is None


async def test_progress_is_published_at_most_every_30_seconds(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    stack: Stack,
    post: Post,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Sub-point progress is held back until 30 s pass; a 1-point change is not."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("radarr", "radarr/grab_regular.json")

    async def progress_after(value: float) -> Any:
        stack.torrents = {DUNE_HASH.lower(): torrent(progress=value)}
        stack.serve()
        await poll(hass, full_entry, "qbittorrent")
        return request_state(hass, full_entry, "80").attributes["progress"]

    assert await progress_after(0.400) == 40
    assert await progress_after(0.404) == 40
    assert await progress_after(0.420) == 42
    freezer.tick(timedelta(seconds=31))
    assert await progress_after(0.424) == 42
    freezer.tick(timedelta(seconds=31))
    assert await progress_after(0.431) == 43


@pytest.mark.parametrize(
    ("state", "waiting_for"),
    [("stalledDL", "download_stalled"), ("stoppedDL", "download_paused")],
)
async def test_a_stall_or_pause_is_published_at_once(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    stack: Stack,
    post: Post,
    state: str,
    waiting_for: str,
) -> None:
    """No throttling for a change of condition: no stale speed, no stale time left.

    qBittorrent may still report the last speed with a stalled torrent; nothing
    arrives while it is stalled, and its ETA is its "infinite" 8640000.
    """
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("radarr", "radarr/grab_regular.json")

    async def attributes_after(**changes: Any) -> Any:
        stack.torrents = {DUNE_HASH.lower(): torrent(**changes)}
        stack.serve()
        await poll(hass, full_entry, "qbittorrent")
        return request_state(hass, full_entry, "80").attributes

    moving = await attributes_after()
    assert (moving["download_speed"], moving["eta"]) == (2_000_000, 300)
    assert moving["waiting_for"] == "downloading"

    stuck = await attributes_after(state=state, dlspeed=21_000, eta=8640000)
    assert (stuck["download_speed"], stuck["eta"]) == (0, None)
    assert stuck["waiting_for"] == waiting_for
    assert stuck["stalled"] is False  # the flag waits for the threshold

    resumed = await attributes_after(progress=0.421)
    assert (resumed["download_speed"], resumed["eta"]) == (2_000_000, 300)
    assert resumed["waiting_for"] == "downloading"


def calls(mock: AiohttpClientMocker, path: str) -> int:
    """How many requests went to URLs containing `path`."""
    return sum(path in str(call[1]) for call in mock.mock_calls)


async def test_pollers_wake_when_work_appears(
    hass: HomeAssistant, full_entry: MockConfigEntry, stack: Stack, post: Post
) -> None:
    """A grab runs qBittorrent's poll at once, an import Jellyfin's: no waiting.

    Without it a grab waits up to qBittorrent's idle minute for its first progress,
    an import up to Jellyfin's idle five minutes.
    """
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await hass.async_block_till_done(wait_background_tasks=True)
    maindata, items = calls(stack.mock, "sync/maindata"), calls(stack.mock, "/Items")

    await post("radarr", "radarr/grab_regular.json")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert calls(stack.mock, "sync/maindata") == maindata + 1
    assert calls(stack.mock, "/Items") == items

    await post("radarr", "radarr/download_regular.json")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert calls(stack.mock, "/Items") > items


async def import_movie(hass: HomeAssistant, post: Post) -> None:
    """Dune requested, grabbed and imported, told by webhooks."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("radarr", "radarr/grab_regular.json")
    await post("radarr", "radarr/download_regular.json")
    await hass.async_block_till_done(wait_background_tasks=True)


async def import_pack_episode(post: Post, pack: dict[str, Any], index: int) -> None:
    """Sonarr's import of one file of a season pack, told by its webhook."""
    await post(
        "sonarr",
        load_fixture(
            "sonarr/download_season_pack_file.json",
            series=pack["series"],
            episodes=[pack["episodes"][index]],
            downloadId=pack["downloadId"],
        ),
    )


async def seconds_pass(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: int
) -> None:
    """Let time pass a second at a time, running the polls that come due."""
    for _ in range(seconds):
        freezer.tick(timedelta(seconds=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


async def test_jellyfin_is_asked_every_2_seconds_after_an_import(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    stack: Stack,
    post: Post,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Jellyfin tells no API key it added an item, so the poller asks, and often.

    Its library monitor adds a new file a minute or more after the import: the
    movie becomes available within 2 seconds of Jellyfin adding it, no webhook.
    """
    await import_movie(hass, post)
    assert request_state(hass, full_entry, "80").state == "importing"

    stack.serve()  # counts from here
    await seconds_pass(hass, freezer, 60)
    # The title, then the title in any year: two questions a look. Home Assistant
    # spreads a poll interval by up to a second, never beyond it.
    assert calls(stack.mock, f"{JELLYFIN}/Items") // 2 >= 30

    stack.items = [jellyfin_movie()]
    stack.serve()
    await seconds_pass(hass, freezer, 2)
    assert request_state(hass, full_entry, "80").state == "available"


async def test_jellyfin_is_asked_every_30_seconds_once_an_import_is_old(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    stack: Stack,
    post: Post,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Ten minutes after its latest import a show is looked for every 30 seconds.

    Jellyfin may wait for its nightly scan; the next episode's import makes the
    show fresh again.
    """
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    pack = load_fixture("sonarr/grab_season_pack_regular.json")
    await post("sonarr", pack)

    async def import_episode(index: int) -> None:
        await import_pack_episode(post, pack, index)
        await hass.async_block_till_done(wait_background_tasks=True)

    async def looks_in_a_minute() -> int:
        stack.serve()
        await seconds_pass(hass, freezer, 60)
        return calls(stack.mock, f"{JELLYFIN}/Items")  # one a look: the title

    await import_episode(0)
    assert await looks_in_a_minute() >= 30
    await seconds_pass(hass, freezer, 540)
    assert await looks_in_a_minute() in (2, 3)

    await import_episode(1)
    assert await looks_in_a_minute() >= 30
    show = full_entry.runtime_data.tracker.requests["90"]
    assert show.episodes[(1, 2)].state == "importing"


async def test_an_old_wait_is_looked_at_every_30_seconds_beside_a_fresh_one(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    stack: Stack,
    post: Post,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A movie imported long ago is not asked about every 2 s with a fresh show."""
    await import_movie(hass, post)
    await seconds_pass(hass, freezer, 600)
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    pack = load_fixture("sonarr/grab_season_pack_regular.json")
    await post("sonarr", pack)
    await import_pack_episode(post, pack, 0)
    await hass.async_block_till_done(wait_background_tasks=True)

    stack.serve()
    await seconds_pass(hass, freezer, 120)
    assert calls(stack.mock, "Andor") >= 60  # the show: every 2 s
    assert calls(stack.mock, "Dune") // 2 in (4, 5)  # the movie: every 30 s


async def test_history_finds_a_missed_import_in_one_poll(
    hass: HomeAssistant, full_entry: MockConfigEntry, stack: Stack, post: Post
) -> None:
    """The download left the queue and no webhook came: history says it imported.

    One poll of Radarr finds it, however long before the library check is due.
    """
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("radarr", "radarr/grab_regular.json")
    path = "/movies/Dune - Part Two (2024)/Dune.mkv"
    stack.movie_history = [
        history_row(1, "grabbed", {"indexer": "TL"}),
        history_row(2, "downloadFolderImported", {"importedPath": path}),
    ]
    stack.serve()
    await poll(hass, full_entry, "radarr")
    assert request_state(hass, full_entry, "80").state == "importing"
    assert full_entry.runtime_data.tracker.requests["80"].file_paths == [path]
    # The same rows again (the query is inclusive) change nothing.
    await poll(hass, full_entry, "radarr")
    assert request_state(hass, full_entry, "80").state == "importing"


async def test_history_failure_fails_until_another_release_is_grabbed(
    hass: HomeAssistant, full_entry: MockConfigEntry, stack: Stack, post: Post
) -> None:
    """`downloadFailed` shows in history only: failed, in Radarr's words.

    A new grab is a retry and recovers; an ignored download says so.
    """
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("radarr", "radarr/grab_regular.json")
    stack.movie_history = [
        history_row(3, "downloadFailed", {"message": "Failed download detected"})
    ]
    stack.serve()
    await poll(hass, full_entry, "radarr")
    state = request_state(hass, full_entry, "80")
    assert (state.state, state.attributes["problem_code"]) == (
        "failed",
        "download_failed",
    )
    assert state.attributes["problem"] == (
        "The download failed. Failed download detected"
    )

    retry = load_fixture("radarr/grab_regular.json", downloadId="RETRY1")
    await post("radarr", retry)
    assert request_state(hass, full_entry, "80").state == "grabbing"
    stack.movie_history = [
        history_row(
            4, "downloadIgnored", {"message": "Manually ignored"}, downloadId="RETRY1"
        )
    ]
    stack.serve()
    await poll(hass, full_entry, "radarr")
    state = request_state(hass, full_entry, "80")
    assert (state.state, state.attributes["problem_code"]) == ("failed", "ignored")
