"""Posters served by Home Assistant, so they show wherever the dashboard does.

A browser that reaches Home Assistant may not reach TMDB's CDN (no internet, a
strict network) nor Jellyseerr. Home Assistant fetches each poster once, through
Jellyseerr's image proxy, else from Jellyfin, else from TMDB itself, and keeps the
most recent ones in memory. An `<img>` cannot send Home Assistant's bearer token,
so a poster's URL carries a random token of its entry instead, as camera and image
entities' URLs do; it changes at every start.
"""

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from hmac import compare_digest
from http import HTTPStatus
import secrets

from aiohttp import hdrs, web

from homeassistant.components.http import HomeAssistantView
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from .const import DOMAIN, LOGGER
from .engine.models import Request
from .engine.tracker import Tracker
from .sources.errors import UNUSABLE_ANSWER
from .sources.http import Image, JsonApi
from .sources.jellyfin import JellyfinClient
from .sources.jellyseerr import JellyseerrClient, tmdb_image_path

POSTER_PATH = "/api/media_request_tracker/poster/{entry_id}/{request_key}"
TMDB_IMAGES = "https://image.tmdb.org"
# Posters kept per entry: a dashboard's worth (about 30 KB each).
CACHED_POSTERS = 64
CACHE_CONTROL = "private, max-age=86400"


class Posters:
    """One entry's posters: where each comes from, fetched once and cached."""

    def __init__(
        self,
        entry_id: str,
        tracker: Tracker,
        jellyseerr: JellyseerrClient,
        jellyfin: JellyfinClient | None,
        tmdb: JsonApi,
    ) -> None:
        """Serve the posters of the tracker's requests."""
        self.token = secrets.token_urlsafe(16)
        self._entry_id = entry_id
        self._tracker = tracker
        self._jellyseerr = jellyseerr
        self._jellyfin = jellyfin
        self._tmdb = tmdb
        self._cache: OrderedDict[tuple[str, str], Image] = OrderedDict()

    def url(self, request: Request) -> str | None:
        """The entity picture: a path on Home Assistant (None without a poster)."""
        if _source(request, self._jellyfin is not None) is None:
            return None
        path = POSTER_PATH.format(entry_id=self._entry_id, request_key=request.key)
        return f"{path}?token={self.token}"

    async def async_get(self, request_key: str) -> Image | None:
        """The request's poster, from the cache or its sources (None: none works)."""
        request = self._tracker.requests.get(request_key)
        source = (
            None if request is None else _source(request, self._jellyfin is not None)
        )
        if request is None or source is None:
            return None
        key = (request_key, source)
        if (image := self._cache.get(key)) is not None:
            self._cache.move_to_end(key)
            return image
        image = await self._async_fetch(request)
        if image is not None:
            self._cache[key] = image
            if len(self._cache) > CACHED_POSTERS:
                self._cache.popitem(last=False)
        return image

    async def _async_fetch(self, request: Request) -> Image | None:
        tmdb_path = (
            None if request.poster_url is None else tmdb_image_path(request.poster_url)
        )
        fetches: list[Callable[[], Awaitable[Image]]] = []
        if tmdb_path is not None:
            fetches += [
                lambda: self._jellyseerr.async_get_poster(tmdb_path),
                lambda: self._tmdb.request_image(tmdb_path),
            ]
        if self._jellyfin is not None and request.jellyfin_item_id is not None:
            jellyfin, item_id = self._jellyfin, request.jellyfin_item_id
            fetches.append(lambda: jellyfin.async_get_poster(item_id))
        for fetch in fetches:
            try:
                return await fetch()
            except UNUSABLE_ANSWER as err:
                LOGGER.debug("No poster for request %s: %s", request.key, err)
        return None


def _source(request: Request, with_jellyfin: bool) -> str | None:
    """What the poster is fetched from; a new one is a new poster."""
    if request.poster_url is not None and tmdb_image_path(request.poster_url):
        return request.poster_url
    if with_jellyfin and request.jellyfin_item_id is not None:
        return f"jellyfin:{request.jellyfin_item_id}"
    return None


class PosterView(HomeAssistantView):
    """`GET` a request's poster; the entry's token stands in for authentication."""

    url = POSTER_PATH
    name = f"api:{DOMAIN}:poster"
    requires_auth = False

    def __init__(self, hass: HomeAssistant) -> None:
        """Serve the posters of every loaded entry."""
        self._hass = hass

    async def get(
        self, request: web.Request, entry_id: str, request_key: str
    ) -> web.Response:
        """The poster, or 401 for a wrong token, or 404."""
        entry = self._hass.config_entries.async_get_entry(entry_id)
        if (
            entry is None
            or entry.domain != DOMAIN
            or entry.state is not ConfigEntryState.LOADED
        ):
            return web.Response(status=HTTPStatus.NOT_FOUND)
        posters: Posters = entry.runtime_data.posters
        if not compare_digest(request.query.get("token", ""), posters.token):
            return web.Response(status=HTTPStatus.UNAUTHORIZED)
        image = await posters.async_get(request_key)
        if image is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        return web.Response(
            body=image.body,
            content_type=image.content_type,
            headers={hdrs.CACHE_CONTROL: CACHE_CONTROL},
        )
