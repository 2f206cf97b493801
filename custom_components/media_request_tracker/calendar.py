"""The calendar: when each request should be watchable, and release and air dates.

A thin shell over `engine/agenda.py`: events are worked out from the tracker when
Home Assistant asks for them, never kept. The state (the current or next event) is
written again when requests change, at most every 10 seconds. Progress ticks do not
write it: a moving estimate would add a recorded state every 30 s of every download
(DESIGN §2.6). The events Home Assistant asks for are always current, and the alarm
it sets for the next event's start reads them again.
"""

from datetime import datetime, timedelta
import logging

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .data import MediaRequestTrackerConfigEntry
from .engine.agenda import Milestone, agenda, between, upcoming
from .entity import service_device, track_name

PARALLEL_UPDATES = 0
REFRESH_COOLDOWN = 10  # seconds
NEXT_EVENT_KEPT = timedelta(seconds=1)

_LOGGER = logging.getLogger(__name__)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One calendar per entry, on its service device."""
    async_add_entities([WatchableCalendar(entry)])


class WatchableCalendar(CalendarEntity):
    """Expected watchable times and release dates of the entry's requests."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_translation_key = "watchable"

    def __init__(self, entry: MediaRequestTrackerConfigEntry) -> None:
        """Attach the calendar to the service device."""
        self._data = entry.runtime_data
        self._attr_unique_id = f"{entry.entry_id}_calendar"
        self._attr_device_info = service_device(entry)
        # The next event, and when it was worked out.
        self._next: tuple[datetime, CalendarEvent | None] | None = None

    @property
    def event(self) -> CalendarEvent | None:
        """The event going on now, else the next one.

        Working it out reads every request, and one state write reads it three
        times: it is kept for a second, or until the requests change.
        """
        now = dt_util.utcnow()
        if (
            self._next is None
            or now - self._next[0] > NEXT_EVENT_KEPT
            or (self._next[1] is not None and self._next[1].end_datetime_local <= now)
        ):
            zone = dt_util.get_default_time_zone()
            milestone = upcoming(self._agenda(now), now, zone)
            self._next = (now, None if milestone is None else self._event(milestone))
        return self._next[1]

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """The events that overlap the window, in the order they begin."""
        milestones = between(
            self._agenda(dt_util.utcnow()),
            start_date,
            end_date,
            dt_util.get_default_time_zone(),
        )
        return [self._event(milestone) for milestone in milestones]

    async def async_added_to_hass(self) -> None:
        """Show the next event again after requests change, at most every 10 s.

        Working out the next event reads every request: a burst of webhooks
        rewrites the state once.
        """
        refresh = Debouncer(
            self.hass,
            _LOGGER,
            cooldown=REFRESH_COOLDOWN,
            immediate=True,
            function=self.async_write_ha_state,
        )
        self.async_on_remove(refresh.async_cancel)

        @callback
        def requests_changed() -> None:
            self._next = None
            refresh.async_schedule_call()

        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, self._data.publisher.summary_signal, requests_changed
            )
        )

    def _agenda(self, now: datetime) -> list[Milestone]:
        tracker = self._data.tracker
        return agenda(tracker.requests.values(), tracker.outlook(now))

    def _event(self, milestone: Milestone) -> CalendarEvent:
        """Named like the track's status sensor, described by its state and wait."""
        return CalendarEvent(
            start=milestone.start,
            end=milestone.end,
            summary=track_name(milestone.request, milestone.episode),
            description=self._description(milestone),
            uid=milestone.uid,
        )

    def _description(self, milestone: Milestone) -> str:
        """The state, then what it waits for, as the status sensors say them.

        While downloading, both say "Downloading": once is enough.
        """
        texts = self._data.texts
        state = texts.state(milestone.track.state)
        waiting = texts.waiting(milestone.waiting, milestone.request.media_type)
        return state if waiting in (None, state) else f"{state}\n{waiting}"
