"""What Radarr and Sonarr share: webhook parsing and the v3 REST client.

Both apps build their payloads from one code base (reference `arr-jellyseerr.md` §1):
camelCase keys, null keys omitted, `eventType` in PascalCase. Their REST APIs are one
code base too (§2.4, §3.4), so `ArrClient` holds everything but the media lookups; it is
hand-written for the reasons given in `http.py`.
"""

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import re
from typing import Any, ClassVar

import aiohttp

from ..engine.codes import (
    Problem,
    ProblemCode,
    Waiting,
    WaitingCode,
    params,
)
from ..engine.correlate import file_name
from ..engine.evidence import (
    ArrMedia,
    DeleteEvidence,
    DownloadFailedEvidence,
    DownloadStatus,
    EpisodeRef,
    Evidence,
    GrabEvidence,
    HealthEvidence,
    ImportedFile,
    ImportEvidence,
    Ping,
    Release,
)
from ..engine.models import EpisodeKey, Service, Stage
from .arr_live import HUB_PATH
from .arr_waits import HEALTH_EVENTS, health_webhook
from .errors import InvalidPayload, WrongService
from .fields import Fields
from .http import ApiFields, JsonApi

_EPISODE_IN_NAME = re.compile(r"S(\d{1,3})E(\d{1,4})(?:-?E(\d{1,4}))?", re.IGNORECASE)
# .NET `TimeSpan.ToString()`: `[-][d.]hh:mm:ss[.fffffff]`.
_TIMESPAN = re.compile(
    r"^(?P<sign>-)?(?:(?P<days>\d+)\.)?(?P<hours>\d{1,2}):(?P<minutes>\d{2})"
    r":(?P<seconds>\d{2})(?P<fraction>\.\d{1,7})?$"
)
# The queue and history default to 10 records a page; fewer, larger pages are cheaper.
PAGE_SIZE = 200
# Queue records or history rows parsed per event-loop turn.
PARSE_BATCH = 500
# Queue `trackedDownloadState` (lower-cased) → stage.
TRACKED_STAGES = {
    "downloading": Stage.DOWNLOADING,
    "importpending": Stage.DOWNLOADED,
    "importing": Stage.DOWNLOADED,
    "importblocked": Stage.DOWNLOADED,
    "imported": Stage.IMPORTED,
    "failedpending": Stage.DOWNLOADING,
    "failed": Stage.DOWNLOADING,
    "ignored": Stage.DOWNLOADING,
}
# History events worth evidence (addendum §1a), and the problem of the failing ones.
GRABBED = "grabbed"
IMPORTED = "downloadFolderImported"
HISTORY_PROBLEMS = {
    "downloadFailed": ProblemCode.DOWNLOAD_FAILED,
    "downloadIgnored": ProblemCode.IGNORED,
}
USED_HISTORY = frozenset({GRABBED, IMPORTED, *HISTORY_PROBLEMS})
# Queue `status` of records still waiting in the client (or before it).
QUEUED_STATUSES = frozenset({"queued", "paused", "delay", "downloadclientunavailable"})


@dataclass(frozen=True, slots=True)
class ArrEvent:
    """A webhook body of an event we use, with what every such event carries."""

    payload: Fields
    name: str
    download_id: str | None


def read_event(
    body: object, service: Service, used: frozenset[str]
) -> ArrEvent | Ping | HealthEvidence | None:
    """The event of a webhook body, a ping (`Test`) or a health check's news.

    None for events we do not use.
    """
    payload = Fields(body)
    name = payload.required_text("eventType")
    if name == "Test":
        return Ping(service)
    if name in HEALTH_EVENTS:
        return health_webhook(payload, name, service)
    if name not in used:
        return None
    return ArrEvent(payload, name, payload.text("downloadId"))


def blocked_media(payload: Fields, key: str, service: Service) -> ArrMedia:
    """The movie/series of Manual Interaction Required (or an unknown one).

    The *arr omits it when it could not tell which movie or series the download is.
    """
    item = payload.obj(key)
    return unknown_media(service) if item is None else parse_media(item, service)


def parse_media(item: Fields, service: Service) -> ArrMedia:
    """The `movie` (Radarr) or `series` (Sonarr) object of a payload."""
    if service is Service.RADARR:
        is_anime = any(is_anime_tag(tag) for tag in item.texts("tags"))
    else:
        is_anime = (item.text("type") or "").casefold() == "anime"
    return ArrMedia(
        service=service,
        arr_id=item.integer("id"),
        title=item.text("title") or "",
        year=item.id_number("year"),
        tmdb_id=item.id_number("tmdbId"),
        tvdb_id=item.id_number("tvdbId"),
        imdb_id=item.text("imdbId"),
        is_anime=is_anime,
        poster_url=poster_url(item),
    )


def is_anime_tag(label: str) -> bool:
    """Radarr marks anime with the tag `anime` (DESIGN §3)."""
    return label.casefold() == "anime"


def unknown_media(service: Service) -> ArrMedia:
    """Radarr/Sonarr could not identify the download (no movie/series in the payload)."""
    return ArrMedia(service=service, arr_id=None, title="")


def poster_url(item: Fields) -> str | None:
    """The absolute poster URL; the `url` key is local to the *arr and unusable."""
    for image in item.objects("images"):
        remote = image.text("remoteUrl")
        if image.text("coverType") == "poster" and remote and remote.startswith("http"):
            return remote
    return None


def parse_release(payload: Fields) -> Release:
    """The release of a Grab (`release` plus the download client's name)."""
    release = payload.obj("release")
    client = payload.text("downloadClient")
    if release is None:
        return Release(client=client)
    return Release(
        title=release.text("releaseTitle"),
        quality=release.text("quality"),
        indexer=release.text("indexer"),
        release_group=release.text("releaseGroup"),
        size=release.integer("size") or None,
        client=client,
    )


def file_delete(
    payload: Fields, media: ArrMedia, episodes: tuple[EpisodeRef, ...] = ()
) -> DeleteEvidence | None:
    """A deleted file; None for an upgrade, which replaces it (the title stays)."""
    reason = payload.text("deleteReason") or "unknown"
    return None if reason == "upgrade" else DeleteEvidence(media, reason, episodes)


def status_messages(payload: Fields, key: str) -> list[str]:
    """The messages of a `[{title, messages[]}]` list, in order."""
    return [
        message
        for status in payload.objects(key)
        for message in status.texts("messages")
    ]


def status_problem(payload: Fields) -> Problem:
    """Manual Interaction Required, in the *arr's own words when it gave some."""
    messages = status_messages(payload, "downloadStatusMessages")
    return Problem(
        ProblemCode.MANUAL_INTERACTION,
        params(message=" ".join(dict.fromkeys(messages)) or None),
    )


def episode_keys_in_name(path: str) -> tuple[EpisodeKey, ...]:
    """(season, episode) pairs a file name carries, such as S01E03 or S01E03-E04."""
    match = _EPISODE_IN_NAME.search(file_name(path))
    if match is None:
        return ()
    season, first = int(match[1]), int(match[2])
    last = int(match[3]) if match[3] else first
    return tuple((season, number) for number in range(first, max(first, last) + 1))


@dataclass(frozen=True, slots=True)
class SystemStatus:
    """Which app answered, and its version."""

    app_name: str
    version: str
    instance_name: str | None


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One queue record: a download (Radarr) or one episode of a download (Sonarr v4)."""

    download_id: str | None
    arr_id: int | None
    episode_id: int | None
    season: int | None
    episode: int | None
    title: str
    status: str
    tracked_state: str | None
    tracked_status: str | None
    messages: tuple[str, ...]
    protocol: str | None
    size: int | None
    size_left: int | None
    time_left: float | None
    media_tmdb_id: int | None
    media_tvdb_id: int | None
    episode_tvdb_id: int | None
    # When a release held back will be sent (a delay profile).
    estimated_completion: datetime | None = None
    # The record's id, which removing it from the queue names.
    queue_id: int | None = None


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    """One history row (Sonarr writes one per episode), with what it is about."""

    record_id: int
    event_type: str
    date: datetime
    download_id: str | None
    source_title: str
    data: dict[str, str]
    media: ArrMedia | None
    episode: EpisodeRef | None


@dataclass(frozen=True, slots=True)
class WebhookConnection:
    """A Webhook connection of Radarr/Sonarr, and the events it sends."""

    connection_id: int
    name: str
    url: str
    events: frozenset[str]


def _webhook_connection(item: dict[str, Any]) -> WebhookConnection:
    record = Fields(item, "connection")
    url = next(
        (
            field.text("value") or ""
            for field in record.objects("fields")
            if field.text("name") == "url"
        ),
        "",
    )
    return WebhookConnection(
        connection_id=record.required_integer("id"),
        name=record.text("name") or "",
        url=url,
        events=frozenset(
            key for key, value in item.items() if key.startswith("on") and value is True
        ),
    )


class ArrClient:
    """The part of the Radarr/Sonarr v3 REST API both apps share (`X-Api-Key`)."""

    APP_NAME: ClassVar[str]
    SERVICE: ClassVar[Service]
    # The record key of the movie or series id, and the include flags of the queue
    # and the history.
    _ID_KEY: ClassVar[str]
    _QUEUE_FLAGS: ClassVar[Mapping[str, str]]
    _HISTORY_FLAGS: ClassVar[Mapping[str, str]]

    def __init__(self, session: aiohttp.ClientSession, url: str, api_key: str) -> None:
        """Create a client for one Radarr or Sonarr server."""
        self._headers = {"X-Api-Key": api_key}
        self._api = JsonApi(session, url, self._headers)

    @property
    def url(self) -> str:
        """The normalised server URL."""
        return self._api.base_url

    @property
    def hub_url(self) -> str:
        """The SignalR hub the app's own web UI listens to."""
        return f"{self.url}{HUB_PATH}"

    @property
    def hub_headers(self) -> dict[str, str]:
        """The key as a header: it authenticates the negotiate and the WebSocket.

        pysignalr's `access_token_factory` would miss the first negotiate.
        """
        return dict(self._headers)

    async def async_get_status(self) -> SystemStatus:
        """The app behind the URL; WrongService when it is not the one expected.

        Radarr and Sonarr answer the same routes, so a Sonarr URL given as Radarr's would
        otherwise pass every check until the first movie lookup.
        """
        path = "/api/v3/system/status"
        try:
            body = Fields(await self._api.request("GET", path))
            status = SystemStatus(
                app_name=body.required_text("appName"),
                version=body.required_text("version"),
                instance_name=body.text("instanceName"),
            )
        except InvalidPayload as err:
            raise WrongService(f"{path} is not an *arr system status: {err}") from err
        if status.app_name.casefold() != self.APP_NAME.casefold():
            raise WrongService(
                f"{path} answered {status.app_name}, not {self.APP_NAME}"
            )
        return status

    async def async_get_queue(self) -> list[QueueItem]:
        """Every queue record, including downloads the app could not identify.

        Unidentified downloads are only listed with `includeUnknown…Items`; they are
        the ones whose import blocks without a webhook (reference §5, pitfall 22).
        """
        records = await self._get_all_pages("/api/v3/queue", self._QUEUE_FLAGS)
        return await async_parse_in_batches(
            records, lambda record: parse_queue_record(record, self._ID_KEY)
        )

    async def async_get_history_since(
        self, since: datetime, seen: frozenset[int] = frozenset()
    ) -> list[HistoryRecord]:
        """Every history row from `since` on (inclusive) but those `seen`, unpaged.

        Rows of deleted movies and series drop out (addendum §1a, pitfall 3). Rows
        already seen are left out before they are read: a burst of grabs at one
        instant comes back with every poll until a newer row appears.
        """
        date = since.astimezone(UTC).isoformat().replace("+00:00", "Z")
        rows = await self._get_list(
            "/api/v3/history/since", {"date": date, **self._HISTORY_FLAGS}
        )
        return await async_parse_in_batches(
            [row for row in rows if row.integer("id") not in seen],
            lambda row: parse_history_record(row, self._ID_KEY, self.SERVICE),
        )

    async def async_command(self, name: str, **fields: object) -> None:
        """Queue a command, such as a rescan, with its own fields."""
        await self._api.request(
            "POST", "/api/v3/command", json={"name": name, **fields}
        )

    async def async_get_tags(self) -> dict[int, str]:
        """Tag labels by id: REST answers name tags by id, webhooks by label."""
        return {
            tag.required_integer("id"): tag.text("label") or ""
            for tag in await self._get_list("/api/v3/tag", {})
        }

    async def async_replace_downloads(self, queue_ids: Iterable[int]) -> None:
        """Remove queue records so another release is grabbed (`DELETE /queue/bulk`).

        The download and its files leave the client (`removeFromClient`), the release
        is blocklisted, and the app searches again by itself (`blocklist` without
        `skipRedownload`: `RedownloadFailedDownloadService`). The bulk route takes a
        season pack's per-episode records at once and skips unknown ids.
        """
        await self._api.request(
            "DELETE",
            "/api/v3/queue/bulk",
            params={"removeFromClient": "true", "blocklist": "true"},
            json={"ids": sorted(set(queue_ids))},
        )

    async def async_get_webhooks(self) -> list[WebhookConnection]:
        """The app's Webhook connections (Settings → Connect)."""
        body = await self._api.request("GET", "/api/v3/notification")
        if not isinstance(body, list):
            raise WrongService("/api/v3/notification is not a list of connections")
        return [
            _webhook_connection(item)
            for item in body
            if isinstance(item, dict) and item.get("implementation") == "Webhook"
        ]

    async def async_save_webhook(
        self,
        name: str,
        url: str,
        events: Mapping[str, bool],
        password: str | None,
        connection_id: int | None = None,
    ) -> None:
        """Create a Webhook connection, or replace the one with `connection_id`.

        The app tests an enabled connection on every save by posting `Test` to the
        URL, so the webhook must already answer (reference §2.5).
        """
        fields = [
            {"name": "url", "value": url},
            {"name": "method", "value": 1},
            {"name": "username", "value": "homeassistant" if password else ""},
            {"name": "password", "value": password or ""},
        ]
        body: dict[str, Any] = {
            "name": name,
            "implementation": "Webhook",
            "implementationName": "Webhook",
            "configContract": "WebhookSettings",
            "tags": [],
            "fields": fields,
            **events,
        }
        if connection_id is None:
            await self._api.request("POST", "/api/v3/notification", json=body)
        else:
            await self._api.request(
                "PUT",
                f"/api/v3/notification/{connection_id}",
                params={"forceSave": "true"},
                json={**body, "id": connection_id},
            )

    async def async_delete_webhook(self, connection_id: int) -> None:
        """Delete a connection."""
        await self._api.request("DELETE", f"/api/v3/notification/{connection_id}")

    async def async_get_health(self) -> list[ApiFields]:
        """The failing health checks (`arr_waits.py` reads them)."""
        return await self._get_list("/api/v3/health", {})

    async def _get_all_pages(
        self, path: str, params: Mapping[str, str]
    ) -> list[ApiFields]:
        """The records of every page of a paged resource."""
        records: list[ApiFields] = []
        page = 1
        while True:
            body = ApiFields(
                await self._api.request(
                    "GET", path, params={**params, "page": page, "pageSize": PAGE_SIZE}
                )
            )
            batch = body.records("records")
            records.extend(batch)
            if not batch or len(records) >= (body.integer("totalRecords") or 0):
                return records
            page += 1

    async def _get_list(
        self, path: str, params: Mapping[str, str | int]
    ) -> list[ApiFields]:
        """A resource the app answers as a plain array."""
        return ApiFields.array(await self._api.request("GET", path, params=params))


async def async_parse_in_batches[T](
    rows: list[ApiFields], parse: Callable[[ApiFields], T]
) -> list[T]:
    """Parse rows a batch per event-loop turn.

    A big library answers thousands of queue records or history rows at once:
    parsed in one go, they would hold the event loop for a large part of a second.
    """
    parsed: list[T] = []
    for start in range(0, len(rows), PARSE_BATCH):
        if start:
            await asyncio.sleep(0)
        parsed.extend(parse(row) for row in rows[start : start + PARSE_BATCH])
    return parsed


def parse_queue_record(record: ApiFields, id_key: str) -> QueueItem:
    """A queue record; `movie`, `series` and `episode` are there with the include flags."""
    movie, series, episode = (
        record.obj("movie"),
        record.obj("series"),
        record.obj("episode"),
    )
    season = None if episode is None else episode.integer("seasonNumber")
    messages = status_messages(record, "statusMessages")
    if error := record.text("errorMessage"):
        messages.append(error)
    timeleft = record.text("timeleft")
    return QueueItem(
        download_id=record.text("downloadId"),
        arr_id=record.id_number(id_key),
        episode_id=record.id_number("episodeId"),
        season=record.integer("seasonNumber") if season is None else season,
        episode=None if episode is None else episode.integer("episodeNumber"),
        title=record.text("title") or "",
        # PascalCase before Radarr 5.15.1 / Sonarr 4.0.10, camelCase since.
        status=(record.text("status") or "unknown").lower(),
        tracked_state=_lower(record.text("trackedDownloadState")),
        tracked_status=_lower(record.text("trackedDownloadStatus")),
        messages=tuple(dict.fromkeys(messages)),
        protocol=record.text("protocol"),
        # .NET decimals: whole numbers of bytes in practice.
        size=_whole(record.real("size")),
        size_left=_whole(record.real("sizeleft")),
        time_left=None if timeleft is None else parse_timespan(timeleft),
        media_tmdb_id=None if movie is None else movie.id_number("tmdbId"),
        media_tvdb_id=None if series is None else series.id_number("tvdbId"),
        episode_tvdb_id=None if episode is None else episode.id_number("tvdbId"),
        estimated_completion=optional_datetime(record, "estimatedCompletionTime"),
        queue_id=record.id_number("id"),
    )


def parse_timespan(text: str) -> float:
    """Seconds in a .NET TimeSpan text: `01:02:03`, `2.01:02:03`, `00:00:05.5000000`."""
    match = _TIMESPAN.match(text)
    if match is None:
        raise InvalidPayload(f"timeleft {text!r} is not a TimeSpan (d.hh:mm:ss)")
    seconds = timedelta(
        days=int(match["days"] or 0),
        hours=int(match["hours"]),
        minutes=int(match["minutes"]),
        seconds=int(match["seconds"]) + float(match["fraction"] or 0),
    ).total_seconds()
    return -seconds if match["sign"] else seconds


def optional_datetime(item: Fields, key: str) -> datetime | None:
    """An optional ISO 8601 UTC time (the *arr leave out null dates)."""
    text = item.text(key)
    return None if text is None else parse_datetime(text, key)


def parse_datetime(text: str, key: str) -> datetime:
    """An ISO 8601 UTC time as the *arr write it (up to 7 fractional digits, `Z`)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as err:
        raise InvalidPayload(f"{key} {text!r} is not an ISO 8601 time") from err
    if value.tzinfo is None:
        raise InvalidPayload(f"{key} {text!r} has no time zone")
    return value


def _lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def _whole(value: float | None) -> int | None:
    return None if value is None else round(value)


def queue_status(items: list[QueueItem], service: Service) -> DownloadStatus | None:
    """The *arr's view of one download (Sonarr lists a record per episode).

    Its progress stands in until the download client's own is known (models.py).
    """
    item = items[0]
    if item.download_id is None:
        return None
    tracked = item.tracked_state or "downloading"
    stage = TRACKED_STAGES.get(tracked, Stage.DOWNLOADING)
    if tracked == "downloading" and item.status in QUEUED_STATUSES:
        stage = Stage.GRABBED
    if item.status == "completed" and stage < Stage.DOWNLOADED:
        stage = Stage.DOWNLOADED
    message = params(message=" ".join(item.messages) or None)
    problem = stall = None
    if tracked == "importblocked":
        problem = Problem(ProblemCode.IMPORT_BLOCKED, message)
    elif tracked in ("failedpending", "failed") or item.status == "failed":
        problem = Problem(ProblemCode.DOWNLOAD_FAILED, message)
    elif tracked == "ignored":
        problem = Problem(ProblemCode.IGNORED, message)
    elif tracked == "importpending":
        stall = Waiting(WaitingCode.IMPORT_PENDING, message)
    elif item.tracked_status == "warning" and message:
        # Their own words: a stalled download, a path they cannot reach, …
        stall = Waiting(WaitingCode.ARR_HEALTH, message)
    progress = eta = None
    if item.size:
        progress = max(0.0, 1 - (item.size_left or 0) / item.size)
        eta = None if item.time_left is None else round(item.time_left)
    return DownloadStatus(
        source=service,
        download_id=item.download_id,
        stage=stage,
        progress=progress,
        eta=eta,
        problem=problem,
        stall=stall,
    )


def queue_grab(items: list[QueueItem], service: Service) -> GrabEvidence | None:
    """A queued download proves a grab, whether or not its webhook arrived."""
    item = items[0]
    if item.download_id is None:
        return None
    media = ArrMedia(
        service=service,
        arr_id=item.arr_id,
        title="",
        tmdb_id=item.media_tmdb_id,
        tvdb_id=item.media_tvdb_id,
    )
    episodes = tuple(
        EpisodeRef(
            season=record.season,
            number=record.episode,
            sonarr_episode_id=record.episode_id,
            tvdb_id=record.episode_tvdb_id,
        )
        for record in items
        if record.season is not None and record.episode is not None
    )
    return GrabEvidence(media, item.download_id, Release(title=item.title), episodes)


def by_download(items: Iterable[QueueItem]) -> dict[str, list[QueueItem]]:
    """Queue records grouped by download id (ids compared case-insensitively)."""
    grouped: dict[str, list[QueueItem]] = {}
    for item in items:
        if item.download_id is not None:
            grouped.setdefault(item.download_id.casefold(), []).append(item)
    return grouped


def parse_history_record(
    record: ApiFields, id_key: str, service: Service
) -> HistoryRecord:
    """A HistoryResource; `movie`, `series` and `episode` come with the flags."""
    item = record.obj("movie" if service is Service.RADARR else "series")
    episode = record.obj("episode")
    date = record.required_text("date")
    return HistoryRecord(
        record_id=record.required_integer("id"),
        event_type=record.required_text("eventType"),
        date=parse_datetime(date, "date"),
        download_id=record.text("downloadId"),
        source_title=record.text("sourceTitle") or "",
        data=record.text_map("data"),
        media=None if item is None else rest_media(item, service),
        episode=None if episode is None else rest_episode(episode),
    )


def rest_media(item: Fields, service: Service) -> ArrMedia:
    """A MovieResource or SeriesResource of the REST API as the media it names.

    Unlike webhooks, REST tags are ids, and Sonarr names the type `seriesType`.
    """
    return ArrMedia(
        service=service,
        arr_id=item.integer("id"),
        title=item.text("title") or "",
        year=item.id_number("year"),
        tmdb_id=item.id_number("tmdbId"),
        tvdb_id=item.id_number("tvdbId"),
        imdb_id=item.text("imdbId"),
        is_anime=(item.text("seriesType") or "").casefold() == "anime",
        poster_url=poster_url(item),
    )


def rest_episode(item: Fields) -> EpisodeRef:
    """An EpisodeResource of the REST API."""
    return EpisodeRef(
        season=item.required_integer("seasonNumber"),
        number=item.required_integer("episodeNumber"),
        title=item.text("title"),
        sonarr_episode_id=item.integer("id"),
        tvdb_id=item.id_number("tvdbId"),
    )


def history_evidence(records: Iterable[HistoryRecord]) -> list[Evidence]:
    """Grabs, imports and failures of history: one piece per event and download.

    Sonarr's rows of one download (one per episode) make a single piece, with
    every episode named.
    """
    groups: dict[tuple[str, str | None], tuple[ArrMedia, list[HistoryRecord]]] = {}
    for record in records:
        if record.media is None or record.event_type not in USED_HISTORY:
            continue
        key = (record.event_type, record.download_id)
        groups.setdefault(key, (record.media, []))[1].append(record)
    return [_history_evidence(media, rows) for media, rows in groups.values()]


def _history_evidence(media: ArrMedia, rows: list[HistoryRecord]) -> Evidence:
    first = rows[0]
    episodes = tuple(row.episode for row in rows if row.episode is not None)
    data = first.data
    if first.event_type == GRABBED:
        size = data.get("size", "")
        release = Release(
            title=first.source_title or None,
            indexer=data.get("indexer"),
            release_group=data.get("releaseGroup"),
            size=int(size) if size.isdecimal() else None,
            client=data.get("downloadClientName") or data.get("downloadClient"),
        )
        return GrabEvidence(media, first.download_id, release, episodes)
    if first.event_type == IMPORTED:
        files = tuple(
            ImportedFile(
                path,
                ()
                if row.episode is None
                else ((row.episode.season, row.episode.number),),
            )
            for row in rows
            if (path := row.data.get("importedPath"))
        )
        # A movie's import is the whole release; an episode's row is one file of it.
        complete = media.service is Service.RADARR
        return ImportEvidence(
            media, first.download_id, files, complete, episodes=episodes
        )
    problem = Problem(
        HISTORY_PROBLEMS[first.event_type], params(message=data.get("message"))
    )
    return DownloadFailedEvidence(media, first.download_id, problem, episodes)
