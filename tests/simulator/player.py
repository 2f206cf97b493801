"""Play scenarios: turn each step into state changes and webhooks in every service.

The player is the only place that knows how the services relate: which *arr a title
belongs to, the info hash of a release (derived from the seed, so a run is repeatable),
which files an import produced, which Shoko file ids and Jellyfin items they became.
Steps run one at a time in time order, so webhooks go out in a deterministic sequence.
A `DelayedGrab` brings its own `SendPending` when its delay ends, and scenarios with
health steps get a tick at the end of the *arr start-up grace (`HealthCheckService`
re-checks at the first event after it).
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
import hashlib
import logging
from typing import Any, assert_never

from .catalog import MOVIES, RELEASES, SERIES, Movie, Release, Series, media
from .clock import SimClock
from .jellyfin import JellyfinServer, ShokoFileRef
from .jellyseerr import USERS, JellyseerrServer, MediaRequest
from .qbittorrent import QBittorrentServer
from .radarr import RadarrServer, folder_path
from .scenarios import (
    Approve,
    Available,
    BlockImport,
    Blocklist,
    DelayedGrab,
    DeleteFile,
    DeleteMedia,
    DeleteRequest,
    FailDownload,
    Grab,
    HealthFail,
    HealthRestore,
    IgnoreDownload,
    Import,
    LibraryAdd,
    LoseAvailability,
    Offer,
    Preload,
    ProcessFailed,
    RemoveDownload,
    Request,
    Scenario,
    Search,
    SendPending,
    ShokoDetect,
    ShokoHash,
    ShokoMatch,
    Stall,
    Step,
    StopTorrent,
)
from .shoko import ShokoFile, ShokoServer
from .sonarr import SonarrServer, series_path

_LOGGER = logging.getLogger(__name__)
USERS_BY_NAME = {user.name: user for user in USERS.values()}


@dataclass(frozen=True, slots=True)
class Services:
    """The fake services a player drives, and their clock."""

    clock: SimClock
    jellyseerr: JellyseerrServer
    radarr: RadarrServer
    sonarr: SonarrServer
    qbittorrent: QBittorrentServer
    jellyfin: JellyfinServer
    shoko: ShokoServer


@dataclass(frozen=True, slots=True)
class ImportedFile:
    """A file an import put in the library (`episode` is None for a movie)."""

    path: str
    size: int
    episode: tuple[int, int] | None


class ScenarioPlayer:
    """Runs scenario steps against the services; see the module docstring."""

    def __init__(self, services: Services, seed: int) -> None:
        """Start with nothing played."""
        self.services = services
        self.seed = seed
        self._requests: dict[str, MediaRequest] = {}
        self._imported: dict[str, list[ImportedFile]] = {}
        self._shoko_files: dict[str, list[ShokoFile]] = {}
        self._shoko_refs: dict[str, ShokoFileRef] = {}  # by library path
        self._jellyfin_ids: dict[str, str] = {}  # by catalog key
        # What follows each offered release's grab, and those under way.
        self._after_offers: dict[str, tuple[Step, ...]] = {}
        self._following: set[asyncio.Task[None]] = set()
        services.radarr.on_offer_grabbed = self._offer_grabbed
        services.sonarr.on_offer_grabbed = self._offer_grabbed

    def request_of(self, key: str) -> MediaRequest | None:
        """The Jellyseerr request made for a title (None: none, or deleted since)."""
        return self._requests.get(key)

    def info_hash(self, release: Release) -> str:
        """The release's torrent info hash (lower case; the *arr upper-cases it)."""
        text = f"{self.seed}:{release.key}".encode()
        return hashlib.sha1(text, usedforsecurity=False).hexdigest()

    async def play(self, scenarios: Sequence[Scenario]) -> None:
        """Run every step of the scenarios, interleaved by time (ties: listed order)."""
        timeline: list[tuple[float, int, float, str, Step | None]] = []
        for order, scenario in enumerate(scenarios):
            for index, step in enumerate(scenario.steps):
                timeline.append((step.at, order, index, scenario.name, step))
                if isinstance(step.action, DelayedGrab):
                    end = step.at + step.action.delay_seconds
                    send = Step(end, SendPending(step.action.release), step.webhooks)
                    timeline.append((end, order, index + 0.5, scenario.name, send))
        if any(
            isinstance(entry[4].action, HealthFail)
            for entry in timeline
            if entry[4] is not None
        ):
            grace = self.services.radarr.health_grace
            timeline.append((grace, -1, 0, "start-up grace over", None))
        timeline.sort(key=lambda entry: entry[:3])
        for at, _, _, name, due in timeline:
            await self.services.clock.sleep_until(at)
            if due is None:
                _LOGGER.info("%7.1f s  %s", at, name)
                await self.health_tick()
                continue
            _LOGGER.info("%7.1f s  %s: %s", at, name, due.action)
            await self.apply(due)
        _LOGGER.info("all scenario steps played")

    def stop(self) -> None:
        """Stop playing what follows offered releases' grabs."""
        for task in self._following:
            task.cancel()

    def _offer_grabbed(self, release: Release) -> None:
        """The *arr grabbed an offered release: its `then` steps start now."""
        steps = self._after_offers.pop(release.key, ())
        if not steps:
            return
        task = asyncio.create_task(
            self._play_after(self.services.clock.now(), steps), name="offer follow-up"
        )
        self._following.add(task)
        task.add_done_callback(self._following.discard)

    async def _play_after(self, start: float, steps: tuple[Step, ...]) -> None:
        for step in sorted(steps, key=lambda step: step.at):
            await self.services.clock.sleep_until(start + step.at)
            _LOGGER.info("%7.1f s  after the grab: %s", start + step.at, step.action)
            await self.apply(step)

    async def health_tick(self) -> None:
        """Radarr and Sonarr send the health webhooks the start-up grace held back."""
        await self.services.radarr.health_tick()
        await self.services.sonarr.health_tick()

    async def apply(self, step: Step) -> None:
        """Carry out one step."""
        action, send = step.action, step.webhooks
        match action:
            case (
                Request()
                | Approve()
                | Available()
                | LoseAvailability()
                | DeleteRequest()
                | Blocklist()
                | Preload()
            ):
                await self._request_step(action, send)
            case (
                Grab()
                | Offer()
                | DelayedGrab()
                | SendPending()
                | Search()
                | BlockImport()
                | Import()
                | DeleteFile()
                | DeleteMedia()
            ):
                await self._arr_step(action, send)
            case HealthFail() | HealthRestore():
                await self._health_step(action, send)
            case FailDownload(key):
                self._arr(RELEASES[key]).fail_download(RELEASES[key])
            case ProcessFailed(key):
                self._arr(RELEASES[key]).process_failed(RELEASES[key])
            case IgnoreDownload(key):
                self._arr(RELEASES[key]).ignore_download(RELEASES[key])
            case Stall(key):
                self.services.qbittorrent.stall_torrent(self.info_hash(RELEASES[key]))
            case StopTorrent(key):
                self.services.qbittorrent.stop_torrent(self.info_hash(RELEASES[key]))
            case RemoveDownload(key):
                self.services.qbittorrent.remove_torrent(self.info_hash(RELEASES[key]))
            case ShokoDetect() | ShokoHash() | ShokoMatch():
                await self._shoko_step(action)
            case LibraryAdd(key):
                await self._library_add(RELEASES[key], send)
            case _ as unreachable:
                assert_never(unreachable)

    async def _request_step(
        self,
        action: Request
        | Approve
        | Available
        | LoseAvailability
        | DeleteRequest
        | Blocklist
        | Preload,
        send: bool,
    ) -> None:
        """What happens in Jellyseerr (and what it asks of Radarr/Sonarr)."""
        jellyseerr = self.services.jellyseerr
        match action:
            case Request(key, user, seasons, auto_approve):
                request = jellyseerr.create_request(
                    media(key), USERS_BY_NAME[user], seasons, approved=auto_approve
                )
                self._requests[key] = request
                if send:
                    kind = "MEDIA_AUTO_APPROVED" if auto_approve else "MEDIA_PENDING"
                    await jellyseerr.notify(kind, request)
                if auto_approve:
                    await self._send_to_arr(request, send)
            case Approve(key):
                request = self._requests[key]
                jellyseerr.approve(request)
                if send:
                    await jellyseerr.notify("MEDIA_APPROVED", request)
                await self._send_to_arr(request, send)
            case Available(key):
                for request in self._scan(key) if send else ():
                    await jellyseerr.notify("MEDIA_AVAILABLE", request)
            case LoseAvailability(key):
                jellyseerr.mark_deleted(media(key))
            case DeleteRequest(key):
                jellyseerr.delete_request(self._requests.pop(key))
            case Blocklist(key):
                jellyseerr.blocklist(media(key))
            case Preload(key, user):
                await self._preload(RELEASES[key], user)

    async def _arr_step(
        self,
        action: Grab
        | Offer
        | DelayedGrab
        | SendPending
        | Search
        | BlockImport
        | Import
        | DeleteFile
        | DeleteMedia,
        send: bool,
    ) -> None:
        """What happens in Radarr/Sonarr (and, through them, in qBittorrent)."""
        match action:
            case Grab(key, seconds):
                release = RELEASES[key]
                arr = self._arr(release)
                payload = arr.grab(release, self.info_hash(release), seconds)
                await self._emit(arr, "onGrab", payload, send)
            case DelayedGrab(key, delay, seconds):
                release = RELEASES[key]
                self._arr(release).hold(release, delay, seconds)
            case SendPending(key):
                release = RELEASES[key]
                arr = self._arr(release)
                sent = arr.send_pending(release, self.info_hash(release))
                await self._emit(arr, "onGrab", sent, send)
            case Offer(key, seconds, then):
                release = RELEASES[key]
                self._after_offers[key] = then
                self._arr(release).offer(release, self.info_hash(release), seconds)
            case Search(key):
                self._user_search(key)
            case BlockImport(key, message):
                release = RELEASES[key]
                arr = self._arr(release)
                payload = arr.block_import(release, message)
                await self._emit(arr, "onManualInteractionRequired", payload, send)
            case Import(key):
                await self._import(RELEASES[key], send)
            case DeleteFile(key, episode):
                await self._delete_file(key, episode, send)
            case DeleteMedia(key):
                await self._delete_media(key, send)

    async def _health_step(
        self, action: HealthFail | HealthRestore, send: bool
    ) -> None:
        """A Radarr/Sonarr health check fails or passes again."""
        match action:
            case HealthFail(service, source, level, message):
                await self._arr_of(service).fail_health(
                    source, level, message, send=send
                )
            case HealthRestore(service, source):
                await self._arr_of(service).restore_health(source, send=send)

    async def _shoko_step(self, action: ShokoDetect | ShokoHash | ShokoMatch) -> None:
        """What Shoko does with imported anime files (events go to the hub)."""
        shoko = self.services.shoko
        match action:
            case ShokoDetect(key):
                self._shoko_files[key] = [
                    await shoko.detect(file.path, file.size)
                    for file in self._imported[key]
                ]
            case ShokoHash(key):
                for shoko_file in self._shoko_files[key]:
                    await shoko.hash(shoko_file)
            case ShokoMatch(key, matched):
                await self._shoko_match(RELEASES[key], matched)

    # --- helpers -------------------------------------------------------------------

    def _arr(self, release: Release) -> RadarrServer | SonarrServer:
        return self.services.radarr if release.media in MOVIES else self.services.sonarr

    def _arr_of(self, service: str) -> RadarrServer | SonarrServer:
        match service:
            case "radarr":
                return self.services.radarr
            case "sonarr":
                return self.services.sonarr
        raise ValueError(f"{service} has no health checks")

    def _user_search(self, key: str) -> None:
        """A user's search, queued as the UI does (`POST /command`, user-invoked)."""
        title = media(key)
        if isinstance(title, Movie):
            self.services.radarr.queue_command(
                "MoviesSearch", {"movieIds": [title.radarr_id]}
            )
        else:
            self.services.sonarr.queue_command(
                "SeriesSearch", {"seriesId": title.sonarr_id}
            )

    def _scan(self, key: str) -> list[MediaRequest]:
        """Jellyseerr's scan of one title: what Jellyfin has of it (per season)."""
        item_id = self._jellyfin_ids.get(key)
        episodes = None
        if item_id is not None and key in SERIES:
            episodes = self.services.jellyfin.episodes_on_disk(item_id)
        return self.services.jellyseerr.mark_available(media(key), item_id, episodes)

    @staticmethod
    async def _emit(
        arr: RadarrServer | SonarrServer,
        flag: str,
        payload: dict[str, Any] | None,
        send: bool,
    ) -> None:
        if send and payload is not None:
            await arr.emit(flag, payload)

    async def _send_to_arr(self, request: MediaRequest, send: bool) -> None:
        """Jellyseerr adds the title to Radarr/Sonarr (a no-op when it is already there)."""
        s = self.services
        title = request.entry.media
        if isinstance(title, Movie):
            await self._emit(s.radarr, "onMovieAdded", s.radarr.add_movie(title), send)
        else:
            payload = s.sonarr.add_series(title, request.seasons)
            await self._emit(s.sonarr, "onSeriesAdd", payload, send)
        s.jellyseerr.start_processing(request)

    async def _import(self, release: Release, send: bool) -> None:
        s = self.services
        if release.media in MOVIES:
            payload, movie_file = s.radarr.import_download(release)
            await self._emit(s.radarr, "onDownload", payload, send)
            self._imported[release.key] = [
                ImportedFile(movie_file.path, movie_file.size, None)
            ]
            return
        per_file, complete, files = s.sonarr.import_download(release)
        for payload in per_file:
            await self._emit(s.sonarr, "onDownload", payload, send)
        await self._emit(s.sonarr, "onImportComplete", complete, send)
        self._imported[release.key] = [
            ImportedFile(f.path, f.size, (f.episode.season, f.episode.number))
            for f in files
        ]

    async def _shoko_match(self, release: Release, matched: bool) -> None:
        shoko = self.services.shoko
        title = media(release.media)
        if title.anime is None:
            raise ValueError(f"{title.title} is not anime")
        for file, shoko_file in zip(
            self._imported[release.key], self._shoko_files[release.key], strict=True
        ):
            if not matched:
                await shoko.not_matched(shoko_file)
                continue
            if isinstance(title, Series) and file.episode is not None:
                episode = title.episode(*file.episode)
                anidb_episode, shoko_episode, tmdb_movie = (
                    episode.anidb_id,
                    episode.shoko_id,
                    None,
                )
            else:
                anidb_episode = title.anime.anidb_episode_id
                shoko_episode = title.anime.shoko_episode_id
                tmdb_movie = title.tmdb_id
            await shoko.match(
                shoko_file, title.anime, anidb_episode, shoko_episode, tmdb_movie
            )
            self._shoko_refs[file.path] = ShokoFileRef(
                shoko_file.id, shoko_episode, anidb_episode
            )

    async def _library_add(self, release: Release, send: bool) -> None:
        """A Jellyfin scan picks up the imported files (via Shokofin for anime)."""
        jellyfin = self.services.jellyfin
        files = self._imported[release.key]
        if release.media in MOVIES:
            (file,) = files
            item = jellyfin.add_movie(
                MOVIES[release.media], file.path, self._shoko_refs.get(file.path)
            )
            self._jellyfin_ids[release.media] = item.id
            added = [item]
        else:
            series = SERIES[release.media]
            paths = {f.episode: f.path for f in files if f.episode is not None}
            refs = {
                f.episode: self._shoko_refs[f.path]
                for f in files
                if f.episode is not None and f.path in self._shoko_refs
            }
            added = jellyfin.add_episodes(series, paths, refs or None)
            for item in added:
                if item.type == "Series":
                    self._jellyfin_ids[release.media] = item.id
        if send:
            await jellyfin.notify_added(added)

    async def _preload(self, release: Release, user: str) -> None:
        """Everything a finished request leaves behind, without any event."""
        s = self.services
        title = media(release.media)
        seasons = tuple(sorted({season for season, _ in release.episodes}))
        request = s.jellyseerr.create_request(
            title, USERS_BY_NAME[user], seasons, approved=True
        )
        self._requests[release.media] = request
        if isinstance(title, Movie):
            movie_file = s.radarr.preload(release)
            self._imported[release.key] = [
                ImportedFile(movie_file.path, movie_file.size, None)
            ]
        else:
            self._imported[release.key] = [
                ImportedFile(f.path, f.size, (f.episode.season, f.episode.number))
                for f in s.sonarr.preload(release)
            ]
        await self._library_add(release, send=False)
        self._scan(release.media)

    async def _delete_file(
        self, key: str, episode: tuple[int, int] | None, send: bool
    ) -> None:
        s = self.services
        title = media(key)
        if isinstance(title, Movie):
            payload = s.radarr.delete_file(title)
            s.jellyfin.remove_path(folder_path(title))
            await self._emit(s.radarr, "onMovieFileDelete", payload, send)
            return
        if episode is None:
            raise ValueError("a series file delete needs an episode")
        payload = s.sonarr.delete_file(title, title.episode(*episode))
        s.jellyfin.remove_path(payload["episodeFile"]["path"])
        await self._emit(s.sonarr, "onEpisodeFileDelete", payload, send)

    async def _delete_media(self, key: str, send: bool) -> None:
        s = self.services
        title = media(key)
        if isinstance(title, Movie):
            s.jellyfin.remove_path(folder_path(title))
            await self._emit(
                s.radarr, "onMovieDelete", s.radarr.delete_movie(title), send
            )
        else:
            s.jellyfin.remove_path(series_path(title))
            await self._emit(
                s.sonarr, "onSeriesDelete", s.sonarr.delete_series(title), send
            )
