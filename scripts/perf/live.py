"""Live without webhooks: upstream change → entity state, and requests per hour.

Three measurements against the simulated stack, with no webhook sent at all:

- latency: each title's grab, then its import, carried out in the stack one at a
  time, from the moment this process asks for it (the pipe to the stack's process
  included) to its request sensor's change (`grabbing`, then `importing`). Home
  Assistant's scheduled polls are off, so only a poll woken by a hub message can make
  the change; a title not changed within `TIMEOUT` counts as missed. Each event
  waits until neither *arr has polled for `QUIET` (a queue-status message, a wake
  deferred to the end of a cooldown, and that poll's own cooldown): each is measured
  from a quiet channel, as a household's grabs and imports, minutes apart, are.
- requests per idle hour: every tracked title is available (nothing in progress).
  Home Assistant polls on its own schedule while its clock (freezegun) and the
  stack's move a second at a time, for an hour with the hubs up, then for an hour
  with them down (every hub request answered 503). Each *arr's HTTP requests are
  counted, reconnect attempts included. With work in progress both poll every 30 s:
  the apps notice a finished or failed download only at their own once-a-minute
  queue refresh, and their hub says no more of it than "sync".
- Jellyfin adds an imported title → `available`: every title imported at once (its
  webhooks on), then Jellyfin adds one at a time, at a random moment, with its
  webhook off; Home Assistant polls on its own schedule, in real time. Jellyfin tells
  an API key nothing about new items, so this is the poller looking for a title
  imported less than `FRESH_FOR` ago every `FRESH_INTERVAL`; also Jellyfin's
  requests per minute while the titles wait.
"""

import asyncio
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import UTC, datetime
import random
import time

from freezegun import freeze_time

from custom_components.media_request_tracker.engine.models import (
    Service as Configured,
    State,
)
from custom_components.media_request_tracker.pollers.base import WAKE_COOLDOWN
from custom_components.media_request_tracker.pollers.jellyfin import FRESH_INTERVAL
from tests.simulator import Service
from tests.simulator.arr import QUEUE_STATUS_DEBOUNCE
from tests.simulator.scenarios import Action, Grab, Import, LibraryAdd
from tests.soak.home import async_settle

from .eta import Clocks
from .remote import traffic_between
from .report import Result, below, info, median, percentile
from .simulation import Simulation, simulated_integration
from .titles import (
    SHORT_DOWNLOAD,
    Stage,
    Title,
    grab_steps,
    import_steps,
    library_steps,
    request_steps,
)

# Issue 18: a grab, a queue change or an import seen within about 2 seconds.
LIVE_TO_STATE_SECONDS_TARGET = 2.0
TIMEOUT = 10.0  # seconds: far beyond any woken poll (timed polls are off)
# Long enough for the last event's queue-status message, a wake it deferred to the
# end of a cooldown, and that poll's own cooldown.
QUIET = QUEUE_STATUS_DEBOUNCE + 2 * WAKE_COOLDOWN + 0.5
EPISODES_PER_SHOW = 12
HOUR = 3600.0
TICK = 1.0
START = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
ARRS = {Service.RADARR: "Radarr", Service.SONARR: "Sonarr"}


async def bench_live_channels(titles: int) -> list[Result]:
    """`titles` (half movies, half shows) grabbed and imported through the hubs."""
    return [
        *await _measure_latency(titles),
        *await _measure_idle_hours(titles),
        *await _measure_library(titles),
    ]


async def _measure_latency(count: int) -> list[Result]:
    """Grab → `grabbing`, import → `importing`, per app: p50, and p99 against 2 s."""
    async with simulated_integration() as sim:
        titles = await _requested(sim, count)
        entities = sim.request_entities(titles)
        grabs = await _timed(
            sim,
            [(t, Grab(t.release, SHORT_DOWNLOAD)) for t in titles],
            entities,
            ("grabbing", "downloading"),
            _until_quiet,
        )
        await sim.stack.advance(60)  # every download has finished
        imports = await _timed(
            sim,
            [(t, Import(t.release)) for t in titles],
            entities,
            ("importing",),
            _until_quiet,
        )
        load = sim.load()
    rows = []
    for is_movie, app in ((True, "Radarr"), (False, "Sonarr")):
        seen = [
            1000 * latency
            for title, latency in (*grabs, *imports)
            if title.is_movie is is_movie and latency is not None
        ]
        total = sum(title.is_movie is is_movie for title, _ in (*grabs, *imports))
        what = f"({len(seen)}/{total} grabs and imports seen, {load})"
        rows += [
            info(f"{app} hub: change → state p50 {what}", median(seen), "ms"),
            below(
                f"{app} hub: change → state p99 {what}",
                percentile(seen, 0.99) if len(seen) == total else float("inf"),
                "ms",
                LIVE_TO_STATE_SECONDS_TARGET * 1000,
            ),
        ]
    return rows


async def _requested(sim: Simulation, count: int) -> list[Title]:
    """`count` titles requested, found by Jellyseerr's poll, bound by the *arrs'."""
    titles = await sim.stack.add_titles(
        "live", count, episodes=EPISODES_PER_SHOW, stages=[Stage.AVAILABLE]
    )
    await sim.play(request_steps(titles), webhooks=False)
    await sim.pollers[Configured.JELLYSEERR].async_refresh()
    await async_settle(sim.integration.hass)
    if len(sim.request_entities(titles)) != count:
        raise RuntimeError("Jellyseerr's poll did not find every request")
    return titles


async def _timed(
    sim: Simulation,
    actions: Sequence[tuple[Title, Action]],
    entities: dict[str, str],
    states: Collection[str],
    before_each: Callable[[Simulation], Awaitable[None]],
) -> list[tuple[Title, float | None]]:
    """Each action alone, and the seconds until its title's sensor took a state."""
    measured: list[tuple[Title, float | None]] = []
    for title, action in actions:
        sensor = entities[title.name]

        def shows(entity: str, state: str | None, sensor: str = sensor) -> bool:
            return entity == sensor and state in states

        await before_each(sim)
        start = time.perf_counter()
        await sim.play([action], webhooks=False)
        change = None
        while change is None and time.perf_counter() - start < TIMEOUT:
            await asyncio.sleep(0.01)
            change = sim.watch.first_after(start, shows)
        measured.append((title, None if change is None else change[0]))
    return measured


async def _until_quiet(sim: Simulation) -> None:
    """Until neither Radarr nor Sonarr has polled for `QUIET` seconds."""
    polled = asyncio.Event()
    stops = [
        sim.pollers[Configured(app)].async_add_listener(polled.set) for app in ARRS
    ]
    try:
        while True:
            polled.clear()
            async with asyncio.timeout(QUIET):
                await polled.wait()
    except TimeoutError:
        pass
    finally:
        for stop in stops:
            stop()


async def _measure_idle_hours(count: int) -> list[Result]:
    """Requests to each *arr in an idle hour, hubs up then down."""
    with freeze_time(START) as frozen:
        async with simulated_integration(polling=True, start=START) as sim:
            titles = await sim.stack.add_titles(
                "idle", count, episodes=EPISODES_PER_SHOW, stages=[Stage.AVAILABLE]
            )
            clocks = Clocks(sim, frozen.move_to, START)
            await _all_available(sim, clocks, titles)
            up = await _requests_in_an_hour(sim, clocks)
            await sim.stack.take_down_arr_hubs()
            down = await _requests_in_an_hour(sim, clocks)
            load = sim.load()
    return [
        info(
            f"{app}: requests in an idle hour, hub {state} ({load})",
            counts[app],
            "req.",
        )
        for app in ARRS.values()
        for state, counts in (("up", up), ("down", down))
    ]


async def _all_available(sim: Simulation, clocks: Clocks, titles: list[Title]) -> None:
    """Every title through to `available` (webhooks on), then ten quiet minutes."""
    await sim.play(request_steps(titles) + grab_steps(titles))
    await _pass(clocks, 60)  # every download has finished
    await sim.play(import_steps(titles) + library_steps(titles))
    await _pass(clocks, 600)
    states = {
        r.state for r in sim.integration.entry.runtime_data.tracker.requests.values()
    }
    if states != {State.AVAILABLE}:
        raise RuntimeError(f"titles left in {states}, not all available")


async def _requests_in_an_hour(sim: Simulation, clocks: Clocks) -> dict[str, int]:
    """Each *arr's HTTP requests while the clocks move an hour."""
    before = await sim.stack.traffic()
    await _pass(clocks, HOUR)
    traffic = traffic_between(before, await sim.stack.traffic())
    return {app: traffic[service].requests for service, app in ARRS.items()}


async def _pass(clocks: Clocks, seconds: float) -> None:
    """Move the clocks a tick at a time, as time passes."""
    end = clocks.now + seconds
    while clocks.now < end:
        await clocks.move_to(min(end, clocks.now + TICK))


async def _measure_library(count: int) -> list[Result]:
    """Jellyfin adds → `available`, p50 and p99 against 2 s, and its requests."""
    async with simulated_integration(polling=True) as sim:
        titles = await _requested(sim, count)
        entities = sim.request_entities(titles)
        await sim.play(grab_steps(titles))
        await sim.stack.advance(60)  # every download has finished
        await sim.play(import_steps(titles))
        await async_settle(sim.integration.hass)
        before = await sim.stack.traffic()
        start = time.perf_counter()
        added = await _timed(
            sim,
            [(t, LibraryAdd(t.release)) for t in titles],
            entities,
            ("available",),
            _random_phase(random.Random(18)),
        )
        minutes = (time.perf_counter() - start) / 60
        traffic = traffic_between(before, await sim.stack.traffic())
        load = sim.load()
    seen = [1000 * latency for _, latency in added if latency is not None]
    what = f"({len(seen)}/{len(added)} titles seen, {load})"
    return [
        info(f"Jellyfin: added → available p50 {what}", median(seen), "ms"),
        below(
            f"Jellyfin: added → available p99 {what}",
            percentile(seen, 0.99) if len(seen) == len(added) else float("inf"),
            "ms",
            LIVE_TO_STATE_SECONDS_TARGET * 1000,
        ),
        info(
            f"Jellyfin: requests per minute, {count} imports added one by one",
            traffic[Service.JELLYFIN].requests / minutes,
            "req.",
        ),
    ]


def _random_phase(chance: random.Random) -> Callable[[Simulation], Awaitable[None]]:
    """Waits a random part of the poll interval: Jellyfin adds at any moment."""

    async def wait(_: Simulation) -> None:
        await asyncio.sleep(chance.uniform(0, FRESH_INTERVAL.total_seconds()))

    return wait
