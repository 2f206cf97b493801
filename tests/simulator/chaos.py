"""Seeded webhook chaos: deliveries lost, sent twice, or held back and reordered.

The upstream apps never retry, and real networks, restarts and back-offs lose,
repeat and reorder their webhooks. With chaos on, the sender draws each webhook's
fate from its own seeded generator (a run is repeatable): the service's state has
changed either way, only the delivery suffers.
"""

from dataclasses import dataclass
from enum import StrEnum
import random


class Fate(StrEnum):
    """What chaos does to one webhook."""

    SENT = "sent"
    DROPPED = "dropped"
    DUPLICATED = "duplicated"
    DELAYED = "delayed"


@dataclass(frozen=True, slots=True)
class ChaosSettings:
    """How likely each fate is (the rest are sent as usual), and the longest delay.

    Delays are simulated seconds: a held webhook goes out when the sender's
    `deliver_due()` runs at or after its time, after the webhooks sent meanwhile.
    """

    drop: float = 0.0
    duplicate: float = 0.0
    delay: float = 0.0
    max_delay: float = 60.0

    def __post_init__(self) -> None:
        """Refuse probabilities that do not add up."""
        chances = (self.drop, self.duplicate, self.delay)
        if min(chances) < 0 or sum(chances) > 1:
            raise ValueError("chaos probabilities must be >= 0 and add up to <= 1")


class WebhookChaos:
    """Draws the fate (and the delay) of each webhook from a seeded generator."""

    def __init__(self, settings: ChaosSettings, seed: int) -> None:
        """Start the generator; the same seed and sends give the same fates."""
        self.settings = settings
        self._random = random.Random(seed)  # noqa: S311 (repeatable, not secret)

    def draw(self) -> tuple[Fate, float]:
        """The next webhook's fate, and its delay in seconds when it is held back."""
        settings = self.settings
        roll = self._random.random()
        if roll < settings.drop:
            return Fate.DROPPED, 0.0
        roll -= settings.drop
        if roll < settings.duplicate:
            return Fate.DUPLICATED, 0.0
        roll -= settings.duplicate
        if roll < settings.delay:
            return Fate.DELAYED, self._random.uniform(1.0, settings.max_delay)
        return Fate.SENT, 0.0
