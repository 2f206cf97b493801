"""What polling costs: HTTP requests, bytes and CPU per poll cycle.

Pollers run by hand here (the entry's "disable polling" preference is on), one full
cycle at a time, while the fake services (in their own process) count what they
answer. CPU is Home Assistant's process time during the cycle: the integration's
clients, parsing, engine and entity updates, and aiohttp's client side.
"""

from collections.abc import Mapping
from dataclasses import dataclass
import gc
import time

from custom_components.media_request_tracker.engine.models import Service as Configured
from tests.simulator import Service

from .loop import CALLBACK_MS_TARGET, Callbacks, longest_callback
from .remote import Traffic, traffic_between
from .report import Result, at_most, info, timer
from .simulation import POLLED_SERVICES, Simulation, simulated_integration
from .titles import Stage, grab_steps, request_steps

STEADY_CYCLES = 5
# One maindata request per cycle; "much smaller": under a tenth of the full update.
INCREMENTAL_SHARE_TARGET = 0.1


@dataclass(frozen=True, slots=True)
class Cycle:
    """One poll cycle: what each service answered, and the integration's CPU."""

    traffic: Mapping[Service, Traffic]
    cpu_seconds: float
    wall_seconds: float
    # The longest event-loop callbacks (task steps included).
    callbacks: Callbacks

    def requests(self, service: Service) -> int:
        """Requests one service answered."""
        return self.traffic[service].requests

    def kib(self, service: Service) -> float:
        """Response bytes of one service, in KiB."""
        return self.traffic[service].bytes / 1024


async def poll_cycle(sim: Simulation, pollers: Mapping[Configured, object]) -> Cycle:
    """Refresh each poller once, one after the other, and count what it cost.

    A full garbage collection runs first, so that a cycle does not pay for the
    garbage of what came before it (`measure_poll_cycles` reports that pause).
    """
    hass = sim.integration.hass
    gc.collect()
    before = await sim.stack.traffic()
    cpu, wall = time.process_time(), time.perf_counter()
    with longest_callback() as callbacks:
        for poller in pollers.values():
            await poller.async_refresh()  # type: ignore[attr-defined]
        await hass.async_block_till_done()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    traffic = traffic_between(before, await sim.stack.traffic())
    return Cycle(traffic, cpu, wall, callbacks)


async def bench_qbittorrent_sync(torrents: int, active: int) -> list[Result]:
    """Requests and bytes of qBittorrent's `sync/maindata`, full and steady cycles.

    `torrents` torrents in the client, `active` of them downloading and tracked (movie
    downloads: no `torrents/files` lookups), the rest seeding. The first cycle is what
    follows a new session (Home Assistant or qBittorrent restarted): a 403, the login
    and the full update. Steady cycles follow 5 simulated seconds apart (the active
    poll interval) and ask only for what changed since the last one.
    """
    async with simulated_integration(
        (Configured.JELLYSEERR, Configured.QBITTORRENT)
    ) as sim:
        titles = await sim.stack.add_titles(
            "qbt", active, episodes=0, movies_only=True, stages=[Stage.DOWNLOADING]
        )
        await sim.stack.add_idle_torrents(torrents - active)
        await sim.stack.advance(60)  # the idle ones are seeding by now
        await sim.play(request_steps(titles) + grab_steps(titles))
        pollers = {Configured.QBITTORRENT: sim.pollers[Configured.QBITTORRENT]}
        await sim.stack.forget_qbittorrent_sessions()
        first = await poll_cycle(sim, pollers)
        steady = []
        for _ in range(STEADY_CYCLES):
            await sim.stack.advance(5)
            steady.append(await poll_cycle(sim, pollers))
    load = f"{torrents:,} torrents, {active} active"
    service = Service.QBITTORRENT
    full_kib = first.kib(service)
    steady_kib = sum(c.kib(service) for c in steady) / len(steady)
    steady_requests = max(c.requests(service) for c in steady)
    share = steady_kib / full_kib
    return [
        info(
            f"qBittorrent: requests, first cycle (login + full update; {load})",
            first.requests(service),
            "requests",
        ),
        info(f"qBittorrent: KiB, first cycle (full update; {load})", full_kib, "KiB"),
        at_most(
            f"qBittorrent: requests per steady cycle ({load})",
            steady_requests,
            "requests",
            1,
        ),
        Result(
            f"qBittorrent: KiB per steady cycle (incremental; {load})",
            steady_kib,
            "KiB",
            f"< {INCREMENTAL_SHARE_TARGET:.0%} of full",
            share < INCREMENTAL_SHARE_TARGET,
        ),
        info(
            f"qBittorrent: CPU, first cycle (integration; {load})",
            first.cpu_seconds * 1000,
            "ms",
        ),
        info(
            f"qBittorrent: CPU per steady cycle (integration; {load})",
            sum(c.cpu_seconds for c in steady) / len(steady) * 1000,
            "ms",
        ),
    ]


async def measure_poll_cycles(sim: Simulation) -> list[Result]:
    """Requests per service and CPU of full poll cycles at the simulation's load.

    The first cycle after the load arrived also looks every followed request up in the
    Radarr/Sonarr library (each is looked up again every 5 minutes); the steady cycle
    that follows 30 simulated seconds later (the active queue and verification
    interval) only reads the queues, the torrents, new requests and the Jellyfin items
    of requests waiting for it. KiB are response bodies. The pause of a full garbage
    collection of Home Assistant's process is reported too: CPython runs one now and
    then, wherever it falls (a poll, a webhook); each cycle here starts after one.
    """
    load = sim.load()
    with timer() as collection:
        gc.collect()
    objects = len(gc.get_objects())
    await sim.stack.advance(30)
    first = await poll_cycle(sim, sim.pollers)
    await sim.stack.advance(30)
    steady = await poll_cycle(sim, sim.pollers)
    results = []
    for service in POLLED_SERVICES.values():
        label = service.value.title().replace("Qbittorrent", "qBittorrent")
        results += [
            info(
                f"poll: {label} requests, first cycle ({load})",
                first.requests(service),
                "requests",
            ),
            info(
                f"poll: {label} requests, steady cycle ({load})",
                steady.requests(service),
                "requests",
            ),
            info(
                f"poll: {label} KiB, steady cycle ({load})",
                steady.kib(service),
                "KiB",
            ),
        ]
    return [
        *results,
        info(
            f"poll: CPU of a first full cycle, all pollers ({load})",
            first.cpu_seconds * 1000,
            "ms",
        ),
        info(
            f"poll: CPU of a steady full cycle, all pollers ({load})",
            steady.cpu_seconds * 1000,
            "ms",
        ),
        at_most(
            f"poll: longest callback's own work, first or steady cycle ({load})",
            max(first.callbacks.longest_own, steady.callbacks.longest_own) * 1000,
            "ms",
            CALLBACK_MS_TARGET,
        ),
        info(
            f"poll: longest callback, collector pauses included ({load})",
            max(first.callbacks.longest, steady.callbacks.longest) * 1000,
            "ms",
        ),
        info(
            f"poll: longest garbage collection during a cycle ({load})",
            max(
                first.callbacks.longest_collection,
                steady.callbacks.longest_collection,
            )
            * 1000,
            "ms",
        ),
        info(
            f"Home Assistant: a full garbage collection ({objects:,} objects; {load})",
            collection() * 1000,
            "ms",
        ),
        info(
            f"poll: wall time of a steady full cycle ({load})",
            steady.wall_seconds * 1000,
            "ms",
        ),
    ]
