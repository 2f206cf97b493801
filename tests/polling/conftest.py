"""A mocked media stack for poll tests: what each service answers, and helpers.

`Stack` registers every service's answers with Home Assistant's aiohttp mock; a
test changes them and calls `serve`. `full_entry` is an entry with every polled
service configured against it.
"""

from dataclasses import dataclass, field
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import HomeAssistant, State

from custom_components.media_request_tracker.const import DOMAIN

from ..conftest import (
    JELLYSEERR_URL,
    JELLYSEERR_USER,
    ME_URL,
    OUR_JELLYSEERR_WEBHOOK,
    REQUESTS_URL,
    WEBHOOK_SETTINGS_URL,
    entity_state,
    entry_data,
    our_connection,
)

RADARR = "http://radarr:7878"
SONARR = "http://sonarr:8989"
QBITTORRENT = "http://qbittorrent:8080"
JELLYFIN = "http://jellyfin:8096"
DUNE_HASH = "8B7F3C2A1D9E4F6B0A5C7D2E9F1B3A4C6D8E0F21"
ANDOR_HASH = "A1D0A1D0A1D0A1D0A1D0A1D0A1D0A1D0A1D0A1D0"
ANDOR_SERIES = "0a1d0a1d" * 4  # its Jellyfin item id
DUNE = {"id": 71, "title": "Dune: Part Two", "year": 2024, "tmdbId": 693134}


def queue_record(**changes: Any) -> dict[str, Any]:
    """A Radarr queue record for Dune (QueueResource, reference §2.4)."""
    record = {
        "id": 1,
        "movieId": 71,
        "movie": DUNE,
        "size": 1000,
        "sizeleft": 600,
        "timeleft": "00:10:00",
        "title": "Dune.Part.Two.2024.1080p.BluRay.x264-GROUP",
        "status": "downloading",
        "trackedDownloadStatus": "ok",
        "trackedDownloadState": "downloading",
        "statusMessages": [],
        "downloadId": DUNE_HASH,
        "protocol": "torrent",
    }
    return record | changes


def torrent(**changes: Any) -> dict[str, Any]:
    """A torrent in sync/maindata (keyed by hash, so no hash field)."""
    fields = {
        "name": "Dune.Part.Two.2024.1080p.BluRay.x264-GROUP",
        "state": "downloading",
        "progress": 0.42,
        "dlspeed": 2_000_000,
        "eta": 300,
        "size": 1000,
        "amount_left": 580,
        "num_seeds": 12,
        "content_path": "/downloads/Dune",
    }
    return fields | changes


@dataclass
class Stack:
    """What the mocked services answer; `serve` registers it again after changes."""

    mock: AiohttpClientMocker
    queue: list[dict[str, Any]] = field(default_factory=list)
    series_queue: list[dict[str, Any]] = field(default_factory=list)
    torrents: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    movies: list[dict[str, Any]] = field(default_factory=list)
    series: list[dict[str, Any]] = field(default_factory=list)
    episodes: list[dict[str, Any]] = field(default_factory=list)
    episode_files: list[dict[str, Any]] = field(default_factory=list)
    movie_history: list[dict[str, Any]] = field(default_factory=list)
    series_history: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    jellyfin_episodes: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    details: dict[int, dict[str, Any]] = field(default_factory=dict)
    movie_health: list[dict[str, Any]] = field(default_factory=list)
    series_health: list[dict[str, Any]] = field(default_factory=list)
    failing: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: list[dict[str, Any]] = field(default_factory=list)

    def serve(self) -> None:
        """(Re-)register every answer; a `failing` service answers its failure."""
        self.mock.clear_requests()
        answers: list[tuple[str, str, dict[str, Any]]] = [
            ("get", ME_URL, {"json": JELLYSEERR_USER}),
            ("get", REQUESTS_URL, {"json": {"pageInfo": {}, "results": self.requests}}),
            ("get", f"{RADARR}/api/v3/queue", {"json": page(self.queue)}),
            ("get", f"{RADARR}/api/v3/movie", {"json": self.movies}),
            ("get", f"{RADARR}/api/v3/tag", {"json": self.tags}),
            ("get", f"{SONARR}/api/v3/queue", {"json": page(self.series_queue)}),
            ("get", f"{SONARR}/api/v3/series", {"json": self.series}),
            ("get", f"{SONARR}/api/v3/episode", {"json": self.episodes}),
            ("get", f"{SONARR}/api/v3/episodefile", {"json": self.episode_files}),
            ("get", f"{RADARR}/api/v3/history/since", {"json": self.movie_history}),
            ("get", f"{RADARR}/api/v3/health", {"json": self.movie_health}),
            ("get", f"{SONARR}/api/v3/health", {"json": self.series_health}),
            ("get", f"{SONARR}/api/v3/history/since", {"json": self.series_history}),
            (
                "get",
                f"{RADARR}/api/v3/notification",
                {"json": [our_connection("radarr")]},
            ),
            (
                "get",
                f"{SONARR}/api/v3/notification",
                {"json": [our_connection("sonarr")]},
            ),
            ("get", WEBHOOK_SETTINGS_URL, {"json": OUR_JELLYSEERR_WEBHOOK}),
            ("post", f"{QBITTORRENT}/api/v2/auth/login", {"text": "Ok."}),
            (
                "get",
                f"{QBITTORRENT}/api/v2/sync/maindata",
                {"json": {"rid": 1, "full_update": True, "torrents": self.torrents}},
            ),
            ("get", f"{QBITTORRENT}/api/v2/torrents/files", {"json": self.files}),
            ("post", f"{QBITTORRENT}/api/v2/torrents/reannounce", {"text": ""}),
            ("delete", f"{RADARR}/api/v3/queue/bulk", {"json": {}}),
            ("delete", f"{SONARR}/api/v3/queue/bulk", {"json": {}}),
            (
                "get",
                f"{JELLYFIN}/Items",
                {"json": {"Items": self.items, "TotalRecordCount": len(self.items)}},
            ),
            (
                "get",
                f"{JELLYFIN}/Shows/{ANDOR_SERIES}/Episodes",
                {"json": {"Items": self.jellyfin_episodes}},
            ),
        ]
        answers += [
            ("get", f"{JELLYSEERR_URL}/api/v1/movie/{tmdb_id}", {"json": details})
            for tmdb_id, details in self.details.items()
        ]
        answers += [
            ("get", f"{SONARR}/api/v3/series/{series['id']}", {"json": series})
            for series in self.series
        ]
        for method, url, answer in answers:
            service = next((s for s in self.failing if url.startswith(s)), None)
            getattr(self.mock, method)(
                url, **(self.failing[service] if service else answer)
            )


def page(records: list[dict[str, Any]]) -> dict[str, Any]:
    """One page of a paged *arr answer."""
    return {
        "page": 1,
        "pageSize": 200,
        "totalRecords": len(records),
        "records": records,
    }


@pytest.fixture
def stack(aioclient_mock: AiohttpClientMocker) -> Stack:
    """Services that answer (empty until a test fills them in)."""
    services = Stack(aioclient_mock)
    services.serve()
    return services


@pytest.fixture
async def full_entry(
    freezer: FrozenDateTimeFactory, hass: HomeAssistant, stack: Stack
) -> MockConfigEntry:
    """An entry with every polled service configured."""
    service = {"api_key": "key", "verify_ssl": True, "webhook_secret": None}
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="stack",
        data=entry_data(
            radarr={"url": RADARR, **service},
            sonarr={"url": SONARR, **service},
            jellyfin={"url": JELLYFIN, **service},
            qbittorrent={
                "url": QBITTORRENT,
                "username": "admin",
                "password": "pw",
                "verify_ssl": True,
            },
        ),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    # The first polls run in the background: let them finish before the test's own.
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


async def poll(hass: HomeAssistant, entry: MockConfigEntry, *services: str) -> None:
    """Run the services' polls now."""
    for service in services:
        await entry.runtime_data.pollers[service].async_refresh()
    await hass.async_block_till_done()


def request_state(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> State:
    """The request sensor's state."""
    return entity_state(hass, "sensor", f"{entry.entry_id}_request_{key}")


def jellyfin_movie(**changes: Any) -> dict[str, Any]:
    """A playable Jellyfin movie (BaseItemDto with Path and ProviderIds)."""
    item = {
        "Name": "Dune: Part Two",
        "Id": "c0ffee00d1e2f3a4b5c6d7e8f9a0b1c2",
        "Type": "Movie",
        "ProductionYear": 2024,
        "ProviderIds": {"Tmdb": "693134", "Imdb": "tt15239678"},
        "LocationType": "FileSystem",
        "Path": "/movies/Dune - Part Two (2024)/Dune - Part Two (2024).mkv",
    }
    return item | changes


def history_row(
    row_id: int, event: str, data: dict[str, str], **fields: Any
) -> dict[str, Any]:
    """A Radarr HistoryResource asked for with `includeMovie` (reference §2.4)."""
    return {
        "id": row_id,
        "movieId": DUNE["id"],
        "sourceTitle": "Dune.Part.Two.2024.1080p.BluRay.x264-GROUP",
        "date": "2026-11-22T12:00:00Z",
        "downloadId": DUNE_HASH,
        "eventType": event,
        "data": data,
        "movie": DUNE,
        **fields,
    }
