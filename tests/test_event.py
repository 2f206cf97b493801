"""Request updates: the event entity the automation editor offers, fed by real webhooks."""

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from homeassistant.core import HomeAssistant, State
from homeassistant.util import dt as dt_util

from custom_components.media_request_tracker.const import (
    EVENT_EPISODE_STATE_CHANGED,
    EVENT_EPISODES_READY,
    EVENT_PROBLEM_CHANGED,
    EVENT_STATE_CHANGED,
)
from custom_components.media_request_tracker.event import update_of

from .conftest import EventLog, Post, entity_state, load_fixture


def updates(hass: HomeAssistant, entry: MockConfigEntry) -> State:
    """The entry's Request updates entity's state."""
    return entity_state(hass, "event", f"{entry.entry_id}_request_updates")


async def test_each_update_with_the_requests_fields(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post, events: EventLog
) -> None:
    """Requested, then failed in Jellyseerr: each is an update with the bus fields."""
    state = updates(hass, loaded_entry)
    assert state.attributes["friendly_name"].endswith("Request updates")
    assert state.attributes["event_types"] == [
        "requested",
        "approved",
        "downloading",
        "available",
        "failed",
        "removed",
        "episode_available",
        "episodes_ready",
        "stalled",
        "recovered",
    ]

    await post("jellyseerr", "jellyseerr/media_pending_movie.json")
    state = updates(hass, loaded_entry)
    [fired] = events.of(EVENT_STATE_CHANGED)
    assert state.attributes["event_type"] == "requested"
    assert state.attributes["sensor_entity_id"] == fired["entity_id"]
    for field in ("request_key", "title", "requested_by", "to_state", "source"):
        assert state.attributes[field] == fired[field]
    assert "entity_id" not in state.attributes

    await post("jellyseerr", "jellyseerr/media_failed_movie.json")
    state = updates(hass, loaded_entry)
    assert (state.attributes["event_type"], state.attributes["title"]) == (
        "failed",
        "Dune: Part Two",
    )


async def test_a_stall_and_its_end(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """Waiting for approval past its threshold: `stalled`, with the request's fields."""
    await post("jellyseerr", "jellyseerr/media_pending_movie.json")
    tracking = loaded_entry.runtime_data.tracking
    tracking.check_stalls(dt_util.utcnow() + timedelta(days=30))
    await hass.async_block_till_done()
    state = updates(hass, loaded_entry)
    assert (state.attributes["event_type"], state.attributes["stalled"]) == (
        "stalled",
        True,
    )


@pytest.mark.parametrize(
    ("event_type", "data", "update"),
    [
        (EVENT_STATE_CHANGED, {"to_state": "downloading"}, "downloading"),
        (EVENT_STATE_CHANGED, {"to_state": "grabbing"}, None),
        (EVENT_EPISODE_STATE_CHANGED, {"to_state": "available"}, "episode_available"),
        (EVENT_EPISODE_STATE_CHANGED, {"to_state": "downloading"}, None),
        (EVENT_EPISODES_READY, {"episodes": []}, "episodes_ready"),
        (EVENT_PROBLEM_CHANGED, {"stalled": True, "problem": "x"}, "stalled"),
        (EVENT_PROBLEM_CHANGED, {"stalled": False, "problem": None}, "recovered"),
        (EVENT_PROBLEM_CHANGED, {"stalled": False, "problem": "Failed"}, None),
        (
            EVENT_PROBLEM_CHANGED,
            {"stalled": True, "problem": "x", "season": 1, "episode": 2},
            None,
        ),
    ],
)
def test_which_events_are_updates(
    event_type: str, data: dict[str, Any], update: str | None
) -> None:
    """Steps people act on; an episode's problems are left to its request's."""
    assert update_of(event_type, data) == update


async def test_new_episodes_are_summed_up_once_they_settle(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    events: EventLog,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A season pack imported episode by episode: one summary, ten minutes after the last."""
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    await post("sonarr", "sonarr/grab_season_pack_regular.json")
    await post("sonarr", "sonarr/import_complete_season_pack_regular.json")
    item = load_fixture("jellyfin-webhook/ItemAdded_Episode_regular.json")

    async def add_episodes(numbers: range) -> None:
        for number in numbers:
            item.update(
                EpisodeNumber=number,
                ItemId=f"e{number:031x}",
                Provider_tvdb=str(9100000 + number),
            )
            await post("jellyfin", item)

    async def minutes_pass(minutes: int) -> None:
        freezer.tick(timedelta(minutes=minutes))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()

    await add_episodes(range(1, 4))
    await minutes_pass(9)
    await add_episodes(range(4, 6))  # within the quiet period: it starts again
    await minutes_pass(9)
    assert events.of(EVENT_EPISODES_READY) == []
    await minutes_pass(1)
    [ready] = events.of(EVENT_EPISODES_READY)
    assert ready["request_key"] == "90"
    assert [(e["season"], e["episode"]) for e in ready["episodes"]] == [
        (1, n) for n in range(1, 6)
    ]
    assert ready["episodes"][0]["title"] == "Chapter 1"
    assert updates(hass, loaded_entry).attributes["event_type"] == "episodes_ready"
