"""What the tracker knows: requests, their episodes and downloads, and their states.

State is never stored as the result of a transition; it is derived from facts that only
accumulate (the furthest stage each piece of evidence proved, blockers tied to the stage
they concern). That is what makes duplicate and out-of-order evidence harmless.
Serialisation lives in `stored.py`.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum

from .codes import Problem, Waiting


class State(StrEnum):
    """The state of a request or an episode (translated in strings.json)."""

    REQUESTED = "requested"
    APPROVED = "approved"
    GRABBING = "grabbing"
    DOWNLOADING = "downloading"
    DOWNLOADED = "downloaded"
    IMPORTING = "importing"
    ANIME_MATCHING = "anime_matching"
    AVAILABLE = "available"
    FAILED = "failed"
    DECLINED = "declined"
    REMOVED = "removed"


TERMINAL_STATES = frozenset({State.AVAILABLE, State.DECLINED, State.REMOVED})


class Stage(IntEnum):
    """How far along the pipeline evidence has proven something to be."""

    NONE = 0
    REQUESTED = 1
    APPROVED = 2
    GRABBED = 3
    DOWNLOADING = 4
    DOWNLOADED = 5
    IMPORTED = 6
    AVAILABLE = 7


STAGE_STATES: dict[Stage, State] = {
    Stage.NONE: State.REQUESTED,
    Stage.REQUESTED: State.REQUESTED,
    Stage.APPROVED: State.APPROVED,
    Stage.GRABBED: State.GRABBING,
    Stage.DOWNLOADING: State.DOWNLOADING,
    Stage.DOWNLOADED: State.DOWNLOADED,
    Stage.IMPORTED: State.IMPORTING,
    Stage.AVAILABLE: State.AVAILABLE,
}


class MediaType(StrEnum):
    """Movie or TV, as Jellyseerr names them."""

    MOVIE = "movie"
    TV = "tv"


class Remedy(StrEnum):
    """A step that may unstick a request (the retry action's `step`, remediation)."""

    # Ask the download client's trackers for peers again.
    REANNOUNCE = "reannounce"
    # Drop the download and blocklist its release, so Radarr/Sonarr grab another.
    REPLACE = "replace"
    # Ask Radarr/Sonarr to search for what the request still misses.
    SEARCH = "search"
    # Ask Jellyseerr to hand the request to Radarr/Sonarr again.
    JELLYSEERR_RETRY = "jellyseerr_retry"
    # Ask Shoko to match an anime file with AniDB again.
    SHOKO_RESCAN = "shoko_rescan"


# The steps a person may take by hand with the retry action.
RETRY_STEPS = (Remedy.SEARCH, Remedy.REANNOUNCE, Remedy.REPLACE)


@dataclass(frozen=True, slots=True)
class Attempt:
    """A step taken for a request (or, in a dry run, decided), and how it went."""

    remedy: Remedy
    at: datetime
    dry_run: bool
    # `done`, `dry_run`, `protected` (its *arr item carries the protected tag),
    # `not_applicable` (nothing to take it on) or `failed` (the service did not).
    result: str
    # Its place in the day's budget: attempt `number` of `of`.
    number: int = 1
    of: int = 1
    # Taken by a person (the `retry` action): the ladder waits after it, the
    # budget does not count it.
    by_hand: bool = False

    @property
    def helps(self) -> bool:
        """Whether it was taken (or would have been, in a dry run)."""
        return self.result in {"done", "dry_run"}


class Service(StrEnum):
    """An upstream service; its value is also its key in the config entry's data."""

    JELLYSEERR = "jellyseerr"
    RADARR = "radarr"
    SONARR = "sonarr"
    QBITTORRENT = "qbittorrent"
    JELLYFIN = "jellyfin"
    SHOKO = "shoko"

    @property
    def display_name(self) -> str:
        """The name users know the service by."""
        return _DISPLAY_NAMES[self]


_DISPLAY_NAMES = {
    Service.JELLYSEERR: "Jellyseerr",
    Service.RADARR: "Radarr",
    Service.SONARR: "Sonarr",
    Service.QBITTORRENT: "qBittorrent",
    Service.JELLYFIN: "Jellyfin",
    Service.SHOKO: "Shoko Server",
}


type EpisodeKey = tuple[int, int]


def episode_label(key: EpisodeKey) -> str:
    """`S01E03` for season 1, episode 3."""
    return f"S{key[0]:02d}E{key[1]:02d}"


@dataclass(frozen=True, slots=True)
class Blocker:
    """A problem, and the stage it blocks.

    Evidence of a later stage supersedes it: an import after "import blocked" clears it.
    A blocker a poll saw (`polled_by` names the service) also clears when the next
    poll of that service no longer sees it.
    """

    problem: Problem
    stage: Stage
    polled_by: Service | None = None


@dataclass(slots=True)
class TimelineEntry:
    """One state change, or a remediation step: when, the state, who, and what."""

    time: datetime
    state: State
    # The service whose evidence it was, or REMEDIATION.
    source: str
    detail: str


# The timeline's source of the steps remediation took (or decided, in a dry run).
REMEDIATION = "remediation"


@dataclass(slots=True)
class LiveProgress:
    """How a download is going right now; polled often, never stored.

    `stall` names a condition (no seeds, no metadata) that becomes a stalled problem
    once it has lasted past its threshold; `stall_since` is when it began.
    """

    progress: float | None = None
    speed: int | None = None
    eta: int | None = None
    stall: Waiting | None = None
    stall_since: datetime | None = None
    episodes: dict[EpisodeKey, float] = field(default_factory=dict)


@dataclass(slots=True)
class Download:
    """One release sent to a download client (a season pack covers many episodes)."""

    download_id: str
    stage: Stage = Stage.GRABBED
    blocker: Blocker | None = None
    client: str | None = None
    release_title: str | None = None
    quality: str | None = None
    indexer: str | None = None
    release_group: str | None = None
    size: int | None = None
    episodes: set[EpisodeKey] = field(default_factory=set)
    # The latest live numbers, by the service that polled them.
    live_by: dict[Service, LiveProgress] = field(default_factory=dict, compare=False)

    @property
    def live(self) -> LiveProgress | None:
        """How it goes now: the download client's view, else the *arr queue's.

        qBittorrent is polled more often and knows each file of a pack; the queue
        stands in until it has answered, or for clients without live progress.
        """
        live_by = self.live_by
        return live_by.get(Service.QBITTORRENT) or next(iter(live_by.values()), None)


@dataclass(frozen=True, slots=True)
class Listing:
    """What Radarr's or Sonarr's library said of a request's title when last asked.

    `released`: whether it may be grabbed yet (Radarr's `isAvailable`; for a show,
    an aired episode of a requested season); `release` is when it will be (None:
    not known); `last_search` when a search last reached an indexer.
    """

    present: bool
    released: bool = True
    release: datetime | None = None
    last_search: datetime | None = None


class HealthImpact(StrEnum):
    """What a failing *arr health check holds up."""

    SEARCH = "search"  # indexers: nothing is found
    DOWNLOAD = "download"  # the download client: nothing is sent or followed
    IMPORT = "import"  # paths, root folders, import settings: nothing is imported


@dataclass(frozen=True, slots=True)
class HealthCheck:
    """A failing health check of Radarr's or Sonarr's, in its own words."""

    source: str
    impact: HealthImpact
    message: str


@dataclass(frozen=True, slots=True)
class Instance:
    """One Radarr or Sonarr of the household's, and which requests it serves (§3).

    `key` is "" for the primary instance, else its config subentry's id.
    `serves_4k`: True, 4K requests only; False, only the others; None, both (no 4K
    instance of its kind exists: an HD request is preferred when both could fit).
    """

    key: str = ""
    serves_4k: bool | None = None

    def serves(self, request: Request) -> bool:
        """Whether evidence of this instance may concern the request."""
        if request.arr_id is not None and request.arr_instance != self.key:
            return False
        return self.serves_4k is None or request.is_4k is self.serves_4k


PRIMARY = Instance()


@dataclass(slots=True)
class ShokoFile:
    """The file Shoko Server holds for a movie or an episode, and what it matched.

    Shoko's ids grow with time: a file with a higher id (a replacement) takes over and
    must be matched again. `unmatched` says why Shoko could not match the file (a stall,
    known at once); `no_tmdb_link` that Shoko links it to no TMDB movie.
    """

    file_id: int
    matched: bool = False
    # When Shoko matched it (None: before its import was known here).
    matched_at: datetime | None = None
    anidb_anime_id: int | None = None
    anidb_episode_id: int | None = None
    series_id: int | None = None
    episode_id: int | None = None
    unmatched: Problem | None = None
    no_tmdb_link: bool = False


@dataclass(slots=True)
class Episode:
    """One episode of a TV request."""

    season: int
    number: int
    title: str | None = None
    sonarr_episode_id: int | None = None
    tvdb_id: int | None = None
    download_id: str | None = None
    stage: Stage = Stage.NONE
    removed: bool = False
    blocker: Blocker | None = None
    file_path: str | None = None
    file_size: int | None = None
    shoko: ShokoFile | None = None
    jellyfin_item_id: str | None = None
    # Derived by the tracker from the facts above.
    state: State = State.REQUESTED
    failure: Problem | None = None
    blocked: Problem | None = None
    reached: dict[State, datetime] = field(default_factory=dict)
    # (season, episode): one tuple, shared by every index and download naming it.
    key: EpisodeKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Make the key once."""
        self.key = (self.season, self.number)

    @property
    def paths(self) -> list[str]:
        """The imported file's path, as a list like a movie's paths."""
        return [] if self.file_path is None else [self.file_path]

    @property
    def stalled(self) -> bool:
        """Whether the episode is stuck on something that does not pass by itself."""
        return self.blocked is not None

    @property
    def current_problem(self) -> Problem | None:
        """What needs attention: the failure, else why it is stuck."""
        return self.failure or self.blocked


@dataclass(slots=True)
class Request:
    """One Jellyseerr request and everything learned about it since."""

    key: str
    media_type: MediaType
    title: str
    created_at: datetime
    year: int | None = None
    overview: str | None = None
    poster_url: str | None = None
    # Title and year are Jellyseerr's media details, the one authority on them.
    details_known: bool = False
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    imdb_id: str | None = None
    radarr_id: int | None = None
    sonarr_id: int | None = None
    # The Radarr/Sonarr instance the *arr id belongs to ("" the primary one): ids of
    # two instances overlap, and a request bound to one takes no evidence of another.
    arr_instance: str = ""
    requested_by: str | None = None
    # Person entities that follow the request, and those who stopped (people.py).
    followers: tuple[str, ...] = ()
    unfollowed: tuple[str, ...] = ()
    requested_seasons: frozenset[int] = frozenset()
    is_4k: bool = False
    is_anime: bool = False
    file_paths: list[str] = field(default_factory=list)
    file_size: int | None = None
    shoko: ShokoFile | None = None
    shoko_tmdb_link: bool = False
    jellyfin_item_id: str | None = None
    listing: Listing | None = None
    # A release Radarr/Sonarr holds back (a delay profile, no download client).
    pending: Waiting | None = field(default=None, compare=False)
    stage: Stage = Stage.NONE
    declined: bool = False
    removed: bool = False
    blocker: Blocker | None = None
    downloads: dict[str, Download] = field(default_factory=dict)
    episodes: dict[EpisodeKey, Episode] = field(default_factory=dict)
    # Remediation steps taken for the request, oldest first, and the downloads
    # (folded ids) a replace dropped: what is said of them later concerns nobody.
    attempts: list[Attempt] = field(default_factory=list)
    replaced: set[str] = field(default_factory=set)
    # Derived by the tracker from the facts above.
    state: State = State.REQUESTED
    failure: Problem | None = None
    blocked: Problem | None = None
    stall: Problem | None = None
    reached: dict[State, datetime] = field(default_factory=dict)
    state_since: datetime | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    updated_at: datetime | None = None
    # The stored form as the shell caches it (encoded) until the request changes.
    stored: object | None = field(default=None, repr=False, compare=False)

    @property
    def jellyseerr_request_id(self) -> int:
        """The Jellyseerr request id (the request key is its string form)."""
        return int(self.key)

    @property
    def is_terminal(self) -> bool:
        """Whether new evidence may no longer attach (DESIGN §2.2)."""
        return self.state in TERMINAL_STATES

    @property
    def arr(self) -> Service:
        """Radarr for a movie, Sonarr for a show."""
        return Service.RADARR if self.media_type is MediaType.MOVIE else Service.SONARR

    @property
    def arr_id(self) -> int | None:
        """The movie's id in Radarr or the series' in Sonarr, once known."""
        return self.radarr_id if self.media_type is MediaType.MOVIE else self.sonarr_id

    @property
    def paths(self) -> list[str]:
        """The movie's imported files (a TV request's are on its episodes)."""
        return self.file_paths

    @property
    def stalled(self) -> bool:
        """Whether the request is stuck (DESIGN §3).

        Either its stage lasted past its threshold (`stall`), or something that does
        not pass by itself blocks it, known at once (`blocked`: Shoko could not match
        a file).
        """
        return self.blocked is not None or self.stall is not None

    @property
    def current_problem(self) -> Problem | None:
        """What needs attention: the failure, else why it is stuck."""
        return self.failure or self.blocked or self.stall

    def requests_season(self, season: int) -> bool:
        """Whether the request asked for this season (no list means all seasons)."""
        return not self.requested_seasons or season in self.requested_seasons

    def touch(self, now: datetime) -> None:
        """Record a change: the cached stored form is rebuilt on the next save."""
        self.updated_at = now
        self.stored = None


# A movie request or an episode: what moves through the pipeline on its own.
type Track = Request | Episode
