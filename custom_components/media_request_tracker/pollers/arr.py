"""Radarr and Sonarr: queue, history and library, while requests need them.

The queue shows grabs (with or without their webhook), progress, and blocked or failed
imports; the history what left the queue since the last poll (imports, failures and
ignored downloads, which no webhook reports); the library files that are already
there (a re-request Radarr satisfies with a file it has sends no webhook at all).
"""

from abc import abstractmethod
from datetime import datetime, timedelta
from typing import Any, cast

from homeassistant.const import CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from ..const import LOGGER
from ..data import MediaRequestTrackerConfigEntry
from ..engine.evidence import Evidence, from_instance
from ..engine.models import MediaType, Request, Service, State
from ..events import Origin
from ..instances import ArrInstance
from ..sources import arr_waits, radarr, sonarr
from ..sources.arr import (
    HistoryRecord,
    by_download,
    history_evidence,
    queue_grab,
    queue_status,
)
from ..sources.arr_live import HUB_METHOD, LiveMessage, Topic, parse_live_message
from ..sources.errors import InvalidPayload
from ..sources.radarr import RadarrClient
from ..sources.sonarr import SeriesEpisode, SonarrClient
from ..tracking import RequestTracking
from .base import ServicePoller
from .signalr import SignalRLink, hub_ssl

ACTIVE = timedelta(seconds=30)
IDLE = timedelta(minutes=5)
# While the live channel is up, it wakes the poll on every change: an idle instance
# is then polled rarely (the safety net for a message lost between two reconnects).
# Work in progress keeps its 30 s: the apps refresh their queue once a minute.
LIVE_IDLE = timedelta(minutes=15)
# Whole movie and series resources travel in one frame.
LIVE_FRAME_BYTES = 16 * 1024 * 1024
# Each tracked request's files are looked up at most this often.
LIBRARY_CHECK_INTERVAL = timedelta(minutes=5)
# How far back history is read when there is no newer row to start from.
HISTORY_LOOKBACK = timedelta(days=1)
FOLLOWED = frozenset(
    {
        State.APPROVED,
        State.GRABBING,
        State.DOWNLOADING,
        State.DOWNLOADED,
        State.FAILED,
    }
)


class ArrPoller[ClientT: (RadarrClient, SonarrClient)](ServicePoller):
    """The queue and library of Radarr or Sonarr."""

    media_type: MediaType
    # A new request to look up; a finished download whose import to confirm.
    watches = frozenset({State.APPROVED, State.DOWNLOADED})

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MediaRequestTrackerConfigEntry,
        tracking: RequestTracking,
        arr: ArrInstance,
    ) -> None:
        """Poll one Radarr or Sonarr instance, for the requests it serves."""
        self.instance = arr
        super().__init__(hass, entry, tracking, IDLE)
        self.client: ClientT = cast("ClientT", arr.client(hass))
        self._library_checked: dict[str, datetime] = {}
        # History is read from its newest row on; rows at that instant come again.
        self._history_since: datetime | None = None
        self._history_seen: frozenset[int] = frozenset()
        # Tag labels by id, read again when an item names a tag not known yet.
        self._tags: dict[int, str] = {}
        self.link: SignalRLink = SignalRLink(
            self.label,
            self.client.hub_url,
            self.client.hub_headers,
            (HUB_METHOD,),
            ssl_context=hub_ssl(self.client.url, arr.config.get(CONF_VERIFY_SSL, True)),
            on_event=self._async_live_message,
            on_change=self._async_link_changed,
            on_auth_failed=self.start_reauth,
            max_size=LIVE_FRAME_BYTES,
        )
        # What live messages are matched against, as of the last poll: the movie or
        # series ids followed, and whether a followed request has none yet.
        self._followed_ids: frozenset[int] = frozenset()
        self._followed_unbound = False
        self._malformed_logged = False

    async def async_listen(self) -> None:
        """Keep the live channel up until the entry unloads (an entry task)."""
        await self.link.async_run()

    async def _async_link_changed(self) -> None:
        """Opened: read what was missed. Closed: poll as without a channel.

        The next idle poll is set at once: a poll that fails (the app is down with
        its hub) keeps the interval of the last one that succeeded.
        """
        if not self.link.connected and self.update_interval == LIVE_IDLE:
            self.update_interval = IDLE
        await self.async_wake()

    async def _async_live_message(self, _method: str, arguments: list[Any]) -> None:
        """Wake the poll when a message concerns what this instance is followed for."""
        try:
            message = parse_live_message(arguments)
        except InvalidPayload as err:
            # Logged once: a changed app would repeat it with every message.
            log = LOGGER.debug if self._malformed_logged else LOGGER.warning
            self._malformed_logged = True
            log("Ignored a malformed live message from %s: %s", self.label, err)
            return
        if message is not None and self._concerns(message):
            await self.async_wake()

    def _concerns(self, message: LiveMessage) -> bool:
        match message.topic:
            case Topic.HEALTH:
                return True
            case Topic.QUEUE:
                return bool(self._followed_ids) or self._followed_unbound
            case Topic.MEDIA:
                return message.media_id in self._followed_ids or (
                    self._followed_unbound and message.media_id is not None
                )

    async def async_tag_labels(self, tag_ids: frozenset[int]) -> dict[int, str]:
        """Labels of the app's tags, read again when one of `tag_ids` is new."""
        if not tag_ids <= self._tags.keys():
            self._tags = await self.client.async_get_tags()
        return self._tags

    async def _async_poll(self) -> timedelta:
        # Health first, idle or not: one cheap call, and what every request waits on.
        health = await self.client.async_get_health()
        self._apply(arr_waits.health_evidence(health, self.service))
        serves = self.arr.instance.serves
        followed = [
            request
            for request in self.tracking.tracker.requests.values()
            if request.media_type is self.media_type
            and request.state in FOLLOWED
            and serves(request)
        ]
        self._followed_ids = frozenset(
            arr_id for request in followed if (arr_id := request.arr_id) is not None
        )
        self._followed_unbound = any(request.arr_id is None for request in followed)
        if not followed:
            return LIVE_IDLE if self.link.connected else IDLE
        queue = await self.client.async_get_queue()
        self._apply(arr_waits.pending_releases(queue, self.service))
        await self._async_apply_all(
            evidence
            for records in by_download(queue).values()
            for evidence in (
                queue_grab(records, self.service),
                queue_status(records, self.service),
            )
        )
        await self._async_apply_all(history_evidence(await self._async_new_history()))
        for request in self._due_for_library_check(followed):
            await self._async_check_library(request)
        return ACTIVE

    async def _async_new_history(self) -> list[HistoryRecord]:
        """History rows not seen yet: one cheap call, whatever the library's size."""
        floor = dt_util.utcnow() - HISTORY_LOOKBACK
        since = max(self._history_since or floor, floor)
        fresh = await self.client.async_get_history_since(since, self._history_seen)
        if fresh:
            newest = max(record.date for record in fresh)
            at_newest = {r.record_id for r in fresh if r.date == newest}
            if newest == self._history_since:
                at_newest |= self._history_seen
            self._history_since = newest
            self._history_seen = frozenset(at_newest)
        return fresh

    def _due_for_library_check(self, followed: list[Request]) -> list[Request]:
        """Requests not looked up for LIBRARY_CHECK_INTERVAL (a few API calls each)."""
        now = dt_util.utcnow()
        due = [
            request
            for request in followed
            if (checked := self._library_checked.get(request.key)) is None
            or now - checked >= LIBRARY_CHECK_INTERVAL
        ]
        self._library_checked = {
            r.key: self._library_checked.get(r.key, now) for r in followed
        }
        for request in due:
            self._library_checked[request.key] = now
        return due

    @property
    def arr(self) -> ArrInstance:
        """The instance polled."""
        return cast("ArrInstance", self.instance)

    @callback
    def _apply(self, evidence: Evidence | None, origin: Origin = Origin.POLL) -> None:
        """Evidence of this instance's, told so (it serves only its requests)."""
        if evidence is not None:
            super()._apply(from_instance(evidence, self.arr.instance), origin)

    @abstractmethod
    async def _async_check_library(self, request: Request) -> None:
        """Evidence of files that are already in the library."""


class RadarrPoller(ArrPoller[RadarrClient]):
    """Radarr's queue, and movies whose file is already there."""

    service = Service.RADARR
    media_type = MediaType.MOVIE

    async def _async_check_library(self, request: Request) -> None:
        if request.tmdb_id is None:
            return
        movie = await self.client.async_get_movie(request.tmdb_id)
        if movie is None:
            self._apply(radarr.missing_evidence(request.tmdb_id))
            return
        tags = await self.async_tag_labels(movie.tag_ids)
        self._apply(radarr.library_evidence(movie, tags))


class SonarrPoller(ArrPoller[SonarrClient]):
    """Sonarr's queue, and each show's aired episodes and their files."""

    service = Service.SONARR
    media_type = MediaType.TV

    async def _async_check_library(self, request: Request) -> None:
        if request.tvdb_id is None:
            return
        series = await self.client.async_get_series(request.tvdb_id)
        if series is None:
            self._apply(sonarr.missing_evidence(request.tvdb_id))
            return
        episodes = await self.client.async_get_episodes(series.arr_id, dt_util.utcnow())
        files = None
        if _paths_unknown(request, episodes):
            files = await self.client.async_get_episode_files(series.arr_id)
        seasons = request.requested_seasons
        self._apply(
            sonarr.library_evidence(series, episodes, seasons, files, request.key)
        )


def _paths_unknown(request: Request, episodes: list[SeriesEpisode]) -> bool:
    """Whether an episode's file is there but its path is not known here.

    Shoko reports files by path: without it, anime imported without Sonarr's
    webhook would wait for a match that is never tied to it.
    """
    for listed in episodes:
        if listed.has_file and request.requests_season(listed.season):
            known = request.episodes.get((listed.season, listed.number))
            if known is None or known.file_path is None:
                return True
    return False
