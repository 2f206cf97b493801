"""Jellyseerr: REST client and webhook payload parsing (reference §4)."""

from dataclasses import dataclass
import re
from typing import Any

import aiohttp

from ..engine.evidence import Evidence, Ping, RequestEvidence, RequestStatus
from ..engine.models import MediaType, Service
from .errors import InvalidPayload, WrongService
from .fields import Fields
from .http import JsonApi

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
