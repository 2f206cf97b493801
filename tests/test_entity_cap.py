"""Home Assistant's cap on enabled entities per entry: episode sensors give way.

The cap is lowered here so that a 12-episode season pack does not fit: what fits is
made, the rest is said in a repair and made once room appears again.
"""

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir

from custom_components.media_request_tracker import publish
from custom_components.media_request_tracker.const import DOMAIN

from .conftest import Post, load_fixture


def cap_leaves_room_for(
    monkeypatch: pytest.MonkeyPatch, episodes: int, requests: int = 1
) -> None:
    """A cap with room for the requests with their followers, and these episodes."""
    cap = publish.ENTRY_ENTITIES + 2 * requests + episodes
    monkeypatch.setattr(publish, "ENTITY_CAP", cap)


def episode_sensors(hass: HomeAssistant, entry: MockConfigEntry) -> int:
    """The entry's episode sensors in the entity registry."""
    entries = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    return sum("_episode_" in entity.unique_id for entity in entries)


def left_out_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"too_many_entities_{entry.entry_id}"
    )


async def grab_andor(post: Post) -> None:
    """Andor's season 1 requested, and grabbed as a 12-episode season pack."""
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    await post("sonarr", "sonarr/grab_season_pack_regular.json")


@pytest.mark.parametrize(
    ("room", "made", "left_out"),
    [(8, 8, "4"), (-1, 0, "13")],
    ids=["8 of 12 episodes", "not even the followers sensor"],
)
async def test_episodes_past_the_cap_are_left_out_and_said(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    monkeypatch: pytest.MonkeyPatch,
    room: int,
    made: int,
    left_out: str,
) -> None:
    """What fits gets a sensor; a repair counts the rest; forgetting clears it."""
    cap_leaves_room_for(monkeypatch, room)
    await grab_andor(post)
    await hass.async_block_till_done()

    assert episode_sensors(hass, loaded_entry) == made
    issue = left_out_issue(hass, loaded_entry)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["count"] == left_out

    loaded_entry.runtime_data.tracking.forget(["90"])
    loaded_entry.runtime_data.tracking.async_housekeeping()
    await hass.async_block_till_done()
    assert left_out_issue(hass, loaded_entry) is None


async def test_a_lower_cap_after_a_restart_removes_what_no_longer_fits(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Registered sensors count against the cap: those left out leave the registry."""
    await grab_andor(post)
    await hass.async_block_till_done()
    assert episode_sensors(hass, loaded_entry) == 12
    assert left_out_issue(hass, loaded_entry) is None

    cap_leaves_room_for(monkeypatch, 5)
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert episode_sensors(hass, loaded_entry) == 5
    issue = left_out_issue(hass, loaded_entry)
    assert issue is not None
    assert issue.translation_placeholders == {
        "entry": loaded_entry.title,
        "count": "7",
        "cap": "10,000",  # what Home Assistant allows, though lowered here
    }


def another_show(path: str) -> dict[str, Any]:
    """A fixture about Andor, made about another show (other ids everywhere)."""
    body = load_fixture(path)
    if "request" in body:
        body["request"]["request_id"] = "91"
        body["media"].update(tmdbId="90001", tvdbId="400001")
        body["subject"] = "Silo (2023)"
        return body
    body["series"].update(id=32, title="Silo", tvdbId=400001, tmdbId=90001)
    body["series"]["imdbId"] = "tt14688458"
    for episode in body.get("episodes", ()):
        episode.update(id=episode["id"] + 1000, seriesId=32)
        episode["tvdbId"] += 1000
    if "downloadId" in body:
        body["downloadId"] = "B2" * 20
    return body


async def test_a_finished_show_gives_way_to_one_in_progress(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Andor was deleted in Sonarr; Silo's 12 episodes take its sensors' room."""
    await grab_andor(post)
    delete = load_fixture("sonarr/series_delete.json")
    delete["series"] = load_fixture("sonarr/grab_season_pack_regular.json")["series"]
    await post("sonarr", delete)
    assert loaded_entry.runtime_data.tracker.requests["90"].state == "removed"
    # Room for both requests with their followers, and 12 episode sensors: all of
    # them Andor's, so far.
    cap_leaves_room_for(monkeypatch, 12, requests=2)

    await post("jellyseerr", another_show("jellyseerr/media_approved_tv_regular.json"))
    await post("sonarr", another_show("sonarr/grab_season_pack_regular.json"))
    await hass.async_block_till_done()

    registry = er.async_get(hass)
    unique_ids = {
        entity.unique_id
        for entity in er.async_entries_for_config_entry(registry, loaded_entry.entry_id)
        if "_episode_" in entity.unique_id
    }
    assert {unique_id.split("_")[-2] for unique_id in unique_ids} == {"91"}
    assert len(unique_ids) == 12
    followers = {
        entity.unique_id
        for entity in er.async_entries_for_config_entry(registry, loaded_entry.entry_id)
        if "_followers_" in entity.unique_id
    }
    # As few as needed gave way: Andor's 12 episode sensors, not its followers'.
    assert followers == {
        f"{loaded_entry.entry_id}_followers_{key}" for key in ("90", "91")
    }
    issue = left_out_issue(hass, loaded_entry)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["count"] == "12"

    # Silo forgotten: a finished show's sensors stay out (no churn) until a restart
    # orders them again; then everything fits and the issue goes.
    loaded_entry.runtime_data.tracking.forget(["91"])
    loaded_entry.runtime_data.tracking.async_housekeeping()
    await hass.async_block_till_done()
    assert episode_sensors(hass, loaded_entry) == 0
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert episode_sensors(hass, loaded_entry) == 12
    assert left_out_issue(hass, loaded_entry) is None
