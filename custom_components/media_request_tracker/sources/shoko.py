"""Shoko Server: the REST v3 client, API keys, and the SignalR events (reference §3).

REST (§3.2, §3.6): the key travels in the `apikey` header, which v5 and v6 both read.
v6 renamed import folders managed folders (`/api/v3/ManagedFolder`, `ManagedFolderID`)
and sends cross references only when `include=XRefs` asks for them (addendum §5);
the client speaks both, learning which on the first folder call.
Events (§3.3 to §3.5): the aggregate hub sends PascalCase payloads, `ShokoEvent:*` on
v5 and `file:*`, `release:*` and `metadata:*` on v6-dev; both are parsed into the same
evidence. Paths are relative to an import folder, may start with a separator and use
backslashes on Windows hosts: they are normalised here, once.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Self

import aiohttp

from ..engine.evidence import (
    AnimeLink,
    AnimeMovieEvidence,
    AnimeSeriesEvidence,
    ShokoFileEvent,
    ShokoFileEvidence,
    ShokoLocation,
)
from .errors import CannotConnect, InvalidPayload, NotFound, WrongService
from .fields import Fields
from .http import ApiFields, JsonApi

HUB_PATH = "/signalr/aggregate"
# Where the folders are: v5, then v6 (which has no ImportFolder route).
FOLDER_PATHS = ("/api/v3/ImportFolder", "/api/v3/ManagedFolder")
# A location names its folder by one of these, v5's or v6's.
FOLDER_KEYS = ("ImportFolderID", "ManagedFolderID")
# v5 serves `shoko`, v6-dev `file`, `release` and `metadata`; both ignore unknown feeds.
HUB_FEEDS = "shoko,file,release,metadata"
# Shoko returns the same key again for the same user and device (reference §3.2).
DEVICE_NAME = "Home Assistant Media Request Tracker"
SERVER_STATES = frozenset({"Starting", "Started", "Failed", "Waiting"})
FILES_PER_LOOKUP = 10
_V5 = "ShokoEvent:"
# `UpdateReason` values; v6-dev names metadata events after them, lower-cased.
_UPDATE_REASONS = (
    "None",
    "Added",
    "Updated",
    "Removed",
    "ImageAdded",
    "ImageUpdated",
    "ImageRemoved",
)


class ShokoFields(ApiFields):
    """`ApiFields` plus the integer lists Shoko uses for ids."""

    __slots__ = ()

    def obj(self, key: str) -> Self | None:
        """An optional nested object, read with these readers too."""
        value = self._data.get(key)
        return None if value is None else type(self)(value, f"{self._path}.{key}")

    def required_obj(self, key: str) -> Self:
        """A nested object that must be present, read with these readers too."""
        value = self.obj(key)
        if value is None:
            raise InvalidPayload(f"{self._path}.{key} is missing")
        return value

    def integers(self, key: str) -> list[int]:
        """A list of integers (absent means empty)."""
        value = self._data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(
            isinstance(item, int) and not isinstance(item, bool) for item in value
        ):
            raise self._wrong(key, "a list of integers")
        return value


@dataclass(frozen=True, slots=True)
class ImportFolder:
    """A folder Shoko imports from, as Shoko's host sees it (trailing separator)."""

    folder_id: int
    name: str
    path: str


@dataclass(frozen=True, slots=True)
class FileDetected:
    """Shoko saw a new file; it has no id until it is hashed."""

    location: ShokoLocation


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """A `File` of REST v3, with its cross references."""

    file_id: int
    size: int | None
    locations: tuple[ShokoLocation, ...]
    links: tuple[AnimeLink, ...]
    tmdb_linked: bool

    def evidence(self, location: ShokoLocation | None = None) -> ShokoFileEvidence:
        """What Shoko knows of the file: matched when it has cross references."""
        return ShokoFileEvidence(
            ShokoFileEvent.MATCHED if self.links else ShokoFileEvent.HASHED,
            self.file_id,
            location=location or next(iter(self.locations), None),
            links=self.links,
            size=self.size,
            tmdb_linked=self.tmdb_linked if self.links else None,
        )


def completed(evidence: ShokoFileEvidence, remote: RemoteFile) -> ShokoFileEvidence:
    """An event with what REST adds: size, location, Shoko's ids, TMDB links."""
    matched = evidence.event is ShokoFileEvent.MATCHED
    return replace(
        evidence,
        location=evidence.location or next(iter(remote.locations), None),
        links=(remote.links or evidence.links) if matched else evidence.links,
        size=remote.size,
        tmdb_linked=remote.tmdb_linked if matched and remote.links else None,
    )


type ShokoEvent = (
    ShokoFileEvidence | AnimeSeriesEvidence | AnimeMovieEvidence | FileDetected
)


class ShokoClient:
    """The Shoko Server REST API v3 with an API key."""

    def __init__(self, session: aiohttp.ClientSession, url: str, api_key: str) -> None:
        """Create a client for one Shoko Server."""
        self._public = JsonApi(session, url, {})
        self._api = JsonApi(session, url, {"apikey": api_key})
        self._api_key = api_key
        self._folders_path: str | None = None

    @property
    def url(self) -> str:
        """The normalised server URL."""
        return self._api.base_url

    @property
    def hub_url(self) -> str:
        """The aggregate hub with the feeds of v5 and v6-dev."""
        return f"{self.url}{HUB_PATH}?feeds={HUB_FEEDS}"

    @property
    def hub_headers(self) -> dict[str, str]:
        """The key as a header: v6-dev's hub requires it, v5's ignores it.

        pysignalr's `access_token_factory` would miss the first negotiate (§5.1).
        """
        return {"apikey": self._api_key}

    async def async_get_state(self) -> str:
        """Shoko's start-up state, anonymously: tells a wrong URL from a wrong key."""
        path = "/api/v3/Init/Status"
        try:
            state = Fields(await self._public.request("GET", path)).required_text(
                "State"
            )
        except (InvalidPayload, NotFound) as err:
            raise WrongService(f"{path} is not Shoko Server's status: {err}") from err
        if state not in SERVER_STATES:
            raise WrongService(f"{path} answered the unknown state {state!r}")
        return state

    async def async_validate(self) -> None:
        """Check that Shoko Server runs and accepts the key (InvalidAuth on 401).

        Until Shoko has started, v5 lets every request through (§3.6): the key can
        only be judged once it runs.
        """
        state = await self.async_get_state()
        if state != "Started":
            raise CannotConnect(f"Shoko Server is not started yet ({state})")
        if not isinstance(await self._async_folders(""), list):
            raise WrongService("Shoko Server did not list its folders")

    async def async_get_import_folder(self, folder_id: int) -> ImportFolder:
        """One import folder (the list endpoint computes statistics: slow)."""
        body = ShokoFields(await self._async_folders(f"/{folder_id}"))
        return ImportFolder(
            folder_id=body.required_integer("ID"),
            name=body.text("Name") or "",
            path=body.required_text("Path"),
        )

    async def _async_folders(self, rest: str) -> Any:
        """GET under the folders route of this Shoko's version (v5's, else v6's)."""
        for path in (self._folders_path,) if self._folders_path else FOLDER_PATHS:
            try:
                body = await self._api.request("GET", f"{path}{rest}")
            except NotFound:
                if path == FOLDER_PATHS[-1]:
                    raise
                continue
            self._folders_path = path
            return body
        raise NotFound(rest)

    async def async_get_file(self, file_id: int) -> RemoteFile:
        """A file with its cross references and locations."""
        body = await self._api.request(
            "GET", f"/api/v3/File/{file_id}", params={"include": "XRefs"}
        )
        return parse_file(ShokoFields(body))

    async def async_rescan_file(self, file_id: int) -> None:
        """Match a file with AniDB again, queued (`POST /File/{id}/Rescan`).

        Shoko 5 queues `ProcessFileJob(ForceAniDB)`; Shoko 6 a forced release search,
        refused with 400 while auto-matching is off.
        """
        await self._api.request(
            "POST", f"/api/v3/File/{file_id}/Rescan", params={"priority": "false"}
        )

    async def async_find_files(self, path_suffix: str) -> list[RemoteFile]:
        """Files whose full server path ends with `path_suffix` (case-insensitive)."""
        body = await self._api.request(
            "GET",
            "/api/v3/File/PathEndsWith",
            params={
                "path": path_suffix,
                "includeXRefs": "true",  # v5
                "include": "XRefs",  # v6
                "limit": FILES_PER_LOOKUP,
            },
        )
        return [parse_file(item) for item in ShokoFields.array(body)]


async def async_obtain_api_key(
    session: aiohttp.ClientSession,
    url: str,
    username: str,
    password: str,
    device: str = DEVICE_NAME,
) -> str:
    """Log in with `/api/auth` and return the device's API key (InvalidAuth on 401)."""
    path = "/api/auth"
    try:
        body = await JsonApi(session, url, {}).request(
            "POST", path, json={"user": username, "pass": password, "device": device}
        )
        return Fields(body).required_text("apikey")
    except (InvalidPayload, NotFound) as err:
        raise WrongService(f"{path} is not Shoko Server's login: {err}") from err


def relative_path(path: str) -> str:
    """A path relative to an import folder: `/` separators, no leading separator."""
    return path.replace("\\", "/").lstrip("/")


def parse_file(body: ShokoFields) -> RemoteFile:
    """A REST v3 `File` (`SeriesIDs` only when cross references were asked for)."""
    links: list[AnimeLink] = []
    tmdb_linked = False
    for xref in body.records("SeriesIDs"):
        series = xref.required_obj("SeriesID")
        tmdb_linked |= _has_tmdb_movie(series)
        for episode in xref.records("EpisodeIDs"):
            tmdb_linked |= _has_tmdb_movie(episode)
            links.append(
                AnimeLink(
                    anidb_anime_id=series.integer("AniDB"),
                    anidb_episode_id=episode.integer("AniDB"),
                    series_id=series.integer("ID"),
                    episode_id=episode.integer("ID"),
                )
            )
    return RemoteFile(
        file_id=body.required_integer("ID"),
        size=body.integer("Size"),
        locations=tuple(
            _location(location, _folder_key(location))
            for location in body.records("Locations")
        ),
        links=tuple(links),
        tmdb_linked=tmdb_linked,
    )


def _folder_key(location: ShokoFields) -> str:
    """The key naming a location's folder: v6's where present, else v5's."""
    return next(
        (key for key in reversed(FOLDER_KEYS) if location.integer(key) is not None),
        FOLDER_KEYS[0],
    )


def _has_tmdb_movie(ids: ShokoFields) -> bool:
    tmdb = ids.obj("TMDB")
    return tmdb is not None and bool(tmdb.integers("Movie"))


def parse_event(target: str, arguments: list[Any]) -> ShokoEvent | None:
    """Evidence from a hub invocation; None for events that tell us nothing.

    pysignalr hands a handler the invocation's `arguments` list: `[payload]`.
    """
    parser = _PARSERS.get(target)
    if parser is None or not arguments or arguments[0] is None:
        return None
    return parser(ShokoFields(arguments[0], target))


def _location(payload: ShokoFields, folder_key: str) -> ShokoLocation:
    return ShokoLocation(
        payload.required_integer(folder_key),
        relative_path(payload.required_text("RelativePath")),
    )


def _links(payload: ShokoFields) -> tuple[AnimeLink, ...]:
    return tuple(
        AnimeLink(
            anidb_anime_id=xref.integer("AnidbAnimeID"),
            anidb_episode_id=xref.integer("AnidbEpisodeID"),
            series_id=xref.integer("SeriesID"),
            episode_id=xref.integer("EpisodeID"),
        )
        for xref in payload.records("CrossReferences")
    )


def _file(
    payload: ShokoFields,
    event: ShokoFileEvent,
    folder_key: str,
    previous: ShokoLocation | None = None,
) -> ShokoFileEvidence:
    """`FileEventSignalRModel`: the file, where it is and what it is linked to."""
    return ShokoFileEvidence(
        event,
        payload.required_integer("FileID"),
        location=_location(payload, folder_key),
        previous=previous,
        links=_links(payload),
    )


def _not_matched(payload: ShokoFields) -> ShokoFileEvidence:
    """No AniDB match, or (with cross references) a rescan of a matched file.

    A rescan is no reason to stall; its cross references prove the match instead.
    """
    if payload.records("CrossReferences") or payload.flag("HasCrossReferences"):
        return _file(payload, ShokoFileEvent.MATCHED, "ImportFolderID")
    return ShokoFileEvidence(
        ShokoFileEvent.NOT_MATCHED,
        payload.required_integer("FileID"),
        location=_location(payload, "ImportFolderID"),
        anidb_banned=payload.flag("IsUDPBanned"),
    )


def _moved(payload: ShokoFields, folder_key: str) -> ShokoFileEvidence:
    """v5 `FileMoved` and v6 `file:relocated`: where the file was before."""
    previous = ShokoLocation(
        payload.required_integer(f"Previous{folder_key}"),
        relative_path(payload.required_text("PreviousRelativePath")),
    )
    return _file(payload, ShokoFileEvent.RELOCATED, folder_key, previous)


def _renamed(payload: ShokoFields) -> ShokoFileEvidence:
    """v5 `FileRenamed`: the same folder, the previous file name."""
    location = _location(payload, "ImportFolderID")
    folder = location.path.rpartition("/")[0]
    name = payload.required_text("PreviousFileName")
    previous = ShokoLocation(location.folder_id, relative_path(f"{folder}/{name}"))
    return _file(payload, ShokoFileEvent.RELOCATED, "ImportFolderID", previous)


def _release_saved(payload: ShokoFields) -> ShokoFileEvidence:
    """v6 `release:saved` replaces `FileMatched`; it carries AniDB ids, no path."""
    links = [
        AnimeLink(
            anidb_anime_id=ids.number_text("AniDB_Anime"),
            anidb_episode_id=ids.number_text("AniDB_Episode"),
        )
        for xref in payload.required_obj("Release").records("CrossReferences")
        if (ids := xref.obj("ProviderIDs")) is not None
    ]
    return ShokoFileEvidence(
        ShokoFileEvent.MATCHED, payload.required_integer("FileID"), links=tuple(links)
    )


def _search_completed(payload: ShokoFields) -> ShokoFileEvidence | None:
    """v6 `release:search.completed`: no provider selected means no match.

    v6 has no FileNotMatched. A match arrives as `release:saved`; a search that
    found nothing completes with `SelectedProvider` and `ReleaseInfo` null (`IsSaved`
    stays true; reference addendum §5 and `FireSearchCompleted`).
    """
    if (
        payload.text("SelectedProvider") is not None
        or payload.flag("IsCancelled")
        or payload.text("ExceptionMessage")
    ):
        return None
    return ShokoFileEvidence(
        ShokoFileEvent.NOT_MATCHED, payload.required_integer("FileID")
    )


def _series_updated(payload: ShokoFields) -> AnimeSeriesEvidence | None:
    """Only `Source: AniDB` names Shoko's ids for AniDB's (reference §3.4)."""
    if payload.text("Source") != "AniDB":
        return None
    return AnimeSeriesEvidence(
        anidb_anime_id=payload.required_integer("SeriesID"),
        series_ids=tuple(payload.integers("ShokoSeriesIDs")),
        episodes=tuple(
            (
                episode.required_integer("EpisodeID"),
                tuple(episode.integers("ShokoEpisodeIDs")),
            )
            for episode in payload.records("Episodes")
        ),
    )


def _episode_updated(payload: ShokoFields) -> AnimeSeriesEvidence | None:
    if payload.text("Source") != "AniDB":
        return None
    return AnimeSeriesEvidence(
        anidb_anime_id=payload.required_integer("SeriesID"),
        series_ids=tuple(payload.integers("ShokoSeriesIDs")),
        episodes=(
            (
                payload.required_integer("EpisodeID"),
                tuple(payload.integers("ShokoEpisodeIDs")),
            ),
        ),
    )


def _movie_updated(payload: ShokoFields) -> AnimeMovieEvidence | None:
    """`Source: TMDB`: `MovieID` is the TMDB movie Shoko linked (not playability)."""
    if payload.text("Source") != "TMDB" or payload.text("Reason") == "Removed":
        return None
    return AnimeMovieEvidence(payload.required_integer("MovieID"))


def _ignored(_payload: ShokoFields) -> None:
    """Events we listen to only so that pysignalr does not warn about them.

    `OnConnected`/`connected` greet a new connection. `FileDeleted` is left to
    Radarr/Sonarr, whose delete webhooks say whether it was an upgrade; a replacement
    file arrives with a newer Shoko id.
    """


_PARSERS: dict[str, Callable[[ShokoFields], ShokoEvent | None]] = {
    f"{_V5}OnConnected": _ignored,
    f"{_V5}FileDetected": lambda p: FileDetected(_location(p, "ImportFolderID")),
    f"{_V5}FileHashed": lambda p: _file(p, ShokoFileEvent.HASHED, "ImportFolderID"),
    f"{_V5}FileMatched": lambda p: _file(p, ShokoFileEvent.MATCHED, "ImportFolderID"),
    f"{_V5}FileNotMatched": _not_matched,
    f"{_V5}FileMoved": lambda p: _moved(p, "ImportFolderID"),
    f"{_V5}FileRenamed": _renamed,
    f"{_V5}FileDeleted": _ignored,
    f"{_V5}SeriesUpdated": _series_updated,
    f"{_V5}EpisodeUpdated": _episode_updated,
    f"{_V5}MovieUpdated": _movie_updated,
    "file:connected": _ignored,
    "file:detected": lambda p: FileDetected(_location(p, "ManagedFolderID")),
    "file:hashed": lambda p: _file(p, ShokoFileEvent.HASHED, "ManagedFolderID"),
    "file:relocated": lambda p: _moved(p, "ManagedFolderID"),
    "file:deleted": _ignored,
    "release:connected": _ignored,
    "release:saved": _release_saved,
    "release:search.completed": _search_completed,
    "metadata:connected": _ignored,
    **{
        f"metadata:{kind}.{reason.lower()}": parser
        for kind, parser in (
            ("series", _series_updated),
            ("episode", _episode_updated),
            ("movie", _movie_updated),
        )
        for reason in _UPDATE_REASONS
    },
}
# Every hub method a handler is registered for.
EVENT_NAMES = tuple(_PARSERS)
