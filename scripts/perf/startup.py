"""Home Assistant starting with many stored requests: setup time and memory.

The `.storage` file is written by the integration's own `storage.serialize` from a
tracker filled through the engine (every stage, 20 episodes per show), then the entry
is set up in a fresh Home Assistant: the store loaded, the tracker filled, and a
sensor (with its device) created for every request and every episode. Jellyseerr is
unreachable, so no poll adds anything.
"""

from datetime import UTC, datetime
from pathlib import Path
import tempfile

from .engine import staged_tracker
from .harness import Integration, running_integration, write_store
from .report import Result, below, info

ENTRY_ID = "01BENCHSTARTUP0000000000000"
# Home Assistant warns about an integration whose setup takes longer than this.
SLOW_SETUP_SECONDS = 10


async def bench_startup(requests: int) -> list[Result]:
    """Wall time of the entry's setup, until every entity exists."""
    integration, entity_row, size = await _start_from_store(requests, trace=False)
    return [
        info(f"startup: .storage file of {requests:,} requests", size / 1e6, "MB"),
        below(
            f"startup: setup with {requests:,} stored requests",
            integration.setup_seconds,
            "s",
            SLOW_SETUP_SECONDS,
        ),
        entity_row,
    ]


async def bench_home_assistant_memory(requests: int) -> list[Result]:
    """Memory the setup keeps per tracked request (tracemalloc, all allocations).

    The tracker, its stored-form cache, the entities, their registry entries and
    devices, and their states in the state machine (as many entities as Home
    Assistant allows one entry: see the entities row). What an entry keeps without
    any request (its platforms, summary sensors, pollers) is measured first and
    subtracted.
    """
    empty, _, _ = await _start_from_store(0, trace=True)
    integration, entity_row, _ = await _start_from_store(requests, trace=True)
    kept = (integration.setup_bytes or 0) - (empty.setup_bytes or 0)
    return [
        info(
            f"memory: Home Assistant per request ({requests:,} req. and their entities)",
            kept / requests / 1024,
            "KiB",
        ),
        entity_row,
    ]


async def _start_from_store(
    requests: int, *, trace: bool
) -> tuple[Integration, Result, int]:
    """Set the entry up from a stored tracker.

    Returns the integration, the row of its entities, and the file's size.
    """
    tracker = staged_tracker(requests, datetime.now(UTC))
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
    return integration, entity_row, size
