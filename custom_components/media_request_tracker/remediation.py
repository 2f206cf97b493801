"""Remediation: the ladder's steps taken for stuck requests, said and recorded.

Opt-in (the `remediation` option): `off` does nothing, `dry_run` decides and reports
every step without sending anything, `on` takes them. Every minute, after the stall
check, each request's next step comes from the engine's ladder; the step is checked
(`remedies.prepare`), the protected tag looked up in Radarr/Sonarr, then taken. Each
decision lands in the request's attempts and timeline and fires
`media_request_tracker_remediation`; a step that failed is reported and waits its
turn like any other, never retried in a loop.
"""

import asyncio
from contextlib import suppress
from datetime import datetime

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .data import MediaRequestTrackerConfigEntry, MediaRequestTrackerData
from .engine.codes import BY_HAND
from .engine.models import Attempt, Remedy, Request, State
from .engine.remediation import (
    Ladder,
    Mode,
    attempts_today,
    next_remedy,
    uses_budget,
)
from .entity import device_name
from .pollers import RadarrPoller, SonarrPoller
from .remedies import prepare
from .repairs import BlockedImport, async_show_blocked_imports
from .sources.errors import UNUSABLE_ANSWER


class Remediation:
    """Takes (or reports) the ladder's steps for one entry's requests."""

    def __init__(
        self, hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
    ) -> None:
        """Follow the entry's options; one round of steps at a time."""
        self._hass = hass
        self._entry = entry
        options = entry.runtime_data.tracking.options
        self._mode = options.remediation
        self._protected_tag = options.protected_tag.casefold()
        self._ladder = Ladder.for_stalls(options.stall_thresholds[State.DOWNLOADING])
        self._round: asyncio.Task[None] | None = None

    @property
    def _data(self) -> MediaRequestTrackerData:
        return self._entry.runtime_data

    @callback
    def async_check(self, now: datetime) -> None:
        """Start a round for the requests a step is due for (none while one runs).

        Imports that wait for a person get an issue saying where to fix them.
        """
        async_show_blocked_imports(self._hass, self._entry, self._blocked_imports())
        # Tasks start eagerly: a round may be over before it is even assigned.
        if self._mode is Mode.OFF or (self._round and not self._round.done()):
            return
        due = [
            request.key
            for request in self._data.tracker.requests.values()
            if self._due(request, now) is not None
        ]
        if due:
            self._round = self._entry.async_create_background_task(
                self._hass, self._async_round(due), f"{DOMAIN} remediation"
            )

    async def async_stop(self) -> None:
        """Cancel a round under way (the entry unloads), and wait for it to end."""
        if (running := self._round) is None or running.done():
            return
        running.cancel()
        with suppress(asyncio.CancelledError):
            await running

    def _blocked_imports(self) -> dict[str, BlockedImport]:
        """The requests whose import needs a person (none while remediation is off)."""
        if self._mode is Mode.OFF:
            return {}
        data = self._data
        blocked: dict[str, BlockedImport] = {}
        for request in data.tracker.requests.values():
            problem = request.current_problem
            if request.is_terminal or problem is None or problem.code not in BY_HAND:
                continue
            arr = data.arr_for(request)
            if arr is None:
                continue
            blocked[request.key] = BlockedImport(
                title=device_name(request),
                service=request.arr,
                name=arr.label,
                message=problem.words,
                url=f"{arr.client.url}/activity/queue",
            )
        return blocked

    def _due(self, request: Request, now: datetime) -> Remedy | None:
        return next_remedy(
            request, now, self._ladder, dry_run=self._mode is Mode.DRY_RUN
        )

    async def _async_round(self, keys: list[str]) -> None:
        """One step per request; each is looked at again just before its turn."""
        for key in keys:
            request = self._data.tracker.requests.get(key)
            now = dt_util.utcnow()
            if request is None or (remedy := self._due(request, now)) is None:
                continue
            try:
                await self._async_take(request, remedy, now)
            except Exception:  # noqa: BLE001 - one request's bug must not stop the rest
                LOGGER.exception(
                    "Remediation failed on %s; the others go on", request.title
                )

    async def _async_take(
        self, request: Request, remedy: Remedy, now: datetime
    ) -> None:
        dry_run = self._mode is Mode.DRY_RUN
        result = await self._async_result(request, remedy, dry_run=dry_run)
        used = attempts_today(request, now, dry_run=dry_run)
        attempt = Attempt(
            remedy,
            now,
            dry_run,
            result,
            number=used + 1 if uses_budget(result) else used,
            of=self._ladder.budget,
        )
        self._data.tracking.record_attempt(request.key, attempt)

    async def _async_result(
        self, request: Request, remedy: Remedy, *, dry_run: bool
    ) -> str:
        """`done`, `dry_run`, `protected`, `not_applicable` or `failed`.

        A dry run looks the protected tag up too (a read): it reports what `on`
        would do.
        """
        try:
            action = prepare(self._data, request, remedy)
            if await self._async_protected(request):
                return "protected"
            if dry_run:
                return "dry_run"
            await action()
        except ServiceValidationError:
            return "not_applicable"
        except (HomeAssistantError, *UNUSABLE_ANSWER) as err:
            LOGGER.warning(
                "Remediation could not %s for %s: %s", remedy.value, request.title, err
            )
            return "failed"
        return "done"

    async def _async_protected(self, request: Request) -> bool:
        """Whether the request's movie or series carries the protected tag.

        The item is read each time (a tag added a minute ago counts); the tag
        labels come from the poller, read again when the item names a new tag.
        """
        if not self._protected_tag:
            return False
        poller = self._data.arr_for(request)
        tag_ids: frozenset[int] = frozenset()
        match poller:
            case None:
                return False
            case RadarrPoller() if request.tmdb_id is not None:
                movie = await poller.client.async_get_movie(request.tmdb_id)
                tag_ids = frozenset() if movie is None else movie.tag_ids
            case SonarrPoller() if request.tvdb_id is not None:
                series = await poller.client.async_get_series(request.tvdb_id)
                tag_ids = frozenset() if series is None else series.tag_ids
        if not tag_ids:
            return False
        labels = await poller.async_tag_labels(tag_ids)
        return any(
            labels.get(tag, "").casefold() == self._protected_tag for tag in tag_ids
        )
