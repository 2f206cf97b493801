"""A 4K Radarr beside the primary one, with no *arr webhook: each polls its own."""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant

from custom_components.media_request_tracker.const import DOMAIN

from ..conftest import Post, entry_data, our_connection
from .conftest import (
    DUNE,
    DUNE_HASH,
    RADARR,
    Stack,
    page,
    poll,
    queue_record,
    request_state,
)

RADARR_4K = "http://radarr4k:7878"
SUBENTRY_4K = "01JRADARR4K"
UHD_HASH = "4C4C4C4C4C4C4C4C4C4C4C4C4C4C4C4C4C4C4C4C"
# The same movie has another id in the 4K Radarr.
DUNE_4K = DUNE | {"id": 9}


class TwoRadarrs:
    """The primary Radarr (the stack) and a 4K one, answering together."""

    def __init__(self, stack: Stack) -> None:
        """Nothing queued in the 4K Radarr yet."""
        self.stack = stack
        self.queue: list[dict[str, Any]] = []
        self.movies: list[dict[str, Any]] = []

    def serve(self) -> None:
        """Register both Radarrs' answers again."""
        self.stack.serve()
        mock = self.stack.mock
        for path, answer in (
            ("queue", page(self.queue)),
            ("movie", self.movies),
            ("health", []),
            ("history/since", []),
            ("tag", []),
            ("notification", [our_connection("radarr") | {"fields": []}]),
        ):
            mock.get(f"{RADARR_4K}/api/v3/{path}", json=answer)


@pytest.fixture
def radarrs(stack: Stack) -> TwoRadarrs:
    """Both Radarrs answering."""
    both = TwoRadarrs(stack)
    both.serve()
    return both


@pytest.fixture
async def entry_4k(
    freezer: FrozenDateTimeFactory, hass: HomeAssistant, radarrs: TwoRadarrs
) -> MockConfigEntry:
    """Radarr, and a 4K Radarr subentry."""
    service = {"api_key": "key", "verify_ssl": True, "webhook_secret": None}
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="stack",
        data=entry_data(radarr={"url": RADARR, **service}),
        subentries_data=[
            ConfigSubentryData(
                data={
                    "url": RADARR_4K,
                    "api_key": "4k-key",
                    "verify_ssl": True,
                    "role": "4k",
                    "webhook_id": "hook_radarr_4k",
                },
                subentry_id=SUBENTRY_4K,
                subentry_type="radarr",
                title="Radarr 4K",
                unique_id=None,
            )
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


def movie_lookups(radarrs: TwoRadarrs, base: str) -> int:
    """How many times a Radarr was asked for a movie by its TMDB id."""
    return sum(
        str(url).startswith(f"{base}/api/v3/movie")
        for _, url, _, _ in radarrs.stack.mock.mock_calls
    )


async def test_each_radarr_polls_the_requests_it_serves(
    hass: HomeAssistant, entry_4k: MockConfigEntry, radarrs: TwoRadarrs, post: Post
) -> None:
    """HD and 4K Dune download side by side, each from its own Radarr's queue."""
    radarrs.stack.queue = [queue_record()]
    radarrs.queue = [
        queue_record(id=2, movieId=9, movie=DUNE_4K, downloadId=UHD_HASH, sizeleft=900)
    ]
    radarrs.movies = [DUNE_4K]
    radarrs.serve()

    # New requests wake the Radarrs' polls at once.
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_4k.json")
    await hass.async_block_till_done(wait_background_tasks=True)
    await poll(hass, entry_4k, "radarr", SUBENTRY_4K)

    tracker = entry_4k.runtime_data.tracker
    hd, uhd = tracker.requests["80"], tracker.requests["75"]
    assert request_state(hass, entry_4k, "80").state == "downloading"
    assert request_state(hass, entry_4k, "75").state == "downloading"
    assert set(hd.downloads) == {DUNE_HASH.casefold()}
    assert set(uhd.downloads) == {UHD_HASH.casefold()}
    assert (hd.radarr_id, hd.arr_instance) == (71, "")
    assert (uhd.radarr_id, uhd.arr_instance) == (9, SUBENTRY_4K)
    # Each Radarr looked up only its own request in its library.
    assert movie_lookups(radarrs, RADARR) == 1
    assert movie_lookups(radarrs, RADARR_4K) == 1
