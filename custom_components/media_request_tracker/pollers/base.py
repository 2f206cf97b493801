"""Pollers: confirm and repair what webhooks miss (DESIGN §2.1).

Each service is a DataUpdateCoordinator: Home Assistant schedules it, logs a failure
once and the recovery once, and its connectivity sensor follows `last_update_success`.
A poll never changes state itself: it turns answers into evidence for the hub, which
applies them exactly like webhooks (origin `poll`).
"""

from abc import abstractmethod
from dataclasses import replace
from datetime import datetime, timedelta

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER, REAUTH_SERVICE
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
from .engine.models import MediaType, Request, Service, ShokoFile, State
from .hub import MediaRequestTrackerConfigEntry, Origin, TrackerHub
from .sources.errors import (
    UNUSABLE_ANSWER,
    CannotConnect,
    InvalidAuth,
    InvalidPayload,
    NotFound,
    WrongService,
)
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
# A service failing this long gets a repair (a restart of it is not worth one).
UNREACHABLE_REPAIR_AFTER = timedelta(hours=1)
# Each tracked request's files are looked up in Radarr/Sonarr at most this often.
LIBRARY_CHECK_INTERVAL = timedelta(minutes=5)
NEW_REQUESTS_PER_POLL = 20
BACKFILL_REQUESTS = 100
# Shokofin's provider ids on Jellyfin items (reference §4.1).
SHOKO_FILE = "Shoko File"
SHOKO_SERIES = "Shoko Series"
# Where a request waits for Jellyfin.
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
        self.entry = entry
        self._unreachable_since: datetime | None = None

    async def _async_update_data(self) -> None:
        """Poll, mapping client failures to translated update failures."""
        try:
            self.update_interval = await self._async_poll()
        except InvalidAuth as err:
            if self.service is Service.JELLYSEERR:
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key="jellyseerr_invalid_auth"
                ) from err
            # The entry keeps working without this service meanwhile; the reauth
            # flow asks for this service's credentials (not Jellyseerr's).
            self.entry.async_start_reauth(
                self.hass, data={REAUTH_SERVICE: self.service.value}
            )
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="service_invalid_auth",
                translation_placeholders={"service": self.service.display_name},
            ) from err
        except UNUSABLE_ANSWER as err:
            self._note_unreachable()
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="service_unavailable",
                translation_placeholders={
                    "service": self.service.display_name,
                    "error": str(err),
                },
            ) from err

        self._note_reachable()

    def _note_unreachable(self) -> None:
        """A repair once the service has been unreachable for a long time."""
        now = dt_util.utcnow()
        self._unreachable_since = self._unreachable_since or now
        if now - self._unreachable_since >= UNREACHABLE_REPAIR_AFTER:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self._unreachable_issue,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="service_unreachable",
                translation_placeholders={
                    "service": self.service.display_name,
                    "entry": self.entry.title,
                    "since": self._unreachable_since.isoformat(timespec="minutes"),
                },
            )

    def _note_reachable(self) -> None:
        if self._unreachable_since is not None:
            self._unreachable_since = None
            ir.async_delete_issue(self.hass, DOMAIN, self._unreachable_issue)

    @property
    def _unreachable_issue(self) -> str:
        return f"service_unreachable_{self.service.value}_{self.entry.entry_id}"

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


class ArrPoller[ClientT: (RadarrClient, SonarrClient)](ServicePoller):
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
        client: ClientT,
        *,
        queue_progress: bool,
    ) -> None:
        """`queue_progress` is off when qBittorrent reports progress itself."""
        super().__init__(hass, entry, hub, QUEUE_IDLE)
        self.client: ClientT = client
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
        client = self.client
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

    @abstractmethod
    async def _async_check_library(self, request: Request) -> None:
        """Evidence of files that are already in the library."""


class RadarrPoller(ArrPoller[RadarrClient]):
    """Radarr's queue, and movies whose file is already there."""

    service = Service.RADARR
    media_type = MediaType.MOVIE

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


class SonarrPoller(ArrPoller[SonarrClient]):
    """Sonarr's queue, and each show's aired episodes and their files."""

    service = Service.SONARR
    media_type = MediaType.TV

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
        """Shokofin's file id (anime), then TMDB/TVDB/IMDb ids, then title and year.

        There is no provider-id filter: narrow by title and year, match ids here.
        Shokofin gives anime no TMDB id by default, so its name is the last resort.
        """
        shoko = request.shoko
        if (
            shoko is not None
            and shoko.matched
            and await self._async_verify_shoko_movie(request, shoko)
        ):
            return
        items = await self.client.async_find_movies(
            year=request.year, search_term=request.title
        )
        if not any(_same_title(item, request) for item in items):
            items = await self.client.async_find_movies(
                year=None, search_term=request.title
            )
        playable = [item for item in items if item.playable]
        found = next((item for item in playable if _same_title(item, request)), None)
        if found is not None:
            self._apply(_library_evidence(found, ItemKind.MOVIE))
        elif request.is_anime and (
            named := next((i for i in playable if _same_name(i, request)), None)
        ):
            # Found by name: the request's TMDB id tells the tracker which it is.
            evidence = _library_evidence(named, ItemKind.MOVIE)
            self._apply(replace(evidence, tmdb_id=request.tmdb_id))

    async def _async_verify_shoko_movie(
        self, request: Request, shoko: ShokoFile
    ) -> bool:
        """Find the movie by Shokofin's `Shoko File` id.

        As a movie of its year, or as an episode of its Shoko series: Shokofin files
        some anime movies as series.
        """
        file_id = str(shoko.file_id)
        for item in await self.client.async_find_movies(
            year=request.year, search_term=None
        ):
            if item.playable and item.provider_ids.get(SHOKO_FILE) == file_id:
                self._apply(_library_evidence(item, ItemKind.MOVIE))
                return True
        if shoko.series_id is None:
            return False
        for series in await self._async_find_series(request, {str(shoko.series_id)}):
            for episode in await self.client.async_get_episodes(series.item_id):
                if episode.playable and episode.provider_ids.get(SHOKO_FILE) == file_id:
                    self._apply(_library_evidence(episode, ItemKind.EPISODE))
                    return True
        return False

    async def _async_verify_show(self, request: Request) -> None:
        """The show's series (Shokofin's by their Shoko series), then its episodes."""
        for series in await self._async_find_series(
            request, _shoko_series_ids(request)
        ):
            self._apply(_library_evidence(series, ItemKind.SERIES))
            for episode in await self.client.async_get_episodes(series.item_id):
                if episode.playable:
                    self._apply(_library_evidence(episode, ItemKind.EPISODE))

    async def _async_find_series(
        self, request: Request, shoko_series: set[str]
    ) -> list[LibraryItem]:
        """Series with the request's ids or one of these Shoko series ids.

        Searched by title; Shokofin names anime after AniDB, so Shoko series are
        looked for among all series of the request's year too.
        """

        def ours(item: LibraryItem) -> bool:
            return (
                _same_title(item, request)
                or item.provider_ids.get(SHOKO_SERIES) in shoko_series
            )

        found = [
            item
            for item in await self.client.async_find_series(
                search_term=request.title, year=None
            )
            if ours(item)
        ]
        if found or not shoko_series:
            return found
        return [
            item
            for item in await self.client.async_find_series(
                search_term=None, year=request.year
            )
            if ours(item)
        ]


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


def _same_name(item: LibraryItem, request: Request) -> bool:
    """The item has the request's title and year (for items without known ids)."""
    return item.name.casefold() == request.title.casefold() and (
        request.year is None or item.year == request.year
    )


def _shoko_series_ids(request: Request) -> set[str]:
    """The Shoko series of a show's matched episodes (Shokofin's `Shoko Series`)."""
    return {
        str(episode.shoko.series_id)
        for episode in request.episodes.values()
        if episode.shoko is not None and episode.shoko.series_id is not None
    }


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
        shoko_file_id=number(SHOKO_FILE),
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
            if evidence is not None:
                self._apply(evidence, Origin.BACKFILL if first else Origin.POLL)
        if first:
            self.hub.finish_backfill(skipped)
        return REQUESTS_INTERVAL

    async def _async_evidence(
        self, remote: RemoteRequest, known: Request | None
    ) -> RequestEvidence | None:
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
            try:
                details = await self.client.async_get_details(
                    remote.media_type, remote.tmdb_id
                )
            except (CannotConnect, WrongService, NotFound, InvalidPayload) as err:
                # Jellyseerr answers 500 when TMDB fails it; the next poll tries again.
                LOGGER.debug(
                    "No details for request %s yet: %s", remote.request_key, err
                )
                return None
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
