"""Fake Sonarr v4: v3 REST API and webhooks (reference `arr-jellyseerr.md` §3).

A release covers several episodes, so the queue and history show one record per episode
(Sonarr v4), and an import sends one "On File Import" `Download` per file (`episodeFile`)
followed by one "On Import Complete" `Download` for the release (`episodeFiles[]`).
Episodes carry `lastSearchTime` once a search for them reached the indexers (addendum
§1e).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
import os.path
from typing import Any, ClassVar

from aiohttp import web

from .arr import (
    DOWNLOAD_CLIENT,
    HEALTH_GRACE_SECONDS,
    ArrServer,
    HistoryRecord,
    PendingRelease,
    TrackedDownload,
    custom_format_info,
    custom_formats_json,
    language_json,
    media_info,
    stable_id,
    tags_json,
)
from .catalog import (
    QUALITIES,
    SERIES,
    Episode,
    Release,
    Series,
    air_datetime,
    release_files,
)
from .clock import SimClock, iso_seconds, iso_ticks
from .qbittorrent import SAVE_PATH, QBittorrentServer
from .server import Service
from .webhooks import WebhookSender

SONARR_FLAGS = (
    "onGrab",
    "onDownload",
    "onUpgrade",
    "onImportComplete",
    "onRename",
    "onSeriesAdd",
    "onSeriesDelete",
    "onEpisodeFileDelete",
    "onEpisodeFileDeleteForUpgrade",
    "onHealthIssue",
    "onHealthRestored",
    "onApplicationUpdate",
    "onManualInteractionRequired",
)
SERIES_ROOT = "/data/tv"
ANIME_SERIES_ROOT = "/data/anime/shows"
BLOCKED_MESSAGE = (
    "Found matching series via grab history, but release was matched to series by ID. "
    "Automatic import is not possible. See the FAQ for details."
)
TEST_PAYLOAD: dict[str, Any] = {
    "series": {
        "id": 1,
        "title": "Test Title",
        "path": "C:\\testpath",
        "tvdbId": 1234,
        "tvMazeId": 0,
        "tmdbId": 0,
        "type": "standard",
        "year": 0,
        "tags": ["test-tag"],
    },
    "episodes": [
        {
            "id": 123,
            "episodeNumber": 1,
            "seasonNumber": 1,
            "title": "Test title",
            "seriesId": 0,
            "tvdbId": 0,
        }
    ],
}


@dataclass(frozen=True, slots=True)
class EpisodeFile:
    """An imported episode file."""

    id: int
    series: Series
    episode: Episode
    release: Release
    relative_path: str
    size: int
    date_added: datetime
    source_path: str

    @property
    def path(self) -> str:
        """The absolute path in Sonarr's library."""
        return f"{series_path(self.series)}/{self.relative_path}"


@dataclass(slots=True)
class LibrarySeries:
    """A series in Sonarr's library; files are keyed by Sonarr episode id."""

    series: Series
    added: datetime
    monitored_seasons: set[int]
    files: dict[int, EpisodeFile] = field(default_factory=dict)
    grabbed: dict[int, datetime] = field(default_factory=dict)
    searched: dict[int, datetime] = field(default_factory=dict)  # lastSearchTime


def series_path(series: Series) -> str:
    """The series folder (anime series live under their own root folder)."""
    root = ANIME_SERIES_ROOT if series.anime else SERIES_ROOT
    return f"{root}/{series.title}"


class SonarrServer(ArrServer):
    """Sonarr v4: series, episodes, queue, history, commands, connections, webhooks."""

    app_name = "Sonarr"
    version = "4.0.19.2979"
    live_grab_name = "episode"
    live_file_name = "episodefile"
    live_media_name = "series"
    live_id_key = "seriesId"
    event_flags = SONARR_FLAGS
    history_event_ids: ClassVar[Mapping[str, int]] = {
        "grabbed": 1,
        "seriesFolderImported": 2,
        "downloadFolderImported": 3,
        "downloadFailed": 4,
        "episodeFileDeleted": 5,
        "episodeFileRenamed": 6,
        "downloadIgnored": 7,
    }
    commands: ClassVar[Mapping[str, Sequence[str]]] = {
        "EpisodeSearch": ("episodeIds",),
        "SeasonSearch": ("seriesId", "seasonNumber"),
        "SeriesSearch": ("seriesId",),
        "MissingEpisodeSearch": ("seriesId",),
    }
    wiki_base = "https://wiki.servarr.com/sonarr/system"
    health_application_url = False
    rss_sync_minutes = 15

    def __init__(
        self,
        clock: SimClock,
        qbittorrent: QBittorrentServer,
        sender: WebhookSender,
        api_key: str,
        *,
        health_grace: float = HEALTH_GRACE_SECONDS,
    ) -> None:
        """Create the fake with an empty library."""
        super().__init__(
            Service.SONARR,
            clock,
            qbittorrent,
            sender,
            api_key,
            health_grace=health_grace,
        )
        self.series: dict[int, LibrarySeries] = {}
        router = self.app.router
        router.add_get("/api/v3/series", self._list_series)
        router.add_get("/api/v3/series/{id:\\d+}", self._get_series)
        router.add_get("/api/v3/episode", self._list_episodes)

    # --- library changes -----------------------------------------------------------

    def add_series(
        self, series: Series, seasons: Sequence[int]
    ) -> dict[str, Any] | None:
        """Add a series or monitor more seasons; `SeriesAdd` payload when it is new.

        Either way Jellyseerr has the missing episodes searched (`addOptions`
        `searchForMissingEpisodes`, or its `MissingEpisodeSearch` command after an
        update); nothing is grabbed here (a `Grab` step does that).
        """
        entry = self.series.get(series.sonarr_id)
        if entry is not None:
            entry.monitored_seasons.update(seasons)
            self.search_missing(entry)
            return None
        entry = LibrarySeries(series, self.clock.wall_now(), set(seasons))
        self.series[series.sonarr_id] = entry
        self.search_missing(entry)
        return {"series": self.webhook_series(series), **self.base_payload("SeriesAdd")}

    def search_missing(self, entry: LibrarySeries) -> None:
        """`MissingEpisodeSearch` for a series: monitored, aired, without a file."""
        self._searched(
            entry,
            (
                e
                for e in entry.series.episodes
                if e.season in entry.monitored_seasons
                and e.sonarr_id not in entry.files
                and self._aired(e)
            ),
        )

    def search_series(self, entry: LibrarySeries) -> None:
        """`SeriesSearch`: a season search per monitored season (all its episodes).

        That is `SeasonSearch(missingOnly: !UpgradeAllowed)`, here with upgrades
        allowed; a series without monitored seasons is not modelled.
        """
        self._searched(
            entry,
            (e for e in entry.series.episodes if e.season in entry.monitored_seasons),
        )

    def _searched(self, entry: LibrarySeries, episodes: Iterable[Episode]) -> None:
        """`ReleaseSearchService.Dispatch`: the criteria's episodes were searched."""
        now = self.clock.wall_now()
        for episode in episodes:
            entry.searched[episode.sonarr_id] = now

    def search_again(self, media_id: int) -> None:
        """Sonarr searches the series' missing episodes by itself."""
        if (entry := self.series.get(media_id)) is not None:
            self.search_missing(entry)

    def run_command(self, name: str, body: Mapping[str, Any]) -> None:
        """The search commands (`EpisodeSearchService`, `SeasonSearchService`, …)."""
        if name == "EpisodeSearch":
            wanted = {int(i) for i in body.get("episodeIds", [])}
            for each in self.series.values():
                self._searched(
                    each, (e for e in each.series.episodes if e.sonarr_id in wanted)
                )
            return
        entry = self.series.get(int(body.get("seriesId", 0)))
        if entry is None:
            return
        if name == "SeasonSearch":  # every episode of the season
            season = int(body.get("seasonNumber", -1))
            self._searched(
                entry, (e for e in entry.series.episodes if e.season == season)
            )
        elif name == "SeriesSearch":
            self.search_series(entry)
        elif name == "MissingEpisodeSearch":
            self.search_missing(entry)

    def release_ids(self, release: Release) -> tuple[int, tuple[int, ...]]:
        """The series' Sonarr id and the ids of the episodes the release covers."""
        series = SERIES[release.media]
        return series.sonarr_id, tuple(
            series.episode(*key).sonarr_id for key in release.episodes
        )

    def grab(self, release: Release, info_hash: str, seconds: float) -> dict[str, Any]:
        """Send a release to qBittorrent; the `Grab` payload (all its episodes)."""
        series = SERIES[release.media]
        episodes = [series.episode(*key) for key in release.episodes]
        entry = self.series[series.sonarr_id]
        for episode in episodes:
            entry.grabbed[episode.sonarr_id] = self.clock.wall_now()
        download = self.track(
            release, info_hash, series.sonarr_id, tuple(e.sonarr_id for e in episodes)
        )
        self.qbittorrent.add_torrent(info_hash, release, "tv-sonarr", seconds)
        self.add_history(
            "grabbed",
            release,
            series.sonarr_id,
            download.download_id,
            self.grab_history_data(release, info_hash)
            | {
                "tvdbId": str(series.tvdb_id),
                "tvRageId": "0",
                "imdbId": series.imdb_id,
                "seriesMatchType": "Title",
                "releaseType": _release_type(release),
            },
            download.episode_ids,
        )
        return {
            "series": self.webhook_series(series),
            "episodes": [self.webhook_episode(series, e) for e in episodes],
            "release": {
                "quality": release.quality,
                "qualityVersion": release.quality_version,
                "releaseGroup": release.group,
                "releaseTitle": release.name,
                "indexer": release.indexer,
                "size": release.size,
                "customFormatScore": release.custom_format_score,
                "customFormats": list(release.custom_formats),
                "languages": [language_json(series.language)],
            },
            "downloadClient": DOWNLOAD_CLIENT,
            "downloadClientType": "qBittorrent",
            "downloadId": download.download_id,
            "customFormatInfo": custom_format_info(release),
            **self.base_payload("Grab"),
        }

    def block_import(self, release: Release, message: str) -> dict[str, Any]:
        """The finished download needs a manual import; the MIR payload."""
        download = self.download_for(release)
        download.blocked_messages = (message or BLOCKED_MESSAGE,)
        series = SERIES[release.media]
        return {
            "series": self.webhook_series(series),
            "episodes": [
                self.webhook_episode(series, series.episode(*key))
                for key in release.episodes
            ],
            "downloadInfo": {
                "quality": release.quality,
                "qualityVersion": release.quality_version,
                "title": release.name,
                "size": release.size,
            },
            "downloadClient": DOWNLOAD_CLIENT,
            "downloadClientType": "qBittorrent",
            "downloadId": download.download_id,
            "downloadStatus": "Warning",
            "downloadStatusMessages": [
                {"title": release.name, "messages": list(download.blocked_messages)}
            ],
            "customFormatInfo": custom_format_info(release),
            "release": self._grabbed_release(release),
            **self.base_payload("ManualInteractionRequired"),
        }

    def import_download(
        self, release: Release
    ) -> tuple[list[dict[str, Any]], dict[str, Any], list[EpisodeFile]]:
        """Import every file: per-file `Download` payloads, the Import Complete one."""
        download = self.download_for(release)
        download.state = "imported"
        download.blocked_messages = ()
        series = SERIES[release.media]
        files = self._add_files(release)
        per_file = []
        for file in files:
            self.add_history(
                "downloadFolderImported",
                release,
                series.sonarr_id,
                download.download_id,
                {
                    "fileId": str(file.id),
                    "droppedPath": file.source_path,
                    "importedPath": file.path,
                    "downloadClient": DOWNLOAD_CLIENT,
                    "downloadClientName": DOWNLOAD_CLIENT,
                    "releaseGroup": release.group,
                    "customFormatScore": str(release.custom_format_score),
                    "size": str(file.size),
                    "indexerFlags": "0",
                    "releaseType": _release_type(release),
                },
                (file.episode.sonarr_id,),
                # `SceneName ?? file name`: a pack's scene name is its file's name.
                source_title=os.path.splitext(os.path.basename(file.source_path))[0],
            )
            per_file.append(
                {
                    "series": self.webhook_series(series),
                    "episodes": [self.webhook_episode(series, file.episode)],
                    "episodeFile": {
                        **self.webhook_file(file),
                        "sourcePath": file.source_path,
                    },
                    "isUpgrade": False,
                    "downloadClient": DOWNLOAD_CLIENT,
                    "downloadClientType": "qBittorrent",
                    "downloadId": download.download_id,
                    "customFormatInfo": custom_format_info(release),
                    "release": self._grabbed_release(release),
                    **self.base_payload("Download"),
                }
            )
        complete = {
            "series": self.webhook_series(series),
            "episodes": [self.webhook_episode(series, f.episode) for f in files],
            "episodeFiles": [self.webhook_file(f) for f in files],
            "downloadClient": DOWNLOAD_CLIENT,
            "downloadClientType": "qBittorrent",
            "downloadId": download.download_id,
            "release": self._grabbed_release(release),
            "fileCount": len(files),
            "sourcePath": f"{SAVE_PATH}/{release.name}",
            "destinationPath": os.path.commonpath(
                [os.path.dirname(f.path) for f in files]
            ),
            **self.base_payload("Download"),
        }
        return per_file, complete, files

    def preload(self, release: Release) -> list[EpisodeFile]:
        """A series already in the library with these files (no events)."""
        series = SERIES[release.media]
        self.add_series(series, sorted({season for season, _ in release.episodes}))
        return self._add_files(release)

    def delete_file(self, series: Series, episode: Episode) -> dict[str, Any]:
        """Delete one episode file by hand; the `EpisodeFileDelete` payload."""
        file = self.series[series.sonarr_id].files.pop(episode.sonarr_id)
        self.add_history(
            "episodeFileDeleted",
            file.release,
            series.sonarr_id,
            None,
            {"reason": "Manual"},
            (episode.sonarr_id,),
        )
        return {
            "series": self.webhook_series(series),
            "episodes": [self.webhook_episode(series, episode)],
            "episodeFile": self.webhook_file(file),
            "deleteReason": "manual",
            **self.base_payload("EpisodeFileDelete"),
        }

    def delete_series(self, series: Series) -> dict[str, Any]:
        """Remove the series with its files; the `SeriesDelete` payload."""
        del self.series[series.sonarr_id]
        self.forget_history(series.sonarr_id)
        self.forget_pending(series.sonarr_id)
        return {
            "series": self.webhook_series(series),
            "deletedFiles": True,
            **self.base_payload("SeriesDelete"),
        }

    def _add_files(self, release: Release) -> list[EpisodeFile]:
        series = SERIES[release.media]
        entry = self.series[series.sonarr_id]
        files = []
        for torrent_file in release_files(release):
            for key in torrent_file.episodes:
                episode = series.episode(*key)
                file = EpisodeFile(
                    id=self.next_file_id(),
                    series=series,
                    episode=episode,
                    release=release,
                    relative_path=(
                        f"Season {episode.season}/{series.title} - "
                        f"S{episode.season:02d}E{episode.number:02d} - "
                        f"{episode.title} [{release.quality}].mkv"
                    ),
                    size=torrent_file.size,
                    date_added=self.clock.wall_now(),
                    source_path=f"{SAVE_PATH}/{torrent_file.name}",
                )
                entry.files[episode.sonarr_id] = file
                files.append(file)
        return files

    # --- webhook objects -----------------------------------------------------------

    def webhook_series(self, series: Series) -> dict[str, Any]:
        """`WebhookSeries` (`type`, where REST says `seriesType`)."""
        return {
            "id": series.sonarr_id,
            "title": series.title,
            "titleSlug": _slug(series.title),
            "path": series_path(series),
            "tvdbId": series.tvdb_id,
            "tvMazeId": series.tvmaze_id,
            "tmdbId": series.tmdb_id,
            "imdbId": series.imdb_id,
            "type": "anime" if series.anime else "standard",
            "year": series.year,
            "genres": list(series.genres),
            "images": self._images(series),
            "tags": [],
            "originalLanguage": language_json(series.language),
        }

    def webhook_episode(self, series: Series, episode: Episode) -> dict[str, Any]:
        """`WebhookEpisode`."""
        aired = air_datetime(episode, self.clock)
        return {
            "id": episode.sonarr_id,
            "episodeNumber": episode.number,
            "seasonNumber": episode.season,
            "title": episode.title,
            "airDate": aired.date().isoformat(),
            "airDateUtc": iso_seconds(aired),
            "seriesId": series.sonarr_id,
            "tvdbId": episode.tvdb_id,
        }

    def webhook_file(self, file: EpisodeFile) -> dict[str, Any]:
        """`WebhookEpisodeFile` (without the file-level-only `sourcePath`)."""
        release = file.release
        return {
            "id": file.id,
            "relativePath": file.relative_path,
            "path": file.path,
            "quality": release.quality,
            "qualityVersion": release.quality_version,
            "releaseGroup": release.group,
            "sceneName": release.name.removesuffix(".mkv"),
            "size": file.size,
            "dateAdded": iso_ticks(file.date_added),
            "languages": [language_json(file.series.language)],
            "mediaInfo": media_info(release, file.series.language),
        }

    @staticmethod
    def _grabbed_release(release: Release) -> dict[str, Any]:
        """`WebhookGrabbedRelease` (from the grab history)."""
        return {
            "releaseTitle": release.name,
            "indexer": release.indexer,
            "size": release.size,
            "releaseType": release.release_type,
        }

    @staticmethod
    def _images(series: Series) -> list[dict[str, Any]]:
        return [
            {
                "coverType": "poster",
                "url": f"/MediaCover/{series.sonarr_id}/poster.jpg?lastWrite=639046520000000000",
                "remoteUrl": f"https://image.tmdb.org/t/p/original{series.poster}",
            }
        ]

    def test_payload(self) -> dict[str, Any]:
        """`BuildTestPayload`."""
        return {**TEST_PAYLOAD, **self.base_payload("Test")}

    # --- REST resources ------------------------------------------------------------

    def quality_json(self, release: Release) -> dict[str, Any]:
        """Sonarr's quality model (no `modifier`)."""
        quality_id, _, source, resolution = QUALITIES[release.quality]
        return {
            "quality": {
                "id": quality_id,
                "name": release.quality,
                "source": source,
                "resolution": resolution,
            },
            "revision": {
                "version": release.quality_version,
                "real": 0,
                "isRepack": False,
            },
        }

    def _aired(self, episode: Episode) -> bool:
        return air_datetime(episode, self.clock) <= self.clock.wall_now()

    def series_resource(self, entry: LibrarySeries) -> dict[str, Any]:
        """SeriesResource (selected fields) with season and series statistics."""
        series = entry.series
        seasons = []
        for number in sorted({e.season for e in series.episodes}):
            episodes = [e for e in series.episodes if e.season == number]
            seasons.append(
                {
                    "seasonNumber": number,
                    "monitored": number in entry.monitored_seasons,
                    "statistics": self._statistics(entry, episodes),
                }
            )
        statistics = self._statistics(entry, list(series.episodes))
        statistics["seasonCount"] = len(seasons)
        return {
            "id": series.sonarr_id,
            "title": series.title,
            "titleSlug": _slug(series.title),
            "status": "continuing"
            if not all(self._aired(e) for e in series.episodes)
            else "ended",
            "ended": all(self._aired(e) for e in series.episodes),
            "overview": series.overview,
            "images": self._images(series),
            "originalLanguage": language_json(series.language),
            "seasons": seasons,
            "year": series.year,
            "path": series_path(series),
            "rootFolderPath": ANIME_SERIES_ROOT if series.anime else SERIES_ROOT,
            "qualityProfileId": 1,
            "seasonFolder": True,
            "monitored": True,
            "runtime": series.runtime,
            "tvdbId": series.tvdb_id,
            "tvMazeId": series.tvmaze_id,
            "tmdbId": series.tmdb_id,
            "imdbId": series.imdb_id,
            "seriesType": "anime" if series.anime else "standard",
            "genres": list(series.genres),
            "tags": tags_json(series.anime is not None),
            "added": iso_seconds(entry.added),
            "statistics": statistics,
        }

    def _statistics(
        self, entry: LibrarySeries, episodes: list[Episode]
    ) -> dict[str, Any]:
        """`SeasonStatisticsResource`: `episodeCount` counts aired, monitored ones."""
        files = [
            entry.files[e.sonarr_id] for e in episodes if e.sonarr_id in entry.files
        ]
        counted = [
            e
            for e in episodes
            if e.sonarr_id in entry.files
            or (e.season in entry.monitored_seasons and self._aired(e))
        ]
        return {
            "episodeFileCount": len(files),
            "episodeCount": len(counted),
            "totalEpisodeCount": len(episodes),
            "sizeOnDisk": sum(f.size for f in files),
            "releaseGroups": sorted({f.release.group for f in files}),
            "percentOfEpisodes": 100.0 * len(files) / len(counted) if counted else 0.0,
        }

    def episode_resource(
        self, entry: LibrarySeries, episode: Episode, query: Mapping[str, str]
    ) -> dict[str, Any]:
        """EpisodeResource; `hasFile` once imported."""
        aired = air_datetime(episode, self.clock)
        file = entry.files.get(episode.sonarr_id)
        resource: dict[str, Any] = {
            "id": episode.sonarr_id,
            "seriesId": entry.series.sonarr_id,
            "tvdbId": episode.tvdb_id,
            "episodeFileId": file.id if file else 0,
            "seasonNumber": episode.season,
            "episodeNumber": episode.number,
            "title": episode.title,
            "airDate": aired.date().isoformat(),
            "airDateUtc": iso_seconds(aired),
            "runtime": entry.series.runtime,
            "hasFile": file is not None,
            "monitored": episode.season in entry.monitored_seasons,
            "unverifiedSceneNumbering": False,
        }
        if entry.series.anime:
            resource["absoluteEpisodeNumber"] = episode.number
        if grabbed := entry.grabbed.get(episode.sonarr_id):
            resource["grabDate"] = iso_seconds(grabbed)
        if searched := entry.searched.get(episode.sonarr_id):  # Sonarr 4.0.9+
            resource["lastSearchTime"] = iso_seconds(searched)
        if query.get("includeSeries") == "true":
            resource["series"] = self.series_resource(entry)
        if file is not None and query.get("includeEpisodeFile") == "true":
            resource["episodeFile"] = {
                "id": file.id,
                "seriesId": entry.series.sonarr_id,
                "seasonNumber": episode.season,
                "relativePath": file.relative_path,
                "path": file.path,
                "size": file.size,
                "dateAdded": iso_seconds(file.date_added),
                "sceneName": file.release.name,
                "releaseGroup": file.release.group,
                "languages": [language_json(entry.series.language)],
                "quality": self.quality_json(file.release),
            }
        return resource

    async def _list_series(self, request: web.Request) -> web.Response:
        """All series, or the 0/1 series with `?tvdbId=`."""
        entries = list(self.series.values())
        if "tvdbId" in request.query:
            tvdb_id = int(request.query["tvdbId"])
            entries = [e for e in entries if e.series.tvdb_id == tvdb_id]
        return web.json_response([self.series_resource(e) for e in entries])

    async def _get_series(self, request: web.Request) -> web.Response:
        entry = self.series.get(int(request.match_info["id"]))
        if entry is None:
            return web.json_response({"message": "NotFound"}, status=404)
        return web.json_response(self.series_resource(entry))

    async def _list_episodes(self, request: web.Request) -> web.Response:
        """`seriesId` (+`seasonNumber`), `episodeIds` or `episodeFileId`; else 400."""
        query = request.query
        pairs = [
            (entry, e) for entry in self.series.values() for e in entry.series.episodes
        ]
        if "seriesId" in query:
            series_id = int(query["seriesId"])
            pairs = [(s, e) for s, e in pairs if s.series.sonarr_id == series_id]
            if "seasonNumber" in query:
                season = int(query["seasonNumber"])
                pairs = [(s, e) for s, e in pairs if e.season == season]
        elif "episodeIds" in query:
            wanted = {
                int(part)
                for value in query.getall("episodeIds")
                for part in value.split(",")
                if part
            }
            pairs = [(s, e) for s, e in pairs if e.sonarr_id in wanted]
        elif "episodeFileId" in query:
            file_id = int(query["episodeFileId"])
            pairs = [
                (s, e)
                for s, e in pairs
                if (f := s.files.get(e.sonarr_id)) is not None and f.id == file_id
            ]
        else:
            return web.json_response(
                {"message": "seriesId or episodeIds must be provided"}, status=400
            )
        return web.json_response([self.episode_resource(s, e, query) for s, e in pairs])

    def queue_records(
        self, download: TrackedDownload, base: dict[str, Any], query: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """Sonarr v4: one record per episode of the download, same `downloadId`."""
        prefix = f"trackedDownload-{DOWNLOAD_CLIENT}-{download.download_id}-"
        return self._episode_records(
            download.release, download.media_id, prefix, base, query
        )

    def pending_records(
        self, pending: PendingRelease, base: dict[str, Any], query: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """One record per episode (`GetQueueId`: `pending-{id}-ep{episode id}`)."""
        return self._episode_records(
            pending.release, pending.media_id, f"pending-{pending.id}-ep", base, query
        )

    def _episode_records(
        self,
        release: Release,
        series_id: int,
        id_prefix: str,
        base: dict[str, Any],
        query: Mapping[str, str],
    ) -> list[dict[str, Any]]:
        entry = self.series.get(series_id)
        records = []
        for key in release.episodes:
            episode = SERIES[release.media].episode(*key)
            record = {
                "id": stable_id(f"{id_prefix}{episode.sonarr_id}"),
                "seriesId": series_id,
                "episodeId": episode.sonarr_id,
                "seasonNumber": episode.season,
                "episodeHasFile": entry is not None
                and episode.sonarr_id in entry.files,
                **base,
            }
            if entry is not None and query.get("includeSeries") == "true":
                record["series"] = self.series_resource(entry)
            if entry is not None and query.get("includeEpisode") == "true":
                record["episode"] = self.episode_resource(entry, episode, {})
            records.append(record)
        return records

    def outcome_data(
        self, download: TrackedDownload, event_type: str, message: str
    ) -> dict[str, str]:
        """Sonarr v4 adds the release type to ignored records only."""
        data = super().outcome_data(download, event_type, message)
        if event_type == "downloadIgnored":
            data["releaseType"] = _release_type(download.release)
        return data

    def history_json(
        self, record: HistoryRecord, query: Mapping[str, str]
    ) -> dict[str, Any]:
        """HistoryResource (one per episode)."""
        series = SERIES[record.release.media]
        resource: dict[str, Any] = {
            "id": record.id,
            "episodeId": record.episode_id,
            "seriesId": record.media_id,
            "sourceTitle": record.source_title,
            "languages": [language_json(series.language)],
            "quality": self.quality_json(record.release),
            "customFormats": custom_formats_json(record.release.custom_formats),
            "customFormatScore": record.release.custom_format_score,
            "qualityCutoffNotMet": False,
            "date": iso_seconds(record.date),
            "eventType": record.event_type,
            "data": dict(record.data),
        }
        if record.download_id is not None:
            resource["downloadId"] = record.download_id
        entry = self.series.get(record.media_id)
        if entry is not None and query.get("includeSeries") == "true":
            resource["series"] = self.series_resource(entry)
        if (
            entry is not None
            and record.episode_id is not None
            and query.get("includeEpisode") == "true"
        ):
            episode = next(
                e for e in series.episodes if e.sonarr_id == record.episode_id
            )
            resource["episode"] = self.episode_resource(entry, episode, {})
        return resource


def _release_type(release: Release) -> str:
    """`ReleaseType.ToString()`, as history `data` holds it (`SeasonPack`)."""
    return release.release_type[0].upper() + release.release_type[1:]


def _slug(title: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in title.lower()).split())
