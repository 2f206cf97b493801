"""Assist answers questions about the requests, by voice and to LLMs.

Every question goes through Home Assistant's conversation API (the default agent,
English), so the sentences and the way they are attached are tested as a household
would use them.
"""

from datetime import datetime
from importlib.util import find_spec
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import intent, llm
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from custom_components.media_request_tracker.assist import (
    INTENT_COMING,
    INTENT_IS_READY,
)

from ..conftest import Post, load_fixture
from .conftest import DUNE_HASH, Stack, jellyfin_movie, poll, request_state, torrent

NOW = "2026-03-01T12:00:00+00:00"


@pytest.fixture
async def assist(hass: HomeAssistant) -> None:
    """Assist, as `default_config` sets it up."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})


@pytest.fixture
async def dune(
    assist: None,
    full_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    post: Post,
    stack: Stack,
) -> MockConfigEntry:
    """Dune: Part Two downloading (42 %), Andor waiting for approval."""
    freezer.move_to(NOW)
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("radarr", "radarr/grab_regular.json")
    stack.torrents = {DUNE_HASH.lower(): torrent()}
    stack.serve()
    await poll(hass, full_entry, "qbittorrent")
    andor = load_fixture("jellyseerr/media_approved_tv_regular.json")
    andor.update(notification_type="MEDIA_PENDING", event="New Series Request")
    await post("jellyseerr", andor)
    return full_entry


async def ask(hass: HomeAssistant, sentence: str) -> str:
    """What Assist answers."""
    result = await conversation.async_converse(
        hass, sentence, None, Context(), language="en"
    )
    speech: str = result.response.speech["plain"]["speech"]
    return speech


def minutes_until_watchable(hass: HomeAssistant, entry: MockConfigEntry) -> int:
    """Dune's estimate as its sensor shows it, in minutes from now."""
    watchable_at = request_state(hass, entry, "80").attributes["watchable_at"]
    left = datetime.fromisoformat(watchable_at) - dt_util.utcnow()
    return round(left.total_seconds() / 60)


async def test_is_it_ready_while_downloading(
    hass: HomeAssistant, dune: MockConfigEntry
) -> None:
    """A loosely said title finds the request; the answer says where it stands."""
    minutes = minutes_until_watchable(hass, dune)
    assert 5 <= minutes < 90
    expected = (
        "Not yet. Dune: Part Two (2024) is downloading, 42% done, "
        f"ready in about {minutes} minutes."
    )
    assert await ask(hass, "Is Dune ready?") == expected
    assert await ask(hass, "is doon part two available yet") == expected
    assert await ask(hass, "When can I watch Dune?") == (
        f"Dune: Part Two (2024) should be ready in about {minutes} minutes."
    )
    assert await ask(hass, "is the matrix ready") == (
        "I'm not tracking a request called the matrix."
    )


async def test_what_is_downloading_and_coming(
    hass: HomeAssistant, dune: MockConfigEntry
) -> None:
    """The lists: downloads with progress; everything on its way, soonest first."""
    minutes = minutes_until_watchable(hass, dune)
    assert await ask(hass, "What's downloading?") == (
        "1 download: Dune: Part Two (2024), 42% done, "
        f"ready in about {minutes} minutes."
    )
    assert await ask(hass, "what's still coming") == (
        f"2 requests on the way: Dune: Part Two (2024), ready in about {minutes} "
        "minutes; Andor (2022) (Waiting for approval in Jellyseerr)."
    )


async def test_answers_once_it_is_in(
    hass: HomeAssistant, dune: MockConfigEntry, post: Post, stack: Stack
) -> None:
    """Available: yes, and now; nothing downloads any more."""
    await post("radarr", "radarr/download_regular.json")
    stack.items = [jellyfin_movie()]
    stack.serve()
    await poll(hass, dune, "jellyfin")
    assert request_state(hass, dune, "80").state == "available"

    assert await ask(hass, "is dune ready") == (
        "Yes, Dune: Part Two (2024) is ready to watch."
    )
    assert await ask(hass, "when can we watch dune part two") == (
        "Dune: Part Two (2024) is ready to watch now."
    )
    assert await ask(hass, "what is downloading") == "Nothing is downloading right now."


async def spoken(api: llm.APIInstance, tool: str, **args: Any) -> str:
    """A tool's answer (a ToolResult's data from 2026.11, a plain object before)."""
    result: Any = await api.async_call_tool(llm.ToolInput(tool, args))
    data = getattr(result, "data", result)
    speech: str = data["speech"]["plain"]["speech"]
    return speech


async def test_the_same_answers_reach_llms(
    hass: HomeAssistant, dune: MockConfigEntry
) -> None:
    """Assist's LLM API offers the questions as read-only tools."""
    if find_spec("homeassistant.components.llm"):  # 2026.11+: tools come from llm.py
        assert await async_setup_component(hass, "llm", {})
    context = llm.LLMContext(
        platform="test",
        context=Context(),
        language="en",
        assistant="conversation",
        device_id=None,
    )
    api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, context)
    tools: dict[str, Any] = {
        getattr(tool, "intent_type", tool.name): tool for tool in api.tools
    }

    answer = await spoken(api, tools[INTENT_IS_READY].name, title="dune")
    assert answer.startswith("Not yet. Dune: Part Two (2024) is downloading, 42% done")
    coming = await spoken(api, tools[INTENT_COMING].name)
    assert coming.startswith("2 requests on the way")
    if find_spec("homeassistant.components.llm"):
        assert tools[INTENT_IS_READY].name == "media_request_tracker__is_ready"
        assert tools[INTENT_IS_READY].annotations.read_only


async def test_a_question_needs_a_title(
    hass: HomeAssistant, dune: MockConfigEntry
) -> None:
    """An empty title (an LLM may send one) is refused, not answered."""
    with pytest.raises(intent.InvalidSlotInfo):
        await intent.async_handle(
            hass, "test", INTENT_IS_READY, {"title": {"value": " "}}
        )
