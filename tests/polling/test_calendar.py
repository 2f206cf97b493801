"""The calendar: expected watchable times and release dates (DESIGN §4).

Requests come in as real webhooks; Radarr's queue and library are polled from the
mocked stack (conftest.py). The clock is frozen, and Home Assistant's time zone (US/Pacific in tests)
is west of Greenwich, where a release date read as local time would move a day.
"""

from datetime import timedelta
from typing import Any, cast

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from homeassistant.const import STATE_OFF
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util

from custom_components.media_request_tracker.const import DOMAIN

from ..conftest import Post, load_fixture
from .conftest import DUNE, Stack, queue_record

NOW = "2026-11-22T12:00:00+00:00"
# Far enough ahead for every event the tests make.
WINDOW = {
    "start_date_time": "2026-11-22T00:00:00+00:00",
    "end_date_time": "2027-01-01T00:00:00+00:00",
}


@pytest.fixture
def entry(
    full_entry: MockConfigEntry, stack: Stack, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """The entry at NOW; Radarr has Dune, released but without a file."""
    freezer.move_to(NOW)
    stack.movies = [DUNE | {"isAvailable": True, "hasFile": False}]
    stack.serve()
    return full_entry


def downloading(stack: Stack, timeleft: str) -> None:
    """Dune in Radarr's queue, downloading with this much time left."""
    stack.queue = [queue_record(timeleft=timeleft)]
    stack.serve()


async def poll_radarr(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Poll Radarr, then let the calendar's state catch up (written every 10 s)."""
    await entry.runtime_data.pollers["radarr"].async_refresh()
    await hass.async_block_till_done()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    await hass.async_block_till_done()


def calendar_id(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(
        "calendar", DOMAIN, f"{entry.entry_id}_calendar"
    )
    assert entity_id is not None
    return entity_id


async def events(hass: HomeAssistant, entity_id: str) -> list[dict[str, Any]]:
    """The calendar's events in WINDOW, through `calendar.get_events`."""
    answer = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": entity_id, **WINDOW},
        blocking=True,
        return_response=True,
    )
    return cast(
        "list[dict[str, Any]]", cast("dict[str, Any]", answer)[entity_id]["events"]
    )


async def test_one_calendar_on_the_service_device(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Named "Watchable" beside the summary sensors; nothing on it yet."""
    entity_id = calendar_id(hass, entry)
    registered = er.async_get(hass).async_get(entity_id)
    assert registered is not None
    device = dr.async_get(hass).async_get(registered.device_id or "")
    assert device is not None
    assert device.identifiers == {(DOMAIN, entry.entry_id)}
    state = hass.states.get(entity_id)
    assert state is not None
    assert (state.state, state.name) == (STATE_OFF, "stack Watchable")
    assert "message" not in state.attributes
    assert await events(hass, entity_id) == []


async def test_a_download_is_due_when_it_should_be_watchable_and_moves(
    hass: HomeAssistant, entry: MockConfigEntry, stack: Stack, post: Post
) -> None:
    """10 minutes left, then the default import and library delays (2 + 5 min).

    The estimate moves with the queue's time left: the events move with it.
    """
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    downloading(stack, "00:10:00")
    await poll_radarr(hass, entry)
    entity_id = calendar_id(hass, entry)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_OFF
    assert state.attributes["message"] == "Dune: Part Two (2024)"
    assert state.attributes["description"] == "Downloading"
    due = dt_util.parse_datetime("2026-11-22T12:17:00+00:00")
    assert due is not None
    assert (
        state.attributes["start_time"] == f"{dt_util.as_local(due):%Y-%m-%d %H:%M:%S}"
    )
    assert await events(hass, entity_id) == [
        {
            "start": "2026-11-22T12:17:00+00:00",
            "end": "2026-11-22T12:18:00+00:00",
            "summary": "Dune: Part Two (2024)",
            "description": "Downloading",
        }
    ]

    downloading(stack, "00:40:00")
    await poll_radarr(hass, entry)
    (moved,) = await events(hass, entity_id)
    assert moved["start"] == "2026-11-22T12:47:00+00:00"


async def test_an_unreleased_movie_shows_its_release_day(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    stack: Stack,
    post: Post,
    hass_client: ClientSessionGenerator,
) -> None:
    """Radarr's digital release date, all day on that date (not the day before).

    Its estimate follows: the release (midnight UTC, Radarr's own reading), then
    the typical grab delay (2 hours).
    """
    stack.movies = [
        DUNE
        | {
            "isAvailable": False,
            "hasFile": False,
            "status": "announced",
            "minimumAvailability": "released",
            "digitalRelease": "2026-12-18T00:00:00Z",
        }
    ]
    stack.serve()
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await poll_radarr(hass, entry)
    entity_id = calendar_id(hass, entry)
    description = "Approved\nNot released yet: out on 2026-12-18"
    assert await events(hass, entity_id) == [
        {
            "start": "2026-12-18T02:00:00+00:00",
            "end": "2026-12-18T02:01:00+00:00",
            "summary": "Dune: Part Two (2024)",
            "description": description,
        },
        {
            "start": "2026-12-18",
            "end": "2026-12-19",
            "summary": "Dune: Part Two (2024)",
            "description": description,
        },
    ]
    client = await hass_client()
    response = await client.get(
        f"/api/calendars/{entity_id}",
        params={"start": "2026-12-18T12:00:00Z", "end": "2026-12-18T13:00:00Z"},
    )
    assert response.status == 200
    (day,) = await response.json()
    assert (day["start"], day["end"], day["uid"]) == (
        {"date": "2026-12-18"},
        {"date": "2026-12-19"},
        "80-release",
    )


async def test_nothing_is_due_once_available(
    hass: HomeAssistant, entry: MockConfigEntry, stack: Stack, post: Post
) -> None:
    """An available request has no event; one that becomes available loses its own."""
    await post("jellyseerr", "jellyseerr/media_available_movie.json")
    entity_id = calendar_id(hass, entry)
    assert await events(hass, entity_id) == []

    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    downloading(stack, "00:10:00")
    await poll_radarr(hass, entry)
    assert len(await events(hass, entity_id)) == 1
    available = load_fixture("jellyseerr/media_available_movie.json")
    available["subject"] = "Dune: Part Two (2024)"
    available["media"]["tmdbId"] = "693134"
    available["request"]["request_id"] = "80"
    await post("jellyseerr", available)
    assert await events(hass, entity_id) == []
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    await hass.async_block_till_done()
    state = hass.states.get(entity_id)
    assert state is not None
    assert (state.state, state.attributes.get("message")) == (STATE_OFF, None)
