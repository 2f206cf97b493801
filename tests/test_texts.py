"""Problems and waiting reasons, rendered in Home Assistant's language."""

from unittest.mock import patch

from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import HomeAssistant

from custom_components.media_request_tracker.engine.codes import (
    Problem,
    ProblemCode,
    Waiting,
    WaitingCode,
    params,
)


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
    assert texts.problem(stalled) == (
        "S01E03: Radarr/Sonarr is looking for a release (for more than 24 hours)"
    )
    assert texts.problem(Problem(ProblemCode.DOWNLOAD_FAILED)) == (
        "The download failed."
    )
    assert texts.problem(None) is None


async def test_texts_follow_the_language(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A change of Home Assistant's language loads its texts again."""
    texts = loaded_entry.runtime_data.texts
    with patch.object(texts, "async_load") as load:
        hass.config.language = "de"
        hass.bus.async_fire(EVENT_CORE_CONFIG_UPDATE, {"language": "de"})
        await hass.async_block_till_done()
    load.assert_awaited_once()
