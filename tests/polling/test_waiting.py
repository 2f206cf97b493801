"""Why a request waits and when it should be watchable, as the services say it.

Each reason comes from a real-shaped answer or webhook (tests/fixtures): Radarr's
movie with its release dates and last search, its queue's held-back releases, its
health checks by poll and by webhook; Sonarr's air dates.
"""

from datetime import datetime
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from ..conftest import FIXTURES, Post, load_fixture
from .conftest import DUNE_HASH, Stack, poll, request_state, torrent

NOW = "2026-03-01T12:00:00+00:00"


def fixture_list(name: str) -> list[dict[str, Any]]:
    """A fixture whose top level is a list (most REST answers)."""
    records: list[dict[str, Any]] = json.loads((FIXTURES / name).read_text())
    return records


def local(moment: str) -> str:
    """A moment as `waiting_detail` says it: local time, to the minute."""
    return dt_util.as_local(datetime.fromisoformat(moment)).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def dune(
    full_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """The entry that will track Dune: Part Two, on NOW."""
    freezer.move_to(NOW)
    return full_entry


async def approve(hass: HomeAssistant, entry: MockConfigEntry, post: Post) -> None:
    """Jellyseerr approves Dune: Part Two; Radarr's poll, woken, looks it up."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await poll(hass, entry, "radarr")
    assert request_state(hass, entry, "80").state == "approved"


async def test_a_movie_not_out_yet_says_when_it_will_be(
    hass: HomeAssistant, dune: MockConfigEntry, stack: Stack, post: Post
) -> None:
    """Radarr's minimum availability picks the date; the grab follows it."""
    stack.movies = fixture_list("radarr/api_movie_in_cinemas.json")
    stack.serve()
    await approve(hass, dune, post)
    attributes = request_state(hass, dune, "80").attributes
    assert attributes["waiting_for"] == "not_released"
    # `released`: the earlier of the digital and physical releases.
    assert attributes["waiting_detail"] == "Not released yet: out on 2026-04-14"
    # Before this household has grabbed three releases: 2 hours after it.
    assert attributes["watchable_at"] == "2026-04-14T02:00:00+00:00"


async def test_a_movie_out_but_not_grabbed_is_searched_for(
    hass: HomeAssistant, dune: MockConfigEntry, stack: Stack, post: Post
) -> None:
    """Available and monitored: Radarr searches; its last search is shown."""
    searched = "2026-03-01T11:42:09Z"
    stack.movies = [
        movie | {"isAvailable": True, "status": "released", "lastSearchTime": searched}
        for movie in fixture_list("radarr/api_movie_in_cinemas.json")
    ]
    stack.serve()
    await approve(hass, dune, post)
    attributes = request_state(hass, dune, "80").attributes
    assert attributes["waiting_for"] == "searching"
    assert attributes["waiting_detail"] == (
        f"Radarr is looking for a release (last search {local(searched)})"
    )
    assert attributes["watchable_at"] is None


async def test_a_movie_radarr_does_not_have_is_not_added(
    hass: HomeAssistant, dune: MockConfigEntry, stack: Stack, post: Post
) -> None:
    """Approved, yet Radarr has no such movie: Jellyseerr did not add it."""
    await approve(hass, dune, post)
    attributes = request_state(hass, dune, "80").attributes
    assert attributes["waiting_for"] == "not_added"
    assert attributes["waiting_detail"] == "Waiting for Jellyseerr to add it to Radarr"


@pytest.mark.parametrize(
    ("status", "waiting_for", "detail"),
    [
        (
            "delay",
            "delay_profile",
            "Held back by a delay profile in Radarr until {until}",
        ),
        (
            "downloadClientUnavailable",
            "download_client_unreachable",
            "Radarr cannot reach the download client",
        ),
    ],
)
async def test_a_release_held_back_in_the_queue_says_why(
    hass: HomeAssistant,
    dune: MockConfigEntry,
    stack: Stack,
    post: Post,
    status: str,
    waiting_for: str,
    detail: str,
) -> None:
    """A queue record without a download id: found, but not sent to a client."""
    stack.movies = [
        movie | {"isAvailable": True}
        for movie in fixture_list("radarr/api_movie_in_cinemas.json")
    ]
    queue = load_fixture("radarr/api_queue_pending.json")
    stack.queue = [record | {"status": status} for record in queue["records"]]
    stack.serve()
    await approve(hass, dune, post)
    state = request_state(hass, dune, "80")
    assert state.state == "approved"
    assert state.attributes["waiting_for"] == waiting_for
    until = local("2026-03-01T14:00:00Z")
    assert state.attributes["waiting_detail"] == detail.format(until=until)

    stack.queue = []
    stack.serve()
    await poll(hass, dune, "radarr")
    assert request_state(hass, dune, "80").attributes["waiting_for"] == "searching"


async def test_health_webhooks_hold_up_the_download_and_let_it_go(
    hass: HomeAssistant, dune: MockConfigEntry, stack: Stack, post: Post
) -> None:
    """Health: the download client fails; HealthRestored repeats it, now fine."""
    await approve(hass, dune, post)
    await post("radarr", "radarr/grab_regular.json")
    stack.torrents = {DUNE_HASH.lower(): torrent()}
    stack.serve()
    await poll(hass, dune, "qbittorrent")
    assert request_state(hass, dune, "80").attributes["waiting_for"] == "downloading"

    # Bytes still arrive, but Radarr will not import what it cannot reach.
    await post("radarr", "radarr/health.json")
    attributes = request_state(hass, dune, "80").attributes
    assert attributes["waiting_for"] == "download_client_unreachable"
    assert attributes["waiting_detail"] == (
        "Radarr cannot reach the download client: "
        "All download clients are unavailable due to failures"
    )

    await post("radarr", "radarr/health_restored.json")
    assert request_state(hass, dune, "80").attributes["waiting_for"] == "downloading"


async def test_polled_health_blocks_only_the_stage_it_concerns(
    hass: HomeAssistant, dune: MockConfigEntry, stack: Stack, post: Post
) -> None:
    """All indexers failing hold up a search, not a download.

    One of two download clients failing holds up nothing; an update is no news.
    """
    stack.movie_health = fixture_list("radarr/api_health.json")
    stack.movies = [
        movie | {"isAvailable": True}
        for movie in fixture_list("radarr/api_movie_in_cinemas.json")
    ]
    stack.serve()
    await approve(hass, dune, post)
    attributes = request_state(hass, dune, "80").attributes
    assert attributes["waiting_for"] == "arr_health"
    assert attributes["waiting_detail"] == (
        "Radarr reports a problem. All indexers are unavailable due to failures"
    )

    await post("radarr", "radarr/grab_regular.json")
    assert request_state(hass, dune, "80").attributes["waiting_for"] == "queued"
    tracker = dune.runtime_data.tracker
    assert [check.source for check in tracker.health_of(tracker.requests["80"])] == [
        "IndexerStatusCheck"
    ]

    stack.movie_health = []
    stack.serve()
    await poll(hass, dune, "radarr")
    assert tracker.health_of(tracker.requests["80"]) == []


async def test_a_show_not_aired_yet_says_when(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    stack: Stack,
    post: Post,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Sonarr's next air date of a requested season is the show's release."""
    freezer.move_to(NOW)
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
        episode
        | {
            "id": 1300 + number,
            "seriesId": 31,
            "seasonNumber": 1,
            "episodeNumber": number,
            "tvdbId": 9200000 + number,
            "episodeFileId": 0,
            "hasFile": False,
            "airDate": f"2026-04-{number + 1:02d}",
            "airDateUtc": f"2026-04-{number + 1:02d}T01:00:00Z",
        }
        for number, episode in enumerate(fixture_list("sonarr/api_episode.json"), 1)
    ]
    stack.serve()
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    await poll(hass, full_entry, "sonarr")
    attributes = request_state(hass, full_entry, "90").attributes
    assert attributes["waiting_for"] == "not_released"
    # It airs 2026-04-02 01:00 UTC: the evening before where Home Assistant is.
    assert attributes["waiting_detail"] == "Not released yet: out on 2026-04-01"
