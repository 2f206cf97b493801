"""Trying again, one step at a time: search, reannounce, replace (the retry action)."""

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from custom_components.media_request_tracker.const import DOMAIN

from ..conftest import Post
from .conftest import (
    DUNE_HASH,
    QBITTORRENT,
    RADARR,
    Stack,
    poll,
    queue_record,
    request_state,
    torrent,
)


@pytest.fixture
async def dune(
    hass: HomeAssistant, full_entry: MockConfigEntry, post: Post, stack: Stack
) -> MockConfigEntry:
    """Dune: Part Two grabbed and downloading, listed in Radarr's queue (id 1)."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("radarr", "radarr/grab_regular.json")
    stack.torrents = {DUNE_HASH.lower(): torrent(state="stalledDL", dlspeed=0)}
    stack.queue = [queue_record()]
    stack.serve()
    await poll(hass, full_entry, "qbittorrent")
    assert request_state(hass, full_entry, "80").state == "downloading"
    return full_entry


async def retry(hass: HomeAssistant, entry: MockConfigEntry, step: str) -> None:
    """The retry action on Dune, one step."""
    entity_id = request_state(hass, entry, "80").entity_id
    await hass.services.async_call(
        DOMAIN, "retry", {"entity_id": entity_id, "step": step}, blocking=True
    )


def sent(mock: AiohttpClientMocker, method: str, url: str) -> list[tuple[Any, Any]]:
    """The (query, body) of each call of one method to one address."""
    return [
        (dict(call_url.query), body)
        for call_method, call_url, body, _ in mock.mock_calls
        if call_method.upper() == method and str(call_url).split("?")[0] == url
    ]


@pytest.mark.usefixtures("dune")
async def test_reannounce_asks_qbittorrent(
    hass: HomeAssistant, full_entry: MockConfigEntry, stack: Stack
) -> None:
    """The download's torrent is announced again, by its hash."""
    await retry(hass, full_entry, "reannounce")

    calls = sent(stack.mock, "POST", f"{QBITTORRENT}/api/v2/torrents/reannounce")
    assert calls == [({}, {"hashes": DUNE_HASH.lower()})]


@pytest.mark.usefixtures("dune")
async def test_replace_blocklists_the_release_in_radarr(
    hass: HomeAssistant, full_entry: MockConfigEntry, stack: Stack
) -> None:
    """Radarr drops the queue record with its files and blocklists the release."""
    await retry(hass, full_entry, "replace")

    calls = sent(stack.mock, "DELETE", f"{RADARR}/api/v3/queue/bulk")
    assert calls == [
        ({"removeFromClient": "true", "blocklist": "true"}, {"ids": [1]}),
    ]


@pytest.mark.usefixtures("dune")
async def test_replace_needs_the_download_in_the_queue(
    hass: HomeAssistant, full_entry: MockConfigEntry, stack: Stack
) -> None:
    """A download Radarr no longer lists is not replaced: nothing is sent."""
    stack.queue = [queue_record(downloadId="0" * 40)]
    stack.serve()

    with pytest.raises(ServiceValidationError) as err:
        await retry(hass, full_entry, "replace")
    assert err.value.translation_key == "not_in_queue"
    assert not sent(stack.mock, "DELETE", f"{RADARR}/api/v3/queue/bulk")


async def test_steps_need_a_download(
    hass: HomeAssistant, full_entry: MockConfigEntry, post: Post, stack: Stack
) -> None:
    """Before any grab there is nothing to reannounce or replace."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    for step in ("reannounce", "replace"):
        with pytest.raises(ServiceValidationError) as err:
            await retry(hass, full_entry, step)
        assert err.value.translation_key == "no_download"


@pytest.mark.usefixtures("dune")
async def test_an_upstream_failure_is_said(
    hass: HomeAssistant, full_entry: MockConfigEntry, stack: Stack
) -> None:
    """QBittorrent answering 500 is a translated error naming it."""
    stack.failing[QBITTORRENT] = {"status": 500}
    stack.serve()
    with pytest.raises(HomeAssistantError) as err:
        await retry(hass, full_entry, "reannounce")
    assert err.value.translation_placeholders == {
        "service": "qBittorrent",
        "error": err.value.translation_placeholders["error"],
    }
