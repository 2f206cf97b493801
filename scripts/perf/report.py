"""One row of the report, and the helpers every measurement shares."""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
import statistics
import time

# The lifecycle issue's target for a save of the stored form (DESIGN §2.6).
SAVE_MS_TARGET = 200


@dataclass(frozen=True, slots=True)
class Result:
    """One row of the report: what was measured, at which load, against which target."""

    name: str
    value: float
    unit: str
    target: str
    met: bool | None

    def row(self) -> str:
        """The row as text."""
        verdict = {True: "yes", False: "NO", None: "-"}[self.met]
        return f"| {self.name:<72} | {self.value:>12,.2f} {self.unit:<9} | {self.target:<14} | {verdict:<4} |"


def header() -> str:
    """The table's header, matching `Result.row`."""
    return (
        f"| {'measurement':<72} | {'value':>22} | {'target':<14} | met  |\n"
        f"|{'-' * 74}|{'-' * 24}|{'-' * 16}|------|"
    )


def info(name: str, value: float, unit: str) -> Result:
    """A row without a target."""
    return Result(name, value, unit, "-", None)


def at_most(name: str, value: float, unit: str, limit: float) -> Result:
    """A row whose target is an upper bound (inclusive)."""
    return Result(name, value, unit, f"<= {limit:,g}", value <= limit)


def below(name: str, value: float, unit: str, limit: float) -> Result:
    """A row whose target is a strict upper bound."""
    return Result(name, value, unit, f"< {limit:,g} {unit}", value < limit)


@contextmanager
def timer() -> Iterator[Callable[[], float]]:
    """Elapsed seconds of the block, read after it ends."""
    start = time.perf_counter()
    elapsed = [0.0]
    yield lambda: elapsed[0]
    elapsed[0] = time.perf_counter() - start


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (`fraction` 0.99 for p99); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(len(ordered) * fraction))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: Sequence[float]) -> float:
    """The median (0 for no values: a row must still have a number)."""
    return statistics.median(values) if values else 0.0
