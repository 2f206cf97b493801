"""Simulated time: scenario seconds that can run faster than the wall clock.

Scenarios are written in simulated seconds ("grab at 10 s, import at 140 s") so that one
script serves a 10-minute demo and a 1-second test. Dates that the fake services put in
their payloads are the wall-clock moments at which the simulated events happen, so they
stay consistent with the clock of the Home Assistant instance watching the simulator.
"""

import asyncio
from datetime import UTC, datetime, timedelta
import time


class SimClock:
    """Simulated seconds since start, running `speed` times faster than real time.

    `speed=0` makes a manual clock that only moves when `advance()` is called: tests use
    it to see exact, repeatable torrent progress.
    """

    def __init__(self, speed: float = 1.0, *, start: datetime | None = None) -> None:
        """Start the clock now; `start` pins the wall-clock date of simulated second 0."""
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.speed = speed
        self._pinned = start is not None
        self.start = start or datetime.now(UTC)
        self._origin = time.monotonic()
        self._offset = 0.0
        self._moved = asyncio.Event()

    def restart(self) -> None:
        """Make now simulated second 0 again (the date too, unless it was pinned)."""
        self._origin = time.monotonic()
        self._offset = 0.0
        if not self._pinned:
            self.start = datetime.now(UTC)

    def now(self) -> float:
        """Simulated seconds since the start."""
        return self._offset + (time.monotonic() - self._origin) * self.speed

    def advance(self, seconds: float) -> None:
        """Move a manual clock forward (and wake whoever sleeps on it)."""
        if self.speed:
            raise RuntimeError("only a manual clock (speed=0) can be advanced")
        self._offset += seconds
        self._moved.set()
        self._moved = asyncio.Event()

    async def sleep_until(self, moment: float) -> None:
        """Wait until simulated time `moment` (at once if it has passed)."""
        while (remaining := moment - self.now()) > 0:
            if self.speed:
                await asyncio.sleep(remaining / self.speed)
            else:
                await self._moved.wait()

    def datetime_at(self, moment: float) -> datetime:
        """The wall-clock date of a simulated moment (negative: before the start)."""
        return self.start + timedelta(seconds=moment / (self.speed or 1.0))

    def wall_now(self) -> datetime:
        """The wall-clock date of the current simulated moment."""
        return self.datetime_at(self.now())


def iso_seconds(moment: datetime) -> str:
    """`2026-01-25T22:36:59Z`: System.Text.Json dates (*arr REST, Shoko)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ticks(moment: datetime) -> str:
    """`2026-01-22T04:36:40.2551820Z`: .NET round-trip dates with 7 fraction digits."""
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond:06d}0Z"


def iso_millis(moment: datetime) -> str:
    """`2026-01-25T22:36:59.123Z`: JavaScript `Date.toJSON()` (Jellyseerr)."""
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def unix(moment: datetime) -> int:
    """Whole Unix seconds (qBittorrent)."""
    return int(moment.timestamp())
