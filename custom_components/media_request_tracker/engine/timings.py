"""How long this household's stack takes between stages, learned from its requests.

A download's time left is not when a title can be watched: the import, Shoko's
match and Jellyfin's scan follow, and how long they take depends on the stack. Each
request that gets through a stage adds a sample; estimates use the median of the
recent ones, and sensible defaults until there are a few.
"""

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from statistics import median
from typing import Any

from .models import State


class Delay(StrEnum):
    """A wait between two stages."""

    IMPORT = "import"  # downloaded → imported by Radarr/Sonarr
    LIBRARY = "library"  # imported → playable in Jellyfin
    ANIME = "anime"  # imported anime → matched by Shoko and playable
    GRAB = "grab"  # released → grabbed


DEFAULTS = {
    Delay.IMPORT: timedelta(minutes=2),
    Delay.LIBRARY: timedelta(minutes=5),
    Delay.ANIME: timedelta(minutes=20),
    Delay.GRAB: timedelta(hours=2),
}
# Recent samples kept per delay, and how many make a median worth more than the default.
SAMPLES = 50
ENOUGH = 3
# Longer than this is not a delay of the stack (a request left alone for days).
LONGEST = timedelta(days=7)

# Which delay a state change measures: (entered, left) → delay.
_MEASURED = {
    (State.IMPORTING, State.DOWNLOADED): Delay.IMPORT,
    (State.ANIME_MATCHING, State.DOWNLOADED): Delay.IMPORT,
    (State.AVAILABLE, State.IMPORTING): Delay.LIBRARY,
    (State.AVAILABLE, State.ANIME_MATCHING): Delay.ANIME,
}


@dataclass(slots=True)
class Timings:
    """Recent samples of each delay."""

    samples: dict[Delay, deque[float]] = field(
        default_factory=lambda: {delay: deque(maxlen=SAMPLES) for delay in Delay}
    )
    # The wait each delay last measured: a season pack's episodes all measure
    # their download's, which is one sample, not one per episode.
    _last: dict[Delay, Hashable] = field(default_factory=dict)
    # Each delay's median, until a sample changes it (estimates ask thousands
    # of times in a row).
    _typical: dict[Delay, timedelta] = field(default_factory=dict)

    def typical(self, delay: Delay) -> timedelta:
        """The median of recent samples, or the default before there are enough."""
        known = self._typical.get(delay)
        if known is None:
            seen = self.samples[delay]
            known = (
                DEFAULTS[delay]
                if len(seen) < ENOUGH
                else timedelta(seconds=median(seen))
            )
            self._typical[delay] = known
        return known

    def learn(self, delay: Delay, took: timedelta) -> None:
        """Keep a sample, unless it cannot be a delay of the stack."""
        if timedelta(0) <= took <= LONGEST:
            self.samples[delay].append(took.total_seconds())
            self._typical.pop(delay, None)

    def learn_transition(
        self,
        reached: dict[State, datetime],
        state: State,
        now: datetime,
        wait: Hashable,
    ) -> None:
        """A track entered `state`: what it measured since the stage it left.

        `wait` names what was waited for (a download): the tracks that share it
        measured it once. A track that failed on the way (an import fixed by
        hand, a download replaced) measured a person, not the stack.
        """
        if State.FAILED in reached:
            return
        for (entered, left), delay in _MEASURED.items():
            if entered is state and (since := reached.get(left)) is not None:
                if self._last.get(delay) != wait:
                    self._last[delay] = wait
                    self.learn(delay, now - since)
                return

    def to_dict(self) -> dict[str, Any]:
        """The stored form: seconds by delay."""
        return {delay.value: list(seen) for delay, seen in self.samples.items()}

    def restore(self, data: dict[str, Any]) -> None:
        """Take the samples of the stored form (unknown delays are left out)."""
        for delay in Delay:
            self.samples[delay].extend(
                float(took) for took in data.get(delay.value, ())
            )
        self._typical.clear()
