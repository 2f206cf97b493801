"""Sensors: a status per request and per episode, and the entry's summary counts."""

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    ATTR_OPTIONS,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_PICTURE, MAX_LENGTH_STATE_STATE
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .data import MediaRequestTrackerConfigEntry, MediaRequestTrackerData
from .engine.models import Episode, Request, State
from .engine.people import audience
from .engine.views import episode_attributes, request_attributes
from .entity import (
    RequestEntity,
    episode_name,
    episode_unique_id,
    followers_unique_id,
    request_unique_id,
    service_device,
)

PARALLEL_UPDATES = 0
# Sensors added per event-loop turn (about 0.4 ms each on a small machine).
ENTITIES_PER_BATCH = 100

STATE_OPTIONS = [state.value for state in State]
# One dict for every status sensor: the entity registry and each state's attributes
# start from it, and thousands of copies of the same options add up.
_STATE_CAPABILITIES = {ATTR_OPTIONS: STATE_OPTIONS}

# Static or fast-changing attributes stay out of the recorder (DESIGN §2.6).
UNRECORDED_REQUEST_ATTRIBUTES = frozenset(
    {
        ATTR_ENTITY_PICTURE,
        "request_key",
        "title",
        "year",
        "media_type",
        "is_anime",
        "is_4k",
        "tmdb_id",
        "tvdb_id",
        "imdb_id",
        "jellyseerr_request_id",
        "requested_by",
        "requested_by_person",
        # The request's followers sensor records who follows it.
        "followers",
        "progress",
        "download_speed",
        "eta",
        "jellyfin_item_id",
        "poster_url",
        # Moves with every download tick: history would only churn (DESIGN §2.6).
        "watchable_at",
    }
)
UNRECORDED_EPISODE_ATTRIBUTES = frozenset(
    {"season", "episode", "title", "progress", "watchable_at"}
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the summary sensors now, request and episode sensors as they appear."""
    data = entry.runtime_data
    async_add_entities(
        SummarySensor(entry, description) for description in SUMMARY_SENSORS
    )

    batches = _Batches(hass, entry, async_add_entities)

    @callback
    def add_request_entities(
        requests: list[Request],
        followed: list[Request],
        episodes: list[tuple[Request, Episode]],
    ) -> None:
        entities: list[SensorEntity] = [
            RequestStatusSensor(data, request) for request in requests
        ]
        entities += [FollowersSensor(data, request) for request in followed]
        entities += [
            EpisodeStatusSensor(data, request, episode) for request, episode in episodes
        ]
        batches.add(entities)

    entry.async_on_unload(data.publisher.async_set_entity_factory(add_request_entities))
    entry.async_on_unload(batches.stop)


class _Batches:
    """Adds entities a batch per event-loop turn, in the order they came.

    Thousands of stored requests make thousands of sensors at startup: added at
    once, they would hold the loop (and the entry's setup) for seconds. The first
    batch is added during setup, the rest once the entry is loaded, a batch per
    loop turn: the loop stays free, and the publisher's events wait for their
    entities meanwhile.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MediaRequestTrackerConfigEntry,
        add: AddConfigEntryEntitiesCallback,
    ) -> None:
        self._hass = hass
        self._entry = entry
        self._add = add
        self._waiting: deque[SensorEntity] = deque()
        self._draining = False
        self._stopped = False
        self._unsubscribe: CALLBACK_TYPE | None = None

    @callback
    def add(self, entities: list[SensorEntity]) -> None:
        """Add the entities now, or after those still waiting."""
        self._waiting.extend(entities)
        if self._draining or self._stopped:
            return
        self._add_batch()
        if not self._waiting:
            return
        self._draining = True
        if self._entry.state is ConfigEntryState.LOADED:
            self._drain()
        else:
            # What is added while the entry sets up counts in its setup time.
            self._unsubscribe = self._entry.async_on_state_change(self._loaded)

    @callback
    def stop(self) -> None:
        """The platform unloads: nothing more is added."""
        self._stopped = True
        self._waiting.clear()
        if self._unsubscribe is not None:
            self._unsubscribe()

    @callback
    def _loaded(self) -> None:
        if self._entry.state is ConfigEntryState.LOADED and self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
            self._drain()

    @callback
    def _drain(self) -> None:
        self._entry.async_create_task(
            self._hass, self._async_add_the_rest(), f"{DOMAIN} add sensors"
        )

    @callback
    def _add_batch(self) -> None:
        count = min(len(self._waiting), ENTITIES_PER_BATCH)
        self._add([self._waiting.popleft() for _ in range(count)])

    async def _async_add_the_rest(self) -> None:
        while self._waiting and self._adding_allowed():
            await asyncio.sleep(0)
            if self._adding_allowed():
                self._add_batch()
        self._draining = False

    def _adding_allowed(self) -> bool:
        # The entry leaves LOADED before its platforms unload (and before `stop`).
        return not self._stopped and self._entry.state is ConfigEntryState.LOADED


class _StatusSensor(RequestEntity, SensorEntity):
    """A sensor whose value is one of the pipeline's states."""

    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = STATE_OPTIONS

    @property
    def capability_attributes(self) -> dict[str, Any]:
        """The states a status can take, shared by every status sensor."""
        return _STATE_CAPABILITIES


class RequestStatusSensor(_StatusSensor):
    """Where a request stands: the main entity of its device."""

    _attr_translation_key = "request_status"
    _attr_name = None
    _unrecorded_attributes = UNRECORDED_REQUEST_ATTRIBUTES

    def __init__(self, data: MediaRequestTrackerData, request: Request) -> None:
        """Create the sensor for one request."""
        super().__init__(
            data, request, request_unique_id(data.publisher.entry_id, request.key)
        )

    @property
    def native_value(self) -> str | None:
        """The request's state."""
        request = self.request
        return None if request is None else request.state.value

    @property
    def entity_picture(self) -> str | None:
        """The poster, served by Home Assistant (`posters.py`)."""
        request = self.request
        return None if request is None else self._data.posters.url(request)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Ids, requester, progress and problem (DESIGN §4)."""
        request = self.request
        if request is None:
            return None
        return request_attributes(
            request, self._data.texts, self._data.tracker.outlook(dt_util.utcnow())
        )


class FollowersSensor(RequestEntity, SensorEntity):
    """Who follows a request: the names its device page shows (empty: nobody)."""

    _attr_translation_key = "followers"

    def __init__(self, data: MediaRequestTrackerData, request: Request) -> None:
        """Create the sensor for one request."""
        super().__init__(
            data, request, followers_unique_id(data.publisher.entry_id, request.key)
        )

    @property
    def native_value(self) -> str | None:
        """The followers' names, the requester first; "+3" for those past the limit."""
        persons = self._persons()
        if persons is None:
            return None
        names = [self._name(person) for person in persons]
        shown = ", ".join(names)
        for count in range(len(names) - 1, -1, -1):
            if len(shown) <= MAX_LENGTH_STATE_STATE:
                break
            shown = f"{', '.join(names[:count])} +{len(names) - count}".lstrip()
        return shown

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The followers' person entity ids."""
        persons = self._persons()
        return None if persons is None else {"persons": persons}

    def _persons(self) -> list[str] | None:
        request = self.request
        if request is None:
            return None
        return audience(request, self._data.tracker.people)

    def _name(self, person: str) -> str:
        state = self.hass.states.get(person)
        return person if state is None else state.name


class EpisodeStatusSensor(_StatusSensor):
    """Where one episode of a TV request stands."""

    _attr_translation_key = "episode_status"
    _unrecorded_attributes = UNRECORDED_EPISODE_ATTRIBUTES

    def __init__(
        self, data: MediaRequestTrackerData, request: Request, episode: Episode
    ) -> None:
        """Create the sensor for one episode."""
        super().__init__(
            data,
            request,
            episode_unique_id(data.publisher.entry_id, request.key, episode),
        )
        self._episode_key = episode.key

    @property
    def episode(self) -> Episode | None:
        """The episode as the tracker knows it now."""
        request = self.request
        return None if request is None else request.episodes.get(self._episode_key)

    @property
    def available(self) -> bool:
        """Unavailable once the episode is no longer tracked."""
        return self.episode is not None

    @property
    def name(self) -> str:
        """`S01E03` and the episode title when Sonarr gave one."""
        episode = self.episode
        return episode_name(
            self._episode_key, None if episode is None else episode.title
        )

    @property
    def native_value(self) -> str | None:
        """The episode's state."""
        episode = self.episode
        return None if episode is None else episode.state.value

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Season, episode, title, progress and problem."""
        request = self.request
        episode = self.episode
        if request is None or episode is None:
            return None
        return episode_attributes(
            request,
            episode,
            self._data.texts,
            self._data.tracker.outlook(dt_util.utcnow()),
        )


@dataclass(frozen=True, kw_only=True)
class SummarySensorDescription(SensorEntityDescription):
    """A count over the tracked requests."""

    count: Callable[[Iterable[Request]], int]


SUMMARY_SENSORS = (
    SummarySensorDescription(
        key="active_requests",
        translation_key="active_requests",
        state_class=SensorStateClass.MEASUREMENT,
        count=lambda requests: sum(not r.is_terminal for r in requests),
    ),
    SummarySensorDescription(
        key="downloading",
        translation_key="downloading",
        state_class=SensorStateClass.MEASUREMENT,
        count=lambda requests: sum(r.state is State.DOWNLOADING for r in requests),
    ),
    SummarySensorDescription(
        key="needs_attention",
        translation_key="needs_attention",
        state_class=SensorStateClass.MEASUREMENT,
        count=lambda requests: sum(
            r.state is State.FAILED or r.stalled for r in requests
        ),
    ),
)


class SummarySensor(SensorEntity):
    """How many requests are active, downloading, or need attention."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: SummarySensorDescription

    def __init__(
        self,
        entry: MediaRequestTrackerConfigEntry,
        description: SummarySensorDescription,
    ) -> None:
        """Attach the count to the service device."""
        self._data = entry.runtime_data
        self.entity_description = description
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = service_device(entry)

    @property
    def native_value(self) -> int:
        """The current count."""
        return self.entity_description.count(self._data.tracker.requests.values())

    async def async_added_to_hass(self) -> None:
        """Recount whenever any request changes."""
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                self._data.publisher.summary_signal,
                self.async_write_ha_state,
            )
        )
