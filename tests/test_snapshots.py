"""Snapshots (syrupy) of what users and bug reports see, as core integrations keep them.

A movie and a season pack, each stopped where something is worth showing (a blocked
import, a pack half downloaded), as their entities, the `get_requests` answer and the
diagnostics. The clock is frozen so that the times in them are stable; refresh the
snapshots with `scripts/test --snapshot-update` after a deliberate change.
"""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component

from custom_components.media_request_tracker.const import DOMAIN

from .conftest import Post, load_fixture

FROZEN = "2026-11-22T12:00:00+00:00"


@pytest.fixture(autouse=True)
def frozen_clock(freezer: FrozenDateTimeFactory) -> None:
    """Times in the snapshots do not depend on when the test runs."""
    freezer.move_to(FROZEN)


async def movie_blocked_and_pack_downloading(post: Post) -> None:
    """Dune is blocked on import; Andor's season pack is grabbed, one file in."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    grab = load_fixture("radarr/grab_regular.json")
    await post("radarr", grab)
    blocked = load_fixture(
        "radarr/manual_interaction_required.json",
        movie=grab["movie"],
        downloadId=grab["downloadId"],
    )
    await post("radarr", blocked)
    await post("jellyseerr", "jellyseerr/media_approved_tv_regular.json")
    pack = load_fixture("sonarr/grab_season_pack_regular.json")
    await post("sonarr", pack)
    first = pack["episodes"][0]
    one_file = load_fixture(
        "sonarr/download_season_pack_file.json",
        series=pack["series"],
        episodes=[first],
        downloadId=pack["downloadId"],
    )
    one_file["episodeFile"]["path"] = "/data/tv/Andor/Season 1/Andor - S01E01.mkv"
    await post("sonarr", one_file)


def entities_of(
    hass: HomeAssistant, entry: MockConfigEntry, request_key: str
) -> dict[str, dict[str, Any]]:
    """State and attributes of a request's sensors, by unique id (minus the entry)."""
    found: dict[str, dict[str, Any]] = {}
    registry = er.async_get(hass)
    for registered in er.async_entries_for_config_entry(registry, entry.entry_id):
        unique_id = registered.unique_id.removeprefix(f"{entry.entry_id}_")
        if not unique_id.startswith(
            (f"request_{request_key}", f"episode_{request_key}_")
        ):
            continue
        state = hass.states.get(registered.entity_id)
        assert state is not None
        attributes = dict(state.attributes)
        if picture := attributes.get("entity_picture"):
            # The entry id and the poster token are new in every run.
            path = picture.replace(entry.entry_id, "<entry_id>").split("?")[0]
            attributes["entity_picture"] = f"{path}?token=<token>"
        found[unique_id] = {
            "entity_id": registered.entity_id,
            "state": state.state,
            "attributes": attributes,
        }
    return dict(sorted(found.items()))


@pytest.mark.parametrize(
    "request_key",
    [
        pytest.param("80", id="movie blocked on import"),
        pytest.param("90", id="season pack with one file imported"),
    ],
)
async def test_entities(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    snapshot: SnapshotAssertion,
    request_key: str,
) -> None:
    """A request's status sensor, and its episode sensors."""
    await movie_blocked_and_pack_downloading(post)
    assert entities_of(hass, loaded_entry, request_key) == snapshot


async def test_get_requests(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    snapshot: SnapshotAssertion,
) -> None:
    """The `get_requests` answer for both, newest first."""
    await movie_blocked_and_pack_downloading(post)
    answer = await hass.services.async_call(
        DOMAIN, "get_requests", {}, blocking=True, return_response=True
    )
    assert answer == snapshot


async def test_diagnostics(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """The entry's diagnostics: configuration redacted, requests with timelines."""
    assert await async_setup_component(hass, "diagnostics", {})
    await movie_blocked_and_pack_downloading(post)
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )
    assert diagnostics == snapshot
