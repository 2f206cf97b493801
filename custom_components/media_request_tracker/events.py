"""Events for automations (DESIGN §4): one per state change and problem change.

Every event carries the entity and device ids automations use, which exist only once
a new request's entities are registered: until then its events wait, in order.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later
from homeassistant.util.dt import utcnow

from .const import (
    DOMAIN,
    EVENT_EPISODE_STATE_CHANGED,
    EVENT_EPISODES_READY,
    EVENT_PROBLEM_CHANGED,
    EVENT_REMEDIATION,
    EVENT_STATE_CHANGED,
)
from .engine.changes import Outcome
from .engine.codes import Problem
from .engine.eta import episode_watchable_at, request_watchable_at
from .engine.models import Attempt, Episode, Request, State
from .engine.people import audience, requester_person
from .engine.tracker import Tracker
from .engine.views import code_of, iso
from .entity import episode_unique_id, request_unique_id
from .publish import EntityPublisher
from .texts import Texts


def fired_signal(entry_id: str) -> str:
    """Dispatcher signal sent with each event fired, its type and data (event.py)."""
    return f"{DOMAIN}_{entry_id}_fired"


class Origin(StrEnum):
    """How evidence reached us (the `source` of state-change events)."""

    WEBHOOK = "webhook"
    POLL = "poll"
    BACKFILL = "backfill"
    # A step remediation took (`media_request_tracker_remediation`).
    REMEDIATION = "remediation"


@dataclass(frozen=True, slots=True)
class _Event:
    """An event, waiting for its request's entities if need be."""

    event_type: str
    request_key: str
    entity_of: Episode | None
    data: dict[str, Any]


class RequestEvents:
    """Fires one entry's events, each once its request's entities exist."""

    def __init__(
        self,
        hass: HomeAssistant,
        tracker: Tracker,
        publisher: EntityPublisher,
        texts: Texts,
        episode_settle: timedelta,
    ) -> None:
        """Fire on the bus; hold events back while the publisher awaits entities.

        New episodes of a show are also summed up once none became available for
        `episode_settle`.
        """
        self._hass = hass
        self._tracker = tracker
        self._entry_id = publisher.entry_id
        self._publisher = publisher
        self._texts = texts
        self._entity_registry = er.async_get(hass)
        self._queued: dict[str, list[_Event]] = {}
        self._episode_settle = episode_settle
        # Episodes become available since the last summary, and its timer, by request.
        self._ready: dict[str, list[Episode]] = {}
        self._ready_timers: dict[str, CALLBACK_TYPE] = {}
        publisher.notify_when_ready(self._release)

    @callback
    def fire(self, outcome: Outcome, origin: Origin) -> None:
        """An event for every state and problem change of the outcome."""
        for change in outcome.state_changes:
            self._emit(
                EVENT_STATE_CHANGED,
                change.request,
                origin,
                change.request.failure,
                from_state=change.from_state,
                to_state=change.to_state,
            )
        for episode_change in outcome.episode_changes:
            episode = episode_change.episode
            self._emit(
                EVENT_EPISODE_STATE_CHANGED,
                episode_change.request,
                origin,
                episode.current_problem,
                entity_of=episode,
                season=episode.season,
                episode=episode.number,
                episode_title=episode.title,
                from_state=episode_change.from_state,
                to_state=episode_change.to_state,
            )
            if episode_change.to_state is State.AVAILABLE:
                self._collect_ready(episode_change.request, episode, origin)
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
                problem_change.problem,
                stalled=problem_change.stalled,
                **where,
            )

    @callback
    def _collect_ready(
        self, request: Request, episode: Episode, origin: Origin
    ) -> None:
        """Keep the episode for the request's summary, due once it has settled."""
        self._ready.setdefault(request.key, []).append(episode)
        if (cancel := self._ready_timers.pop(request.key, None)) is not None:
            cancel()
        self._ready_timers[request.key] = async_call_later(
            self._hass,
            self._episode_settle,
            partial(self._episodes_ready, request.key, origin),
        )

    @callback
    def _episodes_ready(self, request_key: str, origin: Origin, _now: datetime) -> None:
        """No new episode for the settle period: one event lists them all."""
        del self._ready_timers[request_key]
        episodes = self._ready.pop(request_key)
        request = self._tracker.requests.get(request_key)
        if request is None:
            return
        self._emit(
            EVENT_EPISODES_READY,
            request,
            origin,
            request.failure,
            episodes=[
                {"season": ep.season, "episode": ep.number, "title": ep.title}
                for ep in sorted(episodes, key=lambda ep: ep.key)
            ],
        )

    @callback
    def fire_remediation(self, request: Request, attempt: Attempt) -> None:
        """A remediation step taken, or decided in a dry run, and how it went."""
        self._emit(
            EVENT_REMEDIATION,
            request,
            Origin.REMEDIATION,
            request.current_problem,
            step=attempt.remedy.value,
            dry_run=attempt.dry_run,
            result=attempt.result,
            attempt=attempt.number,
            of=attempt.of,
        )

    @callback
    def async_cancel(self) -> None:
        """Summaries still settling are dropped with the entry (unload)."""
        for cancel in self._ready_timers.values():
            cancel()
        self._ready_timers.clear()
        self._ready.clear()

    @callback
    def _emit(
        self,
        event_type: str,
        request: Request,
        origin: Origin,
        problem: Problem | None,
        *,
        entity_of: Episode | None = None,
        **fields: Any,
    ) -> None:
        """Fire now, or once the request's new entities are registered."""
        data: dict[str, Any] = {
            "request_key": request.key,
            "title": request.title,
            "media_type": request.media_type.value,
            "problem": self._texts.problem(problem, request.media_type),
            "problem_code": code_of(problem),
            "requested_by": request.requested_by,
            "requested_by_person": requester_person(request, self._tracker.people),
            "followers": audience(request, self._tracker.people),
            "poster_url": request.poster_url,
            "watchable_at": iso(_watchable_at(request, entity_of, self._tracker)),
            "source": origin.value,
            **fields,
        }
        event = _Event(event_type, request.key, entity_of, data)
        if self._publisher.awaiting(request.key):
            self._queued.setdefault(request.key, []).append(event)
        else:
            self._fire(event)

    @callback
    def _release(self, request_key: str) -> None:
        for event in self._queued.pop(request_key, []):
            self._fire(event)

    @callback
    def _fire(self, event: _Event) -> None:
        """Add the registry ids (known only once entities exist) and fire."""
        request_entity = self._entity_id(
            request_unique_id(self._entry_id, event.request_key)
        )
        device_id = None
        if request_entity is not None and (
            registry_entry := self._entity_registry.async_get(request_entity)
        ):
            device_id = registry_entry.device_id
        entity_id = request_entity
        if event.entity_of is not None:
            entity_id = self._entity_id(
                episode_unique_id(self._entry_id, event.request_key, event.entity_of)
            )
        data = {"entity_id": entity_id, "device_id": device_id, **event.data}
        self._hass.bus.async_fire(event.event_type, data)
        async_dispatcher_send(
            self._hass, fired_signal(self._entry_id), event.event_type, data
        )

    def _entity_id(self, unique_id: str) -> str | None:
        return self._entity_registry.async_get_entity_id("sensor", DOMAIN, unique_id)


def _watchable_at(
    request: Request, episode: Episode | None, tracker: Tracker
) -> datetime | None:
    """The event's subject's estimate: the episode's, or the whole request's."""
    pace = tracker.outlook(utcnow()).pace
    if episode is None:
        return request_watchable_at(request, pace)
    return episode_watchable_at(request, episode, pace)
