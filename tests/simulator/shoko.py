"""Fake Shoko Server v5.3 or v6-dev: REST v3 lookups and the aggregate SignalR hub.

Files go through Shoko's stages as scenario steps: detected (import-folder-relative
path), hashed (a `FileID`), then matched (cross references; a brand-new series has null
Shoko ids until `SeriesUpdated` creates it) or not matched. Import folders sit on a
different mount than Radarr/Sonarr (`/mnt/anime/…` against `/data/anime/…`), as in most
container setups. Payloads are PascalCase with nulls kept (Newtonsoft defaults).

v5 is reference §3; v6 (addendum §5, `ShokoServer@cd42e69`) calls import folders
managed folders, lists hashes instead of naming them, returns cross references only
when asked (`include=XRefs`), and sends `file:*`, `release:*` and `metadata:*` events:
a match is `release:saved`, and every automatic search ends with
`release:search.completed`.
"""

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
import hashlib
import posixpath
from typing import Any
import zlib

from aiohttp import web

from .catalog import Anime
from .clock import SimClock, iso_seconds
from .server import FakeService, Service
from .signalr import Messages, SignalRHub

HUB_PATH = "/signalr/aggregate"
SHOKO_VERSIONS = ("5", "6")
# The AniDB release provider's id (a UUIDv5 of its type in v6; illustrative value).
ANIDB_PROVIDER = "0b8f3a4e-6a0c-5d1f-9a8e-2c4b7d9e1f30"


@dataclass(frozen=True, slots=True)
class ImportFolder:
    """A Shoko import folder and the *arr root folder that holds the same files."""

    id: int
    name: str
    path: str  # Shoko's view, with the trailing separator Shoko stores
    arr_root: str  # the same folder as Radarr/Sonarr see it


IMPORT_FOLDERS = (
    ImportFolder(1, "Anime Shows", "/mnt/anime/shows/", "/data/anime/shows/"),
    ImportFolder(2, "Anime Movies", "/mnt/anime/movies/", "/data/anime/movies/"),
)


@dataclass(frozen=True, slots=True)
class CrossReference:
    """A file's link to an AniDB episode (Shoko ids null until the series exists)."""

    anidb_episode_id: int
    anidb_anime_id: int
    episode_id: int | None
    series_id: int | None
    group_id: int | None


@dataclass(slots=True)
class ShokoFile:
    """A video file Shoko knows (`VideoLocal` + its one location)."""

    folder: ImportFolder
    relative_path: str
    size: int
    created: datetime
    id: int = 0  # set when hashed
    location_id: int = 0
    hashed: datetime | None = None
    tmdb_movie_id: int | None = None
    imported: datetime | None = None
    cross_references: list[CrossReference] = field(default_factory=list)

    @property
    def absolute_path(self) -> str:
        """Shoko's full server path."""
        return self.folder.path + self.relative_path

    @property
    def ed2k(self) -> str:
        """A stable ED2K-shaped hash."""
        return (
            hashlib.md5(self.relative_path.encode(), usedforsecurity=False)
            .hexdigest()
            .upper()
        )

    @property
    def crc32(self) -> str:
        """A stable CRC32-shaped hash."""
        return f"{zlib.crc32(self.ed2k.encode()):08X}"


class ShokoServer(FakeService):
    """Shoko Server: `/api/auth`, Init/Status, folders, File lookups, SignalR."""

    def __init__(
        self,
        clock: SimClock,
        api_key: str,
        *,
        username: str = "Default",
        password: str = "",
        hub_requires_auth: bool = True,
        keepalive: float = 15.0,
        version: str = "5",
    ) -> None:
        """Create the fake with empty import folders.

        `hub_requires_auth` makes the hub answer 401 without the `apikey` (v6-dev; the
        v5 hub accepts anyone), so a client that forgets the key is caught. `version`
        is "5" (v5.3) or "6" (v6-dev).
        """
        if version not in SHOKO_VERSIONS:
            raise ValueError(f"unknown Shoko version {version}")
        super().__init__(Service.SHOKO, [self._auth_middleware])
        self.v6 = version == "6"
        self.folder_key = "ManagedFolderID" if self.v6 else "ImportFolderID"
        self.clock = clock
        self.api_key = api_key
        self.username = username
        self.password = password
        self.files: dict[str, ShokoFile] = {}  # keyed by Shoko's absolute path
        # The file ids a rescan was asked for, in order.
        self.rescanned: list[int] = []
        self.known_series: set[int] = set()
        self._hub_requires_auth = hub_requires_auth
        self._reopen: asyncio.Task[None] | None = None
        self.hub = SignalRHub(
            HUB_PATH,
            authorize=self._hub_authorized,
            greeting=_greeting_v6 if self.v6 else _greeting_v5,
            keepalive=keepalive,
        )
        self.hub.add_routes(self.app)
        folders = "/api/v3/ManagedFolder" if self.v6 else "/api/v3/ImportFolder"
        router = self.app.router
        router.add_post("/api/auth", self._login)
        router.add_get("/api/v3/Init/Status", self._status)
        router.add_get(folders, self._import_folders)
        router.add_get(f"{folders}/{{id:\\d+}}", self._import_folder)
        router.add_get("/api/v3/File/PathEndsWith", self._path_ends_with)
        router.add_get("/api/v3/File/PathEndsWith/{path:.+}", self._path_ends_with)
        router.add_get("/api/v3/File/{id:\\d+}", self._file)
        router.add_post("/api/v3/File/{id:\\d+}/Rescan", self._rescan)

    async def stop(self) -> None:
        """Stop listening (and forget a pending reopen)."""
        if self._reopen is not None:
            self._reopen.cancel()
        await self.hub.drop_connections()
        await super().stop()

    # --- test controls -------------------------------------------------------------

    async def refuse_connections(self, seconds: float) -> None:
        """Drop every hub client and refuse connections for `seconds` (a restart)."""
        await self.hub.drop_connections()
        await self.go_offline()
        self._reopen = asyncio.create_task(self._reopen_after(seconds))

    async def _reopen_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self.go_online()

    # --- what the scenario player does ---------------------------------------------

    def _folder_for(self, arr_path: str) -> ImportFolder:
        for folder in IMPORT_FOLDERS:
            if arr_path.startswith(folder.arr_root):
                return folder
        raise ValueError(f"{arr_path} is in no Shoko import folder")

    async def detect(self, arr_path: str, size: int) -> ShokoFile:
        """The file watcher saw a new file: `ShokoEvent:FileDetected`."""
        folder = self._folder_for(arr_path)
        file = ShokoFile(
            folder, arr_path.removeprefix(folder.arr_root), size, self.clock.wall_now()
        )
        self.files[file.absolute_path] = file
        detected = {"RelativePath": file.relative_path, self.folder_key: folder.id}
        await self._send(
            "file:detected" if self.v6 else "ShokoEvent:FileDetected", detected
        )
        return file

    async def hash(self, file: ShokoFile) -> None:
        """Hashing finished: the file gets its `FileID` (`FileHashed`, `file:hashed`)."""
        file.id = 200 + len([f for f in self.files.values() if f.id])
        file.location_id = file.id + 10
        file.hashed = self.clock.wall_now()
        if not self.v6:
            await self._send("ShokoEvent:FileHashed", self._file_event(file))
            return
        # `VideoFileHashedEventSignalRModel`; its hash digests keep a null Metadata.
        hashes = [{**digest, "Metadata": None} for digest in _hash_list(file)]
        await self._send(
            "file:hashed",
            self._file_event(file)
            | {
                "UsedExistingHashes": False,
                "IsNewVideo": True,
                "IsNewFile": True,
                "Hashes": hashes,
            },
        )

    async def match(
        self,
        file: ShokoFile,
        anime: Anime,
        anidb_episode_id: int,
        episode_id: int,
        tmdb_movie_id: int | None,
    ) -> None:
        """AniDB knows the file: `FileMatched` (then the series, if it is new)."""
        new_series = anime.shoko_series_id not in self.known_series
        file.imported = self.clock.wall_now()
        file.tmdb_movie_id = tmdb_movie_id
        file.cross_references = [
            CrossReference(
                anidb_episode_id=anidb_episode_id,
                anidb_anime_id=anime.anidb_id,
                episode_id=None if new_series else episode_id,
                series_id=None if new_series else anime.shoko_series_id,
                group_id=None if new_series else anime.shoko_group_id,
            )
        ]
        if self.v6:
            release = {"FileID": file.id, "Release": self._release_json(file)}
            await self._send("release:saved", release)
            await self._send("release:search.completed", self._search_completed(file))
        else:
            await self._send("ShokoEvent:FileMatched", self._file_event(file))
        if not new_series:
            return
        self.known_series.add(anime.shoko_series_id)
        episodes = [
            {
                "Reason": "Added",
                "EpisodeID": anidb_episode_id,
                "ShokoEpisodeIDs": [episode_id],
            }
        ]
        await self._metadata(
            "series",
            {
                "Source": "AniDB",
                "Reason": "Added",
                "SeriesID": anime.anidb_id,
                "ShokoSeriesIDs": [anime.shoko_series_id],
                "Episodes": episodes,
            },
        )
        shoko_episodes = [
            {
                "Reason": "Added",
                "EpisodeID": episode_id,
                "ShokoEpisodeIDs": [episode_id],
            }
        ]
        await self._metadata(
            "series",
            {
                "Source": "Shoko",
                "Reason": "Added",
                "SeriesID": anime.shoko_series_id,
                "ShokoSeriesIDs": [anime.shoko_series_id],
                "Episodes": shoko_episodes,
            },
        )
        file.cross_references = [
            CrossReference(
                anidb_episode_id,
                anime.anidb_id,
                episode_id,
                anime.shoko_series_id,
                anime.shoko_group_id,
            )
        ]
        if tmdb_movie_id is not None:
            await self._metadata(
                "movie",
                {
                    "Source": "TMDB",
                    "Reason": "Added",
                    "MovieID": tmdb_movie_id,
                    "ShokoEpisodeIDs": [episode_id],
                    "ShokoSeriesIDs": [anime.shoko_series_id],
                },
            )

    async def not_matched(self, file: ShokoFile) -> None:
        """AniDB does not know the file: `FileNotMatched` without cross references.

        v6 has no such event: the search just completes without a release.
        """
        if self.v6:
            await self._send("release:search.completed", self._search_completed(file))
            return
        await self._send(
            "ShokoEvent:FileNotMatched",
            {
                **self._file_event(file),
                "AutoMatchAttempts": 1,
                "HasCrossReferences": False,
                "IsUDPBanned": False,
            },
        )

    async def _send(self, target: str, payload: dict[str, Any]) -> None:
        """Invoke `target` for the feed it belongs to (v5: `shoko`; v6: its prefix)."""
        feed = target.split(":", maxsplit=1)[0] if self.v6 else "shoko"
        await self.hub.broadcast(feed, target, [payload])

    async def _metadata(self, kind: str, payload: dict[str, Any]) -> None:
        """v5 `ShokoEvent:<Kind>Updated`, v6 `metadata:<kind>.<reason>`.

        v6's `MetadataEventEmitter` names the event after the reason, lower-cased.
        """
        if self.v6:
            await self._send(f"metadata:{kind}.{payload['Reason'].lower()}", payload)
        else:
            await self._send(f"ShokoEvent:{kind.capitalize()}Updated", payload)

    def _search_completed(self, file: ShokoFile) -> dict[str, Any]:
        """v6 `release:search.completed` of an automatic search after hashing.

        `FinalizeReleaseSearchJob` fires it without the release even after a match
        (that came in `release:saved`), and `FireSearchCompleted` sets `IsSaved` false
        only when a match was deleted as redundant: a file nothing matched has
        `SelectedProvider` and `ReleaseInfo` null, `IsSaved` true.
        """
        return {
            "FileID": file.id,
            "IsSaved": True,
            "IsAutomatic": True,
            "AttemptedProviders": [ANIDB_PROVIDER],
            "SelectedProvider": ANIDB_PROVIDER if file.cross_references else None,
            "ReleaseInfo": None,
            "IsCancelled": False,
            "ExceptionMessage": None,
            "StartedAt": iso_seconds(file.hashed or file.created),
            "CompletedAt": iso_seconds(self.clock.wall_now()),
        }

    @staticmethod
    def _release_json(file: ShokoFile) -> dict[str, Any]:
        """`ReleaseInfoSignalRModel` from the AniDB provider (`AnidbReleaseProvider`)."""
        saved = iso_seconds(file.imported or file.created)
        return {
            "ID": f"anidb://{file.ed2k}+{file.size}",
            "ProviderName": "AniDB",
            "ReleaseURI": f"https://anidb.net/file/{4_000_000 + file.id}",
            "Version": 1,
            "FileSize": file.size,
            "Comment": None,
            "OriginalFilename": posixpath.basename(file.relative_path),
            "IsCensored": None,
            "IsChaptered": None,
            "IsCreditless": None,
            "IsCorrupted": False,
            "Source": "BluRay",
            "Group": None,
            "Hashes": None,
            "MediaInfo": None,
            "CrossReferences": [
                {
                    "ProviderIDs": {
                        "AniDB_Episode": str(xref.anidb_episode_id),
                        "AniDB_Anime": str(xref.anidb_anime_id),
                    },
                    "PercentageStart": None,
                    "PercentageEnd": None,
                }
                for xref in file.cross_references
            ],
            "Metadata": None,
            "Released": None,
            "Updated": saved,
            "Created": saved,
            "IsPublic": True,
            "PreventRescan": False,
            "DeferToNext": False,
        }

    def _file_event(self, file: ShokoFile) -> dict[str, Any]:
        """`FileEventSignalRModel` (v6: `VideoFileEventSignalRModel`)."""
        return {
            "FileID": file.id,
            "FileLocationID": file.location_id,
            self.folder_key: file.folder.id,
            "RelativePath": file.relative_path,
            "CrossReferences": [
                {
                    "EpisodeID": xref.episode_id,
                    "AnidbEpisodeID": xref.anidb_episode_id,
                    "SeriesID": xref.series_id,
                    "AnidbAnimeID": xref.anidb_anime_id,
                    "GroupID": xref.group_id,
                }
                for xref in file.cross_references
            ],
        }

    # --- REST ----------------------------------------------------------------------

    def _has_key(self, request: web.Request) -> bool:
        return self.api_key in (
            request.headers.get("apikey"),
            request.query.get("apikey"),
        )

    def _hub_authorized(self, request: web.Request) -> bool:
        return self._has_key(request) or not self._hub_requires_auth

    @web.middleware
    async def _auth_middleware(
        self, request: web.Request, handler: Any
    ) -> web.StreamResponse:
        """`apikey` header or query on `/api/v3` (401), except the anonymous Init routes."""
        if (
            request.path.startswith("/api/v3/")
            and not request.path.startswith("/api/v3/Init/")
            and not self._has_key(request)
        ):
            return web.Response(status=401)
        response: web.StreamResponse = await handler(request)
        return response

    async def _login(self, request: web.Request) -> web.Response:
        """`POST /api/auth` `{user, pass, device}` → `{apikey}` (401 when wrong)."""
        body = await request.json()
        if not isinstance(body, dict) or (body.get("user"), body.get("pass")) != (
            self.username,
            self.password,
        ):
            return web.Response(status=401)
        return web.json_response({"apikey": self.api_key})

    async def _status(self, _request: web.Request) -> web.Response:
        uptime = int(self.clock.now() / (self.clock.speed or 1))
        hours, rest = divmod(uptime, 3600)
        return web.json_response(
            {
                "StartupMessage": "Complete!",
                "State": "Started",
                "Uptime": f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}",
                "DatabaseBlocked": {"Progress": None, "Blocked": False, "Status": None},
            }
        )

    def _folder_json(self, folder: ImportFolder) -> dict[str, Any]:
        """`ImportFolder` (v6 `ManagedFolder`): `Size` counts anime, not files."""
        files = [f for f in self.files.values() if f.folder is folder and f.id]
        anime = {x.anidb_anime_id for f in files for x in f.cross_references}
        return {
            "ID": folder.id,
            "WatchForNewFiles": True,
            "DropFolderType": "None",
            "Path": folder.path,
            "FileSize": sum(f.size for f in files),
            "Name": folder.name,
            "Size": len(anime),
        }

    async def _import_folders(self, _request: web.Request) -> web.Response:
        return web.json_response([self._folder_json(f) for f in IMPORT_FOLDERS])

    async def _import_folder(self, request: web.Request) -> web.Response:
        for folder in IMPORT_FOLDERS:
            if folder.id == int(request.match_info["id"]):
                return web.json_response(self._folder_json(folder))
        return web.Response(status=404)

    def _file_json(
        self, file: ShokoFile, *, xrefs: bool, absolute: bool
    ) -> dict[str, Any]:
        """The v3 `File` model."""
        location: dict[str, Any] = {
            "ID": file.location_id,
            "FileID": file.id,
            self.folder_key: file.folder.id,
            "RelativePath": file.relative_path,
        }
        if absolute:
            location["AbsolutePath"] = file.absolute_path
        location["IsAccessible"] = True
        body: dict[str, Any] = {"ID": file.id}
        if xrefs:
            body["SeriesIDs"] = [
                self._xref_json(file, xref) for xref in file.cross_references
            ]
        created = iso_seconds(file.created)
        body |= {
            "Size": file.size,
            "IsVariation": False,
            "IsIgnored": False,
            "Hashes": _hash_list(file)
            if self.v6
            else {"ED2K": file.ed2k, "SHA1": None, "CRC32": file.crc32, "MD5": None},
            "Locations": [location],
            "AVDump": {"Status": None, "LastDumpedAt": None, "LastVersion": None},
            "Resolution": "1080p",
            "Duration": "00:24:00",
            "ResumePosition": None,
            "Viewed": None,
            "Watched": None,
            "Imported": iso_seconds(file.imported) if file.imported else None,
            "Created": created,
            "Updated": created,
        }
        return body

    @staticmethod
    def _xref_json(file: ShokoFile, xref: CrossReference) -> dict[str, Any]:
        """`FileCrossReference`."""
        movies = [file.tmdb_movie_id] if file.tmdb_movie_id else []
        return {
            "SeriesID": {
                "ID": xref.series_id,
                "AniDB": xref.anidb_anime_id,
                "TMDB": {"Movie": movies, "Show": []},
            },
            "EpisodeIDs": [
                {
                    "ID": xref.episode_id,
                    "AniDB": xref.anidb_episode_id,
                    "TMDB": {"Episode": [], "Movie": movies, "Show": []},
                    "ReleaseGroup": None,
                    "ED2K": file.ed2k,
                    "FileSize": file.size,
                    "Percentage": {"Start": 0, "End": 100, "Size": 100, "Group": 1},
                    "Source": "AniDB",
                }
            ],
        }

    async def _path_ends_with(self, request: web.Request) -> web.Response:
        """Case-insensitive `EndsWith` on the full server path, either slash.

        Cross references come by default (`includeXRefs`) on v5, only with
        `include=XRefs` on v6 (`FileController.PathEndsWithInternal`).
        """
        suffix = request.match_info.get("path") or request.query.get("path", "")
        suffix = suffix.replace("\\", "/").lower()
        if self.v6:
            xrefs = "xrefs" in _includes(request)
        else:
            xrefs = request.query.get("includeXRefs", "true").lower() == "true"
        limit = int(request.query.get("limit", 0)) or None
        found = [
            self._file_json(f, xrefs=xrefs, absolute=False)
            for f in self.files.values()
            if f.id and f.absolute_path.lower().endswith(suffix)
        ]
        return web.json_response(found[:limit])

    async def _rescan(self, request: web.Request) -> web.Response:
        """`POST /File/{id}/Rescan`: queued (404 when unknown).

        AniDB still does not know a file it did not know before: the match stays.
        """
        file_id = int(request.match_info["id"])
        if not any(file.id == file_id for file in self.files.values()):
            return web.Response(status=404)
        self.rescanned.append(file_id)
        return web.Response(status=200)

    async def _file(self, request: web.Request) -> web.Response:
        """`GET /api/v3/File/{id}?include=XRefs,AbsolutePaths` (404 when unknown)."""
        include = _includes(request)
        for file in self.files.values():
            if file.id and file.id == int(request.match_info["id"]):
                return web.json_response(
                    self._file_json(
                        file,
                        xrefs="xrefs" in include,
                        absolute="absolutepaths" in include,
                    )
                )
        return web.Response(status=404)


def _includes(request: web.Request) -> set[str]:
    """The comma-separated `include=` values, lower-cased."""
    return {
        part.strip().lower()
        for value in request.query.getall("include", [])
        for part in value.split(",")
    }


def _hash_list(file: ShokoFile) -> list[dict[str, str]]:
    """v6 `Hashes`: the stored digests as `{Type, Value}` (v5 names four, some null)."""
    return [
        {"Type": "ED2K", "Value": file.ed2k},
        {"Type": "CRC32", "Value": file.crc32},
    ]


def _anidb_status(update_type: int | str) -> dict[str, Any]:
    """`AniDBStatusUpdateSignalRModel`: not banned."""
    return {
        "Value": False,
        "Message": None,
        "UpdateType": update_type,
        "UpdateTime": "2026-01-25T12:00:00Z",
        "PauseTimeSecs": 0,
    }


def _greeting_v5(feeds: frozenset[str]) -> Messages:
    """What a client gets on joining: each known feed's `OnConnected` (v5 emitters)."""
    messages: list[tuple[str, list[Any]]] = []
    if "shoko" in feeds:
        messages.append(("ShokoEvent:OnConnected", [None]))
    if "anidb" in feeds:
        messages.append(("AniDB:OnConnected", [[_anidb_status(1), _anidb_status(2)]]))
    return messages


def _greeting_v6(feeds: frozenset[str]) -> Messages:
    """What a client gets on joining v6 (`BaseEventEmitter.ConnectAsync`).

    `<feed>:connected` comes only from an emitter with initial messages: of the feeds
    simulated, `anidb` (its update types now strings); `shoko` no longer exists.
    """
    if "anidb" not in feeds:
        return []
    return [("anidb:connected", [[_anidb_status("UDPBan"), _anidb_status("HTTPBan")]])]
