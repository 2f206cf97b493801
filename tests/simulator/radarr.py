"""Fake Radarr: v3 REST API and webhooks (reference `arr-jellyseerr.md` §2).

Payload builders follow `WebhookBase.cs` key for key (see `payloads/radarr/`): camelCase,
null keys left out, `eventType` in PascalCase, tags as labels in webhooks and as ids in
REST. A movie's availability (`status`, `isAvailable`, its dates, addendum §1e) is worked
out from its TMDB dates against the clock's wall time, and `lastSearchTime` records the
searches that reached the indexers.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
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
    INDEXERS,
    MOVIES,
    QUALITIES,
    Movie,
    MovieDates,
    Release,
    movie_dates,
    release_files,
)
from .clock import SimClock, iso_seconds, iso_ticks
from .qbittorrent import SAVE_PATH, QBittorrentServer
from .server import Service
from .webhooks import WebhookSender

RADARR_FLAGS = (
    "onGrab",
    "onDownload",
    "onUpgrade",
    "onRename",
    "onMovieAdded",
    "onMovieDelete",
    "onMovieFileDelete",
    "onMovieFileDeleteForUpgrade",
    "onHealthIssue",
    "onHealthRestored",
    "onApplicationUpdate",
    "onManualInteractionRequired",
)
MOVIE_ROOT = "/data/movies"
ANIME_MOVIE_ROOT = "/data/anime/movies"
BLOCKED_MESSAGE = (
    "Found matching movie via grab history, but release was matched to movie by ID. "
    "Manual Import required."
)
TEST_PAYLOAD: dict[str, Any] = {
    "movie": {
        "id": 1,
        "title": "Test Title",
        "year": 1970,
        "releaseDate": "1970-01-01",
        "folderPath": "C:\\testpath",
        "tmdbId": 0,
        "tags": ["test-tag"],
    },
    "remoteMovie": {
        "tmdbId": 1234,
        "imdbId": "5678",
        "title": "Test title",
        "year": 1970,
    },
    "release": {
        "quality": "Test Quality",
        "qualityVersion": 1,
        "releaseGroup": "Test Group",
        "releaseTitle": "Test Title",
        "indexer": "Test Indexer",
        "size": 9999999,
        "customFormatScore": 0,
    },
}


@dataclass(frozen=True, slots=True)
class MovieFile:
    """An imported movie file."""

    id: int
    movie: Movie
    release: Release
    relative_path: str
    size: int
    date_added: datetime
    source_path: str

    @property
    def path(self) -> str:
        """The absolute path in Radarr's library."""
        return f"{folder_path(self.movie)}/{self.relative_path}"


@dataclass(slots=True)
class LibraryMovie:
    """A movie in Radarr's library (`minimumAvailability`: Jellyseerr's default)."""

    movie: Movie
    added: datetime
    file: MovieFile | None = None
    minimum_availability: str = "released"
    last_search: datetime | None = None


def folder_path(movie: Movie) -> str:
    """The movie folder (anime movies live under their own root folder)."""
    root = ANIME_MOVIE_ROOT if movie.anime else MOVIE_ROOT
    return f"{root}/{movie.folder}"


def movie_status(dates: MovieDates, now: datetime) -> str:
    """`SkyHookProxy.MapMovie`: `announced`, `inCinemas` or `released` from the dates.

    Radarr works it out at each metadata refresh; the fake does on every call.
    """
    status = "announced"
    if dates.in_cinemas is not None and now > dates.in_cinemas:
        status = "inCinemas"
        if (
            dates.physical_release is None
            and dates.digital_release is None
            and now > dates.in_cinemas + timedelta(days=90)
        ):
            status = "released"
    if any(
        day is not None and now >= day
        for day in (dates.physical_release, dates.digital_release)
    ):
        status = "released"
    return status


def _home_release(dates: MovieDates) -> datetime | None:
    """The earlier of the digital and physical releases."""
    days = [d for d in (dates.digital_release, dates.physical_release) if d]
    return min(days) if days else None


def is_available(
    dates: MovieDates, minimum: str, now: datetime, delay_days: int = 0
) -> bool:
    """`Movie.IsAvailable(delay)`: whether the date `minimumAvailability` names passed.

    `tba`/`announced`: always. `inCinemas`: the cinema date, if known. Otherwise the
    earlier home release, else the cinema date plus 90 days, else never.
    """
    if minimum in ("tba", "announced"):
        return True
    if minimum == "inCinemas" and dates.in_cinemas is not None:
        when = dates.in_cinemas
    elif (home := _home_release(dates)) is not None:
        when = home
    elif dates.in_cinemas is not None:
        when = dates.in_cinemas + timedelta(days=90)
    else:
        return False
    return now >= when + timedelta(days=delay_days)


def release_date(dates: MovieDates, minimum: str) -> datetime | None:
    """`Movie.GetReleaseDate`: MovieResource `releaseDate` (None: left out)."""
    if minimum in ("tba", "announced"):
        known = [
            d
            for d in (dates.in_cinemas, dates.digital_release, dates.physical_release)
            if d
        ]
        return min(known) if known else None
    if minimum == "inCinemas" and dates.in_cinemas is not None:
        return dates.in_cinemas
    if (home := _home_release(dates)) is not None:
        return home
    return dates.in_cinemas + timedelta(days=90) if dates.in_cinemas else None


def webhook_release_date(dates: MovieDates) -> str:
    """`MovieMetadata.PhysicalReleaseDate()` as `yyyy-MM-dd` (the webhook's)."""
    if dates.physical_release is not None:
        return dates.physical_release.date().isoformat()
    if dates.in_cinemas is not None:
        return (dates.in_cinemas + timedelta(days=90)).date().isoformat()
    return "9999-12-31"  # DateTime.MaxValue


class RadarrServer(ArrServer):
    """Radarr: movies, queue, history, commands, connections and webhooks."""

    app_name = "Radarr"
    version = "5.28.0.10274"
    live_grab_name = "movie"
    live_file_name = "moviefile"
    live_media_name = "movie"
    live_id_key = "movieId"
    event_flags = RADARR_FLAGS
    history_event_ids: ClassVar[Mapping[str, int]] = {
        "grabbed": 1,
        "downloadFolderImported": 3,
        "downloadFailed": 4,
        "movieFileDeleted": 6,
        "movieFileRenamed": 8,
        "downloadIgnored": 9,
    }
    commands: ClassVar[Mapping[str, Sequence[str]]] = {"MoviesSearch": ("movieIds",)}
    wiki_base = "https://wiki.servarr.com/radarr/system"
    health_application_url = True
    rss_sync_minutes = 30

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
            Service.RADARR,
            clock,
            qbittorrent,
            sender,
            api_key,
            health_grace=health_grace,
        )
        self.movies: dict[int, LibraryMovie] = {}
        self.app.router.add_get("/api/v3/movie", self._list_movies)
        self.app.router.add_get("/api/v3/movie/{id:\\d+}", self._get_movie)

    # --- library changes -----------------------------------------------------------

    def add_movie(self, movie: Movie) -> dict[str, Any] | None:
        """Add a movie (Jellyseerr's request); the `MovieAdded` payload, None if known.

        Jellyseerr adds with `searchForMovie`, so `MovieScannedHandler` queues a
        `MoviesSearch` that is not user-invoked: it only searches a movie that is
        available (`MoviesSearchService`), and nothing is grabbed here (a `Grab`
        step does that).
        """
        if movie.radarr_id in self.movies:
            return None
        self.movies[movie.radarr_id] = LibraryMovie(movie, self.clock.wall_now())
        self.search([movie.radarr_id], user_invoked=False)
        return {
            "movie": self.webhook_movie(movie),
            "addMethod": "manual",
            **self.base_payload("MovieAdded"),
        }

    def available(self, entry: LibraryMovie) -> bool:
        """`Movie.IsAvailable()` now."""
        return is_available(
            movie_dates(entry.movie, self.clock),
            entry.minimum_availability,
            self.clock.wall_now(),
        )

    def search(self, movie_ids: Iterable[int], *, user_invoked: bool = True) -> None:
        """`MoviesSearch`: a search reaches the indexers (`lastSearchTime`).

        An automatic one skips movies that are not available yet; one a user started
        (any command through the API) searches them too. The fake has indexers, so
        every search reaches one (`ReleaseSearchService.Dispatch`).
        """
        for movie_id in movie_ids:
            entry = self.movies.get(movie_id)
            if entry is not None and (user_invoked or self.available(entry)):
                entry.last_search = self.clock.wall_now()

    def search_again(self, media_id: int) -> None:
        """`MoviesSearch` of the movie, started by Radarr itself."""
        self.search([media_id], user_invoked=False)

    def run_command(self, name: str, body: Mapping[str, Any]) -> None:
        """`MoviesSearch` through the API is user-invoked."""
        if name == "MoviesSearch":
            self.search(int(i) for i in body.get("movieIds", []))

    def release_ids(self, release: Release) -> tuple[int, tuple[int, ...]]:
        """The movie's Radarr id."""
        return MOVIES[release.media].radarr_id, ()

    def has_file(self, movie: Movie) -> bool:
        """Whether the movie is in the library with a file."""
        entry = self.movies.get(movie.radarr_id)
        return entry is not None and entry.file is not None

    def grab(self, release: Release, info_hash: str, seconds: float) -> dict[str, Any]:
        """Send a release to qBittorrent; the `Grab` payload."""
        movie = MOVIES[release.media]
        download = self.track(release, info_hash, movie.radarr_id)
        self.qbittorrent.add_torrent(info_hash, release, "radarr", seconds)
        self.add_history(
            "grabbed",
            release,
            movie.radarr_id,
            download.download_id,
            self.grab_history_data(release, info_hash)
            | {
                "tmdbId": str(movie.tmdb_id),
                "imdbId": movie.imdb_id,
                "movieMatchType": "Title",
                "indexerId": str(INDEXERS[release.indexer][0]),
            },
        )
        return {
            "movie": self.webhook_movie(movie),
            "remoteMovie": self._remote_movie(movie),
            "release": {
                "quality": release.quality,
                "qualityVersion": release.quality_version,
                "releaseGroup": release.group,
                "releaseTitle": release.name,
                "indexer": release.indexer,
                "size": release.size,
                "customFormatScore": release.custom_format_score,
                "customFormats": list(release.custom_formats),
                "languages": [language_json(movie.language)],
                "indexerFlags": [],
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
        movie = MOVIES[release.media]
        return {
            "movie": self.webhook_movie(movie),
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

    def import_download(self, release: Release) -> tuple[dict[str, Any], MovieFile]:
        """Import the finished download (automatic or manual); the `Download` payload."""
        download = self.download_for(release)
        download.state = "imported"
        download.blocked_messages = ()
        file = self._add_file(release)
        self.add_history(
            "downloadFolderImported",
            release,
            file.movie.radarr_id,
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
            },
        )
        payload = {
            "movie": self.webhook_movie(file.movie),
            "remoteMovie": self._remote_movie(file.movie),
            "movieFile": {**self.webhook_file(file), "sourcePath": file.source_path},
            "isUpgrade": False,
            "downloadClient": DOWNLOAD_CLIENT,
            "downloadClientType": "qBittorrent",
            "downloadId": download.download_id,
            "customFormatInfo": custom_format_info(release),
            "release": self._grabbed_release(release),
            **self.base_payload("Download"),
        }
        return payload, file

    def preload(self, release: Release) -> MovieFile:
        """A movie already in the library with its file (no events)."""
        self.add_movie(MOVIES[release.media])
        return self._add_file(release)

    def delete_file(self, movie: Movie) -> dict[str, Any]:
        """Delete the movie's file by hand; the `MovieFileDelete` payload."""
        entry = self.movies[movie.radarr_id]
        if entry.file is None:
            raise ValueError(f"{movie.title} has no file")
        file, entry.file = entry.file, None
        self.add_history(
            "movieFileDeleted",
            file.release,
            movie.radarr_id,
            None,
            {"reason": "Manual"},
        )
        return {
            "movie": self.webhook_movie(movie),
            "movieFile": self.webhook_file(file),
            "deleteReason": "manual",
            **self.base_payload("MovieFileDelete"),
        }

    def delete_movie(self, movie: Movie) -> dict[str, Any]:
        """Remove the movie with its files; the `MovieDelete` payload."""
        entry = self.movies.pop(movie.radarr_id)
        self.forget_history(movie.radarr_id)
        self.forget_pending(movie.radarr_id)
        return {
            "movie": self.webhook_movie(movie),
            "deletedFiles": True,
            "movieFolderSize": entry.file.size if entry.file else 0,
            **self.base_payload("MovieDelete"),
        }

    def _add_file(self, release: Release) -> MovieFile:
        movie = MOVIES[release.media]
        (torrent_file,) = release_files(release)
        file = MovieFile(
            id=self.next_file_id(),
            movie=movie,
            release=release,
            relative_path=f"{movie.folder} {release.quality}.mkv",
            size=release.size,
            date_added=self.clock.wall_now(),
            source_path=f"{SAVE_PATH}/{torrent_file.name}",
        )
        self.movies[movie.radarr_id].file = file
        return file

    # --- webhook objects -----------------------------------------------------------

    def webhook_movie(self, movie: Movie) -> dict[str, Any]:
        """`WebhookMovie`."""
        return {
            "id": movie.radarr_id,
            "title": movie.title,
            "year": movie.year,
            "releaseDate": webhook_release_date(movie_dates(movie, self.clock)),
            "folderPath": folder_path(movie),
            "tmdbId": movie.tmdb_id,
            "imdbId": movie.imdb_id,
            "overview": movie.overview,
            "genres": list(movie.genres),
            "images": self._images(movie),
            "tags": ["anime"] if movie.anime else [],
            "originalLanguage": language_json(movie.language),
        }

    def webhook_file(self, file: MovieFile) -> dict[str, Any]:
        """`WebhookMovieFile` (without the Download-only `sourcePath`)."""
        release = file.release
        return {
            "id": file.id,
            "relativePath": file.relative_path,
            "path": file.path,
            "quality": release.quality,
            "qualityVersion": release.quality_version,
            "releaseGroup": release.group,
            "sceneName": release.name.removesuffix(".mkv"),
            "indexerFlags": "0",
            "size": file.size,
            "dateAdded": iso_ticks(file.date_added),
            "languages": [language_json(file.movie.language)],
            "mediaInfo": media_info(release, file.movie.language),
        }

    @staticmethod
    def _remote_movie(movie: Movie) -> dict[str, Any]:
        return {
            "tmdbId": movie.tmdb_id,
            "imdbId": movie.imdb_id,
            "title": movie.title,
            "year": movie.year,
        }

    @staticmethod
    def _grabbed_release(release: Release) -> dict[str, Any]:
        """`WebhookGrabbedRelease` (from the grab history)."""
        return {
            "releaseTitle": release.name,
            "indexer": release.indexer,
            "size": release.size,
            "indexerFlags": [],
        }

    @staticmethod
    def _images(movie: Movie) -> list[dict[str, Any]]:
        return [
            {
                "coverType": "poster",
                "url": f"/MediaCover/{movie.radarr_id}/poster.jpg?lastWrite=639046525018477211",
                "remoteUrl": f"https://image.tmdb.org/t/p/original{movie.poster}",
            }
        ]

    def test_payload(self) -> dict[str, Any]:
        """`BuildTestPayload`."""
        return {**TEST_PAYLOAD, **self.base_payload("Test")}

    # --- REST resources ------------------------------------------------------------

    def quality_json(self, release: Release) -> dict[str, Any]:
        """Radarr's quality model (with `modifier`)."""
        quality_id, source, _, resolution = QUALITIES[release.quality]
        return {
            "quality": {
                "id": quality_id,
                "name": release.quality,
                "source": source,
                "resolution": resolution,
                "modifier": "none",
            },
            "revision": {
                "version": release.quality_version,
                "real": 0,
                "isRepack": False,
            },
        }

    def movie_resource(self, entry: LibraryMovie) -> dict[str, Any]:
        """MovieResource (selected fields, nulls left out)."""
        movie, file = entry.movie, entry.file
        dates = movie_dates(movie, self.clock)
        now = self.clock.wall_now()
        minimum = entry.minimum_availability
        resource: dict[str, Any] = {
            "id": movie.radarr_id,
            "title": movie.title,
            "originalTitle": movie.title,
            "originalLanguage": language_json(movie.language),
            "year": movie.year,
            "tmdbId": movie.tmdb_id,
            "imdbId": movie.imdb_id,
            "path": folder_path(movie),
            "folderName": folder_path(movie),
            "rootFolderPath": ANIME_MOVIE_ROOT if movie.anime else MOVIE_ROOT,
            "monitored": True,
            "hasFile": file is not None,
            "movieFileId": file.id if file else 0,
            "isAvailable": is_available(dates, minimum, now),
            "status": movie_status(dates, now),
            "minimumAvailability": minimum,
            "qualityProfileId": 1,
            "tags": tags_json(movie.anime is not None),
            "added": iso_seconds(entry.added),
            "images": self._images(movie),
            "statistics": {
                "movieFileCount": 1 if file else 0,
                "sizeOnDisk": file.size if file else 0,
                "releaseGroups": [file.release.group] if file else [],
            },
            "sizeOnDisk": file.size if file else 0,
        }
        for key, day in (
            ("inCinemas", dates.in_cinemas),
            ("physicalRelease", dates.physical_release),
            ("digitalRelease", dates.digital_release),
            ("releaseDate", release_date(dates, minimum)),
        ):
            if day is not None:
                resource[key] = iso_seconds(day)
        if entry.last_search is not None:  # Radarr 5.10.3+
            resource["lastSearchTime"] = iso_seconds(entry.last_search)
        if file is not None:
            resource["movieFile"] = {
                "id": file.id,
                "movieId": movie.radarr_id,
                "relativePath": file.relative_path,
                "path": file.path,
                "size": file.size,
                "dateAdded": iso_seconds(file.date_added),
                "sceneName": file.release.name,
                "releaseGroup": file.release.group,
                "languages": [language_json(movie.language)],
                "quality": self.quality_json(file.release),
            }
        return resource

    async def _list_movies(self, request: web.Request) -> web.Response:
        """All movies, or the 0/1 movie with `?tmdbId=`."""
        entries = list(self.movies.values())
        if "tmdbId" in request.query:
            tmdb_id = int(request.query["tmdbId"])
            entries = [e for e in entries if e.movie.tmdb_id == tmdb_id]
        return web.json_response([self.movie_resource(e) for e in entries])

    async def _get_movie(self, request: web.Request) -> web.Response:
        entry = self.movies.get(int(request.match_info["id"]))
        if entry is None:
            return web.json_response({"message": "NotFound"}, status=404)
        return web.json_response(self.movie_resource(entry))

    def queue_records(
        self, download: TrackedDownload, base: dict[str, Any], query: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """One record per download."""
        queue_id = stable_id(
            f"trackedDownload-{DOWNLOAD_CLIENT}-{download.download_id}"
        )
        return [self._queue_record(queue_id, download.media_id, base, query)]

    def pending_records(
        self, pending: PendingRelease, base: dict[str, Any], query: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """One record per pending release (`GetQueueId`: `pending-{id}-movie{id}`)."""
        queue_id = stable_id(f"pending-{pending.id}-movie{pending.media_id}")
        return [self._queue_record(queue_id, pending.media_id, base, query)]

    def _queue_record(
        self,
        queue_id: int,
        movie_id: int,
        base: dict[str, Any],
        query: Mapping[str, str],
    ) -> dict[str, Any]:
        record = {"id": queue_id, "movieId": movie_id, **base}
        if query.get("includeMovie") == "true" and movie_id in self.movies:
            record["movie"] = self.movie_resource(self.movies[movie_id])
        return record

    def outcome_data(
        self, download: TrackedDownload, event_type: str, message: str
    ) -> dict[str, str]:
        """Radarr adds the indexer to failed and ignored records."""
        return super().outcome_data(download, event_type, message) | {
            "indexer": download.release.indexer
        }

    def history_json(
        self, record: HistoryRecord, query: Mapping[str, str]
    ) -> dict[str, Any]:
        """HistoryResource."""
        resource: dict[str, Any] = {
            "id": record.id,
            "movieId": record.media_id,
            "sourceTitle": record.source_title,
            "languages": [language_json(MOVIES[record.release.media].language)],
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
        if query.get("includeMovie") == "true" and record.media_id in self.movies:
            resource["movie"] = self.movie_resource(self.movies[record.media_id])
        return resource
