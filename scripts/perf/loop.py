"""The event loop's longest callbacks, with the garbage collector's pauses apart."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
import gc
import time

# No single callback of ours may hold the event loop longer (issue 17).
CALLBACK_MS_TARGET = 50


@dataclass
class Callbacks:
    """The longest event-loop callbacks of a block, with and without collections.

    Python's garbage collector runs inside whichever callback happens to allocate
    when a generation fills up: its pause is the process's, not that callback's.
    """

    # Wall time, collector pauses included.
    longest: float = 0.0
    # The callback's own work: the collector pauses during it taken out.
    longest_own: float = 0.0
    # The longest single garbage collection.
    longest_collection: float = 0.0
    # What the callback with the longest own work was (its handle).
    slowest: str = ""


@contextmanager
def longest_callback() -> Iterator[Callbacks]:
    """Time every event-loop callback of the block (task steps too), in seconds.

    Every callback the loop runs goes through `Handle._run`; the fake services run
    in their own process, so these are Home Assistant's and ours. `gc.callbacks`
    times each collection.
    """
    times = Callbacks()
    collecting = [0.0, 0.0]  # start of the collection running, total during callback
    run = asyncio.events.Handle._run  # noqa: SLF001 - measured, then put back

    def collection(phase: str, _info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            collecting[0] = now
            return
        pause = now - collecting[0]
        collecting[1] += pause
        times.longest_collection = max(times.longest_collection, pause)

    def timed(handle: asyncio.events.Handle) -> None:
        collecting[1] = 0.0
        start = time.perf_counter()
        try:
            run(handle)
        finally:
            took = time.perf_counter() - start
            times.longest = max(times.longest, took)
            if took - collecting[1] > times.longest_own:
                times.longest_own = took - collecting[1]
                times.slowest = _describe(handle)

    gc.callbacks.append(collection)
    asyncio.events.Handle._run = timed  # type: ignore[method-assign,assignment]  # noqa: SLF001
    try:
        yield times
    finally:
        asyncio.events.Handle._run = run  # type: ignore[method-assign]  # noqa: SLF001
        gc.callbacks.remove(collection)


def _describe(handle: asyncio.events.Handle) -> str:
    """The task a callback stepped (its name and coroutine), else the callback."""
    owner = getattr(getattr(handle, "_callback", None), "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro = owner.get_coro()
        return f"{owner.get_name()}: {getattr(coro, '__qualname__', coro)}"
    return repr(handle)[:160]
