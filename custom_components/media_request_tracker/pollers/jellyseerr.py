"""Jellyseerr: its requests, newest first; cheap, and nothing is missed.

This finds requests made while Home Assistant was down, or while another tool owns
Jellyseerr's one webhook. The first poll imports recent history (the backfill); each
later one reads the newest changes, page after page back to the newest change the
poll before applied (by Jellyseerr's own clock, and kept across restarts).
Each poll also lists the open requests (pending or approved, not available yet:
a page the size of what is tracked, not the whole history) and asks after a few
tracked requests: first those that left that list since the last poll (a deletion
looks like that, and no webhook says so: they answer 404), then the longest
unasked, for one may have become available season by season meanwhile. Available
requests are asked after while they show, since deleting one removes it.
"""

from datetime import UTC, datetime, timedelta

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from ..const import LOGGER
from ..data import MediaRequestTrackerConfigEntry
from ..engine.evidence import RequestGone, RequestStatus
from ..engine.models import Service, State
from ..events import Origin
from ..sources.errors import CannotConnect, InvalidPayload, NotFound, WrongService
from ..sources.jellyseerr import (
    JellyseerrClient,
    MediaDetails,
    RemoteRequest,
    request_evidence,
)
from ..tracking import RequestTracking
from .base import ServicePoller

INTERVAL = timedelta(seconds=60)
NEW_REQUESTS_PER_POLL = 20
# Pages of changed requests read at most in one poll, and how far before the newest
# change seen they are read again (changes saved at the same moment, in any order).
CHANGED_PAGES = 10
SAME_MOMENT = timedelta(seconds=5)
BEFORE_ANY_CHANGE = datetime(1970, 1, 1, tzinfo=UTC)
BACKFILL_REQUESTS = 100
# Open requests listed at most (beyond, asking after them one by one covers them).
OPEN_REQUESTS_LISTED = 500
# Tracked requests asked after one by one in each poll.
CHECKED_PER_POLL = 5
NEVER = datetime.min.replace(tzinfo=UTC)


class JellyseerrPoller(ServicePoller):
    """The most recently changed requests, every minute."""

    service = Service.JELLYSEERR

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MediaRequestTrackerConfigEntry,
        tracking: RequestTracking,
        client: JellyseerrClient,
        backfill: timedelta,
    ) -> None:
        """Poll one Jellyseerr; `backfill` limits the very first import."""
        super().__init__(hass, entry, tracking, INTERVAL)
        self.client = client
        self._backfill = backfill
        # When each request asked after was last seen in an answer of Jellyseerr's.
        self._seen: dict[str, datetime] = {}
        # The open requests Jellyseerr listed at the last poll (None: none yet).
        self._open: set[str] | None = None
        self._cap_logged = False

    async def _async_poll(self) -> timedelta:
        tracking = self.tracking
        first = not tracking.backfilled
        since = dt_util.utcnow() - self._backfill
        skipped: list[str] = []
        now = dt_util.utcnow()
        if first:
            answers = await self.client.async_get_requests(BACKFILL_REQUESTS)
        else:
            answers = await self._async_changed_since(tracking.requests_changed_until)
        listed = {remote.request_key for remote in answers}
        left = await self._async_left_open()
        for remote in answers:
            self._seen[remote.request_key] = now
            request = tracking.tracker.requests.get(remote.request_key)
            if request is None and remote.request_key in tracking.tracker.tombstones:
                continue
            if (
                request is None
                and first
                and (
                    remote.updated_at < since
                    or remote.status is RequestStatus.AVAILABLE
                )
            ):
                # Years of old, finished requests must not flood devices and events,
                # now or when a later poll lists them again.
                skipped.append(remote.request_key)
                continue
            # Details once per request: new ones, and those a webhook created.
            described = request is not None and (
                request.details_known or request.is_terminal
            )
            details = None if described else await self._async_details(remote)
            if request is not None or details is not None:
                self._apply(
                    request_evidence(remote, details),
                    Origin.BACKFILL if first else Origin.POLL,
                )
        if first:
            tracking.finish_backfill(skipped)
        await self._async_check_unseen(now, listed, left)
        # Only once applied: what a failed poll listed is read again.
        if answers:
            tracking.note_requests_changed_until(max(r.updated_at for r in answers))
        elif first:  # Jellyseerr has no request yet: whatever comes is a change
            tracking.note_requests_changed_until(BEFORE_ANY_CHANGE)
        return INTERVAL

    async def _async_changed_since(self, until: datetime | None) -> list[RemoteRequest]:
        """The newest page of requests, and the rest of those changed after `until`.

        More than a page can change between two polls (a collection requested at
        once, or while Home Assistant was down, with no webhook to tell): while a
        page holds only changes after `until`, the next is read too, up to
        `CHANGED_PAGES`. Beyond the first page only changes are kept: older requests
        there may never have been listed, and must not flood in as new ones. A page
        shifted by a change meanwhile may list a request twice: the newest counts.
        """
        answers = await self.client.async_get_requests(NEW_REQUESTS_PER_POLL)
        changed = {remote.request_key: remote for remote in answers}
        if until is None:
            return answers
        oldest_wanted = until - SAME_MOMENT
        for page in range(1, CHANGED_PAGES + 1):
            if (
                len(answers) < NEW_REQUESTS_PER_POLL
                or answers[-1].updated_at < oldest_wanted
            ):
                break
            if page == CHANGED_PAGES:
                self._log_cap(until)
                break
            answers = await self.client.async_get_requests(
                NEW_REQUESTS_PER_POLL, skip=page * NEW_REQUESTS_PER_POLL
            )
            for remote in answers:
                if remote.updated_at >= oldest_wanted:
                    changed.setdefault(remote.request_key, remote)
        return list(changed.values())

    def _log_cap(self, until: datetime) -> None:
        """Once: the rest are found as they change again, or by their webhook."""
        log = LOGGER.debug if self._cap_logged else LOGGER.warning
        self._cap_logged = True
        log(
            "More than %s requests changed in Jellyseerr since %s; the older ones "
            "are tracked when they change again",
            CHANGED_PAGES * NEW_REQUESTS_PER_POLL,
            until.isoformat(),
        )

    async def _async_left_open(self) -> set[str]:
        """Requests no longer open since the last poll: deleted, or moved on.

        After a start, since the tracked requests were active: those deleted while
        Home Assistant was down are found at its first poll.
        """
        tracked = self.tracking.tracker.requests
        take = min(OPEN_REQUESTS_LISTED, len(tracked) + NEW_REQUESTS_PER_POLL)
        listed = await self.client.async_get_requests(take, open_only=True)
        still_open = {remote.request_key for remote in listed}
        before = self._open
        if before is None:
            before = {key for key, r in tracked.items() if not r.is_terminal}
        self._open = still_open
        return (before - still_open) & tracked.keys()

    async def _async_check_unseen(
        self, now: datetime, listed: set[str], left: set[str]
    ) -> None:
        """Ask after requests that left the open ones, then those unseen for longest."""
        shown_since = now - self.tracking.options.retention
        followed = [
            key
            for key, request in self.tracking.tracker.requests.items()
            if not request.is_terminal
            or (
                request.state is State.AVAILABLE
                and (request.updated_at or request.created_at) >= shown_since
            )
        ]
        self._seen = {key: self._seen.get(key, NEVER) for key in followed}
        unseen = sorted(
            (key for key in followed if key not in listed),
            key=lambda key: (key not in left, self._seen[key]),
        )
        for key in unseen[:CHECKED_PER_POLL]:
            self._seen[key] = now
            remote = await self.client.async_get_request(key)
            if remote is None:
                self._apply(RequestGone(key))
            else:
                self._apply(request_evidence(remote, None))

    async def _async_details(self, remote: RemoteRequest) -> MediaDetails | None:
        """Title, year and poster of the request's title, as Jellyseerr shows them."""
        try:
            return await self.client.async_get_details(
                remote.media_type, remote.tmdb_id
            )
        except (CannotConnect, WrongService, NotFound, InvalidPayload) as err:
            # Jellyseerr answers 500 when TMDB fails it; the next poll tries again.
            LOGGER.debug("No details for request %s yet: %s", remote.request_key, err)
            return None
