"""What a loaded config entry holds (`entry.runtime_data`), and its options."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .const import (
    DEFAULT_BACKFILL_DAYS,
    DEFAULT_EPISODE_SETTLE_MINUTES,
    DEFAULT_HISTORY_DAYS,
    DEFAULT_PROTECTED_TAG,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_STALL_HOURS,
    OPTION_BACKFILL_DAYS,
    OPTION_EPISODE_ENTITIES,
    OPTION_EPISODE_SETTLE_MINUTES,
    OPTION_HISTORY_DAYS,
    OPTION_LOCAL_WEBHOOKS_ONLY,
    OPTION_PEOPLE,
    OPTION_PROTECTED_TAG,
    OPTION_REMEDIATION,
    OPTION_REQUESTERS,
    OPTION_RETENTION_DAYS,
    OPTION_STALL_HOURS,
)
from .engine.models import Request, State
from .engine.remediation import Mode
from .engine.tracker import Tracker
from .texts import Texts

if TYPE_CHECKING:
    # These take the entry type from here: importing them at run time would be
    # circular, and annotations are not evaluated at run time (Python 3.14).
    from .pollers import (
        JellyfinPoller,
        JellyseerrPoller,
        QBittorrentPoller,
        RadarrPoller,
        ServicePoller,
        ShokoPoller,
        SonarrPoller,
    )
    from .posters import Posters
    from .publish import EntityPublisher
    from .remediation import Remediation
    from .tracking import RequestTracking


@dataclass(frozen=True, slots=True)
class TrackerOptions:
    """The entry's options (DESIGN §4), with their documented defaults."""

    retention: timedelta
    history: timedelta
    episode_entities: bool
    requesters: tuple[str, ...]
    backfill: timedelta
    stall_thresholds: dict[State, timedelta]
    local_webhooks_only: bool
    # Jellyseerr users to the Home Assistant persons they are.
    people: dict[str, str] = field(default_factory=dict)
    # Whether stuck requests are helped by themselves, and which *arr tag forbids it.
    remediation: Mode = Mode.OFF
    protected_tag: str = DEFAULT_PROTECTED_TAG
    # New episodes are summed up once none became available for this long.
    episode_settle: timedelta = timedelta(minutes=DEFAULT_EPISODE_SETTLE_MINUTES)

    @classmethod
    def from_entry(cls, entry: ConfigEntry) -> TrackerOptions:
        """Read the options of an entry."""
        options = entry.options
        return cls(
            retention=timedelta(
                days=options.get(OPTION_RETENTION_DAYS, DEFAULT_RETENTION_DAYS)
            ),
            history=timedelta(
                days=options.get(OPTION_HISTORY_DAYS, DEFAULT_HISTORY_DAYS)
            ),
            episode_entities=options.get(OPTION_EPISODE_ENTITIES, True),
            requesters=tuple(options.get(OPTION_REQUESTERS, ())),
            backfill=timedelta(
                days=options.get(OPTION_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS)
            ),
            stall_thresholds={
                State(state): timedelta(hours=hours)
                for state, hours in {
                    **DEFAULT_STALL_HOURS,
                    **options.get(OPTION_STALL_HOURS, {}),
                }.items()
            },
            local_webhooks_only=options.get(OPTION_LOCAL_WEBHOOKS_ONLY, True),
            people=dict(options.get(OPTION_PEOPLE, {})),
            remediation=Mode(options.get(OPTION_REMEDIATION, Mode.OFF)),
            protected_tag=options.get(OPTION_PROTECTED_TAG, DEFAULT_PROTECTED_TAG),
            episode_settle=timedelta(
                minutes=options.get(
                    OPTION_EPISODE_SETTLE_MINUTES, DEFAULT_EPISODE_SETTLE_MINUTES
                )
            ),
        )


@dataclass(slots=True)
class MediaRequestTrackerData:
    """The entry's tracking, texts and posters, and a poller per configured service."""

    tracking: RequestTracking
    texts: Texts
    posters: Posters
    jellyseerr: JellyseerrPoller
    # Every Radarr and Sonarr, the primary ones (entry data) first.
    arrs: list[RadarrPoller | SonarrPoller] = field(default_factory=list)
    qbittorrent: QBittorrentPoller | None = None
    jellyfin: JellyfinPoller | None = None
    shoko: ShokoPoller | None = None
    # Set once the entry's pollers exist (it takes steps through them).
    remediation: Remediation | None = None

    @property
    def entry_id(self) -> str:
        """The config entry this data belongs to."""
        return self.tracking.publisher.entry_id

    @property
    def tracker(self) -> Tracker:
        """The engine holding the entry's requests."""
        return self.tracking.tracker

    @property
    def publisher(self) -> EntityPublisher:
        """What keeps the entry's request entities current."""
        return self.tracking.publisher

    @property
    def pollers(self) -> dict[str, ServicePoller]:
        """Every poller, by service; a Radarr/Sonarr subentry's by its id."""
        configured: list[ServicePoller | None] = [
            self.jellyseerr,
            *self.arrs,
            self.qbittorrent,
            self.jellyfin,
            self.shoko,
        ]
        return {
            poller.instance_key or poller.service: poller
            for poller in configured
            if poller is not None
        }

    def delivers_live(self, key: str) -> bool:
        """Whether the poller of that key (service or subentry id) has its hub up.

        A hub still making its first connection counts (its link has no error
        yet): repairs do not ask for webhooks in the seconds it takes to connect
        at every start.
        """
        poller = self.pollers.get(key)
        link = None if poller is None else poller.link
        return link is not None and link.error is None

    def arr_for(self, request: Request) -> RadarrPoller | SonarrPoller | None:
        """The Radarr or Sonarr the request belongs to, or would go to (§3).

        Bound to an instance by its *arr id, that one; else the first that serves
        it, the primary before the subentries.
        """
        for poller in self.arrs:
            if poller.service is request.arr and poller.arr.instance.serves(request):
                return poller
        return None


type MediaRequestTrackerConfigEntry = ConfigEntry[MediaRequestTrackerData]
