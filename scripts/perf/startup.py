"""Home Assistant starting with many stored requests: setup time and memory.

The `.storage` file is written by the integration's own `storage.serialize` from a
tracker filled through the engine (every stage, 20 episodes per show), then the entry
is set up in a fresh Home Assistant: the store loaded, the tracker filled, and a
sensor (with its device) created for every request and every episode. Jellyseerr is
unreachable, so no poll adds anything.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
import tempfile

from custom_components.media_request_tracker.engine.tracker import Tracker
from custom_components.media_request_tracker.publish import ENTITY_CAP

from .engine import downloading_shows, staged_tracker
from .harness import Integration, running_integration, write_store
from .loop import CALLBACK_MS_TARGET
from .report import Result, at_most, info

ENTRY_ID = "01BENCHSTARTUP0000000000000"
# Setup with 5,000 stored requests (issue 17).
SETUP_SECONDS_TARGET = 2
# Per request of ten episodes, with its entities (issue 17).
HOME_ASSISTANT_KIB_TARGET = 50


async def bench_startup(requests: int) -> list[Result]:
    """Wall time of the entry's setup, until every entity exists."""
    tracker = staged_tracker(requests, datetime.now(UTC))
    integration, entity_row, size, _ = await _start_from_store(tracker, trace=False)
    startup = integration.startup
    return [
        info(f"startup: .storage file of {requests:,} requests", size / 1e6, "MB"),
        at_most(
            f"startup: entry set up (loaded) with {requests:,} stored requests",
            startup.loaded_seconds,
            "s",
            SETUP_SECONDS_TARGET,
        ),
        info(
            f"startup: until every entity exists ({requests:,} stored requests)",
            startup.all_entities_seconds,
            "s",
        ),
        at_most(
            f"startup: longest callback's own work ({requests:,} stored requests)",
            startup.callbacks.longest_own * 1000,
            "ms",
            CALLBACK_MS_TARGET,
        ),
        entity_row,
    ]


async def bench_entity_cap(shows: int, episodes: int) -> list[Result]:
    """Shows in progress that want more sensors than an entry may have.

    Every show keeps its status sensor; episode and followers sensors fill the
    rest of the cap; the repair counts exactly what was left out.
    """
    tracker = downloading_shows(shows, episodes, datetime.now(UTC))
    wanted = shows * (episodes + 2)  # status, followers and each episode
    _, _, _, counted = await _start_from_store(tracker, trace=False)
    made = counted.enabled - counted.entry_entities
    return [
        Result(
            f"entities: {shows:,} shows of {episodes} ep. in progress: every status "
            f"sensor, the rest up to the cap ({counted.left_out:,} left out, "
            "counted by the repair)",
            counted.enabled,
            "entities",
            f"<= {ENTITY_CAP:,}",
            counted.sensors == counted.tracked
            and made + counted.left_out == wanted
            and counted.enabled <= ENTITY_CAP,
        )
    ]


async def bench_home_assistant_memory(requests: int) -> list[Result]:
    """Memory the setup keeps per tracked request (tracemalloc, all allocations).

    The tracker, its stored-form cache, the entities, their registry entries and
    devices, and their states in the state machine (as many entities as Home
    Assistant allows one entry: see the entities row). What an entry keeps without
    any request (its platforms, summary sensors, pollers) is measured first and
    subtracted.
    """
    empty, _, _, _ = await _start_from_store(Tracker(), trace=True)
    tracker = staged_tracker(requests, datetime.now(UTC))
    integration, entity_row, _, _ = await _start_from_store(tracker, trace=True)
    kept = (integration.setup_bytes or 0) - (empty.setup_bytes or 0)
    return [
        at_most(
            f"memory: Home Assistant per request ({requests:,} req. and their entities)",
            kept / requests / 1024,
            "KiB",
            HOME_ASSISTANT_KIB_TARGET,
        ),
        entity_row,
    ]


@dataclass(frozen=True, slots=True)
class Counted:
    """The entry's entities once set up."""

    tracked: int
    sensors: int
    enabled: int
    entry_entities: int
    left_out: int


async def _start_from_store(
    tracker: Tracker, *, trace: bool
) -> tuple[Integration, Result, int, Counted]:
    """Set the entry up from a stored tracker (handed over: it is let go).

    Returns the integration, the row of its entities, the file's size, and the
    entities counted while it ran.
    """
    requests = len(tracker.requests)
    episodes = sum(len(request.episodes) for request in tracker.requests.values())
    with tempfile.TemporaryDirectory() as directory:
        size = write_store(Path(directory), ENTRY_ID, tracker)
        del tracker
        async with running_integration(
            config_dir=Path(directory),
            entry_id=ENTRY_ID,
            polling=False,
            trace_memory=trace,
        ) as integration:
            entity_row = integration.entity_row(
                f"{requests:,} stored req., {episodes:,} ep."
            )
            counted = Counted(
                *integration.entities(),
                integration.entry_entities,
                integration.left_out(),
            )
    return integration, entity_row, size, counted
