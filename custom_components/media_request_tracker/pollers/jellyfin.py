"""Jellyfin: whether an imported request is playable yet (verification).

Jellyfin has no provider-id filter, so the poller narrows by title and year and lets
the engine tell which items are the request's (`rules.library`).

Jellyfin tells only its users' own sessions that it added an item, and them only
after batching changes for 30 s (docs/upstream-live-channels.md), so the poller asks
instead, most often when an answer is near: Jellyfin adds a file a minute or more
after its import (its library monitor waits that long; Shokofin shows an anime file
once Shoko matched it), so a request imported (anime: matched) less than ten minutes
ago is looked for every 2 seconds.
"""

from dataclasses import replace
from datetime import datetime, timedelta

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from ..data import MediaRequestTrackerConfigEntry
from ..engine.evidence import ItemKind, LibraryItemEvidence
from ..engine.models import MediaType, Request, Service, ShokoFile
from ..engine.rules.library import (
    AWAITING_LIBRARY,
    awaits_library,
    is_named_like,
    is_request_item,
    library_wait_began,
    shoko_series_ids,
)
from ..sources.jellyfin import JellyfinClient, LibraryItem, library_evidence
from ..tracking import RequestTracking
from .base import ServicePoller

# Every waiting request is looked for every ACTIVE; one that began to wait less than
# FRESH_FOR ago (`library_wait_began`) every FRESH_INTERVAL.
ACTIVE = timedelta(seconds=30)
FRESH_INTERVAL = timedelta(seconds=2)
FRESH_FOR = timedelta(minutes=10)
IDLE = timedelta(minutes=5)
# Home Assistant spreads a poll's moment by up to a second, so a poll may come that
# much before its interval has passed.
EARLY = timedelta(seconds=1)


class JellyfinPoller(ServicePoller):
    """Movies and episodes of requests waiting to become playable."""

    service = Service.JELLYFIN
    watches = AWAITING_LIBRARY

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MediaRequestTrackerConfigEntry,
        tracking: RequestTracking,
        client: JellyfinClient,
    ) -> None:
        """Poll one Jellyfin."""
        super().__init__(hass, entry, tracking, IDLE)
        self.client = client
        self._all_verified_at: datetime | None = None

    async def _async_poll(self) -> timedelta:
        """The fresh requests, and every waiting one once ACTIVE has passed."""
        now = dt_util.utcnow()
        waiting = [
            request
            for request in self.tracking.tracker.requests.values()
            if awaits_library(request)
        ]
        # A poll that fails keeps this interval: never the fast one.
        self.update_interval = ACTIVE if waiting else IDLE
        fresh = [request for request in waiting if _is_fresh(request, now)]
        last_full = self._all_verified_at
        if last_full is None or now - last_full >= ACTIVE - EARLY:
            await self._async_verify(waiting)
            self._all_verified_at = last_full = now
        else:
            await self._async_verify(fresh)
        # A request that begins to wait meanwhile wakes the poller by itself.
        if any(awaits_library(request) for request in fresh):
            return FRESH_INTERVAL
        if any(awaits_library(request) for request in waiting):
            return max(FRESH_INTERVAL, ACTIVE - (now - last_full))
        return IDLE

    async def _async_verify(self, requests: list[Request]) -> None:
        """Look for each request in Jellyfin, one after the other."""
        for request in requests:
            if request.media_type is MediaType.MOVIE:
                await self._async_verify_movie(request)
            else:
                await self._async_verify_show(request)

    async def _async_verify_movie(self, request: Request) -> None:
        """Shokofin's file id (anime), then TMDB/TVDB/IMDb ids, then title and year.

        Shokofin gives anime no TMDB id by default, so its name is the last resort.
        """
        shoko = request.shoko
        if (
            shoko is not None
            and shoko.matched
            and await self._async_verify_shoko_movie(request, shoko)
        ):
            return
        found = await self.client.async_find_movies(
            year=request.year, search_term=request.title
        )
        items = _evidence(found, ItemKind.MOVIE)
        if not any(is_request_item(request, item) for item in items):
            found = await self.client.async_find_movies(
                year=None, search_term=request.title
            )
        playable = _playable(found, ItemKind.MOVIE)
        if match := next((i for i in playable if is_request_item(request, i)), None):
            self._apply(match)
        elif request.is_anime and (
            named := next((i for i in playable if is_named_like(request, i)), None)
        ):
            # Found by name: the request's TMDB id tells the tracker which it is.
            self._apply(replace(named, tmdb_id=request.tmdb_id))

    async def _async_verify_shoko_movie(
        self, request: Request, shoko: ShokoFile
    ) -> bool:
        """Find the movie by Shokofin's `Shoko File` id.

        As a movie of its year, or as an episode of its Shoko series: Shokofin files
        some anime movies as series.
        """
        movies = await self.client.async_find_movies(
            year=request.year, search_term=None
        )
        for item in _playable(movies, ItemKind.MOVIE):
            if item.shoko_file_id == shoko.file_id:
                self._apply(item)
                return True
        if shoko.series_id is None:
            return False
        for series in await self._async_find_series(request, {shoko.series_id}):
            for episode in await self._async_episodes(series):
                if episode.shoko_file_id == shoko.file_id:
                    self._apply(episode)
                    return True
        return False

    async def _async_verify_show(self, request: Request) -> None:
        """The show's series (Shokofin's by their Shoko series), then its episodes."""
        for series in await self._async_find_series(request, shoko_series_ids(request)):
            self._apply(series)
            for episode in await self._async_episodes(series):
                self._apply(episode)

    async def _async_episodes(
        self, series: LibraryItemEvidence
    ) -> list[LibraryItemEvidence]:
        """Playable episodes of a series."""
        found = await self.client.async_get_episodes(series.item_id)
        return _playable(found, ItemKind.EPISODE)

    async def _async_find_series(
        self, request: Request, shoko_series: set[int]
    ) -> list[LibraryItemEvidence]:
        """Series with the request's ids or one of these Shoko series ids.

        Searched by title; Shokofin names anime after AniDB, so Shoko series are
        looked for among all series of the request's year too.
        """

        def ours(item: LibraryItemEvidence) -> bool:
            return (
                is_request_item(request, item) or item.shoko_series_id in shoko_series
            )

        by_title = await self.client.async_find_series(
            search_term=request.title, year=None
        )
        found = [item for item in _evidence(by_title, ItemKind.SERIES) if ours(item)]
        if found or not shoko_series:
            return found
        by_year = await self.client.async_find_series(
            search_term=None, year=request.year
        )
        return [item for item in _evidence(by_year, ItemKind.SERIES) if ours(item)]


def _evidence(items: list[LibraryItem], kind: ItemKind) -> list[LibraryItemEvidence]:
    return [library_evidence(item, kind) for item in items]


def _playable(items: list[LibraryItem], kind: ItemKind) -> list[LibraryItemEvidence]:
    """Items with a real file: metadata stubs carry ids but are not playable."""
    return _evidence([item for item in items if item.playable], kind)


def _is_fresh(request: Request, now: datetime) -> bool:
    """Whether the request began to wait for Jellyfin within FRESH_FOR."""
    began = library_wait_began(request)
    return began is not None and now - began < FRESH_FOR
