"""When can I watch it: how far `watchable_at` is from the truth, and what it costs.

A household of movies and TV shows (`tests.simulator.household`: seeded download
times, imports 5-90 s after a download ends, Jellyfin scans 30-300 s after an
import, and the mishaps of real stacks) is played into Home Assistant on simulated
time: the stack's manual clock and Home Assistant's (freezegun) move together a
second at a time, so the pollers run at their own intervals and the integration
learns the household's delays as it would over an evening. Anime is left out: it
waits for Shoko, whose live connection this harness does not run.

Each request and episode sensor's `watchable_at`, as shown when its download first
shows ≥ 50 %, is compared with the moment the title truly became playable in
Jellyfin (`tests.soak.truth`). Estimates made with learned medians (≥ 3 samples of
the import and of the library delay) and with the defaults are reported apart; those
whose track failed after the estimate (a blocked import fixed by hand, a failed
download replaced by another) or never became playable cannot be judged. The
simulated downloads run at a steady speed, so qBittorrent's ETA is exact here: the
error is that of the learned delays and of rounding up to the minute.

The cost, from the same run: Radarr's and Sonarr's requests and response bytes per
poll (each poll, idle or not, scheduled or woken) for `/api/v3/health` and for the
library lookups (`LOOKUPS`: each followed request every 5 minutes, the movie, or
the series, its episodes and, when paths are unknown, its files; their answer also
says when the title is missing from the *arr), next to everything the *arr answered.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun import freeze_time

from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, callback
from homeassistant.helpers import entity_registry as er

from custom_components.media_request_tracker.engine.models import (
    Service as Configured,
    State,
)
from custom_components.media_request_tracker.engine.timings import ENOUGH, Delay
from custom_components.media_request_tracker.entity import (
    episode_unique_id,
    request_unique_id,
)
from tests.simulator import Service
from tests.simulator.catalog import media
from tests.simulator.household import Kind, Lifecycle, household
from tests.soak.home import async_settle
from tests.soak.truth import TruthLog

from .harness import Integration
from .remote import Endpoint, Traffic, traffic_between
from .report import Result, at_most, info, median, percentile
from .simulation import Simulation, simulated_integration

START = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
TICK = 1.0
SEED = 7
EVERY = 45.0  # mean simulated seconds between two requests (as in the soak)
PREFIX = "eta"
HALFWAY = 50  # percent
PLAYED = frozenset({Kind.MOVIE, Kind.TV})
# "Watchable at 21:40" may be a few minutes off; a quarter of an hour misleads. The
# simulated stack's own spread (imports 5-90 s, scans 30-300 s) is ±3 minutes.
P90_LIMIT_MINUTES = 5.0
HEALTH = "/api/v3/health"
LOOKUPS = {
    Service.RADARR: ("/api/v3/movie", "/api/v3/tag"),
    Service.SONARR: ("/api/v3/series", "/api/v3/episode", "/api/v3/episodefile"),
}
ARRS = {Configured.RADARR: Service.RADARR, Configured.SONARR: Service.SONARR}

type Track = tuple[int, int] | None  # an episode, or None for the request


@dataclass(frozen=True, slots=True)
class Estimate:
    """What one sensor showed when its download first showed ≥ 50 %."""

    lifecycle: Lifecycle
    episode: Track
    shown_at: datetime
    watchable_at: datetime | None
    learned: bool  # made with the household's medians, not the defaults


class HalfwayWatch:
    """The first `downloading` state at ≥ 50 % of each request and episode sensor."""

    def __init__(
        self, integration: Integration, lifecycles: Iterable[Lifecycle]
    ) -> None:
        """Listen to every state change from now on."""
        self._integration = integration
        self._lifecycles = {media(lc.media).tmdb_id: lc for lc in lifecycles}
        self._sensors: dict[str, tuple[Lifecycle, Track]] = {}
        self.estimates: dict[tuple[int, Track], Estimate] = {}
        hass = integration.hass
        self._registry = er.async_get(hass)
        self._unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, self._record)

    @callback
    def _record(self, event: Event[Any]) -> None:
        """Keep the first; later ones only count down the same download."""
        new_state = event.data["new_state"]
        if (
            new_state is None
            or new_state.state != State.DOWNLOADING
            or (new_state.attributes.get("progress") or 0) < HALFWAY
        ):
            return
        sensor = self._sensor(event.data["entity_id"])
        if sensor is None or (sensor[0].number, sensor[1]) in self.estimates:
            return
        lifecycle, track = sensor
        shown = new_state.attributes.get("watchable_at")
        self.estimates[lifecycle.number, track] = Estimate(
            lifecycle,
            track,
            event.time_fired,
            None if shown is None else datetime.fromisoformat(shown),
            self._learned(),
        )

    def _sensor(self, entity_id: str) -> tuple[Lifecycle, Track] | None:
        """A sensor's lifecycle and episode (the map is made again for new ones)."""
        entry = self._registry.async_get(entity_id)
        if entry is None:
            return None
        if entry.unique_id not in self._sensors:
            self._sensors = self._by_unique_id()
        return self._sensors.get(entry.unique_id)

    def _by_unique_id(self) -> dict[str, tuple[Lifecycle, Track]]:
        """Every tracked request's sensors, by the unique ids the integration gives."""
        entry = self._integration.entry
        sensors: dict[str, tuple[Lifecycle, Track]] = {}
        for request in entry.runtime_data.tracker.requests.values():
            if request.tmdb_id not in self._lifecycles:
                continue
            lifecycle = self._lifecycles[request.tmdb_id]
            sensors[request_unique_id(entry.entry_id, request.key)] = (lifecycle, None)
            for episode in request.episodes.values():
                unique_id = episode_unique_id(entry.entry_id, request.key, episode)
                sensors[unique_id] = (lifecycle, episode.key)
        return sensors

    def _learned(self) -> bool:
        """Whether estimates now use the household's medians of both delays."""
        samples = self._integration.entry.runtime_data.tracker.timings.samples
        return all(len(samples[d]) >= ENOUGH for d in (Delay.IMPORT, Delay.LIBRARY))

    def close(self) -> None:
        """Stop listening."""
        self._unsubscribe()


@dataclass(slots=True)
class Clocks:
    """The stack's manual clock and Home Assistant's frozen one, moved together."""

    sim: Simulation
    set_clock: Callable[[datetime], object]  # freezegun's `move_to`
    start: datetime  # the stack's second 0
    now: float = 0.0

    async def move_to(self, moment: float) -> None:
        """Move both, then let Home Assistant run what came due (polls, timers)."""
        await self.sim.stack.advance(moment - self.now)
        self.now = moment
        self.set_clock(self.start + timedelta(seconds=moment))
        await async_settle(self.sim.integration.hass)


@dataclass(slots=True)
class PollCount:
    """Polls of each *arr: its coordinator calls its listeners after every one."""

    polls: dict[Service, int] = field(default_factory=dict)

    def listen(self, sim: Simulation) -> Callable[[], None]:
        """Count from now on; returns what stops counting."""
        stops = [
            sim.pollers[name].async_add_listener(self._counter(service))
            for name, service in ARRS.items()
        ]

        def stop() -> None:
            for unsubscribe in stops:
                unsubscribe()

        return stop

    def _counter(self, service: Service) -> Callable[[], None]:
        """A listener per *arr: each coordinator knows only its own polls."""
        self.polls[service] = 0

        @callback
        def count() -> None:
            self.polls[service] += 1

        return count


async def bench_watchable_eta(lifecycles: int) -> list[Result]:
    """The movies and shows of a household of `lifecycles`: estimate and cost rows."""
    played = _movies_and_shows(household(lifecycles, SEED, every=EVERY, prefix=PREFIX))
    with freeze_time(START) as frozen:
        async with simulated_integration(seed=SEED, polling=True, start=START) as sim:
            await _add_household(sim, lifecycles, played)
            watch = HalfwayWatch(sim.integration, played)
            counter = PollCount()
            stop_counting = counter.listen(sim)
            before = await sim.stack.endpoint_traffic()
            truths = await _play(Clocks(sim, frozen.move_to, START), played)
            traffic = traffic_between(before, await sim.stack.endpoint_traffic())
            stop_counting()
            watch.close()
    load = f"{len(played)} movies and shows"
    return [
        *_estimate_rows(list(watch.estimates.values()), truths, load),
        *_cost_rows(traffic, counter.polls),
    ]


def _movies_and_shows(lifecycles: Iterable[Lifecycle]) -> list[Lifecycle]:
    """Without anime: it waits for Shoko, which this harness does not run."""
    return [lifecycle for lifecycle in lifecycles if lifecycle.kind in PLAYED]


async def _add_household(
    sim: Simulation, lifecycles: int, played: Sequence[Lifecycle]
) -> None:
    """The same household in the stack's catalogue as in this process's.

    Both processes need it: the stack to play it, the truth here to know which
    episodes each release holds. The seed makes them the same; this checks it.
    """
    generated = await sim.stack.add_household(
        lifecycles, SEED, every=EVERY, prefix=PREFIX
    )
    if _movies_and_shows(generated) != played:
        raise RuntimeError("the stack made up another household")


async def _play(clocks: Clocks, lifecycles: Sequence[Lifecycle]) -> TruthLog:
    """Every step at its second, the clocks moving a second at a time in between."""
    truths = TruthLog()
    due = sorted(
        ((step.at, lc.number, index), lc, step)
        for lc in lifecycles
        for index, step in enumerate(lc.steps)
    )
    for (at, _, _), lifecycle, step in due:
        while clocks.now < at:
            await clocks.move_to(min(at, clocks.now + TICK))
        await clocks.sim.play([step.action])
        truths.note(lifecycle, step.action, clocks.now)
    return truths


def _error_minutes(estimate: Estimate, truths: TruthLog) -> float | None:
    """Estimate - truth in minutes; None when there is nothing fair to compare.

    No estimate, never playable, or failed after the estimate: no estimate can
    foresee a manual fix or another release.
    """
    lifecycle = estimate.lifecycle
    if estimate.episode is None:
        timeline = truths.timeline(lifecycle)
    else:
        timeline = truths.episode_timelines(lifecycle)[estimate.episode]
    for at, state in timeline:
        moment = START + timedelta(seconds=at)
        if state == State.FAILED and moment > estimate.shown_at:
            return None
        if state == State.AVAILABLE and estimate.watchable_at is not None:
            return (estimate.watchable_at - moment).total_seconds() / 60
    return None


def _estimate_rows(
    estimates: Sequence[Estimate], truths: TruthLog, load: str
) -> list[Result]:
    """How many estimates, and their error with learned and with default delays."""
    judged = [
        (estimate, minutes)
        for estimate in estimates
        if (minutes := _error_minutes(estimate, truths)) is not None
    ]
    learned = [(e, minutes) for e, minutes in judged if e.learned]
    unknown = sum(estimate.watchable_at is None for estimate in estimates)
    return [
        info(
            f"watchable_at: sensors at >= 50 % of a download ({load})",
            len(estimates),
            "sensors",
        ),
        info("watchable_at: of those, showing no estimate", unknown, "sensors"),
        info(
            "watchable_at: of those, not judged (never playable, failed after)",
            len(estimates) - unknown - len(judged),
            "sensors",
        ),
        *_error_rows(
            "requests, learned delays",
            [abs(m) for e, m in learned if e.episode is None],
            P90_LIMIT_MINUTES,
        ),
        *_error_rows(
            "episodes, learned delays",
            [abs(m) for e, m in learned if e.episode is not None],
            P90_LIMIT_MINUTES,
        ),
        *_error_rows(
            "default delays (< 3 samples)",
            [abs(m) for e, m in judged if not e.learned],
        ),
        info(
            "watchable_at: error median, learned (estimate - truth; > 0: late)",
            median([minutes for _, minutes in learned]),
            "min",
        ),
    ]


def _error_rows(
    what: str, errors: Sequence[float], limit: float | None = None
) -> list[Result]:
    """Median and p90 of |estimate - truth|; the p90 against `limit` if given."""
    name = f"watchable_at: |error| {{}}, {what}, {len(errors)} sensors"
    p90 = percentile(errors, 0.9)
    return [
        info(name.format("median"), median(errors), "min"),
        info(name.format("p90"), p90, "min")
        if limit is None
        else at_most(name.format("p90"), p90, "min", limit),
    ]


def _cost_rows(
    traffic: Mapping[Endpoint, Traffic], polls: Mapping[Service, int]
) -> list[Result]:
    """Per poll of each *arr: health, library lookups, and all it answered."""
    rows = []
    for service, lookups in LOOKUPS.items():
        count = polls[service]
        app = service.value.title()
        per_poll = f"per poll ({count:,} polls)"
        health = _total(traffic, service, (HEALTH,))
        library = _total(traffic, service, lookups)
        answered = _total(traffic, service, [p for s, p in traffic if s == service])
        rows += [
            at_most(
                f"{app} /health: requests {per_poll}",
                health.requests / count,
                "requests",
                1,
            ),
            info(f"{app} /health: bytes {per_poll}", health.bytes / count, "B"),
            info(
                f"{app} library lookups: requests {per_poll}",
                library.requests / count,
                "requests",
            ),
            info(
                f"{app} library lookups: KiB {per_poll}",
                library.bytes / 1024 / count,
                "KiB",
            ),
            info(
                f"{app}, all it answered: requests {per_poll}",
                answered.requests / count,
                "requests",
            ),
            info(
                f"{app}, all it answered: KiB {per_poll}",
                answered.bytes / 1024 / count,
                "KiB",
            ),
        ]
    return rows


def _total(
    traffic: Mapping[Endpoint, Traffic], service: Service, paths: Iterable[str]
) -> Traffic:
    """What some endpoints of one service answered together."""
    parts = [traffic.get((service, path), Traffic()) for path in paths]
    return Traffic(sum(p.requests for p in parts), sum(p.bytes for p in parts))
