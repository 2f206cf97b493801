"""Problems and waiting reasons, rendered in Home Assistant's language."""

from typing import Any
from unittest.mock import patch

from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from custom_components.media_request_tracker import texts
from custom_components.media_request_tracker.const import DOMAIN
from custom_components.media_request_tracker.engine.codes import (
    Problem,
    ProblemCode,
    Waiting,
    WaitingCode,
    params,
)
from custom_components.media_request_tracker.engine.models import MediaType

from .conftest import Post


async def test_placeholders_episode_and_wait_are_filled(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The state reads as its name; a missing placeholder leaves no trace."""
    texts = loaded_entry.runtime_data.texts
    stalled = Problem(
        ProblemCode.STALLED,
        params(state="approved", hours=24),
        episode=(1, 3),
        waiting=Waiting(WaitingCode.SEARCHING),
    )
    assert texts.problem(stalled, MediaType.TV) == (
        "S01E03: Sonarr is looking for a release (for more than 24 hours)"
    )
    short = Problem(
        ProblemCode.STALLED,
        params(state="downloading", hours=0.05),
        waiting=Waiting(WaitingCode.DOWNLOAD_STALLED),
    )
    assert texts.problem(short, MediaType.MOVIE) == (
        "The download has stalled: no seed is sending data (for more than 3 minutes)"
    )
    one = Problem(
        ProblemCode.STALLED,
        params(state="downloaded", hours=1),
        waiting=Waiting(WaitingCode.IMPORT_PENDING),
    )
    assert texts.problem(one, MediaType.MOVIE) == (
        "Downloaded, waiting for Radarr to import it (for more than 1 hour)"
    )
    assert texts.problem(Problem(ProblemCode.DOWNLOAD_FAILED), MediaType.MOVIE) == (
        "The download failed."
    )
    assert texts.problem(None, MediaType.MOVIE) is None


async def test_texts_follow_the_language(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """A change of Home Assistant's language redraws the problems in it."""
    await post("jellyseerr", "jellyseerr/media_failed_movie.json")
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{loaded_entry.entry_id}_request_72"
    )
    assert entity_id is not None
    assert hass.states.get(entity_id).attributes["problem_code"] == "jellyseerr_failed"
    key = f"component.{DOMAIN}.common.problem_jellyseerr_failed"
    german = {key: "Jellyseerr konnte die Anfrage nicht weitergeben."}

    async def translations(*args: Any, **kwargs: Any) -> dict[str, str]:
        return german if hass.config.language == "de" else {}

    with patch(f"{texts.__name__}.async_get_translations", translations):
        hass.bus.async_fire(EVENT_CORE_CONFIG_UPDATE, {})
        await hass.async_block_till_done()
        assert hass.states.get(entity_id).attributes["problem"] != german[key]
        hass.config.language = "de"
        hass.bus.async_fire(EVENT_CORE_CONFIG_UPDATE, {"language": "de"})
        await hass.async_block_till_done()
    assert hass.states.get(entity_id).attributes["problem"] == german[key]
