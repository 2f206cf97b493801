"""What the fake Radarr and Sonarr share (reference `arr-jellyseerr.md` §1, §2.4-2.5, §3.4).

Both apps come from one code base: the same API-key check (401), paged resources, the
notification (connection) API that tests a new connection before saving it, the command
queue, a download queue computed from the download client, here the fake qBittorrent,
and history (paged, or `since` a date: addendum §1a) that also records the downloads
that failed or were ignored after leaving the queue. Also shared: health checks and
their `Health`/`HealthRestored` webhooks, disk space (addendum §1d), and releases a
delay profile holds back, which the queue lists before they reach qBittorrent
(addendum §1e "Queue"). Webhook payloads are built in `radarr.py` and `sonarr.py`.
"""

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import hashlib
import math
import re
from typing import Any, ClassVar

from aiohttp import web

from .catalog import CUSTOM_FORMAT_IDS, INDEXERS, TAG_IDS, Language, Release
from .clock import SimClock, iso_seconds
from .qbittorrent import MAX_ETA, SAVE_PATH, QBittorrentServer, TorrentStatus
from .server import FakeService, Service
from .signalr import Messages, SignalRHub
from .webhooks import Delivery, WebhookSender, WebhookTarget

DOWNLOAD_CLIENT = "qBittorrent"
# `HealthCheckService`: no health webhook in the first 15 minutes after the start.
HEALTH_GRACE_SECONDS = 15 * 60.0
HEALTH_LEVELS = ("notice", "warning", "error")  # `HealthCheckResult`, camelCase
# `DownloadClientCheck` when `GetItems()` fails: "Unable to communicate with {name}.
# {errorMessage}", the message of qBittorrent's `DownloadClientException`.
DOWNLOAD_CLIENT_ERROR = (
    f"Unable to communicate with {DOWNLOAD_CLIENT}. "
    "Failed to connect to qBittorrent, please check your settings."
)
# The wiki fragments checks pass to `HealthCheck` (by source and level); any other
# check gets `MakeWikiFragment(message)`.
WIKI_FRAGMENTS = {
    ("DownloadClientCheck", "error"): "unable-to-communicate-with-download-client",
    ("DownloadClientCheck", "warning"): "no-download-client-is-available",
    ("IndexerStatusCheck", "error"): "indexers-are-unavailable-due-to-failures",
    ("IndexerStatusCheck", "warning"): "indexers-are-unavailable-due-to-failures",
}
# `GET /diskspace`: the container's mounts (path, free, total bytes); illustrative.
DISK_SPACE = (
    ("/config", 52_613_349_376, 62_671_097_856),
    ("/data", 1_842_511_486_976, 7_937_515_601_920),
)
PASSWORD_MASK = "********"  # SchemaBuilder.PRIVATE_VALUE
SIMULATOR_CONNECTION = "Simulator webhook"
STALLED_MESSAGE = "The download is stalled with no connections"
# `FailedDownloadService.ProcessFailed` / `IgnoredDownloadService.IgnoreDownload`.
FAILED_MESSAGE = "Failed download detected"
IGNORED_MESSAGE = "Manually ignored"
# Tracked states that take a download out of the queue (`DownloadIsTrackable`).
LIVE_HUB_PATH = "/signalr/messages"
LIVE_METHOD = "receiveMessage"
# Real seconds the queue's counts wait before they are sent (upstream: 5 s).
QUEUE_STATUS_DEBOUNCE = 1.0
LEFT_QUEUE = frozenset({"imported", "failed", "ignored", "removed"})
MARKED_FAILED_MESSAGE = "Manually marked as failed"
PUBLISHED_HOURS = 6  # how old a release is when grabbed (history `age*`)
# qBittorrent state -> queue `status` (Radarr/Sonarr `QBittorrent.cs`, camelCase enum).
QUEUE_STATUS = {
    "error": "warning",
    "stalledDL": "warning",
    "missingFiles": "warning",
    "stoppedDL": "paused",
    "pausedDL": "paused",
    "queuedDL": "queued",
    "checkingDL": "queued",
    "checkingUP": "queued",
    "checkingResumeData": "queued",
    "metaDL": "queued",
    "forcedMetaDL": "queued",
    "pausedUP": "completed",
    "stoppedUP": "completed",
    "uploading": "completed",
    "stalledUP": "completed",
    "queuedUP": "completed",
    "forcedUP": "completed",
}


def timespan(seconds: int) -> str:
    """.NET `TimeSpan.ToString()`: `hh:mm:ss`, or `d.hh:mm:ss` past a day."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}.{clock}" if days else clock


def stable_id(text: str) -> int:
    """A positive 31-bit id derived from text (the *arr `HashConverter.GetHashInt31`)."""
    return (
        int.from_bytes(hashlib.sha1(text.encode(), usedforsecurity=False).digest()[:4])
        & 0x7FFFFFFF
    )


def language_json(language: Language) -> dict[str, Any]:
    """`{id, name}`."""
    return {"id": language.id, "name": language.name}


def custom_formats_json(names: Iterable[str]) -> list[dict[str, Any]]:
    """`[{id, name}]` of named custom formats."""
    return [{"id": CUSTOM_FORMAT_IDS[name], "name": name} for name in names]


def custom_format_info(release: Release) -> dict[str, Any]:
    """The webhook `customFormatInfo` object."""
    return {
        "customFormats": custom_formats_json(release.custom_formats),
        "customFormatScore": release.custom_format_score,
    }


def media_info(release: Release, language: Language) -> dict[str, Any]:
    """`WebhookMovieFileMediaInfo` / `WebhookEpisodeFileMediaInfo` (same keys)."""
    return {
        "audioChannels": release.audio_channels,
        "audioCodec": release.audio_codec,
        "audioLanguages": [language.code],
        "height": 2160 if "2160p" in release.quality else 1080,
        "width": 3840 if "2160p" in release.quality else 1920,
        "subtitles": ["eng"],
        "videoCodec": release.video_codec,
        "videoDynamicRange": "",
        "videoDynamicRangeType": "",
    }


def tags_json(anime: bool) -> list[int]:
    """REST `tags`: tag ids (webhooks carry labels instead)."""
    return [TAG_IDS["anime"]] if anime else []


@dataclass(slots=True)
class TrackedDownload:
    """A download the *arr follows in its queue, from grab to import."""

    download_id: str  # upper-case info hash, as the *arr stores it
    release: Release
    media_id: int
    added: datetime
    episode_ids: tuple[int, ...] = ()
    blocked_messages: tuple[str, ...] = ()
    # What the *arr decided once the client is done with it: `imported`,
    # `failedPending`, `failed` or `ignored` (None: it follows the client).
    state: str | None = None


@dataclass(slots=True)
class PendingRelease:
    """A release held back before it reaches the client (`PendingRelease`).

    `reason` is `delay` (a delay profile) until the delay ends at `send_at`
    (simulated seconds), then `downloadClientUnavailable` if qBittorrent could not
    be reached, retried at the next RSS sync (`retry_at`).
    """

    id: int
    release: Release
    media_id: int
    added: datetime
    send_at: float
    download_seconds: float
    episode_ids: tuple[int, ...] = ()
    reason: str = "delay"
    retry_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class HealthCheck:
    """A failing health check (`HealthCheck`): one per `source`, the check's class."""

    source: str
    level: str  # `notice`, `warning` or `error`
    message: str
    wiki_url: str

    def resource(self) -> dict[str, Any]:
        """HealthResource: `id` is never set (0), so it is left out like a null."""
        return {
            "source": self.source,
            "type": self.level,
            "message": self.message,
            "wikiUrl": self.wiki_url,
        }


def wiki_fragment(message: str) -> str:
    """`HealthCheck.MakeWikiFragment`: lower case, `[^a-z ]` dropped, spaces to `-`."""
    return re.sub("[^a-z ]", "", message.lower()).replace(" ", "-")


def reports_health(check: HealthCheck, connection: Mapping[str, Any]) -> bool:
    """`NotificationService.ShouldHandleHealthFailure` (for Health and HealthRestored).

    Errors always; warnings only with `includeHealthWarnings`; notices never.
    """
    return check.level == "error" or (
        check.level == "warning" and bool(connection.get("includeHealthWarnings"))
    )


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    """One history entry (Sonarr writes one per episode)."""

    id: int
    media_id: int
    episode_id: int | None
    event_type: str
    source_title: str
    release: Release
    date: datetime
    download_id: str | None
    data: Mapping[str, str]


@dataclass(slots=True)
class Connection:
    """A notification (connection) resource; only `Webhook` ones are ever sent to."""

    resource: dict[str, Any]
    flags: tuple[str, ...] = ()

    @property
    def enabled(self) -> bool:
        """`NotificationDefinition.Enable`: at least one `on*` flag is true."""
        return any(self.resource.get(flag) for flag in self.flags)

    def field_value(self, name: str) -> Any:
        """The value of one entry of `fields`."""
        for item in self.resource.get("fields", []):
            if item.get("name") == name:
                return item.get("value")
        return None

    def target(self) -> WebhookTarget:
        """Where the Webhook connection posts (`WebhookSettings`)."""
        headers = {
            str(item["key"]): str(item["value"])
            for item in self.field_value("headers") or []
            if item.get("key")
        }
        return WebhookTarget(
            url=str(self.field_value("url") or ""),
            method="PUT" if self.field_value("method") == 2 else "POST",
            headers=headers,
            username=str(self.field_value("username") or ""),
            password=str(self.field_value("password") or ""),
        )

    def public(self) -> dict[str, Any]:
        """The resource as GET shows it: passwords masked."""
        shown = copy.deepcopy(self.resource)
        for item in shown.get("fields", []):
            if item.get("name") == "password" and item.get("value"):
                item["value"] = PASSWORD_MASK
        return shown


def paged(
    request: web.Request,
    records: Sequence[dict[str, Any]],
    *,
    default_sort: str,
    default_direction: str,
    sort_values: Mapping[str, Callable[[dict[str, Any]], Any]],
) -> dict[str, Any]:
    """`PagingResource`: `page`, `pageSize` (default 10), `sortKey`, `sortDirection`."""
    page = max(1, int(request.query.get("page", 1)))
    page_size = int(request.query.get("pageSize", 10))
    sort_key = request.query.get("sortKey", default_sort)
    direction = request.query.get("sortDirection", default_direction)
    value = sort_values.get(sort_key, sort_values[default_sort])
    ordered = sorted(records, key=value, reverse=direction == "descending")
    start = (page - 1) * page_size
    return {
        "page": page,
        "pageSize": page_size,
        "sortKey": sort_key,
        "sortDirection": direction,
        "totalRecords": len(records),
        "records": ordered[start : start + page_size],
    }


def missing_last(value: Any) -> tuple[bool, Any]:
    """A sort key that puts absent values after present ones."""
    return (value is None, value if value is not None else 0)


class ArrServer(FakeService):
    """The API surface Radarr and Sonarr share; subclasses add their resources."""

    app_name: ClassVar[str]
    version: ClassVar[str]
    event_flags: ClassVar[tuple[str, ...]]  # the `on*` flags of a connection
    history_event_ids: ClassVar[Mapping[str, int]]
    commands: ClassVar[Mapping[str, Sequence[str]]]  # name -> body fields it takes
    wiki_base: ClassVar[str]  # `HealthCheck.MakeWikiUrl`
    health_application_url: ClassVar[bool]  # whether `Health` has `applicationUrl`
    rss_sync_minutes: ClassVar[int]  # `RssSyncInterval` default
    # Live messages (`/signalr/messages`): the resource a grab updates, the file
    # and media resources an import updates, and their key of the media id.
    live_grab_name: ClassVar[str]
    live_file_name: ClassVar[str]
    live_media_name: ClassVar[str]
    live_id_key: ClassVar[str]

    def __init__(
        self,
        service: Service,
        clock: SimClock,
        qbittorrent: QBittorrentServer,
        sender: WebhookSender,
        api_key: str,
        *,
        health_grace: float = HEALTH_GRACE_SECONDS,
    ) -> None:
        """Create the fake; it reads download progress from `qbittorrent`.

        The app starts at simulated second 0; `health_grace` is how many simulated
        seconds its health webhooks wait after that (upstream: 15 minutes).
        """
        super().__init__(service, [self._auth_middleware])
        self.clock = clock
        self.qbittorrent = qbittorrent
        self.sender = sender
        self.api_key = api_key
        self.health_grace = health_grace
        self.downloads: dict[str, TrackedDownload] = {}
        self.pending: dict[str, PendingRelease] = {}  # by release key
        self.health: dict[str, HealthCheck] = {}  # failing checks by source
        self.history: list[HistoryRecord] = []
        self.connections: dict[int, Connection] = {}
        self.command_log: list[dict[str, Any]] = []
        # Releases blocklisted (never grabbed again), and those the indexers offer
        # to the next search after a blocklist, by media id.
        self.blocklist: set[str] = set()
        self.offers: dict[int, list[tuple[Release, str, float]]] = {}
        # Told when a search grabbed an offered release (the player goes on from it).
        self.on_offer_grabbed: Callable[[Release], None] = lambda _release: None
        self._grace_over = False
        self._next_connection_id = 1
        self._next_file_id = 1
        self._next_history_id = 1
        self._next_pending_id = 1
        self._next_live_file_id = 0
        # The web UI's hub: `receiveMessage` to every client, the key as
        # `?access_token=`, `X-Api-Key` or a bearer token (not `?apikey=`).
        self.hub = SignalRHub(
            LIVE_HUB_PATH, authorize=self._hub_authorized, greeting=self._greeting
        )
        self.hub.add_routes(self.app)
        self._announcing: set[asyncio.Task[Any]] = set()
        self._queue_status_due = False
        router = self.app.router
        router.add_get("/api/v3/system/status", self._system_status)
        router.add_get("/api/v3/health", self._health)
        router.add_get("/api/v3/diskspace", self._disk_space)
        router.add_get("/api/v3/queue", self._queue)
        router.add_delete("/api/v3/queue/bulk", self._remove_many)
        router.add_delete("/api/v3/queue/{id:\\d+}", self._remove_one)
        router.add_get("/api/v3/history", self._history)
        router.add_get("/api/v3/history/since", self._history_since)
        router.add_get("/api/v3/tag", self._tags)
        router.add_post("/api/v3/command", self._command)
        router.add_get("/api/v3/notification", self._list_connections)
        router.add_post("/api/v3/notification", self._create_connection)
        router.add_post("/api/v3/notification/test", self._test_connection)
        router.add_get("/api/v3/notification/{id:\\d+}", self._get_connection)
        router.add_put("/api/v3/notification/{id:\\d+}", self._update_connection)
        router.add_delete("/api/v3/notification/{id:\\d+}", self._delete_connection)

    # --- what subclasses provide ---------------------------------------------------

    def grab(self, release: Release, info_hash: str, seconds: float) -> dict[str, Any]:
        """Send a release to qBittorrent; the `Grab` payload."""
        raise NotImplementedError

    def release_ids(self, release: Release) -> tuple[int, tuple[int, ...]]:
        """The movie or series id of a release, and its episode ids (Sonarr)."""
        raise NotImplementedError

    def search_again(self, media_id: int) -> None:
        """The search a blocklisted download starts (`RedownloadFailedDownloadService`)."""
        raise NotImplementedError

    def run_command(self, name: str, body: Mapping[str, Any]) -> None:
        """What a queued command does to the fake's state (searches)."""

    def queue_records(
        self, download: TrackedDownload, base: dict[str, Any], query: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """The queue records of one download (Sonarr v4: one per episode)."""
        raise NotImplementedError

    def pending_records(
        self, pending: PendingRelease, base: dict[str, Any], query: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """The queue records of one pending release (Sonarr v4: one per episode)."""
        raise NotImplementedError

    def history_json(
        self, record: HistoryRecord, query: Mapping[str, str]
    ) -> dict[str, Any]:
        """One HistoryResource."""
        raise NotImplementedError

    def outcome_data(
        self, download: TrackedDownload, event_type: str, message: str
    ) -> dict[str, str]:
        """`data` of a `downloadFailed`/`downloadIgnored` record (`HistoryService`).

        Subclasses add their own keys to what both apps write.
        """
        return {
            "downloadClient": DOWNLOAD_CLIENT,
            "downloadClientName": DOWNLOAD_CLIENT,
            "message": message,
            "releaseGroup": download.release.group,
            "size": str(download.release.size),
        }

    def quality_json(self, release: Release) -> dict[str, Any]:
        """`{quality: {…}, revision: {…}}` (the quality object differs per app)."""
        raise NotImplementedError

    def test_payload(self) -> dict[str, Any]:
        """The fixed `Test` webhook body (`BuildTestPayload`)."""
        raise NotImplementedError

    # --- authentication ------------------------------------------------------------

    @web.middleware
    async def _auth_middleware(
        self, request: web.Request, handler: Any
    ) -> web.StreamResponse:
        """`X-Api-Key`, `?apikey=` or `Authorization: Bearer`; anything else is 401.

        The hub checks its own key (`SignalR` scheme).
        """
        if request.path.startswith(LIVE_HUB_PATH):
            hub: web.StreamResponse = await handler(request)
            return hub
        offered = {
            request.headers.get("X-Api-Key"),
            request.query.get("apikey"),
            request.headers.get("Authorization", "").removeprefix("Bearer "),
        }
        if self.api_key not in offered:
            return web.Response(status=401)
        response: web.StreamResponse = await handler(request)
        return response

    async def stop(self) -> None:
        """Stop listening; the hub's clients are dropped first (as a restart would)."""
        for task in list(self._announcing):
            task.cancel()
        await self.hub.drop_connections()
        await super().stop()

    # --- live messages -------------------------------------------------------------

    def _hub_authorized(self, request: web.Request) -> bool:
        offered = {
            request.headers.get("X-Api-Key"),
            request.query.get("access_token"),
            request.headers.get("Authorization", "").removeprefix("Bearer "),
        }
        return self.api_key in offered

    def _greeting(self, _feeds: frozenset[str]) -> Messages:
        return [(LIVE_METHOD, [{"body": {"version": self.version}, "name": "version"}])]

    def announce(self, name: str, body: dict[str, Any]) -> None:
        """Send a live message to every hub client (nothing when none listens)."""
        if not self.hub.connections:
            return
        message = {"body": body, "name": name}
        task = asyncio.get_running_loop().create_task(
            self.hub.broadcast(None, LIVE_METHOD, [message])
        )
        self._announcing.add(task)
        task.add_done_callback(self._announcing.discard)

    def announce_history(
        self, event_type: str, media_id: int, episode_ids: Sequence[int | None]
    ) -> None:
        """What the app's controllers send when history is written.

        A grab updates the movie (Radarr) or each episode (Sonarr, twice: two
        controllers send it), an import the file and then the movie or series; the
        queue's counts follow, debounced (`QueueStatusController`).
        """
        if event_type == "grabbed":
            for episode_id in episode_ids:
                resource: dict[str, Any] = {"id": media_id, "grabbed": True}
                if episode_id is not None:
                    resource |= {"id": episode_id, self.live_id_key: media_id}
                for _ in range(1 if episode_id is None else 2):
                    self.announce(
                        self.live_grab_name,
                        {"resource": resource, "action": "updated"},
                    )
        elif event_type == "downloadFolderImported":
            self._next_live_file_id += 1
            file = {"id": self._next_live_file_id, self.live_id_key: media_id}
            self.announce(self.live_file_name, {"resource": file, "action": "updated"})
            media = {"id": media_id, "hasFile": True}
            self.announce(
                self.live_media_name, {"resource": media, "action": "updated"}
            )
        self._announce_queue_status()

    def _announce_queue_status(self) -> None:
        if self._queue_status_due or not self.hub.connections:
            return
        self._queue_status_due = True
        task = asyncio.get_running_loop().create_task(self._queue_status_later())
        self._announcing.add(task)
        task.add_done_callback(self._announcing.discard)

    async def _queue_status_later(self) -> None:
        await asyncio.sleep(QUEUE_STATUS_DEBOUNCE)
        self._queue_status_due = False
        listed = [d for d in self.downloads.values() if d.state not in LEFT_QUEUE]
        status = {
            "totalCount": len(listed),
            "count": len(listed),
            "unknownCount": 0,
            "errors": any(d.state == "failedPending" for d in listed),
            "warnings": any(d.blocked_messages for d in listed),
            "unknownErrors": False,
            "unknownWarnings": False,
        }
        await self.hub.broadcast(
            None,
            LIVE_METHOD,
            [
                {
                    "body": {"resource": status, "action": "updated"},
                    "name": "queue/status",
                }
            ],
        )

    # --- webhooks ------------------------------------------------------------------

    def base_payload(self, event_type: str) -> dict[str, Any]:
        """The keys every payload ends with."""
        return {
            "eventType": event_type,
            "instanceName": self.app_name,
            "applicationUrl": "",
        }

    async def emit(
        self,
        flag: str,
        payload: dict[str, Any],
        *,
        when: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> list[Delivery]:
        """Send an event to every enabled Webhook connection that has `flag` on.

        `when` narrows the connections further (health warnings).
        """
        deliveries = []
        for connection in list(self.connections.values()):
            resource = connection.resource
            if resource.get("implementation") != "Webhook" or not resource.get(flag):
                continue
            if when is not None and not when(resource):
                continue
            deliveries.append(
                await self.sender.send(
                    self.service, payload["eventType"], connection.target(), payload
                )
            )
        return deliveries

    def set_webhook_target(self, target: WebhookTarget | None) -> None:
        """Configure (or remove) the connection a user would have set up by hand."""
        for connection_id, connection in list(self.connections.items()):
            if connection.resource.get("name") == SIMULATOR_CONNECTION:
                del self.connections[connection_id]
        if target is None:
            return
        resource: dict[str, Any] = {
            "name": SIMULATOR_CONNECTION,
            "implementation": "Webhook",
            "implementationName": "Webhook",
            "configContract": "WebhookSettings",
            "tags": [],
            "fields": [
                {"name": "url", "value": target.url},
                {"name": "method", "value": 2 if target.method == "PUT" else 1},
                {"name": "username", "value": target.username},
                {"name": "password", "value": target.password},
                {
                    "name": "headers",
                    "value": [
                        {"key": k, "value": v} for k, v in target.headers.items()
                    ],
                },
            ],
        }
        resource.update(dict.fromkeys(self.event_flags, True))
        resource["includeHealthWarnings"] = False  # the UI's default
        self._store_connection(resource)

    # --- health (`HealthCheckService`, `NotificationService`) ----------------------

    @property
    def in_health_grace(self) -> bool:
        """Whether health webhooks still wait for the start-up grace to end."""
        return not self._grace_over and self.clock.now() < self.health_grace

    async def health_tick(self, *, send: bool = True) -> list[Delivery]:
        """The first event after the grace: `Health` for every check still failing.

        `HealthCheckService.HandleAsync(IEvent)` re-runs the checks once the grace
        is over and publishes `HealthCheckFailedEvent` for each failing result, since
        failures during the grace sent nothing. Call it at the end of the grace (the
        player does when a scenario has health steps); later calls do nothing.
        """
        if self._grace_over or self.clock.now() < self.health_grace:
            return []
        self._grace_over = True
        deliveries: list[Delivery] = []
        for check in list(self.health.values()) if send else ():
            deliveries += await self._emit_health(check, restored=False)
        return deliveries

    async def fail_health(
        self, source: str, level: str, message: str, *, send: bool = True
    ) -> list[Delivery]:
        """A check starts failing, or fails differently (`ProcessHealthChecks`).

        `Health` goes out only when the source was OK before: a new message on a
        check that is already failing is stored and sends nothing.
        """
        if level not in HEALTH_LEVELS:
            raise ValueError(f"unknown health level {level}")
        deliveries = await self.health_tick(send=send)
        fragment = WIKI_FRAGMENTS.get((source, level)) or wiki_fragment(message)
        check = HealthCheck(source, level, message, f"{self.wiki_base}#{fragment}")
        previous = self.health.get(source)
        self.health[source] = check
        if previous is None and self._grace_over and send:
            deliveries += await self._emit_health(check, restored=False)
        return deliveries

    async def restore_health(self, source: str, *, send: bool = True) -> list[Delivery]:
        """A failing check passes again: `HealthRestored` with the old check."""
        deliveries = await self.health_tick(send=send)
        previous = self.health.pop(source, None)
        if previous is not None and self._grace_over and send:
            deliveries += await self._emit_health(previous, restored=True)
        return deliveries

    def health_payload(self, check: HealthCheck, *, restored: bool) -> dict[str, Any]:
        """`WebhookHealthPayload` (`BuildHealthPayload` / `BuildHealthRestoredPayload`).

        Only Radarr's `Health` sets `applicationUrl`; elsewhere it is null, left out.
        """
        payload: dict[str, Any] = {
            "level": check.level,
            "message": check.message,
            "type": check.source,
            "wikiUrl": check.wiki_url,
            "eventType": "HealthRestored" if restored else "Health",
            "instanceName": self.app_name,
        }
        if self.health_application_url and not restored:
            payload["applicationUrl"] = ""
        return payload

    async def _emit_health(
        self, check: HealthCheck, *, restored: bool
    ) -> list[Delivery]:
        return await self.emit(
            "onHealthRestored" if restored else "onHealthIssue",
            self.health_payload(check, restored=restored),
            when=lambda connection: reports_health(check, connection),
        )

    # --- state changes shared by both apps -----------------------------------------

    def track(
        self,
        release: Release,
        info_hash: str,
        media_id: int,
        episode_ids: tuple[int, ...] = (),
    ) -> TrackedDownload:
        """Start following a grabbed download; a blocklisted release is never grabbed."""
        if release.key in self.blocklist:
            raise ValueError(f"{release.key} is blocklisted")
        download = TrackedDownload(
            download_id=info_hash.upper(),
            release=release,
            media_id=media_id,
            added=self.clock.wall_now(),
            episode_ids=episode_ids,
        )
        self.downloads[download.download_id] = download
        return download

    def hold(
        self, release: Release, delay_seconds: float, download_seconds: float
    ) -> PendingRelease:
        """A delay profile holds the release back (`PendingReleaseService.Add`).

        Nothing is sent to qBittorrent and no webhook goes out until `send_pending`.
        """
        media_id, episode_ids = self.release_ids(release)
        pending = PendingRelease(
            id=self._next_pending_id,
            release=release,
            media_id=media_id,
            added=self.clock.wall_now(),
            send_at=self.clock.now() + delay_seconds,
            download_seconds=download_seconds,
            episode_ids=episode_ids,
        )
        self._next_pending_id += 1
        self.pending[release.key] = pending
        return pending

    def send_pending(self, release: Release, info_hash: str) -> dict[str, Any] | None:
        """The delay is over: grab it (the `Grab` payload), if qBittorrent answers.

        Otherwise the release stays pending as `downloadClientUnavailable`
        (`ProcessDownloadDecisions`: the grab failed) until the next RSS sync; call
        again to retry.
        """
        pending = self.pending[release.key]
        if not self.qbittorrent.reachable:
            pending.reason = "downloadClientUnavailable"
            pending.retry_at = self.clock.wall_now() + timedelta(
                minutes=self.rss_sync_minutes
            )
            return None
        del self.pending[release.key]
        return self.grab(release, info_hash, pending.download_seconds)

    def forget_pending(self, media_id: int) -> None:
        """Deleting a movie or series drops its pending releases."""
        self.pending = {
            key: p for key, p in self.pending.items() if p.media_id != media_id
        }

    def queue_command(self, name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Queue a known command; the CommandResource (`CommandController`).

        Commands queued through the API are user-invoked (`CommandTrigger.Manual`).
        """
        queued = iso_seconds(self.clock.wall_now())
        command_body = {key: body[key] for key in self.commands[name] if key in body}
        command_body.update(
            {
                "sendUpdatesToClient": True,
                "updateScheduledTask": True,
                "requiresDiskAccess": False,
                "isExclusive": False,
                "isTypeExclusive": False,
                "isLongRunning": False,
                "name": name,
                "trigger": "manual",
                "suppressMessages": False,
            }
        )
        resource = {
            "name": name,
            "commandName": re.sub(r"(?<!^)(?=[A-Z])", " ", name),
            "body": command_body,
            "priority": "normal",
            "status": "queued",
            "queued": queued,
            "trigger": "manual",
            "sendUpdatesToClient": True,
            "updateScheduledTask": True,
            "id": len(self.command_log) + 1,
        }
        self.command_log.append(resource)
        self.run_command(name, command_body)
        return resource

    def download_for(self, release: Release) -> TrackedDownload:
        """The tracked download of a release."""
        for download in self.downloads.values():
            if download.release.key == release.key:
                return download
        raise KeyError(f"{release.key} was never grabbed")

    def add_history(
        self,
        event_type: str,
        release: Release,
        media_id: int,
        download_id: str | None,
        data: Mapping[str, str],
        episode_ids: Sequence[int | None] = (None,),
        *,
        source_title: str = "",
    ) -> None:
        """Write history (one record per episode, as Sonarr does)."""
        for episode_id in episode_ids:
            self.history.append(
                HistoryRecord(
                    id=self._next_history_id,
                    media_id=media_id,
                    episode_id=episode_id,
                    event_type=event_type,
                    source_title=source_title or release.name,
                    release=release,
                    date=self.clock.wall_now(),
                    download_id=download_id,
                    data=data,
                )
            )
            self._next_history_id += 1
        self.announce_history(event_type, media_id, episode_ids)

    def forget_history(self, media_id: int) -> None:
        """Deleting a movie or series deletes its history (`HistoryService`)."""
        self.history = [r for r in self.history if r.media_id != media_id]

    def grab_history_data(self, release: Release, info_hash: str) -> dict[str, str]:
        """`data` of a `grabbed` record: the keys both apps write (`HistoryService`).

        Values are illustrative: a Prowlarr torrent link, a release published
        `PUBLISHED_HOURS` before the grab, found by a search Jellyseerr started.
        """
        indexer_id, site = INDEXERS[release.indexer]
        link = f"{site}/torrent/{stable_id(release.key)}"
        published = self.clock.wall_now() - timedelta(hours=PUBLISHED_HOURS)
        return {
            "indexer": release.indexer,
            "nzbInfoUrl": link,
            "releaseGroup": release.group,
            "age": "0",
            "ageHours": str(PUBLISHED_HOURS),
            "ageMinutes": str(PUBLISHED_HOURS * 60),
            "publishedDate": iso_seconds(published),
            "downloadClient": DOWNLOAD_CLIENT,
            "downloadClientName": DOWNLOAD_CLIENT,
            "size": str(release.size),
            "downloadUrl": f"http://prowlarr:9696/{indexer_id}/download?link={link}",
            "guid": link,
            "protocol": "2",
            "customFormatScore": str(release.custom_format_score),
            "releaseSource": "Search",
            "indexerFlags": "0",
            "torrentInfoHash": info_hash.lower(),
        }

    def fail_download(self, release: Release) -> None:
        """`TrackedDownload.Fail()` after a rejected import: `failedPending`, `error`."""
        self.download_for(release).state = "failedPending"

    def process_failed(self, release: Release) -> None:
        """`FailedDownloadService.ProcessFailed`: `downloadFailed`, out of the queue.

        `DownloadEventHub` then removes it from qBittorrent (`RemoveFailedDownloads`
        is on by default, and `Fail()` allowed the removal).
        """
        download = self.download_for(release)
        if download.state != "failedPending":
            raise ValueError(f"{release.key} has not failed")
        download.state = "failed"
        self._write_outcome(download, "downloadFailed", FAILED_MESSAGE)
        self.qbittorrent.remove_torrent(download.download_id)

    def ignore_download(self, release: Release) -> None:
        """A queue removal without blocklisting or removing from the client."""
        download = self.download_for(release)
        download.state = "ignored"
        self._write_outcome(download, "downloadIgnored", IGNORED_MESSAGE)

    def offer(self, release: Release, info_hash: str, seconds: float) -> None:
        """The indexers now have `release`: a search after a blocklist grabs it."""
        media_id, _ = self.release_ids(release)
        self.offers.setdefault(media_id, []).append((release, info_hash, seconds))

    def queued(self) -> dict[int, TrackedDownload]:
        """The downloads the queue lists, by each of their records' ids."""
        listed: dict[int, TrackedDownload] = {}
        for download in self.downloads.values():
            status = self.qbittorrent.status(download.download_id)
            if download.state in LEFT_QUEUE or status is None:
                continue
            for record in self.queue_records(download, {}, {}):
                listed[record["id"]] = download
        return listed

    async def remove_from_queue(
        self, downloads: Iterable[TrackedDownload], flags: Mapping[str, str]
    ) -> None:
        """`QueueController.Remove`: from the client, blocklisted, searched again.

        Flags default as upstream (`removeFromClient` true, the others false); a
        blocklist acts only on a download with a `grabbed` row (`MarkAsFailed`),
        then searches again unless `skipRedownload` (addendum §1b).
        """
        remove = flags.get("removeFromClient", "true").lower() == "true"
        blocklist = flags.get("blocklist", "false").lower() == "true"
        redownload = flags.get("skipRedownload", "false").lower() != "true"
        for download in {d.download_id: d for d in downloads}.values():
            if remove and self.qbittorrent.status(download.download_id) is not None:
                self.qbittorrent.remove_torrent(download.download_id)
            if blocklist and self._was_grabbed(download):
                download.state = "failed"
                self._write_outcome(download, "downloadFailed", MARKED_FAILED_MESSAGE)
                self.blocklist.add(download.release.key)
                if redownload:
                    await self._redownload(download.media_id)
            elif not remove and not blocklist:
                self.ignore_download(download.release)
            else:
                download.state = "removed"

    async def _redownload(self, media_id: int) -> None:
        """`RedownloadFailedDownloadService`: search; grab what the indexers offer."""
        self.search_again(media_id)
        offers = [
            offer
            for offer in self.offers.get(media_id, [])
            if offer[0].key not in self.blocklist
        ]
        if not offers:
            return
        release, info_hash, seconds = offers[0]
        self.offers[media_id].remove(offers[0])
        await self.emit("onGrab", self.grab(release, info_hash, seconds))
        self.on_offer_grabbed(release)

    def _was_grabbed(self, download: TrackedDownload) -> bool:
        return any(
            record.event_type == "grabbed"
            and record.download_id == download.download_id
            for record in self.history
        )

    async def _remove_one(self, request: web.Request) -> web.Response:
        download = self.queued().get(int(request.match_info["id"]))
        if download is None:
            return web.json_response({"message": "NotFound"}, status=404)
        await self.remove_from_queue([download], request.query)
        return web.json_response({})

    async def _remove_many(self, request: web.Request) -> web.Response:
        """`DELETE /queue/bulk` `{"ids": [...]}`: unknown ids are skipped."""
        body = await request.json()
        listed = self.queued()
        ids = body.get("ids", []) if isinstance(body, dict) else []
        downloads = [listed[i] for i in ids if i in listed]
        await self.remove_from_queue(downloads, request.query)
        return web.json_response({})

    def _write_outcome(
        self, download: TrackedDownload, event_type: str, message: str
    ) -> None:
        self.add_history(
            event_type,
            download.release,
            download.media_id,
            download.download_id,
            self.outcome_data(download, event_type, message),
            download.episode_ids or (None,),
        )

    def next_file_id(self) -> int:
        """Allocate a movie/episode file id."""
        file_id = self._next_file_id
        self._next_file_id += 1
        return file_id

    # --- REST ----------------------------------------------------------------------

    async def _system_status(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "appName": self.app_name,
                "instanceName": self.app_name,
                "version": self.version,
                "buildTime": "2025-11-14T00:00:00Z",
                "isDebug": False,
                "isProduction": True,
                "isAdmin": False,
                "isUserInteractive": False,
                "startupPath": f"/app/{self.service}/bin",
                "appData": "/config",
                "osName": "debian",
                "osVersion": "12",
                "isNetCore": True,
                "isLinux": True,
                "isOsx": False,
                "isWindows": False,
                "isDocker": True,
                "mode": "console",
                "branch": "main",
                "authentication": "forms",
                "databaseType": "sqLite",
                "databaseVersion": "3.46.1",
                "migrationVersion": 241,
                "urlBase": "",
                "runtimeVersion": "8.0.12",
                "runtimeName": ".NET",
                "startTime": iso_seconds(self.clock.start),
                "packageVersion": self.version,
                "packageAuthor": "[hotio](https://github.com/hotio)",
                "packageUpdateMechanism": "docker",
                "packageUpdateMechanismMessage": "",
            }
        )

    def queue_base(
        self, download: TrackedDownload, status: TorrentStatus
    ) -> dict[str, Any]:
        """The QueueResource fields that do not depend on the app."""
        release = download.release
        queue_status = QUEUE_STATUS.get(status.state, "downloading")
        if download.state == "failedPending":
            state, tracked_status = "failedPending", "error"
        elif download.blocked_messages:
            state, tracked_status = "importBlocked", "warning"
        elif status.finished:
            state, tracked_status = "importPending", "ok"
        else:
            state, tracked_status = "downloading", "ok"
        record: dict[str, Any] = {
            "languages": [],
            "quality": self.quality_json(release),
            "customFormats": custom_formats_json(release.custom_formats),
            "customFormatScore": release.custom_format_score,
            "size": status.size,
            "title": release.name,
            "added": iso_seconds(download.added),
            "status": queue_status,
            "trackedDownloadStatus": tracked_status,
            "trackedDownloadState": state,
            "statusMessages": (
                [{"title": release.name, "messages": list(download.blocked_messages)}]
                if download.blocked_messages
                else []
            ),
            "downloadId": download.download_id,
            "protocol": "torrent",
            "downloadClient": DOWNLOAD_CLIENT,
            "downloadClientHasPostImportCategory": False,
            "indexer": release.indexer,
            "outputPath": f"{SAVE_PATH}/{release.name}",
            "sizeleft": status.amount_left,
        }
        if status.state == "stalledDL":
            record["errorMessage"] = STALLED_MESSAGE
        # `QBittorrent.cs`: finished states report no time left (qBittorrent's own eta
        # is then 8640000, "infinite").
        eta = 0 if queue_status == "completed" else status.eta
        if eta < MAX_ETA:
            record["timeleft"] = timespan(eta)
            finish = self.clock.wall_now() + timedelta(seconds=eta)
            record["estimatedCompletionTime"] = iso_seconds(finish)
        return record

    def pending_base(self, pending: PendingRelease) -> dict[str, Any]:
        """The QueueResource fields of a pending release (`GetQueueItem`).

        No `downloadId`, tracked state or output path: the client has not seen it.
        `estimatedCompletionTime` is when it will be sent: here the moment the delay
        ends (upstream rounds to the RSS sync that sends it), or the next RSS sync
        once the client was unavailable.
        """
        release = pending.release
        ect = pending.retry_at or self.clock.datetime_at(pending.send_at)
        left = max(0, math.ceil((ect - self.clock.wall_now()).total_seconds()))
        return {
            "languages": [],
            "quality": self.quality_json(release),
            "customFormats": custom_formats_json(release.custom_formats),
            "customFormatScore": release.custom_format_score,
            "size": release.size,
            "title": release.name,
            "estimatedCompletionTime": iso_seconds(ect),
            "added": iso_seconds(pending.added),
            "status": pending.reason,
            "protocol": "torrent",
            "downloadClientHasPostImportCategory": False,
            "indexer": release.indexer,
            "sizeleft": release.size,
            "timeleft": timespan(left),
        }

    async def _queue(self, request: web.Request) -> web.Response:
        records: list[dict[str, Any]] = []
        for download in self.downloads.values():
            status = self.qbittorrent.status(download.download_id)
            if download.state in LEFT_QUEUE or status is None:
                continue
            base = self.queue_base(download, status)
            records.extend(self.queue_records(download, base, request.query))
        for pending in self.pending.values():  # `QueueController` adds them
            base = self.pending_base(pending)
            records.extend(self.pending_records(pending, base, request.query))
        return web.json_response(
            paged(
                request,
                records,
                default_sort="timeleft",
                default_direction="ascending",
                sort_values={
                    "timeleft": lambda r: missing_last(r.get("timeleft")),
                    "added": lambda r: r["added"],
                    "title": lambda r: r["title"],
                    "size": lambda r: r["size"],
                    "status": lambda r: r["status"],
                    "progress": lambda r: (
                        (r["size"] - r["sizeleft"]) / (r["size"] or 1)
                    ),
                },
            )
        )

    async def _history(self, request: web.Request) -> web.Response:
        query = request.query
        records = list(self.history)
        if "downloadId" in query:  # an exact, case-sensitive match
            records = [r for r in records if r.download_id == query["downloadId"]]
        if event_types := query.getall("eventType", []):
            wanted = {int(value) for value in event_types}
            records = [
                r for r in records if self.history_event_ids[r.event_type] in wanted
            ]
        return web.json_response(
            paged(
                request,
                [self.history_json(record, query) for record in records],
                default_sort="date",
                default_direction="descending",
                sort_values={"date": lambda r: (r["date"], r["id"])},
            )
        )

    async def _history_since(self, request: web.Request) -> web.Response:
        """`GET /history/since`: unpaged, `date >=`, oldest first (`Since`).

        `eventType` binds as an ASP.NET enum (name in any case, or number); rows of
        deleted titles are gone with them (`forget_history`).
        """
        query = request.query
        try:
            since = _since_date(query.get("date", ""))
        except ValueError:
            return _invalid_value("date", query["date"])
        wanted = None
        if "eventType" in query:
            try:
                wanted = self._event_id(query["eventType"])
            except ValueError:
                return _invalid_value("eventType", query["eventType"])
        records = sorted(
            (
                r
                for r in self.history
                if r.date >= since
                and (wanted is None or self.history_event_ids[r.event_type] == wanted)
            ),
            key=lambda r: (r.date, r.id),
        )
        return web.json_response([self.history_json(r, query) for r in records])

    def _event_id(self, text: str) -> int:
        """An `eventType` name (any case) or number; ValueError for anything else."""
        by_name = {
            name.lower(): number for name, number in self.history_event_ids.items()
        }
        return by_name[text.lower()] if text.lower() in by_name else int(text)

    async def _tags(self, _request: web.Request) -> web.Response:
        return web.json_response(
            [{"id": i, "label": label} for label, i in TAG_IDS.items()]
        )

    async def _health(self, _request: web.Request) -> web.Response:
        """`GET /health`: the failing checks, one per source (`Results()`)."""
        return web.json_response([check.resource() for check in self.health.values()])

    async def _disk_space(self, _request: web.Request) -> web.Response:
        """`GET /diskspace`: `[{path, label, freeSpace, totalSpace}]` by path.

        On Linux a mount's volume label is its name (`DriveInfoMount`); `id` is unset.
        """
        return web.json_response(
            [
                {"path": path, "label": path, "freeSpace": free, "totalSpace": total}
                for path, free, total in DISK_SPACE
            ]
        )

    async def _command(self, request: web.Request) -> web.Response:
        """Queue a command; 201 with the CommandResource (`CommandController`)."""
        body = await request.json()
        name = body.get("name") if isinstance(body, dict) else None
        if not name:
            return _validation_error("Name", "'Name' must not be empty.")
        if name not in self.commands:
            # Radarr/Sonarr look the name up with `.Single()` and fail with a 500.
            return web.json_response(
                {"message": "Sequence contains no matching element"}, status=500
            )
        resource = self.queue_command(name, body)
        return web.json_response(
            resource,
            status=201,
            headers={"Location": f"/api/v3/command/{resource['id']}"},
        )

    # --- connections (`ProviderControllerBase`) ------------------------------------

    def _store_connection(self, resource: dict[str, Any]) -> Connection:
        resource["id"] = self._next_connection_id
        self._next_connection_id += 1
        connection = Connection(resource, self.event_flags)
        self.connections[resource["id"]] = connection
        return connection

    async def _send_test(self, connection: Connection) -> web.Response | None:
        """Send `Test`; the 400 answer when it fails (None when it worked)."""
        if connection.resource.get("implementation") != "Webhook":
            return None
        delivery = await self.sender.send(
            self.service, "Test", connection.target(), self.test_payload()
        )
        if delivery.ok:
            return None
        reason = delivery.error or f"status {delivery.status}"
        return _validation_error(
            "Url", f"Unable to send test message: Unable to post to webhook: {reason}"
        )

    async def _list_connections(self, _request: web.Request) -> web.Response:
        return web.json_response([c.public() for c in self.connections.values()])

    async def _get_connection(self, request: web.Request) -> web.Response:
        connection = self.connections.get(int(request.match_info["id"]))
        if connection is None:
            return web.json_response({"message": "NotFound"}, status=404)
        return web.json_response(connection.public())

    async def _create_connection(self, request: web.Request) -> web.Response:
        """An enabled connection is tested first, even with `?forceSave=true`."""
        resource = await request.json()
        if not isinstance(resource, dict) or not resource.get("name"):
            return _validation_error("Name", "'Name' must not be empty.")
        resource.pop("id", None)
        candidate = Connection(resource, self.event_flags)
        if candidate.enabled and (failure := await self._send_test(candidate)):
            return failure
        return web.json_response(self._store_connection(resource).public(), status=201)

    async def _update_connection(self, request: web.Request) -> web.Response:
        """Tested unless disabled, unchanged, or `?forceSave=true`."""
        connection_id = int(request.match_info["id"])
        current = self.connections.get(connection_id)
        if current is None:
            return web.json_response({"message": "NotFound"}, status=404)
        resource = await request.json()
        if not isinstance(resource, dict):
            return _validation_error("Name", "'Name' must not be empty.")
        for item in resource.get("fields", []):
            if item.get("name") == "password" and item.get("value") == PASSWORD_MASK:
                item["value"] = current.field_value("password")
        resource["id"] = connection_id
        candidate = Connection(resource, self.event_flags)
        force = request.query.get("forceSave", "").lower() == "true"
        if (
            candidate.enabled
            and not force
            and resource != current.resource
            and (failure := await self._send_test(candidate))
        ):
            return failure
        self.connections[connection_id] = candidate
        return web.json_response(candidate.public(), status=202)

    async def _delete_connection(self, request: web.Request) -> web.Response:
        if self.connections.pop(int(request.match_info["id"]), None) is None:
            return web.json_response({"message": "NotFound"}, status=404)
        return web.Response(status=200)

    async def _test_connection(self, request: web.Request) -> web.Response:
        resource = await request.json()
        failure = await self._send_test(Connection(resource, self.event_flags))
        return failure or web.Response(status=200)


def _since_date(text: str) -> datetime:
    """`date` as ISO 8601 (UTC when it has no offset); absent: `DateTime.MinValue`."""
    if not text:
        return datetime.min.replace(tzinfo=UTC)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _invalid_value(name: str, value: str) -> web.Response:
    """ASP.NET's automatic 400 for a query value that does not bind.

    The *arr controller attribute is `IApiBehaviorMetadata` (`VersionedApiController`),
    so invalid model state answers a ValidationProblemDetails; its texts are ASP.NET's.
    """
    return web.json_response(
        {
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            "title": "One or more validation errors occurred.",
            "status": 400,
            "errors": {name: [f"The value '{value}' is not valid."]},
        },
        status=400,
        content_type="application/problem+json",
    )


def _validation_error(prop: str, message: str) -> web.Response:
    """A FluentValidation failure list, as the *arr answers a rejected save."""
    return web.json_response(
        [
            {
                "propertyName": prop,
                "errorMessage": message,
                "severity": "error",
                "isWarning": False,
            }
        ],
        status=400,
    )
