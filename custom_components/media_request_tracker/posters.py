"""Posters served by Home Assistant, so they show wherever the dashboard does.

A browser that reaches Home Assistant may not reach TMDB's CDN (no internet, a
strict network) nor Jellyseerr. Home Assistant fetches each poster once, through
Jellyseerr's image proxy, else from Jellyfin, else from TMDB itself, and keeps the
most recent ones in memory. An `<img>` cannot send Home Assistant's bearer token,
so a poster's URL carries a token of its entry instead, as camera and image
entities' URLs do. The token is derived from the entry's webhook secret, so a URL
stays valid across restarts; a new poster gets a new URL.
"""

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
import hashlib
import hmac
from http import HTTPStatus

from aiohttp import hdrs, web

from homeassistant.components.http import HomeAssistantView
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util

from .const import CONF_WEBHOOK_IDS, DOMAIN, LOGGER
from .engine.models import Request, Service
from .engine.tracker import Tracker
from .sources.errors import UNUSABLE_ANSWER
from .sources.http import Image, JsonApi
from .sources.jellyfin import JellyfinClient
from .sources.jellyseerr import JellyseerrClient, tmdb_image_path

POSTER_PATH = "/api/media_request_tracker/poster/{entry_id}/{request_key}"
TMDB_IMAGES = "https://image.tmdb.org"
# Posters kept per entry, in bytes: a few dashboards' worth at about 30 KB each.
CACHE_BYTES = 8 * 1024 * 1024
# A poster no source could give is not asked for again for this long.
RETRY_AFTER = timedelta(minutes=10)
HEADERS = {
    hdrs.CACHE_CONTROL: "private, max-age=86400",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}

type Fetch = Callable[[], Awaitable[Image]]


class Posters:
    """One entry's posters: where each comes from, fetched once and cached."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        tracker: Tracker,
        jellyseerr: JellyseerrClient,
        jellyfin: JellyfinClient | None,
    ) -> None:
        """Serve the posters of the entry's requests."""
        secret = entry.data[CONF_WEBHOOK_IDS][Service.JELLYSEERR].encode()
        self.token = hmac.new(secret, b"posters", hashlib.sha256).hexdigest()
        self._hass = hass
        self._entry = entry
        self._entry_id = entry.entry_id
        self._tracker = tracker
        self._jellyseerr = jellyseerr
        self._jellyfin = jellyfin
        self._tmdb = JsonApi(async_get_clientsession(hass), TMDB_IMAGES, {})
        self._cache: OrderedDict[str, Image] = OrderedDict()
        self._cached_bytes = 0
        self._failed: dict[str, datetime] = {}
        self._fetching: dict[str, asyncio.Task[Image | None]] = {}

    def url(self, request: Request) -> str | None:
        """The entity picture: a path on Home Assistant (None without a poster)."""
        source = self._source(request)
        if source is None:
            return None
        path = POSTER_PATH.format(entry_id=self._entry_id, request_key=request.key)
        version = hashlib.sha256(source.encode()).hexdigest()[:12]
        return f"{path}?v={version}&token={self.token}"

    def accepts(self, token: str) -> bool:
        """Whether a URL's token is this entry's (in constant time)."""
        return hmac.compare_digest(token.encode(), self.token.encode())

    async def async_get(self, request_key: str) -> Image | None:
        """The request's poster, from the cache or its sources (None: none works).

        Browsers asking for the same poster at once share one fetch.
        """
        request = self._tracker.requests.get(request_key)
        source = None if request is None else self._source(request)
        if request is None or source is None:
            return None
        if (image := self._cache.get(source)) is not None:
            self._cache.move_to_end(source)
            return image
        if (failed := self._failed.get(source)) and dt_util.utcnow() < failed:
            return None
        fetching = self._fetching.get(source)
        if fetching is None:
            fetching = self._fetching[source] = (
                self._entry.async_create_background_task(
                    self._hass, self._async_fetch(source, request), f"{DOMAIN} poster"
                )
            )
            fetching.add_done_callback(lambda _done: self._fetching.pop(source, None))
        # A browser that goes away does not cancel the fetch the others wait for.
        return await asyncio.shield(fetching)

    def _source(self, request: Request) -> str | None:
        """What the poster is fetched from; a new one is a new poster."""
        if request.poster_url is not None and tmdb_image_path(request.poster_url):
            return request.poster_url
        if self._jellyfin is not None and request.jellyfin_item_id is not None:
            return f"jellyfin:{request.jellyfin_item_id}"
        return None

    def _keep(self, source: str, image: Image | None) -> None:
        """Cache a poster within the byte budget, or remember that none came."""
        if image is None:
            now = dt_util.utcnow()
            self._failed = {
                s: until for s, until in self._failed.items() if until > now
            }
            self._failed[source] = now + RETRY_AFTER
            return
        self._failed.pop(source, None)
        self._cache[source] = image
        self._cached_bytes += len(image.body)
        while self._cached_bytes > CACHE_BYTES:
            _, evicted = self._cache.popitem(last=False)
            self._cached_bytes -= len(evicted.body)

    async def _async_fetch(self, source: str, request: Request) -> Image | None:
        """Fetch and keep the poster (or that there is none)."""
        image = await self._async_first_answer(request)
        self._keep(source, image)
        return image

    async def _async_first_answer(self, request: Request) -> Image | None:
        """Jellyseerr's proxy, then Jellyfin (both local), then TMDB's CDN."""
        fetches: list[Fetch] = []
        tmdb_path = (
            None if request.poster_url is None else tmdb_image_path(request.poster_url)
        )
        if tmdb_path is not None:
            fetches.append(lambda: self._jellyseerr.async_get_poster(tmdb_path))
        if self._jellyfin is not None and request.jellyfin_item_id is not None:
            jellyfin, item_id = self._jellyfin, request.jellyfin_item_id
            fetches.append(lambda: jellyfin.async_get_poster(item_id))
        if tmdb_path is not None:
            fetches.append(lambda: self._tmdb.request_image(tmdb_path))
        for fetch in fetches:
            try:
                return await fetch()
            except UNUSABLE_ANSWER as err:
                LOGGER.debug("No poster for request %s: %s", request.key, err)
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
        """The poster; 401 for a wrong token or entry (which stay unknown); 404."""
        entry = self._hass.config_entries.async_get_entry(entry_id)
        if (
            entry is None
            or entry.domain != DOMAIN
            or entry.state is not ConfigEntryState.LOADED
            or not entry.runtime_data.posters.accepts(request.query.get("token", ""))
        ):
            return web.Response(status=HTTPStatus.UNAUTHORIZED)
        image = await entry.runtime_data.posters.async_get(request_key)
        if image is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        return web.Response(
            body=image.body, content_type=image.content_type, headers=HEADERS
        )
