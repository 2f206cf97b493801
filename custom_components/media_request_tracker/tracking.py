"""The tracker inside Home Assistant: apply evidence, save, update entities, fire events.

Entities never hold their own copy of the truth: they read the tracker when the hub
signals that their request changed. Signals are per request, so a webhook about one
request touches only that request's entities, however many are tracked.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import (
    CONF_JELLYFIN,
    CONF_RADARR,
    CONF_SONARR,
    CONF_WEBHOOK_IDS,
    DEFAULT_BACKFILL_DAYS,
    DEFAULT_HISTORY_DAYS,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_STALL_HOURS,
    DOMAIN,
    EVENT_EPISODE_STATE_CHANGED,
    EVENT_PROBLEM_CHANGED,
    EVENT_STATE_CHANGED,
    LOGGER,
    OPTION_BACKFILL_DAYS,
    OPTION_EPISODE_ENTITIES,
    OPTION_HISTORY_DAYS,
    OPTION_REQUESTERS,
    OPTION_RETENTION_DAYS,
    OPTION_STALL_HOURS,
    PROGRESS_INTERVAL,
    SERVICE_NAMES,
    SILENT_SOURCE_REPAIR_AFTER,
)
from .engine.evidence import Evidence
from .engine.models import Episode, Request, State
from .engine.tracker import Outcome, Tracker
from .engine.views import request_progress
from .storage import EntryNotes, TrackerStorage


class Origin(StrEnum):
    """How evidence reached us (the `source` of state-change events)."""

    WEBHOOK = "webhook"
    POLL = "poll"
    BACKFILL = "backfill"


def request_unique_id(entry_id: str, request_key: str) -> str:
    """Unique id of a request status sensor, and identifier of its device."""
    return f"{entry_id}_request_{request_key}"


def device_request(identifiers: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """(entry id, request key) of a request's device; None for any other device."""
    marker = request_unique_id("", "")
    for domain, identifier in identifiers:
        entry_id, separator, key = identifier.partition(marker)
        if domain == DOMAIN and separator:
            return entry_id, key
    return None


def episode_unique_id(entry_id: str, request_key: str, episode: Episode) -> str:
    """Unique id of an episode status sensor (`…_s1e3`, numbers unpadded)."""
    return f"{entry_id}_episode_{request_key}_s{episode.season}e{episode.number}"


@dataclass(frozen=True, slots=True)
class TrackerOptions:
    """The options of DESIGN §4 that the hub applies."""

    retention: timedelta
    history: timedelta
    episode_entities: bool
    requesters: tuple[str, ...]
    backfill: timedelta
    stall_thresholds: dict[State, timedelta]

    @classmethod
    def from_entry(cls, entry: ConfigEntry) -> TrackerOptions:
        """Read the options, with their documented defaults."""
        options = entry.options
        return cls(
            retention=timedelta(
                days=options.get(OPTION_RETENTION_DAYS, DEFAULT_RETENTION_DAYS)
            ),
            history=timedelta(
                days=options.get(OPTION_HISTORY_DAYS, DEFAULT_HISTORY_DAYS)
            ),
            episode_entities=options.get(OPTION_EPISODE_ENTITIES, True),
            requesters=tuple(options.get(OPTION_REQUESTERS, ())),
            backfill=timedelta(
                days=options.get(OPTION_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS)
            ),
            stall_thresholds={
                State(state): timedelta(hours=hours)
                for state, hours in {
                    **DEFAULT_STALL_HOURS,
                    **options.get(OPTION_STALL_HOURS, {}),
                }.items()
            },
        )


type MediaRequestTrackerConfigEntry = ConfigEntry[TrackerHub]
type EntityFactory = Callable[[list[Request], list[tuple[Request, Episode]]], None]


class TrackerHub:
    """One config entry's tracker, wired into Home Assistant."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        tracker: Tracker,
        storage: TrackerStorage,
        options: TrackerOptions,
    ) -> None:
        """Wire the tracker to storage, entities and the event bus."""
        self.hass = hass
        self.entry = entry
        self.entry_id = entry.entry_id
        self.tracker = tracker
        self.options = options
        self.notes = EntryNotes()
        # The pollers of the configured services (coordinator.py), by service.
        self.pollers: Mapping[str, DataUpdateCoordinator[None]] = {}
        self._storage = storage
        # Live progress last written to each request's entities, and when.
        self._published: dict[str, tuple[int | None, datetime]] = {}
        self._entity_registry = er.async_get(hass)
        self._entity_factory: EntityFactory | None = None
        self._shown: set[str] = set()
        # Events of a request wait here until its new entities are registered, so
        # that every event carries the entity and device ids automations use.
        self._awaiting: dict[str, set[str]] = {}
        self._queued: dict[str, list[_Event]] = {}

    @property
    def summary_signal(self) -> str:
        """Dispatcher signal sent after any change (for the summary sensors)."""
        return f"{DOMAIN}_{self.entry_id}_summary"

    def request_signal(self, request_key: str) -> str:
        """Dispatcher signal sent when one request changes."""
        return f"{DOMAIN}_{self.entry_id}_request_{request_key}"

    async def async_load(self) -> None:
        """Restore the stored requests."""
        await self._storage.async_load_into(self.tracker, self.notes)

    async def async_flush(self) -> None:
        """Write pending changes now (the entry is unloading)."""
        await self._storage.async_save_now(self.tracker, self.notes)

    @callback
    def apply(self, evidence: Evidence, origin: Origin) -> Outcome:
        """Apply evidence, then save, refresh entities and fire events."""
        outcome = self.tracker.apply(evidence, dt_util.utcnow())
        if outcome.touched:
            self._publish(outcome, origin)
        if outcome.progressed:
            self._publish_progress(outcome.progressed.values(), outcome.now)
        return outcome

    @callback
    def check_stalls(self, now: datetime | None = None) -> None:
        """Flag requests stuck past their thresholds (runs every minute)."""
        outcome = self.tracker.check_stalls(
            now or dt_util.utcnow(), self.options.stall_thresholds
        )
        if outcome.touched:
            self._publish(outcome, Origin.POLL)

    @callback
    def finish_backfill(self, skipped: Iterable[str]) -> None:
        """Jellyseerr's history is imported; what it left out is never tracked."""
        self.tracker.tombstones.update(skipped)
        self.notes.backfilled = True
        self._save()

    @property
    def backfilled(self) -> bool:
        """Whether Jellyseerr's history was imported already."""
        return self.notes.backfilled

    @callback
    def record_source(self, source: str) -> None:
        """A service proved it can reach us (any valid webhook, tests included).

        Only a first sighting is worth a save of its own; later times ride along.
        """
        first = source not in self.notes.sources_seen
        self.notes.sources_seen[source] = dt_util.utcnow()
        if first:
            self._save()

    @callback
    def forget(self, request_key: str) -> None:
        """Stop tracking a request; it leaves a tombstone so nothing brings it back."""
        self.tracker.forget(request_key)
        self._shown.discard(request_key)
        self._published.pop(request_key, None)
        self._save()
        async_dispatcher_send(self.hass, self.summary_signal)

    @callback
    def async_set_entity_factory(self, factory: EntityFactory) -> CALLBACK_TYPE:
        """Let the sensor platform create entities for requests, now and later."""
        self._entity_factory = factory
        now = dt_util.utcnow()
        shown = [r for r in self.tracker.requests.values() if self._should_show(r, now)]
        self._create_entities(
            shown, [(r, ep) for r in shown for ep in r.episodes.values()]
        )

        @callback
        def remove_factory() -> None:
            self._entity_factory = None
            self._shown.clear()

        return remove_factory

    @callback
    def entity_added(self, request_key: str, unique_id: str) -> None:
        """A request's entity is registered: release its events once all are."""
        waiting = self._awaiting.get(request_key)
        if waiting is None:
            return
        waiting.discard(unique_id)
        if not waiting:
            del self._awaiting[request_key]
            for event in self._queued.pop(request_key, []):
                self._fire(event)

    @callback
    def async_housekeeping(self, _now: datetime | None = None) -> None:
        """Remove expired requests' devices, then expired history from storage."""
        now = dt_util.utcnow()
        pruned = self.tracker.prune(now - self.options.history)
        for stale in pruned:
            self._published.pop(stale.key, None)
        if pruned:
            LOGGER.debug(
                "Removed %s requests older than the history period", len(pruned)
            )
            self._save()
        self._shown.intersection_update(
            key
            for key in self._shown
            if (request := self.tracker.requests.get(key)) is not None
            and self._should_show(request, now)
        )
        self._remove_stale_devices()
        self._check_silent_sources(now)

    @callback
    def _check_silent_sources(self, now: datetime) -> None:
        """A repair for a configured service that never sent a webhook, not even Test.

        Jellyseerr is left out: its webhook slot has repairs of its own (wiring.py).
        """
        for source in (CONF_RADARR, CONF_SONARR, CONF_JELLYFIN):
            issue_id = f"webhook_never_received_{source}_{self.entry_id}"
            silent = (
                source in self.entry.data
                and source not in self.notes.sources_seen
                and now - self.entry.created_at >= SILENT_SOURCE_REPAIR_AFTER
            )
            if not silent:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)
                continue
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="webhook_never_received",
                translation_placeholders={
                    "service": SERVICE_NAMES[source],
                    "entry": self.entry.title,
                    "path": webhook.async_generate_path(
                        self.entry.data[CONF_WEBHOOK_IDS][source]
                    ),
                },
            )

    def _should_show(self, request: Request, now: datetime) -> bool:
        """Active requests have entities; terminal ones for the retention period."""
        if not request.is_terminal:
            return True
        changed = request.updated_at or request.created_at
        return now - changed < self.options.retention

    @callback
    def _remove_stale_devices(self) -> None:
        """Devices of requests that no longer show (expired, forgotten) are removed."""
        device_registry = dr.async_get(self.hass)
        wanted = {request_unique_id(self.entry_id, key) for key in self._shown}
        wanted.add(self.entry_id)
        for device in dr.async_entries_for_config_entry(device_registry, self.entry_id):
            if not any(
                domain == DOMAIN and identifier in wanted
                for domain, identifier in device.identifiers
            ):
                device_registry.async_remove_device(device.id)

    @callback
    def _publish(self, outcome: Outcome, origin: Origin) -> None:
        self._save()
        now = dt_util.utcnow()
        newly_shown = [
            request
            for request in outcome.touched.values()
            if request.key not in self._shown and self._should_show(request, now)
        ]
        new_episodes = [
            (request, episode)
            for request, episode in outcome.new_episodes
            if request.key in self._shown
        ]
        new_episodes += [(r, ep) for r in newly_shown for ep in r.episodes.values()]
        self._create_entities(newly_shown, new_episodes)
        for key in outcome.touched:
            async_dispatcher_send(self.hass, self.request_signal(key))
        async_dispatcher_send(self.hass, self.summary_signal)
        self._fire_changes(outcome, origin)

    @callback
    def _create_entities(
        self, requests: list[Request], episodes: Iterable[tuple[Request, Episode]]
    ) -> None:
        if self._entity_factory is None:
            return
        episodes = list(episodes) if self.options.episode_entities else []
        if not requests and not episodes:
            return
        for request in requests:
            self._shown.add(request.key)
            self._expect(request.key, request_unique_id(self.entry_id, request.key))
        for request, episode in episodes:
            self._expect(
                request.key, episode_unique_id(self.entry_id, request.key, episode)
            )
        self._entity_factory(requests, episodes)

    def _expect(self, request_key: str, unique_id: str) -> None:
        self._awaiting.setdefault(request_key, set()).add(unique_id)

    @callback
    def _save(self) -> None:
        self._storage.schedule_save(self.tracker, self.notes)

    @callback
    def _publish_progress(self, requests: Iterable[Request], now: datetime) -> None:
        """Let live numbers reach entities at most every 30 s, or on a 1-point change.

        The recorder and the event bus stay quiet during downloads (DESIGN §2.6).
        """
        for request in requests:
            progress = request_progress(request)
            published = self._published.get(request.key)
            if published is not None:
                last_progress, last_time = published
                moved = (
                    progress is not None
                    and last_progress is not None
                    and abs(progress - last_progress) >= 1
                )
                if not moved and now - last_time < PROGRESS_INTERVAL:
                    continue
            self._published[request.key] = (progress, now)
            async_dispatcher_send(self.hass, self.request_signal(request.key))

    # Events

    @callback
    def _fire_changes(self, outcome: Outcome, origin: Origin) -> None:
        for change in outcome.state_changes:
            self._emit(
                EVENT_STATE_CHANGED,
                change.request,
                origin,
                from_state=change.from_state,
                to_state=change.to_state,
            )
        for episode_change in outcome.episode_changes:
            episode = episode_change.episode
            self._emit(
                EVENT_EPISODE_STATE_CHANGED,
                episode_change.request,
                origin,
                entity_of=episode,
                season=episode.season,
                episode=episode.number,
                episode_title=episode.title,
                from_state=episode_change.from_state,
                to_state=episode_change.to_state,
                problem=episode.current_problem,
            )
        for problem_change in outcome.problem_changes:
            about = problem_change.episode
            where: dict[str, Any] = (
                {}
                if about is None
                else {"season": about.season, "episode": about.number}
            )
            self._emit(
                EVENT_PROBLEM_CHANGED,
                problem_change.request,
                origin,
                stalled=problem_change.stalled,
                problem=problem_change.problem,
                **where,
            )

    @callback
    def _emit(
        self,
        event_type: str,
        request: Request,
        origin: Origin,
        *,
        entity_of: Episode | None = None,
        **fields: Any,
    ) -> None:
        """Fire now, or once the request's new entities are registered."""
        data: dict[str, Any] = {
            "request_key": request.key,
            "title": request.title,
            "media_type": request.media_type.value,
            "problem": request.problem_text,
            "requested_by": request.requested_by,
            "poster_url": request.poster_url,
            "source": origin.value,
            **fields,
        }
        event = _Event(event_type, request.key, entity_of, data)
        if request.key in self._awaiting:
            self._queued.setdefault(request.key, []).append(event)
        else:
            self._fire(event)

    @callback
    def _fire(self, event: _Event) -> None:
        """Add the registry ids (known only once entities exist) and fire."""
        request_entity = self._entity_id(
            request_unique_id(self.entry_id, event.request_key)
        )
        device_id = None
        if request_entity is not None and (
            registry_entry := self._entity_registry.async_get(request_entity)
        ):
            device_id = registry_entry.device_id
        entity_id = request_entity
        if event.entity_of is not None:
            entity_id = self._entity_id(
                episode_unique_id(self.entry_id, event.request_key, event.entity_of)
            )
        self.hass.bus.async_fire(
            event.event_type,
            {"entity_id": entity_id, "device_id": device_id, **event.data},
        )

    def _entity_id(self, unique_id: str) -> str | None:
        return self._entity_registry.async_get_entity_id("sensor", DOMAIN, unique_id)


@dataclass(frozen=True, slots=True)
class _Event:
    """An event waiting for its request's entities."""

    event_type: str
    request_key: str
    entity_of: Episode | None
    data: dict[str, Any]
