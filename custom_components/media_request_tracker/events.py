"""Events for automations (DESIGN §4): one per state change and problem change.

Every event carries the entity and device ids automations use, which exist only once
a new request's entities are registered: until then its events wait, in order.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util.dt import utcnow

from .const import (
    DOMAIN,
    EVENT_EPISODE_STATE_CHANGED,
    EVENT_PROBLEM_CHANGED,
    EVENT_STATE_CHANGED,
)
from .engine.changes import Outcome
from .engine.codes import Problem
from .engine.eta import episode_watchable_at, request_watchable_at
from .engine.models import Episode, Request
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
    ) -> None:
        """Fire on the bus; hold events back while the publisher awaits entities."""
        self._hass = hass
        self._tracker = tracker
        self._entry_id = publisher.entry_id
        self._publisher = publisher
        self._texts = texts
        self._entity_registry = er.async_get(hass)
        self._queued: dict[str, list[_Event]] = {}
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
