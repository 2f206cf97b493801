"""Fake Jellyseerr: request API and the webhook agent (reference `arr-jellyseerr.md` §4).

The webhook body is rendered from the stored template exactly as `webhook.ts` does it
(base64 of a JSON string literal, parsed twice, `{{var}}` replaced once per string, the
`{{media}}`/`{{request}}`/`{{issue}}`/`{{comment}}` keys null when absent), so every
value is a string; the REST API answers with numbers and integer statuses instead.
"""

import base64
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
import colorsys
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
import itertools
import json
import logging
import math
import re
import struct
from typing import Any
import zlib

from aiohttp import web

from .catalog import MOVIES, SERIES, Media, Movie, Series
from .clock import SimClock, iso_millis
from .server import FakeService, Service
from .webhooks import Delivery, WebhookSender, WebhookTarget

_LOGGER = logging.getLogger(__name__)
# Routes Jellyseerr answers without an API key.
PUBLIC_PATHS = ("/api/v1/status", "/api/v1/settings/public", "/imageproxy/")
# The simulated household calls its Jellyseerr this (Settings → General).
APPLICATION_TITLE = "Kingsley Family Cinema"
# Drawn posters: a gradient in a colour of the title's own (width, height).
POSTER_SIZE = (60, 90)
_TMDB_FILE = re.compile(r"^t/p/[^/]+/(?P<file>[^/]+)$")
FORBIDDEN = {
    "status": 403,
    "error": "You do not have permission to access this endpoint",
}
TMDB_IMAGE = "https://image.tmdb.org/t/p/w600_and_h900_bestv2"
TEST_MESSAGE = "Check check, 1, 2, 3. Are we coming in clear?"
# The release the fake reports; requests complete (COMPLETED, DELETED) from 2.6.0 on.
VERSION = "2.7.3"
# `server/lib/settings/index.ts`, decoded: what a fresh install sends.
DEFAULT_TEMPLATE = """{
  "notification_type": "{{notification_type}}",
  "event": "{{event}}",
  "subject": "{{subject}}",
  "message": "{{message}}",
  "image": "{{image}}",
  "{{media}}": {
    "media_type": "{{media_type}}",
    "tmdbId": "{{media_tmdbid}}",
    "tvdbId": "{{media_tvdbid}}",
    "status": "{{media_status}}",
    "status4k": "{{media_status4k}}"
  },
  "{{request}}": {
    "request_id": "{{request_id}}",
    "requestedBy_email": "{{requestedBy_email}}",
    "requestedBy_username": "{{requestedBy_username}}",
    "requestedBy_avatar": "{{requestedBy_avatar}}",
    "requestedBy_settings_discordId": "{{requestedBy_settings_discordId}}",
    "requestedBy_settings_telegramChatId": "{{requestedBy_settings_telegramChatId}}"
  },
  "{{issue}}": {
    "issue_id": "{{issue_id}}",
    "issue_type": "{{issue_type}}",
    "issue_status": "{{issue_status}}",
    "reportedBy_email": "{{reportedBy_email}}",
    "reportedBy_username": "{{reportedBy_username}}",
    "reportedBy_avatar": "{{reportedBy_avatar}}",
    "reportedBy_settings_discordId": "{{reportedBy_settings_discordId}}",
    "reportedBy_settings_telegramChatId": "{{reportedBy_settings_telegramChatId}}"
  },
  "{{comment}}": {
    "comment_message": "{{comment_message}}",
    "commentedBy_email": "{{commentedBy_email}}",
    "commentedBy_username": "{{commentedBy_username}}",
    "commentedBy_avatar": "{{commentedBy_avatar}}",
    "commentedBy_settings_discordId": "{{commentedBy_settings_discordId}}",
    "commentedBy_settings_telegramChatId": "{{commentedBy_settings_telegramChatId}}"
  },
  "{{extra}}": []
}"""
# Notification types and their `types` bits (`server/lib/notifications/index.ts`).
NOTIFICATION_BITS = {
    "MEDIA_PENDING": 2,
    "MEDIA_APPROVED": 4,
    "MEDIA_AVAILABLE": 8,
    "MEDIA_FAILED": 16,
    "TEST_NOTIFICATION": 32,
    "MEDIA_DECLINED": 64,
    "MEDIA_AUTO_APPROVED": 128,
}
MEDIA_EVENTS = 2 + 4 + 8 + 16 + 64 + 128  # every media event but auto-requested
EVENT_TEXT = {
    "MEDIA_PENDING": "New {kind} Request",
    "MEDIA_APPROVED": "{kind} Request Approved",
    "MEDIA_AUTO_APPROVED": "{kind} Request Automatically Approved",
    "MEDIA_AVAILABLE": "{kind} Request Now Available",
    "MEDIA_DECLINED": "{kind} Request Declined",
    "MEDIA_FAILED": "{kind} Request Failed",
}
# Every template variable (`KeyMap` in `webhook.ts`); a missing value renders as "".
USER_FIELDS = (
    "email",
    "username",
    "avatar",
    "settings_discordId",
    "settings_telegramChatId",
)
TEMPLATE_VARIABLES = (
    "notification_type",
    "event",
    "subject",
    "message",
    "image",
    "media_tmdbid",
    "media_tvdbid",
    "media_type",
    "media_status",
    "media_status4k",
    "request_id",
    "issue_id",
    "issue_type",
    "issue_status",
    "comment_message",
    *(
        f"{who}_{what}"
        for who in ("notifyuser", "requestedBy", "reportedBy", "commentedBy")
        for what in USER_FIELDS
    ),
)


class RequestStatus(IntEnum):
    """`MediaRequestStatus`."""

    PENDING = 1
    APPROVED = 2
    DECLINED = 3
    FAILED = 4
    COMPLETED = 5


class MediaStatus(IntEnum):
    """`MediaStatus` (the webhook sends the names)."""

    UNKNOWN = 1
    PENDING = 2
    PROCESSING = 3
    PARTIALLY_AVAILABLE = 4
    AVAILABLE = 5
    BLACKLISTED = 6
    DELETED = 7


@dataclass(frozen=True, slots=True)
class User:
    """A Jellyseerr user signed in with Jellyfin (`username` stays null)."""

    id: int
    name: str
    admin: bool = False

    @property
    def email(self) -> str:
        """The address Jellyseerr stores."""
        return f"{self.name}@example.com"

    @property
    def avatar(self) -> str:
        """Jellyfin users get a relative avatar-proxy path."""
        return f"/avatarproxy/{self.id:032x}?v=1737292800000"


USERS = {
    user.id: user
    for user in (User(1, "admin", admin=True), User(2, "alice"), User(3, "bob"))
}


@dataclass(slots=True)
class MediaEntry:
    """A `Media` row: one per TMDB title."""

    id: int
    media: Media
    created: datetime
    updated: datetime
    status: MediaStatus = MediaStatus.UNKNOWN
    status4k: MediaStatus = MediaStatus.UNKNOWN
    seasons: dict[int, MediaStatus] = field(default_factory=dict)
    jellyfin_id: str | None = None
    added: datetime | None = None


@dataclass(slots=True)
class MediaRequest:
    """A `MediaRequest` row."""

    id: int
    entry: MediaEntry
    user: User
    status: RequestStatus
    created: datetime
    updated: datetime
    seasons: tuple[int, ...] = ()
    modified_by: User | None = None
    completed_seasons: set[int] = field(default_factory=set)  # Seerr 2.6+

    def season_status(self, season: int) -> RequestStatus:
        """A season request's status: COMPLETED on its own, else the request's."""
        if season in self.completed_seasons:
            return RequestStatus.COMPLETED
        return self.status


class JellyseerrServer(FakeService):
    """Jellyseerr: requests (REST), the webhook settings and the webhook agent."""

    def __init__(
        self,
        clock: SimClock,
        sender: WebhookSender,
        api_key: str,
        *,
        version: str = VERSION,
    ) -> None:
        """Create the fake with no requests and the webhook agent off.

        `version` is the Seerr release to behave like: before 2.6.0 there is no
        COMPLETED (requests stay APPROVED) and no DELETED, and MEDIA_AVAILABLE follows
        the media rather than the requests (reference addendum §3).
        """
        super().__init__(Service.JELLYSEERR, [self._auth_middleware])
        self.clock = clock
        self.sender = sender
        self.api_key = api_key
        self.version = version
        self.completes_requests = _release(version) >= (2, 6)
        self.requests: dict[int, MediaRequest] = {}
        # The request ids a retry was asked for, in order.
        self.retried: list[int] = []
        # Request ids come from the database's auto-increment: a deleted request's
        # id is never given to a new one.
        self._request_ids = itertools.count(1)
        self.media_entries: dict[str, MediaEntry] = {}
        self.webhook: dict[str, Any] = {
            "enabled": False,
            "types": 0,
            "options": {
                "webhookUrl": "",
                "jsonPayload": _encode_template(json.dumps(DEFAULT_TEMPLATE)),
                "authHeader": "",
            },
        }
        router = self.app.router
        router.add_get("/api/v1/status", self._status)
        router.add_get("/api/v1/settings/public", self._public_settings)
        router.add_get("/imageproxy/{path:.*}", self._image_proxy)
        router.add_get("/api/v1/auth/me", self._me)
        router.add_get("/api/v1/user", self._list_users)
        router.add_get("/api/v1/request", self._list_requests)
        router.add_get("/api/v1/request/{id}", self._get_request)
        router.add_post("/api/v1/request/{id}/retry", self._retry_request)
        router.add_get("/api/v1/movie/{tmdb_id}", self._movie_details)
        router.add_get("/api/v1/tv/{tmdb_id}", self._tv_details)
        router.add_get("/api/v1/settings/notifications/webhook", self._get_webhook)
        router.add_post("/api/v1/settings/notifications/webhook", self._set_webhook)
        router.add_post(
            "/api/v1/settings/notifications/webhook/test", self._test_webhook
        )

    # --- what the scenario player does ---------------------------------------------

    def set_webhook_target(self, url: str | None, authorization: str = "") -> None:
        """Configure the one webhook agent (default template, every media event)."""
        options = self.webhook["options"]
        self.webhook["enabled"] = url is not None
        self.webhook["types"] = MEDIA_EVENTS if url else 0
        options["webhookUrl"] = url or ""
        options["jsonPayload"] = _encode_template(json.dumps(DEFAULT_TEMPLATE))
        options["authHeader"] = authorization

    def _entry(self, media: Media) -> MediaEntry:
        now = self.clock.wall_now()
        return self.media_entries.setdefault(
            media.key, MediaEntry(len(self.media_entries) + 1, media, now, now)
        )

    def create_request(
        self, media: Media, user: User, seasons: tuple[int, ...], *, approved: bool
    ) -> MediaRequest:
        """A user asks for a title (auto-approved, or waiting for an admin)."""
        now = self.clock.wall_now()
        entry = self._entry(media)
        entry.status = MediaStatus.PENDING
        for season in seasons:
            entry.seasons[season] = MediaStatus.PENDING
        request = MediaRequest(
            id=next(self._request_ids),
            entry=entry,
            user=user,
            status=RequestStatus.APPROVED if approved else RequestStatus.PENDING,
            created=now,
            updated=now,
            seasons=seasons,
            modified_by=user if approved else None,
        )
        self.requests[request.id] = request
        return request

    def approve(self, request: MediaRequest) -> None:
        """An admin approves a pending request."""
        request.status = RequestStatus.APPROVED
        request.modified_by = USERS[1]
        request.updated = self.clock.wall_now()

    def start_processing(self, request: MediaRequest) -> None:
        """After the *arr accepted the title, the media shows as processing."""
        request.entry.status = MediaStatus.PROCESSING
        for season in request.seasons:
            request.entry.seasons[season] = MediaStatus.PROCESSING
        request.entry.updated = self.clock.wall_now()

    def mark_available(
        self,
        media: Media,
        jellyfin_id: str | None,
        episodes: Mapping[int, int] | None = None,
    ) -> list[MediaRequest]:
        """Jellyseerr's Jellyfin scan found the title; the requests now available.

        `episodes` counts a show's episodes on disk per season: the scanner
        (`scanners/jellyfin`) makes a season with all of them AVAILABLE, one with some
        PARTIALLY_AVAILABLE, and the show AVAILABLE only once every season is.
        """
        now = self.clock.wall_now()
        entry = self._entry(media)
        before = entry.status, dict(entry.seasons)
        if isinstance(media, Series):
            _scan_show(entry, media, episodes or {})
        else:
            entry.status = MediaStatus.AVAILABLE
        entry.jellyfin_id = jellyfin_id
        entry.added = entry.added or now
        entry.updated = now
        return self._media_saved(entry, *before)

    def mark_deleted(self, media: Media) -> None:
        """The availability sync lost the title (`lib/availabilitySync.ts`).

        From 2.6 the media and its (partially) available seasons are DELETED
        (requestable again), which completes approved requests. Before, there is no
        DELETED: v2.5.2 `mediaUpdater` puts a movie back to UNKNOWN and deletes its
        requests, a show to its requests' status, and `seasonUpdater` the seasons to
        UNKNOWN, deleting their season requests.
        """
        entry = self._entry(media)
        before = entry.status, dict(entry.seasons)
        lost = [n for n, status in entry.seasons.items() if status in ON_DISK]
        if self.completes_requests:
            entry.status = MediaStatus.DELETED
            entry.seasons.update(dict.fromkeys(lost, MediaStatus.DELETED))
        else:
            self._forget_legacy(entry, lost)
        entry.updated = self.clock.wall_now()
        self._media_saved(entry, *before)  # nothing DELETED is announced

    def blocklist(self, media: Media) -> None:
        """`Blacklist.addToBlacklist`: both statuses BLACKLISTED, requests untouched."""
        entry = self._entry(media)
        entry.status = entry.status4k = MediaStatus.BLACKLISTED
        entry.updated = self.clock.wall_now()

    def delete_request(self, request: MediaRequest) -> None:
        """A user deletes a request (`DELETE /api/v1/request/{id}` in `routes/request.ts`).

        `handleRemoveParentUpdate` then resets a title that has no request left to
        UNKNOWN unless it is AVAILABLE (status4k too: the fake has no 4K requests).
        """
        del self.requests[request.id]
        entry = request.entry
        if not self._requests_of(entry) and entry.status is not MediaStatus.AVAILABLE:
            entry.status = MediaStatus.UNKNOWN
        if entry.status4k is not MediaStatus.AVAILABLE:
            entry.status4k = MediaStatus.UNKNOWN
        entry.updated = self.clock.wall_now()

    def _requests_of(self, entry: MediaEntry) -> list[MediaRequest]:
        return [r for r in self.requests.values() if r.entry is entry]

    def _media_saved(
        self,
        entry: MediaEntry,
        status_before: MediaStatus,
        seasons_before: dict[int, MediaStatus],
    ) -> list[MediaRequest]:
        """`MediaSubscriber.afterUpdate`: the requests to announce MEDIA_AVAILABLE for."""
        if entry.status is status_before and entry.seasons == seasons_before:
            return []
        if self.completes_requests:
            return self._complete_requests(entry, seasons_before)
        return self._legacy_available(entry, status_before, seasons_before)

    def _complete_requests(
        self, entry: MediaEntry, seasons_before: dict[int, MediaStatus]
    ) -> list[MediaRequest]:
        """`updateRelatedMediaRequest` (2.6+), then `notifyAvailable*` on COMPLETED.

        An APPROVED request completes when its movie, or every season it asked for,
        is AVAILABLE or DELETED; each season request completes on its own when its
        season changes to one of those. It is announced only if what it asked for is
        AVAILABLE (the media may still be PARTIALLY_AVAILABLE).
        """
        if entry.status not in SETTLED | ON_DISK:
            return []
        now = self.clock.wall_now()
        announced = []
        for request in self._requests_of(entry):
            if request.status is not RequestStatus.APPROVED:
                continue
            if isinstance(entry.media, Movie):
                complete = entry.status in SETTLED
            else:
                # Every season request is updated, as `Promise.all` does upstream.
                done = [
                    _season_done(request, entry, seasons_before, n)
                    for n in request.seasons
                ]
                complete = all(done)
            if complete:
                request.status = RequestStatus.COMPLETED
                request.updated = now
                if _asked_for_available(request):
                    announced.append(request)
        return announced

    def _legacy_available(
        self,
        entry: MediaEntry,
        status_before: MediaStatus,
        seasons_before: dict[int, MediaStatus],
    ) -> list[MediaRequest]:
        """v2.5.2 `MediaSubscriber.notifyAvailable*`: no request changes status.

        A movie turning AVAILABLE is announced to every request not declined; each
        show season turning AVAILABLE to the first such request that includes it and
        whose seasons are now all AVAILABLE, unless an earlier one covered the season.
        """
        requests = [
            r
            for r in self._requests_of(entry)
            if r.status is not RequestStatus.DECLINED
        ]
        if isinstance(entry.media, Movie):
            turned = status_before is not MediaStatus.AVAILABLE
            return requests if entry.status is MediaStatus.AVAILABLE and turned else []
        available = {n for n, s in entry.seasons.items() if s is MediaStatus.AVAILABLE}
        was = {n for n, s in seasons_before.items() if s is MediaStatus.AVAILABLE}
        announced: list[MediaRequest] = []
        processed: set[int] = set()
        for season in sorted(available - was):
            request = next(
                (
                    r
                    for r in requests
                    if season in r.seasons and set(r.seasons) <= available
                ),
                None,
            )
            if request is not None and season not in processed:
                processed.update(request.seasons)
                announced.append(request)
        return announced

    def _forget_legacy(self, entry: MediaEntry, lost: list[int]) -> None:
        """v2.5.2 `mediaUpdater` and `seasonUpdater` (see `mark_deleted`)."""
        requests = self._requests_of(entry)
        if isinstance(entry.media, Movie):
            entry.status = MediaStatus.UNKNOWN
            for request in requests:
                del self.requests[request.id]
            return
        statuses = {r.status for r in requests}
        if RequestStatus.APPROVED in statuses:
            entry.status = MediaStatus.PROCESSING
        elif RequestStatus.PENDING in statuses:
            entry.status = MediaStatus.PENDING
        else:
            entry.status = MediaStatus.UNKNOWN
        entry.seasons.update(dict.fromkeys(lost, MediaStatus.UNKNOWN))
        for request in requests:
            request.seasons = tuple(n for n in request.seasons if n not in lost)

    async def notify(
        self, notification_type: str, request: MediaRequest
    ) -> Delivery | None:
        """Send a media notification if the agent is on and the type is selected."""
        options = self.webhook["options"]
        wanted = self.webhook["types"] & NOTIFICATION_BITS[notification_type]
        if not (self.webhook["enabled"] and options["webhookUrl"] and wanted):
            return None
        variables = self._variables(notification_type, request)
        try:
            body = render(options["jsonPayload"], variables, request)
        except TypeError, ValueError:
            # `buildPayload` throws on a template stored as raw JSON text; the agent
            # logs it and the notification is lost.
            _LOGGER.warning("Jellyseerr cannot render its webhook template")
            return None
        return await self.sender.send(
            self.service, notification_type, _target(options), body
        )

    def _variables(
        self, notification_type: str, request: MediaRequest
    ) -> dict[str, str]:
        """The template variables (`KeyMap`) of a media notification."""
        media, user = request.entry.media, request.user
        kind = "Movie" if isinstance(media, Movie) else "Series"
        notify_user = notification_type in {
            "MEDIA_APPROVED",
            "MEDIA_DECLINED",
            "MEDIA_AVAILABLE",
        }
        variables = dict.fromkeys(TEMPLATE_VARIABLES, "")
        variables |= {
            "notification_type": notification_type,
            "event": EVENT_TEXT[notification_type].format(kind=kind),
            "subject": f"{media.title} ({media.year})",
            "message": media.overview[:500],
            "image": f"{TMDB_IMAGE}{media.poster}",
            "media_tmdbid": str(media.tmdb_id),
            "media_tvdbid": str(media.tvdb_id) if isinstance(media, Series) else "",
            "media_type": "movie" if isinstance(media, Movie) else "tv",
            "media_status": request.entry.status.name,
            "media_status4k": request.entry.status4k.name,
            "request_id": str(request.id),
            "requestedBy_email": user.email,
            "requestedBy_username": user.name,
            "requestedBy_avatar": user.avatar,
        }
        if notify_user:
            variables |= {
                "notifyuser_email": user.email,
                "notifyuser_username": user.name,
                "notifyuser_avatar": user.avatar,
            }
        return variables

    # --- REST ----------------------------------------------------------------------

    @web.middleware
    async def _auth_middleware(
        self, request: web.Request, handler: Any
    ) -> web.StreamResponse:
        """`X-Api-Key` on every route but the public ones: 403 JSON without it."""
        if not request.path.startswith(PUBLIC_PATHS):
            if request.headers.get("X-Api-Key") != self.api_key:
                return web.json_response(FORBIDDEN, status=403)
            acting_as = request.headers.get("X-API-User", "1")
            user = USERS.get(int(acting_as)) if acting_as.isdecimal() else None
            if user is None or (
                request.path.startswith("/api/v1/settings") and not user.admin
            ):
                return web.json_response(FORBIDDEN, status=403)
            request["user"] = user
        response: web.StreamResponse = await handler(request)
        return response

    async def _status(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "version": self.version,
                "commitTag": f"v{self.version}",
                "updateAvailable": False,
                "commitsBehind": 0,
                "restartRequired": False,
            }
        )

    async def _public_settings(self, _request: web.Request) -> web.Response:
        """What the login page needs (`/settings/public`, no auth), in short."""
        return web.json_response(
            {
                "initialized": True,
                "applicationTitle": APPLICATION_TITLE,
                "applicationUrl": "",
                "localLogin": True,
                "mediaServerType": 2,
                "partialRequestsEnabled": True,
                "cacheImages": False,
                "locale": "en",
            }
        )

    async def _image_proxy(self, request: web.Request) -> web.Response:
        """The image proxy (no auth), as each version answers a route.

        Seerr 2.6+ serves `tmdb/<TMDB path>` and answers 400 for any other source;
        older versions pass the whole path to TMDB, so `tmdb/…` is TMDB's 404, which
        they answer 500 (reference addendum: Image proxy).
        """
        path = request.match_info["path"]
        if self.completes_requests:
            if not path.startswith("tmdb/"):
                return web.json_response({"message": "Invalid image type"}, status=400)
            path = path.removeprefix("tmdb/")
        match = _TMDB_FILE.match(path)
        media = None if match is None else _poster_media("/" + match["file"])
        if media is None:
            return web.json_response({"message": "Unable to fetch image"}, status=500)
        return web.Response(
            body=_poster_png(sum(media.poster.encode()) % 360),
            content_type="image/png",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    async def _me(self, request: web.Request) -> web.Response:
        return web.json_response(self._user_json(request["user"]))

    async def _list_users(self, request: web.Request) -> web.Response:
        """`take`/`skip` (`routes/user/index.ts`); sorted by id, as `sort=created`."""
        users = sorted(USERS.values(), key=lambda user: user.id)
        return _page(request, users, self._user_json)

    def _user_json(self, user: User) -> dict[str, Any]:
        created = iso_millis(self.clock.start)
        return {
            "id": user.id,
            "email": user.email,
            "username": None,
            "plexUsername": None,
            "jellyfinUsername": user.name,
            "displayName": user.name,
            "avatar": user.avatar,
            "userType": 3,
            "permissions": 2 if user.admin else 32,
            "requestCount": sum(r.user is user for r in self.requests.values()),
            "createdAt": created,
            "updatedAt": created,
        }

    def _media_json(self, entry: MediaEntry) -> dict[str, Any]:
        media = entry.media
        is_movie = isinstance(media, Movie)
        body: dict[str, Any] = {
            "id": entry.id,
            "mediaType": "movie" if is_movie else "tv",
            "tmdbId": media.tmdb_id,
            "tvdbId": None if isinstance(media, Movie) else media.tvdb_id,
            "imdbId": None,
            "status": int(entry.status),
            "status4k": int(entry.status4k),
            "createdAt": iso_millis(entry.created),
            "updatedAt": iso_millis(entry.updated),
            "lastSeasonChange": iso_millis(entry.created),
            "mediaAddedAt": iso_millis(entry.added) if entry.added else None,
            "serviceId": 0,
            "serviceId4k": None,
            "externalServiceId": media.radarr_id
            if isinstance(media, Movie)
            else media.sonarr_id,
            "externalServiceId4k": None,
            "externalServiceSlug": str(media.tmdb_id) if is_movie else media.key,
            "externalServiceSlug4k": None,
            "ratingKey": None,
            "ratingKey4k": None,
            "jellyfinMediaId": entry.jellyfin_id,
            "jellyfinMediaId4k": None,
            "downloadStatus": [],
            "downloadStatus4k": [],
        }
        if not is_movie:
            body["seasons"] = [
                {
                    "id": entry.id * 100 + number,
                    "seasonNumber": number,
                    "status": int(status),
                    "status4k": int(MediaStatus.UNKNOWN),
                    "createdAt": iso_millis(entry.created),
                    "updatedAt": iso_millis(entry.updated),
                }
                for number, status in sorted(entry.seasons.items())
            ]
        return body

    def _request_json(self, request: MediaRequest) -> dict[str, Any]:
        is_movie = isinstance(request.entry.media, Movie)
        return {
            "id": request.id,
            "status": int(request.status),
            "createdAt": iso_millis(request.created),
            "updatedAt": iso_millis(request.updated),
            "type": "movie" if is_movie else "tv",
            "is4k": False,
            "serverId": 0,
            "profileId": 1,
            "rootFolder": "/data/movies" if is_movie else "/data/tv",
            "languageProfileId": None,
            "tags": [],
            "isAutoRequest": False,
            "seasonCount": len(request.seasons),
            "seasons": [
                {
                    "id": request.id * 100 + number,
                    "seasonNumber": number,
                    "status": int(request.season_status(number)),
                    "createdAt": iso_millis(request.created),
                    "updatedAt": iso_millis(request.updated),
                }
                for number in request.seasons
            ],
            "requestedBy": self._user_json(request.user),
            "modifiedBy": self._user_json(request.modified_by)
            if request.modified_by
            else None,
            "media": self._media_json(request.entry),
        }

    async def _list_requests(self, request: web.Request) -> web.Response:
        """`take`/`skip`, `filter`, `sort`, `sortDirection`, `requestedBy`, `mediaType`."""
        query = request.query
        matches = [
            r for r in self.requests.values() if _matches(r, query.get("filter", "all"))
        ]
        if "requestedBy" in query:
            matches = [r for r in matches if r.user.id == int(query["requestedBy"])]
        if (media_type := query.get("mediaType", "all")) != "all":
            matches = [
                r
                for r in matches
                if (media_type == "movie") == isinstance(r.entry.media, Movie)
            ]
        if query.get("sort") == "modified":
            matches.sort(key=lambda r: (r.updated, r.id))
        else:
            matches.sort(key=lambda r: r.id)
        if query.get("sortDirection", "desc") == "desc":
            matches.reverse()
        return _page(request, matches, self._request_json)

    async def _movie_details(self, request: web.Request) -> web.Response:
        """MovieDetails (reference §4.7): what Jellyseerr knows of a film from TMDB."""
        movie = _by_tmdb(MOVIES.values(), request.match_info["tmdb_id"])
        if movie is None:
            return web.json_response(
                {"message": "Unable to retrieve movie."}, status=500
            )
        return web.json_response(
            {
                "id": movie.tmdb_id,
                "title": movie.title,
                "originalTitle": movie.title,
                "releaseDate": movie.premiere,
                "overview": movie.overview,
                "posterPath": movie.poster,
                "externalIds": {"imdbId": movie.imdb_id},
            }
        )

    async def _tv_details(self, request: web.Request) -> web.Response:
        """TvDetails (reference §4.7)."""
        series = _by_tmdb(SERIES.values(), request.match_info["tmdb_id"])
        if series is None:
            return web.json_response(
                {"message": "Unable to retrieve series."}, status=500
            )
        return web.json_response(
            {
                "id": series.tmdb_id,
                "name": series.title,
                "firstAirDate": f"{series.year}-01-01",
                "overview": series.overview,
                "posterPath": series.poster,
                "numberOfSeasons": max(e.season for e in series.episodes),
                "externalIds": {"imdbId": series.imdb_id, "tvdbId": series.tvdb_id},
            }
        )

    async def _get_request(self, request: web.Request) -> web.Response:
        try:
            found = self.requests.get(int(request.match_info["id"]))
        except ValueError:
            found = None
        if found is None:
            return web.json_response({"message": "Request not found."}, status=404)
        return web.json_response(self._request_json(found))

    async def _retry_request(self, request: web.Request) -> web.Response:
        """`POST /request/{id}/retry`: any status becomes APPROVED; 404 when unknown.

        Seerr answers before Radarr/Sonarr do (addendum §3): the fake hands nothing on.
        """
        found = self.requests.get(int(request.match_info["id"]))
        if found is None:
            return web.json_response({"message": "Request not found."}, status=404)
        found.status = RequestStatus.APPROVED
        found.updated = self.clock.wall_now()
        self.retried.append(found.id)
        return web.json_response(self._request_json(found))

    async def _get_webhook(self, _request: web.Request) -> web.Response:
        """The settings, with `jsonPayload` decoded once (the template text)."""
        options = self.webhook["options"]
        return web.json_response(
            {
                **self.webhook,
                "options": {
                    **options,
                    "jsonPayload": json.loads(base64.b64decode(options["jsonPayload"])),
                },
            }
        )

    async def _set_webhook(self, request: web.Request) -> web.Response:
        """Validate `jsonPayload` as JSON, store it base64-encoded (500 if invalid)."""
        body = await request.json()
        try:
            options = body["options"]
            json.loads(options["jsonPayload"])
        except (KeyError, TypeError, ValueError) as err:
            return web.json_response({"message": str(err)}, status=500)
        self.webhook = {
            "enabled": body.get("enabled", False),
            "types": body.get("types", 0),
            "options": {
                "jsonPayload": _encode_template(options["jsonPayload"]),
                "webhookUrl": options.get("webhookUrl", ""),
                "authHeader": options.get("authHeader", ""),
            },
        }
        return web.json_response(self.webhook)

    async def _test_webhook(self, request: web.Request) -> web.Response:
        """Send TEST_NOTIFICATION with the posted settings: 204, or 500 on failure."""
        body = await request.json()
        failed = web.json_response(
            {"message": "Failed to send webhook notification."}, status=500
        )
        try:
            options = body["options"]
            template = _encode_template(options["jsonPayload"])
            payload = render(template, _test_variables(), None)
        except KeyError, TypeError, ValueError:
            return failed
        delivery = await self.sender.send(
            self.service, "TEST_NOTIFICATION", _target(options), payload
        )
        return web.Response(status=204) if delivery.ok else failed


# Statuses that complete a request (`MediaSubscriber.updateRelatedMediaRequest`).
SETTLED = frozenset({MediaStatus.AVAILABLE, MediaStatus.DELETED})
# Statuses of a title or season with files in the media server.
ON_DISK = frozenset({MediaStatus.AVAILABLE, MediaStatus.PARTIALLY_AVAILABLE})


def _poster_media(poster: str) -> Media | None:
    """The catalogue title whose TMDB poster this is."""
    known: list[Media] = [*MOVIES.values(), *SERIES.values()]
    return next((media for media in known if media.poster == poster), None)


def _poster_png(hue: int) -> bytes:
    """A small PNG poster: a vertical gradient of one hue, light to dark."""
    width, height = POSTER_SIZE
    rows = bytearray()
    for y in range(height):
        red, green, blue = colorsys.hls_to_rgb(hue / 360, 0.5 - 0.35 * y / height, 0.5)
        rows += (
            b"\0"
            + bytes((round(red * 255), round(green * 255), round(blue * 255))) * width
        )

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"IDAT", zlib.compress(bytes(rows))),
            chunk(b"IEND", b""),
        )
    )


def _release(version: str) -> tuple[int, ...]:
    """`2.7.3` -> (2, 7, 3), to compare Seerr releases."""
    return tuple(int(part) for part in version.split("."))


def _scan_show(entry: MediaEntry, series: Series, episodes: Mapping[int, int]) -> None:
    """The Jellyfin scanner's season and show statuses (`scanners/jellyfin/index.ts`).

    A season keeps AVAILABLE once it has it; specials (season 0) do not count.
    """
    totals = Counter(episode.season for episode in series.episodes)
    for season, count in episodes.items():
        if (
            count >= totals[season]
            or entry.seasons.get(season) is MediaStatus.AVAILABLE
        ):
            entry.seasons[season] = MediaStatus.AVAILABLE
        elif count:
            entry.seasons[season] = MediaStatus.PARTIALLY_AVAILABLE
    if all(entry.seasons.get(n) is MediaStatus.AVAILABLE for n in totals if n):
        entry.status = MediaStatus.AVAILABLE
    elif ON_DISK & set(entry.seasons.values()):
        entry.status = MediaStatus.PARTIALLY_AVAILABLE


def _season_done(
    request: MediaRequest,
    entry: MediaEntry,
    seasons_before: dict[int, MediaStatus],
    season: int,
) -> bool:
    """Whether one season request completes in this update (2.6+)."""
    status = entry.seasons.get(season)
    changed = status is not seasons_before.get(season)
    if status in SETTLED and (changed or season in request.completed_seasons):
        request.completed_seasons.add(season)
        return True
    return False


def _asked_for_available(request: MediaRequest) -> bool:
    """`notifyAvailableMovie/Series`: the movie, or every season asked for, AVAILABLE."""
    entry = request.entry
    if isinstance(entry.media, Movie):
        return entry.status is MediaStatus.AVAILABLE
    return bool(request.seasons) and all(
        entry.seasons.get(n) is MediaStatus.AVAILABLE for n in request.seasons
    )


def _matches(request: MediaRequest, name: str) -> bool:
    """The `filter` of `GET /api/v1/request` (`server/routes/request.ts`)."""
    media, status = request.entry.status, request.status
    match name:
        case "approved":
            return status is RequestStatus.APPROVED
        case "processing":
            return status is RequestStatus.APPROVED and media in {
                MediaStatus.UNKNOWN,
                MediaStatus.PENDING,
                MediaStatus.PROCESSING,
                MediaStatus.PARTIALLY_AVAILABLE,
            }
        case "pending":
            return status is RequestStatus.PENDING
        case "unavailable":
            return status in {
                RequestStatus.PENDING,
                RequestStatus.APPROVED,
            } and media not in {
                MediaStatus.AVAILABLE,
                MediaStatus.DELETED,
            }
        case "failed":
            return status is RequestStatus.FAILED
        case "completed":
            return status is RequestStatus.COMPLETED
        case "available":
            return status is RequestStatus.COMPLETED and media is MediaStatus.AVAILABLE
        case "deleted":
            return status is RequestStatus.COMPLETED and media is MediaStatus.DELETED
        case _:
            return True


def _encode_template(json_payload: str) -> str:
    """What the settings route stores: `base64(options.jsonPayload)`."""
    return base64.b64encode(json_payload.encode()).decode()


def _target(options: dict[str, Any]) -> WebhookTarget:
    auth = options.get("authHeader") or ""
    return WebhookTarget(
        options["webhookUrl"], headers={"Authorization": auth} if auth else {}
    )


def _test_variables() -> dict[str, str]:
    return dict.fromkeys(TEMPLATE_VARIABLES, "") | {
        "notification_type": "TEST_NOTIFICATION",
        "event": "",
        "subject": "Test Notification",
        "message": TEST_MESSAGE,
        "image": "",
    }


def render(stored: str, variables: dict[str, str], request: MediaRequest | None) -> Any:
    """`buildPayload`: decode the stored template twice, then fill it in.

    Raises ValueError/TypeError when the template was stored as raw JSON text instead
    of a JSON string literal (the real agent then fails every notification).
    """
    template_text = json.loads(base64.b64decode(stored))
    if not isinstance(template_text, str):
        raise TypeError("the stored template is not a JSON string literal")
    template = json.loads(template_text)
    extra: list[dict[str, str]] = []
    if request is not None and not isinstance(request.entry.media, Movie):
        seasons = ", ".join(str(season) for season in request.seasons)
        extra = [{"name": "Requested Seasons", "value": seasons}]
    present = {"media": request is not None, "request": request is not None}
    return _fill(template, variables, present, extra)


def _fill(
    node: Any,
    variables: dict[str, str],
    present: dict[str, bool],
    extra: list[dict[str, str]],
) -> Any:
    """`parseKeys`: special keys, then the first `{{var}}` of each kind per string."""
    if isinstance(node, dict):
        filled: dict[str, Any] = {}
        for key, value in node.items():
            if key == "{{extra}}":
                filled["extra"] = extra
            elif key in ("{{media}}", "{{request}}", "{{issue}}", "{{comment}}"):
                name = key[2:-2]
                filled[name] = (
                    _fill(value, variables, present, extra)
                    if present.get(name)
                    else None
                )
            else:
                filled[key] = _fill(value, variables, present, extra)
        return filled
    if isinstance(node, list):
        return [_fill(item, variables, present, extra) for item in node]
    if isinstance(node, str):
        for name, value in variables.items():
            node = node.replace(f"{{{{{name}}}}}", value, 1)
        return node
    return node


def _by_tmdb[M: (Movie, Series)](titles: Iterable[M], text: str) -> M | None:
    """The catalogue title with this TMDB id, if the path holds a number."""
    if not text.isdecimal():
        return None
    return next((title for title in titles if title.tmdb_id == int(text)), None)


def _page[T](
    request: web.Request, items: list[T], to_json: Callable[[T], dict[str, Any]]
) -> web.Response:
    """One page of a listing: `take` (10) from `skip` (0), with its `pageInfo`."""
    query = request.query
    take, skip = max(1, int(query.get("take", 10))), int(query.get("skip", 0))
    return web.json_response(
        {
            "pageInfo": {
                "pages": math.ceil(len(items) / take),
                "pageSize": take,
                "results": len(items),
                "page": math.ceil(skip / take) + 1,
            },
            "results": [to_json(item) for item in items[skip : skip + take]],
        }
    )
