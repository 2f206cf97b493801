"""Entities of the tracked requests: made as requests appear, refreshed as they change.

Entities never hold their own copy of the truth: they read the tracker when their
request's signal says it changed. Signals are per request, so a webhook about one
request touches only that request's entities, however many are tracked. Requests show
while active and for the retention period after; then their devices are removed.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .compat import MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY
from .const import DOMAIN, PROGRESS_INTERVAL
from .data import TrackerOptions
from .engine.changes import Outcome
from .engine.models import Episode, Request
from .engine.tracker import Tracker
from .engine.views import live_condition, request_progress
from .entity import (
    device_name,
    episode_unique_id,
    followers_unique_id,
    request_unique_id,
)

# A request's sensor besides its status: its followers' (no episode), or an episode's.
type Extra = tuple[Request, Episode | None]
type EntityFactory = Callable[
    [list[Request], list[Request], list[tuple[Request, Episode]]], None
]

# Home Assistant enables at most this many entities per config entry. The entry's
# own entities (summaries, connectivity, calendar, event) take at most ENTRY_ENTITIES
# of them and each shown request its status sensor; its followers and episode
# sensors (its extras) get the rest.
ENTITY_CAP = MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY
ENTRY_ENTITIES = 50


@dataclass(frozen=True, slots=True)
class _Published:
    """The live numbers a request's entities last showed, and when."""

    progress: int | None
    condition: frozenset[str]
    time: datetime

    def is_news_after(self, last: _Published) -> bool:
        """A new condition, a point of progress, or the interval has passed."""
        if self.condition != last.condition:
            return True
        moved = (
            self.progress is not None
            and last.progress is not None
            and abs(self.progress - last.progress) >= 1
        )
        return moved or self.time - last.time >= PROGRESS_INTERVAL


class EntityPublisher:
    """Creates, refreshes and expires one entry's request entities."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        tracker: Tracker,
        options: TrackerOptions,
        service_devices: Iterable[str] = (),
    ) -> None:
        """Publish the tracker's requests; nothing shows until a factory is set.

        `service_devices` are the identifiers of devices that are no request's
        (the entry's own and its Radarr/Sonarr instances'): they are never expired.
        """
        self.hass = hass
        self.entry_id = entry_id
        self._service_devices = {entry_id, *service_devices}
        self._tracker = tracker
        self._options = options
        self._factory: EntityFactory | None = None
        self._shown: set[str] = set()
        # Unique ids of new entities not registered yet, by request, and who wants
        # to know once a request's are (its events wait for their ids).
        self._awaiting: dict[str, set[str]] = {}
        self._on_ready: Callable[[str], None] = lambda _key: None
        # Live progress last written to each request's entities, and when.
        self._published: dict[str, _Published] = {}
        # The name each shown request's device was given.
        self._names: dict[str, str] = {}
        # Extras made (unique ids), and how many the entity cap left out, by request.
        self._extras: dict[str, set[str]] = {}
        self._left_out: dict[str, int] = {}
        # None: nothing reported yet (the first report clears an issue of the last run).
        self._reported_left_out: int | None = None
        self._on_left_out: Callable[[int], None] = lambda _count: None

    @property
    def summary_signal(self) -> str:
        """Dispatcher signal sent after any change (for the summary sensors)."""
        return f"{DOMAIN}_{self.entry_id}_summary"

    def request_signal(self, request_key: str) -> str:
        """Dispatcher signal sent when one request changes."""
        return f"{DOMAIN}_{self.entry_id}_request_{request_key}"

    @callback
    def async_set_entity_factory(self, factory: EntityFactory) -> CALLBACK_TYPE:
        """Let the sensor platform create entities for requests, now and later."""
        self._factory = factory
        now = dt_util.utcnow()
        # Under the entity cap, requests in progress get their extras first, then
        # the most recently finished.
        shown = sorted(
            (r for r in self._tracker.requests.values() if self._shows(r, now)),
            key=_priority,
        )
        wanted = [extra for request in shown for extra in _extras_of(request)]
        self._create(shown, wanted)
        self._forget_left_out(wanted)

        @callback
        def remove_factory() -> None:
            self._factory = None
            self._shown.clear()
            self._extras.clear()
            self._left_out.clear()

        return remove_factory

    @callback
    def notify_when_left_out(self, on_left_out: Callable[[int], None]) -> None:
        """Call `on_left_out(count)` when the sensors the cap left out change."""
        self._on_left_out = on_left_out

    @callback
    def notify_when_ready(self, on_ready: Callable[[str], None]) -> None:
        """Call `on_ready(request_key)` once a request's new entities are registered."""
        self._on_ready = on_ready

    def awaiting(self, request_key: str) -> bool:
        """Whether some of the request's new entities are not registered yet."""
        return request_key in self._awaiting

    @callback
    def entity_added(self, request_key: str, unique_id: str) -> None:
        """A request's entity is registered: once all are, say it is ready."""
        waiting = self._awaiting.get(request_key)
        if waiting is None:
            return
        waiting.discard(unique_id)
        if not waiting:
            del self._awaiting[request_key]
            self._on_ready(request_key)

    @callback
    def publish(self, outcome: Outcome) -> None:
        """New requests and episodes get entities; changed ones refresh."""
        now = dt_util.utcnow()
        newly_shown = [
            request
            for request in outcome.touched.values()
            if request.key not in self._shown and self._shows(request, now)
        ]
        new_extras: list[Extra] = [
            (request, episode)
            for request, episode in outcome.new_episodes
            if request.key in self._shown
        ]
        new_extras += [extra for r in newly_shown for extra in _extras_of(r)]
        self._create(newly_shown, new_extras)
        self._rename(outcome.touched.values())
        for key in outcome.touched:
            async_dispatcher_send(self.hass, self.request_signal(key))
        async_dispatcher_send(self.hass, self.summary_signal)

    @callback
    def publish_progress(self, requests: Iterable[Request], now: datetime) -> None:
        """Let progress ticks reach entities at most every 30 s, or on a 1-point change.

        The recorder and the event bus stay quiet during downloads (DESIGN §2.6).
        A change of condition (a stall, a pause, a resume) is published at once.
        """
        for request in requests:
            latest = _Published(request_progress(request), live_condition(request), now)
            published = self._published.get(request.key)
            if published is not None and not latest.is_news_after(published):
                continue
            self._published[request.key] = latest
            async_dispatcher_send(self.hass, self.request_signal(request.key))

    @callback
    def refresh(self, request_keys: Iterable[str]) -> None:
        """These requests' entities write their state again."""
        for key in request_keys:
            async_dispatcher_send(self.hass, self.request_signal(key))

    @callback
    def refresh_all(self) -> None:
        """Every shown request's entities write their state again (new texts)."""
        self.refresh(self._shown)

    @callback
    def withdraw(self, request_keys: Iterable[str]) -> None:
        """Requests that left the tracker (forgotten, pruned) show no more."""
        for key in request_keys:
            self._shown.discard(key)
            self._published.pop(key, None)
            self._names.pop(key, None)
        self._release_extras(
            (self._extras.keys() | self._left_out.keys()) - self._shown
        )
        async_dispatcher_send(self.hass, self.summary_signal)

    @callback
    def remove_expired(self, now: datetime) -> None:
        """Devices of requests that no longer show (expired, forgotten) are removed."""
        requests = self._tracker.requests
        self._shown.intersection_update(
            key
            for key in self._shown
            if (request := requests.get(key)) is not None and self._shows(request, now)
        )
        for gone in (self._names.keys() | self._published.keys()) - self._shown:
            self._names.pop(gone, None)
            self._published.pop(gone, None)
        self._release_extras(
            (self._extras.keys() | self._left_out.keys()) - self._shown
        )
        device_registry = dr.async_get(self.hass)
        wanted = {request_unique_id(self.entry_id, key) for key in self._shown}
        wanted |= self._service_devices
        for device in dr.async_entries_for_config_entry(device_registry, self.entry_id):
            if not any(
                domain == DOMAIN and identifier in wanted
                for domain, identifier in device.identifiers
            ):
                device_registry.async_remove_device(device.id)

    def _shows(self, request: Request, now: datetime) -> bool:
        """Active requests have entities; terminal ones for the retention period."""
        if not request.is_terminal:
            return True
        changed = request.updated_at or request.created_at
        return now - changed < self._options.retention

    @callback
    def _create(self, requests: list[Request], extras: Iterable[Extra]) -> None:
        if self._factory is None:
            return
        if not self._options.episode_entities:
            extras = [(request, episode) for request, episode in extras if not episode]
        extras = list(extras)
        if not requests and not extras:
            return
        for request in requests:
            self._shown.add(request.key)
            self._names[request.key] = device_name(request)
            self._expect(request.key, request_unique_id(self.entry_id, request.key))
        extras = self._within_cap(extras)
        for request, episode in extras:
            unique_id = self._extra_id(request, episode)
            self._extras.setdefault(request.key, set()).add(unique_id)
            if episode is not None:  # events name episodes, never followers
                self._expect(request.key, unique_id)
        followed = [request for request, episode in extras if episode is None]
        episodes = [(request, episode) for request, episode in extras if episode]
        self._factory(requests, followed, episodes)

    def _extra_id(self, request: Request, episode: Episode | None) -> str:
        if episode is None:
            return followers_unique_id(self.entry_id, request.key)
        return episode_unique_id(self.entry_id, request.key, episode)

    def _room(self) -> int:
        """How many more extras fit under the entity cap."""
        made = sum(len(unique_ids) for unique_ids in self._extras.values())
        return ENTITY_CAP - ENTRY_ENTITIES - len(self._shown) - made

    def _within_cap(self, extras: list[Extra]) -> list[Extra]:
        """The extras that get a sensor: finished requests' make room if needed.

        What still does not fit is counted (a repair says so) and made once room
        appears again.
        """
        if (needed := len(extras) - self._room()) > 0:
            self._make_room(needed, {request.key for request, _ in extras})
        room = max(self._room(), 0)
        kept, left = extras[:room], extras[room:]
        for request, _ in left:
            self._left_out[request.key] = self._left_out.get(request.key, 0) + 1
        self._report_left_out()
        return kept

    def _make_room(self, needed: int, spared: set[str]) -> None:
        """Remove extras of the requests that finished longest ago, as few as needed.

        They stay out while their request shows (a restart orders them again): a
        finished request is not worth the churn.
        """
        requests = self._tracker.requests
        finished = sorted(
            (
                request
                for key in self._extras.keys() - spared
                if (request := requests.get(key)) is not None and request.is_terminal
            ),
            key=lambda request: request.updated_at or request.created_at,
        )
        registry = er.async_get(self.hass)
        for request in finished:
            if needed <= 0:
                break
            made = self._extras[request.key]
            # Episodes first (sorted, the last ones first), the followers last.
            gone = sorted(made, key=lambda uid: ("_followers_" in uid, uid))[:needed]
            made.difference_update(gone)
            if not made:
                del self._extras[request.key]
            for unique_id in gone:
                entity_id = registry.async_get_entity_id("sensor", DOMAIN, unique_id)
                if entity_id is not None:
                    registry.async_remove(entity_id)
            left_out = self._left_out.get(request.key, 0) + len(gone)
            self._left_out[request.key] = left_out
            needed -= len(gone)
        self._report_left_out()

    def _forget_left_out(self, wanted: list[Extra]) -> None:
        """Sensors of a previous run the cap leaves out now: out of the registry.

        Home Assistant counts registered entities against the cap, shown or not.
        """
        registry = er.async_get(self.hass)
        for request, episode in wanted:
            unique_id = self._extra_id(request, episode)
            if unique_id in self._extras.get(request.key, ()):
                continue
            entity_id = registry.async_get_entity_id("sensor", DOMAIN, unique_id)
            if entity_id is not None:
                registry.async_remove(entity_id)

    def _release_extras(self, request_keys: Iterable[str]) -> None:
        """Requests that no longer show free their room; what was left out fills it."""
        for key in list(request_keys):
            self._extras.pop(key, None)
            self._left_out.pop(key, None)
        self._report_left_out()
        if not self._left_out or self._room() <= 0:
            return
        requests = self._tracker.requests
        waiting = sorted(
            (
                request
                for key in self._left_out
                if key in self._shown
                and (request := requests.get(key)) is not None
                and not request.is_terminal
            ),
            key=_priority,
        )
        missing = [
            (request, episode)
            for request, episode in (x for r in waiting for x in _extras_of(r))
            if self._extra_id(request, episode) not in self._extras.get(request.key, ())
        ]
        for request in waiting:
            self._left_out.pop(request.key, None)
        self._create([], missing)

    def _report_left_out(self) -> None:
        """Say how many extras are left out, when that changed."""
        if (count := sum(self._left_out.values())) != self._reported_left_out:
            self._reported_left_out = count
            self._on_left_out(count)

    @callback
    def _rename(self, requests: Iterable[Request]) -> None:
        """A device follows its request's title and year (a name the user gave stays)."""
        device_registry = dr.async_get(self.hass)
        for request in requests:
            name = device_name(request)
            if self._names.get(request.key, name) == name:
                continue
            self._names[request.key] = name
            # Only shown requests get here, so their device exists: this renames it.
            device_registry.async_get_or_create(
                config_entry_id=self.entry_id,
                identifiers={(DOMAIN, request_unique_id(self.entry_id, request.key))},
                name=name,
            )

    def _expect(self, request_key: str, unique_id: str) -> None:
        self._awaiting.setdefault(request_key, set()).add(unique_id)


def _extras_of(request: Request) -> list[Extra]:
    """A request's followers sensor, then its episodes'."""
    return [(request, None), *((request, ep) for ep in request.episodes.values())]


def _priority(request: Request) -> tuple[bool, float]:
    """Requests in progress first, then the most recently changed."""
    changed = request.updated_at or request.created_at
    return request.is_terminal, -changed.timestamp()
