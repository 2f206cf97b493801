"""Jellyseerr: REST client and webhook payload parsing (reference §4)."""

from dataclasses import dataclass
from datetime import datetime
import json
import re
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from ..engine.evidence import Evidence, Ping, RequestEvidence, RequestStatus
from ..engine.models import MediaType, Service
from .errors import ErrorStatus, InvalidPayload, NotFound, UpstreamError, WrongService
from .fields import Fields
from .http import Image, JsonApi

NOTIFICATION_STATUSES = {
    "MEDIA_PENDING": RequestStatus.PENDING,
    "MEDIA_APPROVED": RequestStatus.APPROVED,
    "MEDIA_AUTO_APPROVED": RequestStatus.APPROVED,
    "MEDIA_DECLINED": RequestStatus.DECLINED,
    "MEDIA_FAILED": RequestStatus.FAILED,
    "MEDIA_AVAILABLE": RequestStatus.AVAILABLE,
}
# Jellyseerr appends " (YYYY)" to the title when TMDB knows a date; titles may hold
# parentheses themselves, so only a trailing four-digit year is taken off.
_SUBJECT_YEAR = re.compile(r"^(?P<title>.*\S)\s\((?P<year>\d{4})\)$")


# MediaRequestStatus and MediaStatus of the REST API (reference §4.7, addendum §3).
# COMPLETED and DELETED exist from Seerr 2.6 on; BLACKLISTED is BLOCKLISTED in 3.x.
_PENDING, _APPROVED, _DECLINED, _FAILED, _COMPLETED = 1, 2, 3, 4, 5
_MEDIA_AVAILABLE, _MEDIA_BLOCKLISTED, _MEDIA_DELETED = 5, 6, 7
_REQUEST_STATUSES = {
    _PENDING: RequestStatus.PENDING,
    _APPROVED: RequestStatus.APPROVED,
    _DECLINED: RequestStatus.DECLINED,
    _FAILED: RequestStatus.FAILED,
    _COMPLETED: RequestStatus.APPROVED,
}
TMDB_POSTER = "https://image.tmdb.org/t/p/w600_and_h900_bestv2"
# The poster size Jellyseerr's own cards show (TMDB serves any of its sizes).
CARD_POSTER_SIZE = "w300_and_h450_bestv2"
# Jellyseerr's image proxy: `tmdb/` was added to its route in v2.6.
IMAGE_PROXIES = ("/imageproxy/tmdb", "/imageproxy")
_TMDB_IMAGE_PATH = re.compile(r"^/t/p/[^/]+/(?P<file>[^/]+)$")
# Jellyseerr's default webhook template (reference §4.3): the parser reads its keys.
DEFAULT_TEMPLATE = {
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
        "status4k": "{{media_status4k}}",
    },
    "{{request}}": {
        "request_id": "{{request_id}}",
        "requestedBy_email": "{{requestedBy_email}}",
        "requestedBy_username": "{{requestedBy_username}}",
        "requestedBy_avatar": "{{requestedBy_avatar}}",
    },
    "{{extra}}": [],
}
# Every media notification (reference §4.6): pending, approved, available, failed,
# declined, auto-approved.
MEDIA_NOTIFICATION_TYPES = 222
WEBHOOK_SETTINGS = "/api/v1/settings/notifications/webhook"
# Users are listed a page at a time, up to a household no one runs.
USERS_PAGE = 100
MAX_USERS = 1000


@dataclass(frozen=True, slots=True)
class RemoteRequest:
    """A request as Jellyseerr's REST API lists it (no title: see MediaDetails)."""

    request_key: str
    status: RequestStatus
    media_type: MediaType
    tmdb_id: int
    tvdb_id: int | None
    is_4k: bool
    requested_by: str | None
    seasons: frozenset[int]
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class MediaDetails:
    """What Jellyseerr knows of a title from TMDB."""

    title: str
    year: int | None
    poster_url: str | None
    overview: str | None
    imdb_id: str | None


@dataclass(frozen=True, slots=True)
class JellyseerrUser:
    """The user a Jellyseerr API key acts as."""

    user_id: int
    display_name: str


class JellyseerrClient:
    """The Jellyseerr REST API (`X-Api-Key` authentication)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        api_key: str,
    ) -> None:
        """Create a client for one Jellyseerr server."""
        self._api = JsonApi(session, url, {"X-Api-Key": api_key})
        self._image_proxies: tuple[str, ...] = IMAGE_PROXIES

    @property
    def url(self) -> str:
        """The normalised server URL."""
        return self._api.base_url

    async def async_get_current_user(self) -> JellyseerrUser:
        """Return the user behind the API key; proves the URL and key are right.

        `/api/v1/status` is unauthenticated (and slow: it asks GitHub for updates), so the
        authenticated `/api/v1/auth/me` is what validates a key.
        """
        body: Any = await self._api.request("GET", "/api/v1/auth/me")
        if not isinstance(body, dict) or not isinstance(body.get("id"), int):
            raise WrongService("/api/v1/auth/me did not return a Jellyseerr user")
        name = body.get("displayName") or body.get("username") or body.get("email")
        return JellyseerrUser(user_id=body["id"], display_name=str(name or body["id"]))

    async def async_get_user_names(self) -> list[str]:
        """The display names of Jellyseerr's users, page by page (at most 1,000).

        Listing users needs the MANAGE_USERS permission the admin's API key has.
        """
        names: list[str] = []
        for skip in range(0, MAX_USERS, USERS_PAGE):
            body = await self._api.request(
                "GET",
                "/api/v1/user",
                params={"take": USERS_PAGE, "skip": skip, "sort": "displayname"},
            )
            users = Fields(body).objects("results")
            names += [name for user in users if (name := user.text("displayName"))]
            if len(users) < USERS_PAGE:
                break
        return names

    async def async_get_application_title(self) -> str | None:
        """The name the household gave its Jellyseerr (`/settings/public`, no auth).

        It defaults to "Jellyseerr" (Seerr 3: "Seerr").
        """
        body = Fields(await self._api.request("GET", "/api/v1/settings/public"))
        return body.text("applicationTitle")

    async def async_get_poster(self, tmdb_path: str) -> Image:
        """A TMDB image through Jellyseerr's image proxy (which caches it).

        Neither route answers 404 when it is the wrong one: a Jellyseerr before 2.6
        asks TMDB for `tmdb/t/p/…` and answers 500, Seerr 2.6+ answers 400 for an
        unknown image source. So an error status tries the other route, and once a
        route has worked only it is asked (reference addendum: Image proxy).
        """
        failure: UpstreamError = NotFound(tmdb_path)
        for proxy in self._image_proxies:
            try:
                image = await self._api.request_image(f"{proxy}{tmdb_path}")
            except (NotFound, ErrorStatus) as err:
                failure = err
                continue
            self._image_proxies = (proxy,)
            return image
        raise failure

    async def async_get_requests(
        self, take: int, *, skip: int = 0, open_only: bool = False
    ) -> list[RemoteRequest]:
        """The most recently modified requests, newest first (one page from `skip`).

        `open_only`: those still pending or approved and not available yet
        (Jellyseerr's `unavailable` filter).
        """
        body = await self._api.request(
            "GET",
            "/api/v1/request",
            params={
                "take": take,
                "skip": skip,
                "filter": "unavailable" if open_only else "all",
                "sort": "modified",
            },
        )
        return [_remote_request(item) for item in Fields(body).objects("results")]

    async def async_get_request(self, request_key: str) -> RemoteRequest | None:
        """One request as it is now; None once Jellyseerr deleted it (404)."""
        try:
            body = await self._api.request("GET", f"/api/v1/request/{request_key}")
        except NotFound:
            return None
        return _remote_request(Fields(body))

    async def async_retry_request(self, request_key: str) -> None:
        """Hand the request to Radarr/Sonarr again (MANAGE_REQUESTS, the key's user 1).

        Jellyseerr answers before Radarr/Sonarr do: a failure shows later, as the
        request failing again (reference addendum §3, Retry).
        """
        await self._api.request("POST", f"/api/v1/request/{request_key}/retry")

    async def async_get_details(
        self, media_type: MediaType, tmdb_id: int
    ) -> MediaDetails:
        """Title, year and poster of a movie or show (`/movie/{id}`, `/tv/{id}`)."""
        body = Fields(await self._api.request("GET", f"/api/v1/{media_type}/{tmdb_id}"))
        title = body.text("title") or body.text("name") or f"TMDB {tmdb_id}"
        date = body.text("releaseDate") or body.text("firstAirDate") or ""
        poster = body.text("posterPath")
        external = body.obj("externalIds")
        return MediaDetails(
            title=title,
            year=int(date[:4]) if date[:4].isdecimal() else None,
            poster_url=f"{TMDB_POSTER}{poster}" if poster else None,
            overview=body.text("overview"),
            imdb_id=None if external is None else external.text("imdbId"),
        )

    async def async_get_webhook_url(self) -> str | None:
        """Where Jellyseerr's one webhook agent posts; None when it is off."""
        body = Fields(await self._api.request("GET", WEBHOOK_SETTINGS))
        options = body.obj("options")
        if not body.flag("enabled") or options is None:
            return None
        return options.text("webhookUrl")

    async def async_set_webhook(
        self, url: str | None, authorization: str | None
    ) -> None:
        """Point the webhook agent at `url` with the default template (None: off).

        The API stores `jsonPayload` as a JSON string literal of the template text,
        so the template is encoded twice (reference §4.6).
        """
        template_text = json.dumps(DEFAULT_TEMPLATE)
        await self._api.request(
            "POST",
            WEBHOOK_SETTINGS,
            json={
                "enabled": url is not None,
                "types": MEDIA_NOTIFICATION_TYPES if url else 0,
                "options": {
                    "webhookUrl": url or "",
                    "jsonPayload": json.dumps(template_text),
                    "authHeader": authorization or "",
                },
            },
        )


def request_evidence(
    remote: RemoteRequest, details: MediaDetails | None
) -> RequestEvidence:
    """A request as the REST API lists it; `details` once per request.

    The REST request has no title: `details` (the media's) gives it, once.
    """
    return RequestEvidence(
        request_key=remote.request_key,
        status=remote.status,
        media_type=remote.media_type,
        title=None if details is None else details.title,
        detail=f"Jellyseerr: {remote.status.value}",
        year=None if details is None else details.year,
        tmdb_id=remote.tmdb_id,
        tvdb_id=remote.tvdb_id,
        imdb_id=None if details is None else details.imdb_id,
        poster_url=None if details is None else details.poster_url,
        overview=None if details is None else details.overview,
        requested_by=remote.requested_by,
        requested_seasons=remote.seasons,
        is_4k=remote.is_4k,
        from_details=details is not None,
    )


def _remote_request(item: Fields) -> RemoteRequest:
    """One MediaRequest of the REST API: ints and numeric ids, unlike the webhook."""
    media = item.required_obj("media")
    is_4k = item.flag("is4k")
    code = item.required_integer("status")
    status = _REQUEST_STATUSES.get(code)
    if status is None:
        raise InvalidPayload(f"unknown request status {code}")
    status_key = "status4k" if is_4k else "status"
    requested = frozenset(
        season.required_integer("seasonNumber") for season in item.objects("seasons")
    )
    media_status = media.integer(status_key)
    if media_status in (_MEDIA_BLOCKLISTED, _MEDIA_DELETED):
        status = RequestStatus.REMOVED
    elif code in (_APPROVED, _COMPLETED) and _all_available(
        media, status_key, requested
    ):
        status = RequestStatus.AVAILABLE
    requested_by = item.obj("requestedBy")
    return RemoteRequest(
        request_key=str(item.required_integer("id")),
        status=status,
        media_type=MediaType(_choice(item.required_text("type"), ("movie", "tv"))),
        tmdb_id=media.required_integer("tmdbId"),
        tvdb_id=media.integer("tvdbId") or None,
        is_4k=is_4k,
        requested_by=None if requested_by is None else requested_by.text("displayName"),
        seasons=requested,
        updated_at=_parse_time(item.required_text("updatedAt")),
    )


def _all_available(media: Fields, status_key: str, requested: frozenset[int]) -> bool:
    """Whether what the request asked for is available.

    A show is PARTIALLY_AVAILABLE while seasons nobody requested are missing, and a
    request for some seasons is done when those are: each season's own status says
    so (`media.seasons[]`, addendum §3), on every Seerr version.
    """
    if not requested:
        return media.integer(status_key) == _MEDIA_AVAILABLE
    available = {
        season.required_integer("seasonNumber")
        for season in media.objects("seasons")
        if season.integer(status_key) == _MEDIA_AVAILABLE
    }
    return requested <= available


def _choice(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidPayload(f"{value!r} is not one of {', '.join(allowed)}")
    return value


def _parse_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as err:
        raise InvalidPayload(f"{text!r} is not a date") from err


def parse_webhook(body: object) -> Evidence | None:
    """Evidence from a Jellyseerr webhook body; None for events we do not use.

    The body is rendered from a user-editable template in which every value is a
    string (`"tmdbId": "533514"`, `"tvdbId": ""` when unknown); issue notifications
    carry no request and are ignored.
    """
    payload = Fields(body)
    kind = payload.required_text("notification_type")
    if kind == "TEST_NOTIFICATION":
        return Ping(Service.JELLYSEERR)
    status = NOTIFICATION_STATUSES.get(kind)
    if status is None:
        return None
    media = payload.required_obj("media")
    request = payload.required_obj("request")
    media_type_text = media.required_text("media_type")
    if media_type_text not in ("movie", "tv"):
        raise InvalidPayload("body.media.media_type must be movie or tv")
    media_type = MediaType(media_type_text)
    tmdb_id = media.required_number_text("tmdbId")
    title, year = split_subject(payload.text("subject") or "")
    event = payload.text("event") or kind
    return RequestEvidence(
        request_key=str(request.required_number_text("request_id")),
        status=status,
        media_type=media_type,
        title=title or f"TMDB {tmdb_id}",
        detail=event,
        year=year,
        tmdb_id=tmdb_id,
        tvdb_id=media.number_text("tvdbId") or None,
        poster_url=tmdb_poster(payload.text("image")),
        overview=payload.text("message"),
        requested_by=request.text("requestedBy_username"),
        requested_seasons=requested_seasons(payload)
        if media_type is MediaType.TV
        else frozenset(),
        is_4k=event.startswith("4K "),
    )


def split_subject(subject: str) -> tuple[str, int | None]:
    """`"Violet Evergarden: The Movie (2020)"` → the title and 2020."""
    subject = subject.strip()
    match = _SUBJECT_YEAR.match(subject)
    if match is None:
        return subject, None
    return match["title"], int(match["year"])


def tmdb_image_path(poster_url: str) -> str | None:
    """`/t/p/<size>/<file>` of a TMDB poster, at the cards' size (None: not TMDB's)."""
    parts = urlsplit(poster_url)
    match = _TMDB_IMAGE_PATH.match(parts.path)
    if parts.hostname != "image.tmdb.org" or match is None:
        return None
    return f"/t/p/{CARD_POSTER_SIZE}/{match['file']}"


def tmdb_poster(image: str | None) -> str | None:
    """The poster URL, unless Jellyseerr glued a missing poster path onto it."""
    if not image or not image.startswith(("https://", "http://")):
        return None
    if image.endswith(("null", "undefined", "/")):
        return None
    return image


def requested_seasons(payload: Fields) -> frozenset[int]:
    """The `Requested Seasons` extra (`"1, 2, 3"`); empty means every season."""
    for extra in payload.objects("extra"):
        if extra.text("name") == "Requested Seasons":
            value = extra.text("value") or ""
            return frozenset(
                int(part) for part in value.split(",") if part.strip().isdecimal()
            )
    return frozenset()
