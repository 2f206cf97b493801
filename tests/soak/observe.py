"""What Home Assistant showed: every state event, at its simulated moment.

From the recorded `media_request_tracker_state_changed` and `_episode_state_changed`
events come the two measures of the soak besides the final states: events that
moved a request or an episode backwards (DESIGN §3), and time-to-truth, the
simulated time from an upstream change until the request's entity shows it,
counted only while Home Assistant runs.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
import math
from typing import Any

from homeassistant.core import Event, HomeAssistant, callback

from custom_components.media_request_tracker.const import (
    EVENT_EPISODE_STATE_CHANGED,
    EVENT_STATE_CHANGED,
)

from .truth import ANY_DIRECTION, RANK

# States a truth must be shown as exactly; the others are shown by any state as far
# along or further (a request may skip a stage whose evidence came late).
EXACT = frozenset({"requested", "failed", "removed"})


@dataclass(frozen=True, slots=True)
class StateEvent:
    """One state event: a request's (`episode` None) or one of its episodes'."""

    at: float
    request_key: str
    episode: tuple[int, int] | None
    from_state: str | None
    to_state: str
    source: str


@dataclass(frozen=True, slots=True)
class Backwards:
    """An event that moved a request or an episode backwards."""

    event: StateEvent
    title: str


@dataclass(frozen=True, slots=True)
class Delay:
    """How long one truth took to show (None: never, though it lasted long enough).

    `episode` when it is an episode's truth, shown by the episode's entity.
    """

    state: str
    seconds: float | None
    episode: bool = False

    @property
    def label(self) -> str:
        """The transition's row in the report."""
        return f"episode {self.state}" if self.episode else self.state


class EventLog:
    """The integration's state events, with the simulated second each was fired."""

    def __init__(self, now: Callable[[], float]) -> None:
        """Record with `now` (the simulated clock)."""
        self._now = now
        self.events: list[StateEvent] = []

    def listen(self, hass: HomeAssistant) -> None:
        """Record this Home Assistant's events (each instance after a restart)."""
        hass.bus.async_listen(EVENT_STATE_CHANGED, self._record)
        hass.bus.async_listen(EVENT_EPISODE_STATE_CHANGED, self._record)

    @callback
    def _record(self, event: Event[Any]) -> None:
        data = event.data
        episode = None
        if event.event_type == EVENT_EPISODE_STATE_CHANGED:
            episode = (data["season"], data["episode"])
        self.events.append(
            StateEvent(
                self._now(),
                data["request_key"],
                episode,
                data["from_state"],
                data["to_state"],
                data["source"],
            )
        )

    def of(
        self, request_key: str, episode: tuple[int, int] | None = None
    ) -> list[StateEvent]:
        """A request's own events (or one of its episodes'), in order."""
        return [
            e
            for e in self.events
            if e.request_key == request_key and e.episode == episode
        ]

    def backwards(self, titles: dict[str, str]) -> list[Backwards]:
        """Steps back in the forward order, and requests or episodes made twice.

        A request or episode created again (a restart that lost it) starts over
        from nothing. A TV request that episodes just joined shows its least
        advanced one, which may be behind: no step back (DESIGN §3). `titles`
        names each request key.
        """
        joined = {
            (e.request_key, e.at) for e in self.events if e.episode and not e.from_state
        }
        made: set[tuple[str, tuple[int, int] | None]] = set()
        found = []
        for event in self.events:
            track = (event.request_key, event.episode)
            again = event.from_state is None and track in made
            made.add(track)
            back = _steps_back(event) and (
                event.episode or (event.request_key, event.at) not in joined
            )
            if again or back:
                title = titles.get(event.request_key, event.request_key)
                found.append(Backwards(event, title))
        return found


def _steps_back(event: StateEvent) -> bool:
    before, after = event.from_state, event.to_state
    if before is None or {before, after} & ANY_DIRECTION:
        return False
    return RANK[after] < RANK[before]


class Uptime:
    """When Home Assistant was down; time-to-truth counts only the time it ran."""

    def __init__(self) -> None:
        """Start with no downtime."""
        self.down: list[tuple[float, float]] = []

    def between(self, start: float, end: float) -> float:
        """Seconds Home Assistant ran between two moments."""
        overlap = sum(
            max(0.0, min(end, stop) - max(start, down)) for down, stop in self.down
        )
        return end - start - overlap


def delays(
    truths: list[tuple[float, str]],
    shown: list[StateEvent],
    end: float,
    uptime: Uptime,
    bounds: dict[str, float],
    *,
    episode: bool = False,
) -> list[Delay]:
    """How long each truth of a request took to show.

    A truth counts until the next one (or the end): shown within that window, its
    delay is the uptime until then; not shown, it is a miss if it lasted longer than
    its bound, and left out if it was too brief to be seen by polling.
    """
    found = []
    for index, (at, state) in enumerate(truths):
        until = truths[index + 1][0] if index + 1 < len(truths) else end
        seen = _first_showing(state, at, until, shown)
        if seen is not None:
            found.append(Delay(state, uptime.between(at, seen), episode))
        elif uptime.between(at, until) > bounds[state]:
            found.append(Delay(state, None, episode))
    return found


def _first_showing(
    truth: str, start: float, until: float, shown: list[StateEvent]
) -> float | None:
    """The first moment in [start, until] the request showed the truth (None: not)."""
    before = [event for event in shown if event.at < start]
    if before and _shows(before[-1].to_state, truth):
        return start
    for event in shown:
        if start <= event.at <= until and _shows(event.to_state, truth):
            return event.at
    return None


def _shows(state: str, truth: str) -> bool:
    if truth in EXACT or state in ANY_DIRECTION:
        return state == truth
    return RANK[state] >= RANK[truth]


@dataclass(frozen=True, slots=True)
class Percentiles:
    """Time-to-truth of one transition, over every request (or episode)."""

    label: str
    count: int
    p50: float | None
    p99: float | None
    worst: float | None
    missed: int
    bound: float

    @property
    def within(self) -> bool:
        """Whether p99 is within the bound and no truth was missed."""
        return self.missed == 0 and (self.p99 is None or self.p99 <= self.bound)


def percentiles(
    found: Iterable[Delay],
    bounds: dict[str, float],
    episode_bounds: dict[str, float],
) -> list[Percentiles]:
    """p50, p99 and the worst delay per transition: requests', then episodes'."""
    by_row: defaultdict[Delay, list[float | None]] = defaultdict(list)
    for delay in found:
        by_row[Delay(delay.state, None, delay.episode)].append(delay.seconds)
    rows = []
    for row in sorted(by_row, key=lambda d: (d.episode, RANK.get(d.state, len(RANK)))):
        values = sorted(v for v in by_row[row] if v is not None)
        rows.append(
            Percentiles(
                row.label,
                len(values),
                _quantile(values, 0.50),
                _quantile(values, 0.99),
                values[-1] if values else None,
                len(by_row[row]) - len(values),
                (episode_bounds if row.episode else bounds)[row.state],
            )
        )
    return rows


def _quantile(values: list[float], q: float) -> float | None:
    """The nearest-rank quantile: the smallest delay a `q` share do not exceed."""
    if not values:
        return None
    return values[max(1, math.ceil(q * len(values))) - 1]
