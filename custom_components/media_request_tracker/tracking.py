"""The tracker inside Home Assistant: evidence in, changes saved and announced.

Every webhook, poll and live event ends here: the tracker applies the evidence, the
store saves what changed (debounced), the publisher refreshes the entities and the
events go out, and the pollers that watch the states requests entered are woken, so
that a missed webhook costs one active poll interval at most (DESIGN §5).
Housekeeping prunes what outlived the history period.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.core import callback
from homeassistant.util import dt as dt_util

from .const import LOGGER
from .data import TrackerOptions
from .engine.changes import Outcome
from .engine.evidence import Evidence
from .engine.models import Attempt, Service, State
from .engine.tracker import Tracker
from .events import Origin, RequestEvents
from .publish import EntityPublisher
from .storage import Loaded, TrackerStorage


@dataclass(frozen=True, slots=True)
class _Watcher:
    """A poller that wants to run as soon as a request enters one of `states`."""

    service: Service
    states: frozenset[State]
    wake: Callable[[], None]


class RequestTracking:
    """One config entry's tracker, its storage, entities and events."""

    def __init__(
        self,
        tracker: Tracker,
        storage: TrackerStorage,
        options: TrackerOptions,
        publisher: EntityPublisher,
        events: RequestEvents,
    ) -> None:
        """Wire the tracker to storage, entities and the event bus."""
        self.tracker = tracker
        self.options = options
        self.publisher = publisher
        self.notes = storage.notes
        self.storage = storage
        self.events = events
        self._watchers: list[_Watcher] = []

    async def async_load(self) -> Loaded:
        """Restore the stored requests.

        After a migration their stalls are worked out again quietly: they were
        flagged (and announced) before.
        """
        loaded = await self.storage.async_load()
        if loaded is Loaded.MIGRATED:
            self.tracker.check_stalls(dt_util.utcnow(), self.options.stall_thresholds)
        return loaded

    async def async_flush(self) -> None:
        """Write pending changes now (the entry is unloading)."""
        await self.storage.async_save_now()

    @callback
    def watch(
        self, service: Service, states: Iterable[State], wake: Callable[[], None]
    ) -> None:
        """Call `wake` when a request or an episode enters one of these states."""
        self._watchers.append(_Watcher(service, frozenset(states), wake))

    @callback
    def apply(
        self, evidence: Evidence, origin: Origin, polled_by: Service | None = None
    ) -> Outcome:
        """Apply evidence, then save, refresh entities, fire events, wake pollers.

        The poller whose answer this is (`polled_by`) is not woken by it.
        """
        outcome = self.tracker.apply(evidence, dt_util.utcnow())
        self._announce(outcome, origin)
        if outcome.progressed:
            self.publisher.publish_progress(outcome.progressed.values(), outcome.now)
        entered = {change.to_state for change in outcome.state_changes} | {
            change.to_state for change in outcome.episode_changes
        }
        for watcher in self._watchers:
            if watcher.service is not polled_by and not entered.isdisjoint(
                watcher.states
            ):
                watcher.wake()
        return outcome

    @callback
    def check_stalls(self, now: datetime | None = None) -> None:
        """Flag requests stuck past their thresholds (runs every minute)."""
        outcome = self.tracker.check_stalls(
            now or dt_util.utcnow(), self.options.stall_thresholds
        )
        self._announce(outcome, Origin.POLL)

    @property
    def backfilled(self) -> bool:
        """Whether Jellyseerr's history was imported already."""
        return self.notes.backfilled

    @property
    def requests_changed_until(self) -> datetime | None:
        """The newest change Jellyseerr listed (its clock); None before the first."""
        return self.notes.requests_changed_until

    @callback
    def note_requests_changed_until(self, moment: datetime) -> None:
        """Jellyseerr's changes up to `moment` are applied (kept across restarts)."""
        if moment != self.notes.requests_changed_until:
            self.notes.requests_changed_until = moment
            self._save()

    @callback
    def finish_backfill(self, skipped: Iterable[str]) -> None:
        """Jellyseerr's history is imported; what it left out is never tracked."""
        self.tracker.tombstones.update(skipped)
        self.notes.backfilled = True
        self._save()

    @callback
    def record_source(self, source: str) -> None:
        """A service proved it can reach us (any valid webhook, tests included).

        `source` is the service, or a Radarr/Sonarr subentry's id.

        Only a first sighting is worth a save of its own; later times ride along.
        """
        first = source not in self.notes.sources_seen
        self.notes.sources_seen[source] = dt_util.utcnow()
        if first:
            self._save()

    @callback
    def forget(self, request_keys: Iterable[str]) -> None:
        """Stop tracking requests; they leave tombstones so nothing brings them back."""
        keys = list(request_keys)
        for key in keys:
            self.tracker.forget(key)
        self.publisher.withdraw(keys)
        self._save()

    @callback
    def record_attempt(self, request_key: str, attempt: Attempt) -> None:
        """A remediation step: saved, shown, and announced (unless the request left).

        A step taken by hand is not announced: the person knows.
        """
        if request_key not in self.tracker.requests:
            return
        request = self.tracker.record_attempt(request_key, attempt)
        self.publisher.refresh([request_key])
        self._save()
        if not attempt.by_hand:
            self.events.fire_remediation(request, attempt)

    @callback
    def replaced(self, request_key: str, download_ids: Iterable[str]) -> None:
        """Downloads a replace dropped; the request waits for another release.

        A stall they caused ends with them (announced as such).
        """
        self.tracker.replaced(request_key, download_ids, dt_util.utcnow())
        self.publisher.refresh([request_key])
        self._save()
        self.check_stalls()

    @callback
    def follow(
        self, request_keys: Iterable[str], person: str, *, follows: bool = True
    ) -> None:
        """The person follows the requests, or stops to; their entities show it."""
        change = self.tracker.follow if follows else self.tracker.unfollow
        changed = [key for key in request_keys if change(key, person)]
        if changed:
            self.publisher.refresh(changed)
            self._save()

    @callback
    def async_housekeeping(self, _now: datetime | None = None) -> None:
        """Prune history past its period, then remove expired requests' devices."""
        now = dt_util.utcnow()
        pruned = self.tracker.prune(now - self.options.history)
        if pruned:
            LOGGER.debug(
                "Removed %s requests older than the history period", len(pruned)
            )
            self.publisher.withdraw(request.key for request in pruned)
            self._save()
        self.publisher.remove_expired(now)

    @callback
    def _announce(self, outcome: Outcome, origin: Origin) -> None:
        if not outcome.touched:
            return
        self._save()
        self.publisher.publish(outcome)
        self.events.fire(outcome, origin)

    @callback
    def _save(self) -> None:
        self.storage.schedule_save()
