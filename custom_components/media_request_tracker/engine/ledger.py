"""The tracker's books: what every rule reads and adds to."""

from dataclasses import dataclass, field

from .correlate import RequestIndex
from .evidence import ShokoFileEvidence
from .models import HealthCheck, Instance, Request, Service
from .timings import Timings


@dataclass(slots=True)
class Ledger:
    """Tracked requests and their index, and what was seen before it could be placed.

    `anime_matching` is on when Shoko is configured; `requesters` (case-folded) limits
    new requests to those people, everyone when empty.
    """

    anime_matching: bool = False
    requesters: frozenset[str] = frozenset()
    requests: dict[str, Request] = field(default_factory=dict)
    # Forgotten or skipped requests: polling never brings them back.
    tombstones: set[str] = field(default_factory=set)
    # Jellyfin episodes seen before the grab that names them, by episode TVDB id.
    sightings: dict[int, str] = field(default_factory=dict)
    # Shoko import folder id → the same folder as Radarr/Sonarr see it, learned from
    # the first file found by its path there (their mounts differ).
    shoko_folders: dict[int, str] = field(default_factory=dict)
    # Jellyfin items of Shoko files no track had yet, by Shoko file id.
    shoko_sightings: dict[int, str] = field(default_factory=dict)
    # What Shoko said of files no track had yet (Sonarr's webhook was missed, the
    # path comes later), by case-folded file name.
    shoko_reported: dict[str, ShokoFileEvidence] = field(default_factory=dict)
    # Each Radarr's and Sonarr's failing health checks, by source.
    health: dict[tuple[Service, Instance], dict[str, HealthCheck]] = field(
        default_factory=dict
    )
    # How long this stack takes between stages (learned, stored).
    timings: Timings = field(default_factory=Timings)
    index: RequestIndex = field(init=False)

    def __post_init__(self) -> None:
        """Index the requests this ledger holds."""
        self.index = RequestIndex(self.requests)
