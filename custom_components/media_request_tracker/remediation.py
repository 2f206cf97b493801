"""Remediation: the ladder's steps taken for stuck requests, said and recorded.

Opt-in (the `remediation` option): `off` does nothing, `dry_run` decides and reports
every step without sending anything, `on` takes them. Every minute, after the stall
check, each request's next step comes from the engine's ladder; the step is checked
(`remedies.prepare`), the protected tag looked up in Radarr/Sonarr, then taken. Each
decision lands in the request's attempts and timeline and fires
`media_request_tracker_remediation`; a step that failed is reported and waits its
turn like any other, never retried in a loop.
"""

from datetime import datetime

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN, LOGGER
from .data import MediaRequestTrackerConfigEntry, MediaRequestTrackerData
from .engine.models import Attempt, MediaType, Remedy, Request
from .engine.remediation import Ladder, Mode, attempts_today, next_remedy
from .remedies import prepare
from .sources.arr import ArrClient
from .sources.errors import UNUSABLE_ANSWER


class Remediation:
    """Takes (or reports) the ladder's steps for one entry's requests."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MediaRequestTrackerConfigEntry,
        ladder: Ladder | None = None,
    ) -> None:
        """Follow the entry's options; one round of steps at a time."""
        self._hass = hass
        self._entry = entry
        options = entry.runtime_data.tracking.options
        self._mode = options.remediation
        self._protected_tag = options.protected_tag.casefold()
        self._ladder = ladder or Ladder()
        self._busy = False

    @property
    def _data(self) -> MediaRequestTrackerData:
        return self._entry.runtime_data

    @callback
    def async_check(self, now: datetime) -> None:
        """Start a round for the requests a step is due for (none while one runs)."""
        if self._mode is Mode.OFF or self._busy:
            return
        due = [
            (request, remedy)
            for request in self._data.tracker.requests.values()
            if (remedy := next_remedy(request, now, self._ladder)) is not None
        ]
        if not due:
            return
        self._busy = True
        self._entry.async_create_background_task(
            self._hass, self._async_round(due, now), f"{DOMAIN} remediation"
        )

    async def _async_round(
        self, due: list[tuple[Request, Remedy]], now: datetime
    ) -> None:
        try:
            for request, remedy in due:
                await self._async_take(request, remedy, now)
        finally:
            self._busy = False

    async def _async_take(
        self, request: Request, remedy: Remedy, now: datetime
    ) -> None:
        dry_run = self._mode is Mode.DRY_RUN
        result = await self._async_result(request, remedy, dry_run=dry_run)
        attempt = Attempt(
            remedy,
            now,
            dry_run,
            result,
            number=attempts_today(request, now) + 1,
            of=self._ladder.budget,
        )
        self._data.tracking.record_attempt(request.key, attempt)

    async def _async_result(
        self, request: Request, remedy: Remedy, *, dry_run: bool
    ) -> str:
        """`done`, `dry_run`, `protected`, `not_applicable` or `failed`."""
        try:
            action = prepare(self._data, request, remedy)
        except ServiceValidationError:
            return "not_applicable"
        if dry_run:
            return "dry_run"
        try:
            if await self._async_protected(request):
                return "protected"
            await action()
        except (HomeAssistantError, *UNUSABLE_ANSWER) as err:
            LOGGER.warning(
                "Remediation could not %s for %s: %s", remedy.value, request.title, err
            )
            return "failed"
        return "done"

    async def _async_protected(self, request: Request) -> bool:
        """Whether the request's movie or series carries the protected tag.

        Radarr/Sonarr are asked each time: a tag added a minute ago counts.
        """
        data = self._data
        client: ArrClient
        if request.media_type is MediaType.MOVIE:
            if data.radarr is None or request.tmdb_id is None:
                return False
            client = data.radarr.client
            movie = await data.radarr.client.async_get_movie(request.tmdb_id)
            tag_ids = frozenset() if movie is None else movie.tag_ids
        else:
            if data.sonarr is None or request.tvdb_id is None:
                return False
            client = data.sonarr.client
            series = await data.sonarr.client.async_get_series(request.tvdb_id)
            tag_ids = frozenset() if series is None else series.tag_ids
        if not tag_ids:
            return False
        labels = await client.async_get_tags()
        return any(
            labels.get(tag, "").casefold() == self._protected_tag for tag in tag_ids
        )
