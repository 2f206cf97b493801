"""Pollers: confirm and repair what webhooks miss (DESIGN §2.1).

Each service is a DataUpdateCoordinator: Home Assistant schedules it, logs a failure
once and the recovery once, and its connectivity sensor follows `last_update_success`.
A poll never changes state itself: it turns answers into evidence for the hub, which
applies them exactly like webhooks (origin `poll`).
"""

from abc import abstractmethod
from datetime import datetime, timedelta

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .engine.evidence import (
    ArrMedia,
    EpisodeRef,
    EpisodesListed,
    Evidence,
    ImportedFile,
    ImportEvidence,
    ItemKind,
    LibraryItemEvidence,
    RequestEvidence,
    RequestStatus,
)
from .engine.models import MediaType, Request, Service, State
from .hub import MediaRequestTrackerConfigEntry, Origin, TrackerHub
from .sources.errors import InvalidAuth, UpstreamError
from .sources.jellyfin import JellyfinClient, LibraryItem
from .sources.jellyseerr import JellyseerrClient, RemoteRequest
from .sources.progress import (
    by_download,
    episode_progress,
    queue_grab,
    queue_status,
    torrent_status,
)
from .sources.qbittorrent import QBittorrentClient
from .sources.radarr import RadarrClient
from .sources.sonarr import SonarrClient

# Fast while something moves, slow when there is nothing to follow.
DOWNLOADS_ACTIVE = timedelta(seconds=5)
DOWNLOADS_IDLE = timedelta(seconds=60)
QUEUE_ACTIVE = timedelta(seconds=30)
QUEUE_IDLE = timedelta(minutes=5)
VERIFY_ACTIVE = timedelta(seconds=30)
VERIFY_IDLE = timedelta(minutes=5)
REQUESTS_INTERVAL = timedelta(seconds=60)
# Each tracked request's files are looked up in Radarr/Sonarr at most this often.
LIBRARY_CHECK_INTERVAL = timedelta(minutes=5)
NEW_REQUESTS_PER_POLL = 20
BACKFILL_REQUESTS = 100
# Where a request waits for Jellyfin; `approved` too: its file may already exist.
AWAITING_LIBRARY = frozenset({State.IMPORTING, State.ANIME_MATCHING})
FOLLOWED_BY_ARR = frozenset(
    {
        State.APPROVED,
        State.GRABBING,
        State.DOWNLOADING,
        State.DOWNLOADED,
        State.FAILED,
    }
)


class ServicePoller(DataUpdateCoordinator[None]):
    """A service whose answers become evidence; failures mark it disconnected."""

    service: Service

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MediaRequestTrackerConfigEntry,
        hub: TrackerHub,
        interval: timedelta,
    ) -> None:
        """Poll the service for one config entry."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{self.service.display_name} ({entry.title})",
            update_interval=interval,
        )
        self.hub = hub

    async def _async_update_data(self) -> None:
        """Poll, mapping client failures to translated update failures."""
        try:
            self.update_interval = await self._async_poll()
        except InvalidAuth as err:
            if self.service is Service.JELLYSEERR:
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key="jellyseerr_invalid_auth"
                ) from err
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="service_invalid_auth",
                translation_placeholders={"service": self.service.display_name},
            ) from err
        except UpstreamError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="service_unavailable",
                translation_placeholders={
                    "service": self.service.display_name,
                    "error": str(err),
                },
            ) from err

    @abstractmethod
    async def _async_poll(self) -> timedelta:
        """Fetch, hand evidence to the hub, and return the next interval."""

    @callback
    def _apply(self, evidence: Evidence, origin: Origin = Origin.POLL) -> None:
        self.hub.apply(evidence, origin)


class QBittorrentPoller(ServicePoller):
    """Progress of tracked torrents: one incremental `sync/maindata` per cycle."""

    service = Service.QBITTORRENT

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MediaRequestTrackerConfigEntry,
        hub: TrackerHub,
        client: QBittorrentClient,
    ) -> None:
        """Poll through the client's own session (one session per poller)."""
        super().__init__(hass, entry, hub, DOWNLOADS_IDLE)
        self.client = client
        self._files: dict[str, tuple[float, dict[tuple[int, int], float]]] = {}

    async def _async_poll(self) -> timedelta:
        torrents = await self.client.async_sync()
        followed = self.hub.tracker.active_downloads()
        for folded, download in followed.items():
            torrent = torrents.get(folded)
            if torrent is None:
                continue
            episodes = None
            if len(download.episodes) > 1:
                episodes = await self._async_pack_progress(folded, torrent.progress)
            self._apply(torrent_status(torrent, episodes))
        self._files = {h: f for h, f in self._files.items() if h in followed}
        return DOWNLOADS_ACTIVE if followed else DOWNLOADS_IDLE

    async def _async_pack_progress(
        self, torrent_hash: str, progress: float
    ) -> dict[tuple[int, int], float]:
        """Episode progress of a season pack; files are fetched only when it moved."""
        known = self._files.get(torrent_hash)
        if known is not None and known[0] == progress:
            return known[1]
        episodes = episode_progress(await self.client.async_get_files(torrent_hash))
        self._files[torrent_hash] = (progress, episodes)
        return episodes


class ArrPoller(ServicePoller):
    """The Radarr/Sonarr queue and library, while tracked requests need them.

    The queue shows grabs (with or without their webhook), progress, and blocked or
    failed imports; the library shows files that are already there.
    """

    media_type: MediaType

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MediaRequestTrackerConfigEntry,
        hub: TrackerHub,
        *,
        queue_progress: bool,
    ) -> None:
        """`queue_progress` is off when qBittorrent reports progress itself."""
        super().__init__(hass, entry, hub, QUEUE_IDLE)
        self._queue_progress = queue_progress
        self._library_checked: dict[str, datetime] = {}

    async def _async_poll(self) -> timedelta:
        followed = [
            request
            for request in self.hub.tracker.requests.values()
            if request.media_type is self.media_type
            and request.state in FOLLOWED_BY_ARR
        ]
        if not followed:
            return QUEUE_IDLE
        client = self._client
        for records in by_download(await client.async_get_queue()).values():
            if (grab := queue_grab(records, self.service)) is not None:
                self._apply(grab)
            with_progress = self._queue_progress or records[0].protocol != "torrent"
            if (
                status := queue_status(
                    records, self.service, with_progress=with_progress
                )
            ) is not None:
                self._apply(status)
        for request in self._due_for_library_check(followed):
            await self._async_check_library(request)
        return QUEUE_ACTIVE

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
    @abstractmethod
    def _client(self) -> RadarrClient | SonarrClient:
        """The service's client."""

    @abstractmethod
    async def _async_check_library(self, request: Request) -> None:
        """Evidence of files that are already in the library."""


class RadarrPoller(ArrPoller):
    """Radarr's queue, and movies whose file is already there."""

    service = Service.RADARR
    media_type = MediaType.MOVIE

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MediaRequestTrackerConfigEntry,
        hub: TrackerHub,
        client: RadarrClient,
        *,
        queue_progress: bool,
    ) -> None:
        """Poll one Radarr."""
        super().__init__(hass, entry, hub, queue_progress=queue_progress)
        self.client = client

    @property
    def _client(self) -> RadarrClient:
        return self.client

    async def _async_check_library(self, request: Request) -> None:
        """A movie Radarr already has (a re-request) sends no webhook at all."""
        if request.tmdb_id is None:
            return
        movie = await self.client.async_get_movie(request.tmdb_id)
        if movie is None or not movie.has_file or movie.file_path is None:
            return
        media = ArrMedia(
            Service.RADARR, movie.arr_id, movie.title, movie.year, tmdb_id=movie.tmdb_id
        )
        self._apply(
            ImportEvidence(media, None, (ImportedFile(movie.file_path),), complete=True)
        )


class SonarrPoller(ArrPoller):
    """Sonarr's queue, and each show's aired episodes and their files."""

    service = Service.SONARR
    media_type = MediaType.TV

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MediaRequestTrackerConfigEntry,
        hub: TrackerHub,
        client: SonarrClient,
        *,
        queue_progress: bool,
    ) -> None:
        """Poll one Sonarr."""
        super().__init__(hass, entry, hub, queue_progress=queue_progress)
        self.client = client

    @property
    def _client(self) -> SonarrClient:
        return self.client

    async def _async_check_library(self, request: Request) -> None:
        """The aired, monitored episodes of the requested seasons, and their files."""
        if request.tvdb_id is None:
            return
        series = await self.client.async_get_series(request.tvdb_id)
        if series is None:
            return
        episodes = [
            episode
            for episode in await self.client.async_get_episodes(
                series.arr_id, dt_util.utcnow()
            )
            if episode.aired and episode.monitored
        ]
        media = ArrMedia(
            Service.SONARR,
            series.arr_id,
            series.title,
            series.year,
            tvdb_id=series.tvdb_id,
            is_anime=series.is_anime,
        )
        refs = tuple(
            EpisodeRef(e.season, e.number, e.title, e.episode_id, e.tvdb_id)
            for e in episodes
        )
        with_file = frozenset((e.season, e.number) for e in episodes if e.has_file)
        self._apply(EpisodesListed(media, refs, with_file))


class JellyfinPoller(ServicePoller):
    """Verification: whether an imported request is playable in Jellyfin yet."""

    service = Service.JELLYFIN

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MediaRequestTrackerConfigEntry,
        hub: TrackerHub,
        client: JellyfinClient,
    ) -> None:
        """Poll one Jellyfin."""
        super().__init__(hass, entry, hub, VERIFY_IDLE)
        self.client = client

    async def _async_poll(self) -> timedelta:
        waiting = [
            request
            for request in self.hub.tracker.requests.values()
            if request.state in AWAITING_LIBRARY
        ]
        for request in waiting:
            if request.media_type is MediaType.MOVIE:
                await self._async_verify_movie(request)
            else:
                await self._async_verify_show(request)
        return VERIFY_ACTIVE if waiting else VERIFY_IDLE

    async def _async_verify_movie(self, request: Request) -> None:
        """There is no provider-id filter: narrow by title and year, match ids here."""
        items = await self.client.async_find_movies(
            year=request.year, search_term=request.title
        )
        if not any(_same_title(item, request) for item in items):
            items = await self.client.async_find_movies(
                year=None, search_term=request.title
            )
        for item in items:
            if item.playable and _same_title(item, request):
                self._apply(_library_evidence(item, ItemKind.MOVIE))
                return

    async def _async_verify_show(self, request: Request) -> None:
        series = next(
            (
                item
                for item in await self.client.async_find_series(
                    search_term=request.title, year=None
                )
                if _same_title(item, request)
            ),
            None,
        )
        if series is None:
            return
        self._apply(_library_evidence(series, ItemKind.SERIES))
        for episode in await self.client.async_get_episodes(series.item_id):
            if episode.playable:
                self._apply(_library_evidence(episode, ItemKind.EPISODE))


def _same_title(item: LibraryItem, request: Request) -> bool:
    """The item is the request's title: same TMDB, TVDB or IMDb id."""
    ids = item.provider_ids
    return any(
        value is not None and ids.get(name) == str(value)
        for name, value in (
            ("Tmdb", request.tmdb_id),
            ("Tvdb", request.tvdb_id),
            ("Imdb", request.imdb_id),
        )
    )


def _library_evidence(item: LibraryItem, kind: ItemKind) -> LibraryItemEvidence:
    ids = item.provider_ids

    def number(name: str) -> int | None:
        value = ids.get(name)
        return int(value) if value is not None and value.isdecimal() else None

    return LibraryItemEvidence(
        item_id=item.item_id,
        kind=kind,
        name=item.name,
        year=item.year,
        tmdb_id=number("Tmdb"),
        tvdb_id=number("Tvdb"),
        imdb_id=ids.get("Imdb"),
        season=item.season,
        number=item.number,
        series_item_id=item.series_id,
    )


class JellyseerrPoller(ServicePoller):
    """Jellyseerr's requests, newest first: cheap, and nothing is missed.

    This finds requests made while Home Assistant was down, or while another tool
    owns Jellyseerr's one webhook.
    """

    service = Service.JELLYSEERR

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MediaRequestTrackerConfigEntry,
        hub: TrackerHub,
        client: JellyseerrClient,
        backfill: timedelta,
    ) -> None:
        """Poll one Jellyseerr; `backfill` limits the very first import."""
        super().__init__(hass, entry, hub, REQUESTS_INTERVAL)
        self.client = client
        self._backfill = backfill

    async def _async_poll(self) -> timedelta:
        first = not self.hub.backfilled
        take = BACKFILL_REQUESTS if first else NEW_REQUESTS_PER_POLL
        since = dt_util.utcnow() - self._backfill
        skipped: list[str] = []
        for remote in await self.client.async_get_requests(take):
            known = self.hub.tracker.requests.get(remote.request_key)
            if known is None and remote.request_key in self.hub.tracker.tombstones:
                continue
            if (
                known is None
                and first
                and (
                    remote.updated_at < since
                    or remote.status is RequestStatus.AVAILABLE
                )
            ):
                # Years of old, finished requests must not flood devices and events,
                # now or when a later poll lists them again.
                skipped.append(remote.request_key)
                continue
            evidence = await self._async_evidence(remote, known)
            self._apply(evidence, Origin.BACKFILL if first else Origin.POLL)
        if first:
            self.hub.finish_backfill(skipped)
        return REQUESTS_INTERVAL

    async def _async_evidence(
        self, remote: RemoteRequest, known: Request | None
    ) -> RequestEvidence:
        """The REST view of a request; titles are looked up only for new ones."""
        if known is not None:
            title, year, poster, overview, imdb = (
                known.title,
                known.year,
                known.poster_url,
                known.overview,
                known.imdb_id,
            )
        else:
            details = await self.client.async_get_details(
                remote.media_type, remote.tmdb_id
            )
            title, year, poster, overview, imdb = (
                details.title,
                details.year,
                details.poster_url,
                details.overview,
                details.imdb_id,
            )
        return RequestEvidence(
            request_key=remote.request_key,
            status=remote.status,
            media_type=remote.media_type,
            title=title,
            detail=f"Jellyseerr: {remote.status.value}",
            year=year,
            tmdb_id=remote.tmdb_id,
            tvdb_id=remote.tvdb_id,
            imdb_id=imdb,
            poster_url=poster,
            overview=overview,
            requested_by=remote.requested_by,
            requested_seasons=remote.seasons,
            is_4k=remote.is_4k,
        )
