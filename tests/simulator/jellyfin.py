"""Fake Jellyfin 10.11: library queries and the Webhook plugin (reference §2).

Items carry a real file (`LocationType: FileSystem` and a `Path`) once imported, and
episodes not yet on disk exist as `Virtual` metadata stubs without a path. Anime comes
through Shokofin: Shoko provider ids instead of TMDB/TVDB, and a VFS path. `/Items` has
no provider-id filter (unknown query parameters are ignored, as in ASP.NET Core).
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
import hashlib
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from .catalog import Anime, Episode, Movie, Series, air_datetime, movie_dates
from .clock import SimClock, iso_ticks
from .server import FakeService, Service
from .webhooks import Delivery, WebhookSender, WebhookTarget

VERSION = "10.11.11"
SERVER_NAME = "jellyfin"
VFS_ROOT = "/config/Shokofin/VFS"
TICKS_PER_MINUTE = 600_000_000
LIBRARIES = ("Movies", "Shows", "Anime Movies", "Anime Shows")
# The Webhook plugin's Generic destination: which item types it sends (seasons off).
NOTIFIED_TYPES = {"Movie", "Series", "Episode"}


def item_id(*parts: str) -> str:
    """A stable 32-hex id (Jellyfin derives item ids from type and path)."""
    return hashlib.md5("|".join(parts).encode(), usedforsecurity=False).hexdigest()


@dataclass(slots=True)
class Item:
    """One library item, with what `BaseItemDto` and the webhook need."""

    id: str
    name: str
    type: str
    parent_id: str
    saved: datetime
    path: str | None = None
    provider_ids: dict[str, str] = field(default_factory=dict)
    year: int | None = None
    premiere: datetime | None = None
    overview: str = ""
    genres: tuple[str, ...] = ()
    runtime_minutes: int | None = None
    index: int | None = None
    parent_index: int | None = None
    series: Item | None = None
    season: Item | None = None

    @property
    def virtual(self) -> bool:
        """A metadata stub: no file behind it."""
        return self.path is None and self.type in {"Movie", "Episode"}

    @property
    def is_folder(self) -> bool:
        """Series, seasons and libraries are folders."""
        return self.type not in {"Movie", "Episode"}


@dataclass(frozen=True, slots=True)
class ShokoFileRef:
    """The Shoko ids Shokofin puts on an anime item (`Shoko File` and friends)."""

    file_id: int
    episode_id: int
    anidb_episode_id: int


class JellyfinServer(FakeService):
    """Jellyfin: system info, `/Items`, `/Shows/{id}/Episodes`, media-updated, webhook."""

    def __init__(
        self,
        clock: SimClock,
        sender: WebhookSender,
        api_key: str,
        server_id: str,
        *,
        legacy_authorization: bool = False,
    ) -> None:
        """Create the fake with empty libraries.

        `legacy_authorization=False` is 12.0's default (and a 10.11 admin's choice):
        only `Authorization: MediaBrowser Token="…"` and `?ApiKey=` are accepted.
        """
        super().__init__(Service.JELLYFIN, [self._auth_middleware])
        self.clock = clock
        self.sender = sender
        self.api_key = api_key
        self.server_id = server_id
        self.legacy_authorization = legacy_authorization
        self.webhook_target: WebhookTarget | None = None
        self.media_updates: list[dict[str, Any]] = []
        self.items: dict[str, Item] = {}
        self.libraries: dict[str, Item] = {}
        for name in LIBRARIES:
            library = Item(
                item_id("CollectionFolder", name),
                name,
                "CollectionFolder",
                "",
                clock.wall_now(),
            )
            self.items[library.id] = self.libraries[name] = library
        router = self.app.router
        router.add_get("/System/Info/Public", self._public_info)
        router.add_get("/System/Info", self._info)
        router.add_get("/Items", self._items)
        router.add_get("/Shows/{series_id}/Episodes", self._episodes)
        router.add_post("/Library/Media/Updated", self._media_updated)

    # --- library changes (a scan finding files) -------------------------------------

    def add_movie(
        self, movie: Movie, path: str, shoko: ShokoFileRef | None = None
    ) -> Item:
        """A scan found a movie file (through Shokofin's VFS when `shoko` is given)."""
        library = self.libraries["Anime Movies" if shoko else "Movies"]
        if shoko is not None and movie.anime is not None:
            path = self._vfs_movie_path(library, movie, movie.anime, shoko)
            providers = _shoko_ids(movie.anime, shoko) | {
                "AniDB": str(movie.anime.anidb_id)
            }
        else:
            providers = {"Tmdb": str(movie.tmdb_id), "Imdb": movie.imdb_id}
        item = Item(
            id=item_id("Movie", path),
            name=movie.title,
            type="Movie",
            parent_id=library.id,
            saved=self.clock.wall_now(),
            path=path,
            provider_ids=providers,
            year=movie.year,
            premiere=movie_dates(movie, self.clock).physical_release,
            overview=movie.overview,
            genres=movie.genres,
            runtime_minutes=movie.runtime,
        )
        self.items[item.id] = item
        return item

    def add_episodes(
        self,
        series: Series,
        files: Mapping[tuple[int, int], str],
        shoko: Mapping[tuple[int, int], ShokoFileRef] | None = None,
    ) -> list[Item]:
        """A scan found episode files: new items (the series first, if it is new).

        The series' other episodes exist as virtual stubs; a stub whose file arrives is
        replaced by a new item (ids follow the path).
        """
        added: list[Item] = []
        series_item = self._series_item(series, added, anime=shoko is not None)
        for episode in series.episodes:
            key = (episode.season, episode.number)
            season = self._season_item(series_item, episode.season)
            existing = self._episode_item(series_item, episode)
            if key in files:
                if existing is not None and not existing.virtual:
                    continue
                if existing is not None:
                    del self.items[existing.id]
                ref = shoko.get(key) if shoko else None
                path = files[key]
                if ref is not None and series.anime is not None:
                    path = _vfs_episode_path(
                        series_item, series.anime, series, episode, ref
                    )
                item = self._new_episode(
                    series, episode, series_item, season, path, ref
                )
                added.append(item)
            elif existing is None:
                self._new_episode(series, episode, series_item, season, None, None)
        return added

    def episodes_on_disk(self, series_id: str) -> Counter[int]:
        """A series' episodes with a file, per season (what Jellyseerr's scan counts)."""
        return Counter(
            item.parent_index
            for item in self.items.values()
            if item.type == "Episode"
            and not item.virtual
            and item.series is not None
            and item.series.id == series_id
            and item.parent_index is not None
        )

    def remove_path(self, path_prefix: str) -> None:
        """A scan noticed files are gone: their items leave the library."""
        for item in list(self.items.values()):
            if item.path is not None and item.path.startswith(path_prefix):
                del self.items[item.id]

    async def notify_added(self, items: Iterable[Item]) -> list[Delivery]:
        """The Webhook plugin's `ItemAdded` ("Send All Properties"), per item."""
        deliveries: list[Delivery] = []
        target = self.webhook_target
        if target is None:
            return deliveries
        # The Generic destination posts text/plain unless a Content-Type header is set.
        content_type = target.headers.get("Content-Type", "text/plain; charset=utf-8")
        for item in items:
            if item.type in NOTIFIED_TYPES and not item.virtual:
                body = self._webhook_body(item)
                deliveries.append(
                    await self.sender.send(
                        self.service,
                        "ItemAdded",
                        target,
                        body,
                        content_type=content_type,
                    )
                )
        return deliveries

    def _series_item(self, series: Series, added: list[Item], *, anime: bool) -> Item:
        library = self.libraries["Anime Shows" if anime else "Shows"]
        if anime and series.anime is not None:
            folder = f"{VFS_ROOT}/{library.id}/{series.title} [Shoko Series={series.anime.shoko_series_id}]"
            providers = {
                "Custom": f"shoko://series/{series.anime.shoko_series_id}",
                "Shoko Series": str(series.anime.shoko_series_id),
                "Shoko Group": str(series.anime.shoko_group_id),
                "AniDB": str(series.anime.anidb_id),
            }
        else:
            folder = f"/data/tv/{series.title}"
            providers = {
                "Tmdb": str(series.tmdb_id),
                "Tvdb": str(series.tvdb_id),
                "Imdb": series.imdb_id,
            }
        existing = self.items.get(item_id("Series", folder))
        if existing is not None:
            return existing
        item = Item(
            id=item_id("Series", folder),
            name=series.title,
            type="Series",
            parent_id=library.id,
            saved=self.clock.wall_now(),
            path=folder,
            provider_ids=providers,
            year=series.year,
            premiere=air_datetime(series.episodes[0], self.clock),
            overview=series.overview,
            genres=series.genres,
        )
        self.items[item.id] = item
        added.append(item)
        return item

    def _season_item(self, series_item: Item, number: int) -> Item:
        path = f"{series_item.path}/Season {number:02d}"
        existing = self.items.get(item_id("Season", path))
        if existing is not None:
            return existing
        item = Item(
            id=item_id("Season", path),
            name=f"Season {number}",
            type="Season",
            parent_id=series_item.id,
            saved=self.clock.wall_now(),
            path=path,
            index=number,
            series=series_item,
        )
        self.items[item.id] = item
        return item

    def _episode_item(self, series_item: Item, episode: Episode) -> Item | None:
        for item in self.items.values():
            if (
                item.type == "Episode"
                and item.series is series_item
                and (item.parent_index, item.index) == (episode.season, episode.number)
            ):
                return item
        return None

    def _new_episode(
        self,
        series: Series,
        episode: Episode,
        series_item: Item,
        season: Item,
        path: str | None,
        shoko: ShokoFileRef | None,
    ) -> Item:
        if shoko is not None and series.anime is not None:
            providers = _shoko_ids(series.anime, shoko) | {
                "AniDB": str(shoko.anidb_episode_id)
            }
        else:
            providers = {"Tvdb": str(episode.tvdb_id)}
        key = path or f"{series.key}:{episode.season}:{episode.number}"
        item = Item(
            id=item_id("Episode", key),
            name=episode.title,
            type="Episode",
            parent_id=season.id,
            saved=self.clock.wall_now(),
            path=path,
            provider_ids=providers,
            year=series.year,
            premiere=air_datetime(episode, self.clock),
            runtime_minutes=series.runtime,
            index=episode.number,
            parent_index=episode.season,
            series=series_item,
            season=season,
        )
        self.items[item.id] = item
        return item

    @staticmethod
    def _vfs_movie_path(
        library: Item, movie: Movie, anime: Anime, shoko: ShokoFileRef
    ) -> str:
        """Shokofin's VFS symlink for a movie (`VirtualFileSystemService`)."""
        series = f"[Shoko Series={anime.shoko_series_id}]"
        folder = f"{movie.title} {series} [Shoko Episode={shoko.episode_id}]"
        return f"{VFS_ROOT}/{library.id}/{folder}/{movie.title} {series} [Shoko File={shoko.file_id}].mkv"

    # --- REST ----------------------------------------------------------------------

    def _token(self, request: web.Request) -> str | None:
        """`AuthorizationContext`: the token in the order Jellyfin looks for it."""
        headers, query = request.headers, request.query
        candidates = [_mediabrowser_token(headers.get("Authorization", ""))]
        if self.legacy_authorization:
            candidates += [
                _mediabrowser_token(headers.get("X-Emby-Authorization", "")),
                headers.get("X-Emby-Token"),
                headers.get("X-MediaBrowser-Token"),
            ]
        candidates.append(query.get("ApiKey"))
        if self.legacy_authorization:
            candidates.append(query.get("api_key"))
        return next((token for token in candidates if token), None)

    @web.middleware
    async def _auth_middleware(
        self, request: web.Request, handler: Any
    ) -> web.StreamResponse:
        """Everything but `/System/Info/Public` needs the API key: 401 otherwise."""
        if (
            request.path != "/System/Info/Public"
            and self._token(request) != self.api_key
        ):
            return web.Response(status=401)
        response: web.StreamResponse = await handler(request)
        return response

    def _public(self) -> dict[str, Any]:
        return {
            "LocalAddress": self.url,
            "ServerName": SERVER_NAME,
            "Version": VERSION,
            "ProductName": "Jellyfin Server",
            "OperatingSystem": "",
            "Id": self.server_id,
            "StartupWizardCompleted": True,
        }

    async def _public_info(self, _request: web.Request) -> web.Response:
        return web.json_response(self._public())

    async def _info(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                **self._public(),
                "OperatingSystemDisplayName": "Linux",
                "HasPendingRestart": False,
                "IsShuttingDown": False,
                "SupportsLibraryMonitor": True,
                "WebSocketPortNumber": int(self.url.rsplit(":", 1)[1]),
                "CompletedInstallations": [],
                "CanSelfRestart": False,
                "CanLaunchWebBrowser": False,
                "HasUpdateAvailable": False,
            }
        )

    def _dto(self, item: Item, fields: set[str]) -> dict[str, Any]:
        """`BaseItemDto`: `Path`, `ProviderIds`, … only when `Fields` asks for them."""
        dto: dict[str, Any] = {
            "Name": item.name,
            "ServerId": self.server_id,
            "Id": item.id,
            "IsFolder": item.is_folder,
            "Type": item.type,
            "LocationType": "Virtual" if item.virtual else "FileSystem",
            "MediaType": "Unknown" if item.is_folder else "Video",
        }
        if "path" in fields and item.path is not None:
            dto["Path"] = item.path
        if "providerids" in fields:
            dto["ProviderIds"] = dict(item.provider_ids)
        if "overview" in fields:
            dto["Overview"] = item.overview
        if "genres" in fields:
            dto["Genres"] = list(item.genres)
        if "datecreated" in fields:
            dto["DateCreated"] = iso_ticks(item.saved)
        if item.year is not None:
            dto["ProductionYear"] = item.year
        if item.premiere is not None:
            dto["PremiereDate"] = iso_ticks(item.premiere)
        if item.runtime_minutes is not None:
            dto["RunTimeTicks"] = item.runtime_minutes * TICKS_PER_MINUTE
        if item.index is not None:
            dto["IndexNumber"] = item.index
        if item.parent_index is not None:
            dto["ParentIndexNumber"] = item.parent_index
        if item.series is not None:
            dto["SeriesName"] = item.series.name
            dto["SeriesId"] = item.series.id
        if item.season is not None:
            dto["SeasonId"] = item.season.id
            dto["SeasonName"] = item.season.name
        return dto

    def _ancestors(self, item: Item) -> set[str]:
        found = set()
        parent = self.items.get(item.parent_id)
        while parent is not None:
            found.add(parent.id)
            parent = self.items.get(parent.parent_id)
        return found

    async def _items(self, request: web.Request) -> web.Response:
        """`ItemsController.GetItems`: the filters Jellyfin has (no provider-id one)."""
        query = {key.lower(): value for key, value in request.query.items()}
        recursive = query.get("recursive", "").lower() == "true"
        parent_id = query.get("parentid")
        items = [i for i in self.items.values() if i.type != "CollectionFolder"]
        if parent_id:
            items = [
                i
                for i in items
                if (
                    parent_id in self._ancestors(i)
                    if recursive
                    else i.parent_id == parent_id
                )
            ]
        elif not recursive:
            items = list(self.libraries.values())
        if types := _csv(query.get("includeitemtypes")):
            items = [i for i in items if i.type.lower() in types]
        if excluded := _csv(query.get("excludeitemtypes")):
            items = [i for i in items if i.type.lower() not in excluded]
        if ids := _csv(query.get("ids")):
            items = [i for i in items if i.id in ids]
        if years := _csv(query.get("years")):
            items = [i for i in items if str(i.year) in years]
        if term := query.get("searchterm", "").lower():
            items = [i for i in items if term in i.name.lower()]
        for flag, provider in (
            ("hastmdbid", "Tmdb"),
            ("hastvdbid", "Tvdb"),
            ("hasimdbid", "Imdb"),
        ):
            if flag in query:
                wanted = query[flag].lower() == "true"
                items = [i for i in items if (provider in i.provider_ids) == wanted]
        if "ismissing" in query:
            items = [
                i for i in items if i.virtual == (query["ismissing"].lower() == "true")
            ]
        if since := query.get("mindatelastsaved"):
            moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
            items = [i for i in items if i.saved >= moment]
        return web.json_response(self._page(items, query))

    def _page(self, items: Sequence[Item], query: Mapping[str, str]) -> dict[str, Any]:
        # Jellyfin's default order: by sort name; episodes in aired order.
        ordered = sorted(
            items,
            key=lambda i: (
                (i.series or i).name.lower(),
                i.parent_index or 0,
                i.index or 0,
                i.name.lower(),
            ),
        )
        start = int(query.get("startindex", 0))
        end = start + int(query["limit"]) if "limit" in query else None
        fields = _csv(query.get("fields"))
        page = [self._dto(item, fields) for item in ordered[start:end]]
        counted = query.get("enabletotalrecordcount", "true").lower() != "false"
        return {
            "Items": page,
            "TotalRecordCount": len(ordered) if counted else len(page),
            "StartIndex": start,
        }

    async def _episodes(self, request: web.Request) -> web.Response:
        """`TvShowsController.GetEpisodes`: `season`, `seasonId`, `isMissing`, paging."""
        series = self.items.get(
            request.match_info["series_id"].replace("-", "").lower()
        )
        if series is None or series.type != "Series":
            return web.Response(status=404, text="Series not found")
        query = {key.lower(): value for key, value in request.query.items()}
        episodes = [
            i for i in self.items.values() if i.type == "Episode" and i.series is series
        ]
        if "season" in query:
            episodes = [i for i in episodes if i.parent_index == int(query["season"])]
        if "seasonid" in query:
            episodes = [
                i
                for i in episodes
                if i.season is not None and i.season.id == query["seasonid"]
            ]
        if "ismissing" in query:
            episodes = [
                i
                for i in episodes
                if i.virtual == (query["ismissing"].lower() == "true")
            ]
        return web.json_response(self._page(episodes, query))

    async def _media_updated(self, request: web.Request) -> web.Response:
        """`LibraryController.PostUpdatedMedia`: record the paths, answer 204."""
        body = await request.json()
        updates = body.get("Updates") if isinstance(body, dict) else None
        if not isinstance(updates, list):
            return web.Response(status=400, text="Updates is required")
        self.media_updates.extend(updates)
        return web.Response(status=204)

    # --- webhook -------------------------------------------------------------------

    def _webhook_body(self, item: Item) -> dict[str, Any]:
        """`DataObjectHelpers`: the data object "Send All Properties" serialises."""
        now = self.clock.wall_now()
        stamp = iso_ticks(now)
        body: dict[str, Any] = {
            "ServerId": self.server_id,
            "ServerName": SERVER_NAME,
            "ServerVersion": VERSION,
            "ServerUrl": self.url,
            "NotificationType": "ItemAdded",
            "Timestamp": stamp.removesuffix("Z") + "+00:00",
            "UtcTimestamp": stamp,
            "Name": item.name,
            "Overview": item.overview,
            "Tagline": "",
            "ItemId": item.id,
            "ItemType": item.type,
        }
        if item.runtime_minutes is not None:
            body["RunTimeTicks"] = item.runtime_minutes * TICKS_PER_MINUTE
            hours, minutes = divmod(item.runtime_minutes, 60)
            body["RunTime"] = f"{hours:02d}:{minutes:02d}:00"
        if item.year is not None:
            body["Year"] = item.year
        if item.premiere is not None:
            body["PremiereDate"] = item.premiere.date().isoformat()
        if item.genres:
            body["Genres"] = ", ".join(item.genres)
        if (
            item.type == "Episode"
            and item.series is not None
            and item.season is not None
        ):
            season, number = item.parent_index or 0, item.index or 0
            body |= {
                "SeriesName": item.series.name,
                "SeriesId": item.series.id,
                "SeasonId": item.season.id,
                "SeriesPremiereDate": item.series.premiere.date().isoformat()
                if item.series.premiere
                else "",
                "SeasonNumber": season,
                "SeasonNumber00": f"{season:02d}",
                "SeasonNumber000": f"{season:03d}",
                "EpisodeNumber": number,
                "EpisodeNumber00": f"{number:02d}",
                "EpisodeNumber000": f"{number:03d}",
            }
        for key, value in item.provider_ids.items():
            body[f"Provider_{key.lower()}"] = value
        return body


def _vfs_episode_path(
    series_item: Item,
    anime: Anime,
    series: Series,
    episode: Episode,
    shoko: ShokoFileRef,
) -> str:
    """Shokofin's VFS symlink for an episode, inside the series' VFS folder."""
    name = f"{series.title} S{episode.season:02d}E{episode.number:02d}"
    ids = f"[Shoko Series={anime.shoko_series_id}] [Shoko File={shoko.file_id}]"
    return f"{series_item.path}/Season {episode.season:02d}/{name} {ids}.mkv"


def _shoko_ids(anime: Anime, shoko: ShokoFileRef) -> dict[str, str]:
    """The Shoko provider ids Shokofin sets on movies and episodes."""
    return {
        "Custom": f"shoko://file/{shoko.file_id}?seriesId={anime.shoko_series_id}&episodeIds={shoko.episode_id}",
        "Shoko File": str(shoko.file_id),
        "Shoko Series": str(anime.shoko_series_id),
        "Shoko Episode": str(shoko.episode_id),
    }


def _mediabrowser_token(header: str) -> str | None:
    """`Token` of a `MediaBrowser k="v", …` header (values URL-decoded)."""
    scheme, _, params = header.partition(" ")
    if scheme.lower() != "mediabrowser":
        return None
    for part in params.split(","):
        key, _, value = part.strip().partition("=")
        if key.lower() == "token":
            return unquote(value.strip().strip('"'))
    return None


def _csv(value: str | None) -> set[str]:
    return {part.strip().lower() for part in (value or "").split(",") if part.strip()}
