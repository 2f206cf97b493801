"""What the tracker knows: requests, their episodes and downloads, and their states.

State is never stored as the result of a transition; it is derived from facts that only
accumulate (the furthest stage each piece of evidence proved, problems tied to the stage
they concern). That is what makes duplicate and out-of-order evidence harmless.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any


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


class Service(StrEnum):
    """The upstream service a piece of evidence comes from."""

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


def _without_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """The stored form leaves out None, False and empty values: they are the defaults.

    Thousands of episodes are saved at once, so this halves what is encoded and written.
    Zero is kept (season 0 holds the specials); `type(...) is int` excludes False.
    """
    return {key: value for key, value in data.items() if value or type(value) is int}


def _time(value: datetime | str) -> datetime:
    """A stored time: a datetime in memory, ISO text once read back from disk.

    Stored forms keep datetimes, which the JSON encoder writes natively and much
    faster than `isoformat()` would.
    """
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _optional_time(value: datetime | str | None) -> datetime | None:
    return None if value is None else _time(value)


def _times(data: dict[str, Any]) -> dict[State, datetime]:
    return {State(state): _time(at) for state, at in data.get("reached", {}).items()}


@dataclass(slots=True)
class Problem:
    """Something that needs attention, and the stage it blocks.

    Evidence of a later stage supersedes it: an import after "import blocked" clears it.
    A problem a poll saw (`polled_by` names the service) also clears when the next
    poll of that service no longer sees it.
    """

    text: str
    stage: Stage
    polled_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Serialise for storage."""
        return _without_defaults(
            {"text": self.text, "stage": int(self.stage), "polled_by": self.polled_by}
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Problem | None:
        """Restore from storage."""
        if data is None:
            return None
        return cls(
            text=data["text"],
            stage=Stage(data["stage"]),
            polled_by=data.get("polled_by"),
        )


@dataclass(slots=True)
class TimelineEntry:
    """One state change: when, into which state, who said so and what they said."""

    time: datetime
    state: State
    source: Service
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """Serialise for storage and for `get_requests`."""
        return {
            "time": self.time,
            "state": self.state.value,
            "source": self.source.value,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TimelineEntry:
        """Restore from storage."""
        return cls(
            time=_time(data["time"]),
            state=State(data["state"]),
            source=Service(data["source"]),
            detail=data["detail"],
        )


@dataclass(slots=True)
class LiveProgress:
    """How a download is going right now; polled often, never stored.

    `stall` names a condition (no seeds, no metadata) that becomes a stalled problem
    once it has lasted past its threshold; `stall_since` is when it began.
    """

    progress: float | None = None
    speed: int | None = None
    eta: int | None = None
    stall: str | None = None
    stall_since: datetime | None = None
    episodes: dict[EpisodeKey, float] = field(default_factory=dict)


@dataclass(slots=True)
class Download:
    """One release sent to a download client (a season pack covers many episodes)."""

    download_id: str
    stage: Stage = Stage.GRABBED
    problem: Problem | None = None
    client: str | None = None
    release_title: str | None = None
    quality: str | None = None
    indexer: str | None = None
    release_group: str | None = None
    size: int | None = None
    episodes: set[EpisodeKey] = field(default_factory=set)
    live: LiveProgress | None = field(default=None, compare=False)

    @property
    def failed(self) -> bool:
        """Whether the download has a problem that nothing later superseded."""
        return self.problem is not None

    def to_dict(self) -> dict[str, Any]:
        """Serialise for storage."""
        return _without_defaults(
            {
                "download_id": self.download_id,
                "stage": int(self.stage),
                "problem": None if self.problem is None else self.problem.to_dict(),
                "client": self.client,
                "release_title": self.release_title,
                "quality": self.quality,
                "indexer": self.indexer,
                "release_group": self.release_group,
                "size": self.size,
                "episodes": [list(key) for key in sorted(self.episodes)],
            }
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Download:
        """Restore from storage."""
        return cls(
            download_id=data["download_id"],
            stage=Stage(data["stage"]),
            problem=Problem.from_dict(data.get("problem")),
            client=data.get("client"),
            release_title=data.get("release_title"),
            quality=data.get("quality"),
            indexer=data.get("indexer"),
            release_group=data.get("release_group"),
            size=data.get("size"),
            episodes={(season, number) for season, number in data.get("episodes", ())},
        )


@dataclass(slots=True)
class ShokoFile:
    """The file Shoko Server holds for a movie or an episode, and what it matched.

    Shoko's ids grow with time: a file with a higher id (a replacement) takes over and
    must be matched again. `unmatched` says why Shoko could not match the file (a stall,
    known at once); `no_tmdb_link` that Shoko links it to no TMDB movie.
    """

    file_id: int
    matched: bool = False
    anidb_anime_id: int | None = None
    anidb_episode_id: int | None = None
    series_id: int | None = None
    episode_id: int | None = None
    unmatched: str | None = None
    no_tmdb_link: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Serialise for storage."""
        return _without_defaults(
            {
                "file_id": self.file_id,
                "matched": self.matched,
                "anidb_anime_id": self.anidb_anime_id,
                "anidb_episode_id": self.anidb_episode_id,
                "series_id": self.series_id,
                "episode_id": self.episode_id,
                "unmatched": self.unmatched,
                "no_tmdb_link": self.no_tmdb_link,
            }
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ShokoFile | None:
        """Restore from storage."""
        if data is None:
            return None
        return cls(
            file_id=data["file_id"],
            matched=data.get("matched", False),
            anidb_anime_id=data.get("anidb_anime_id"),
            anidb_episode_id=data.get("anidb_episode_id"),
            series_id=data.get("series_id"),
            episode_id=data.get("episode_id"),
            unmatched=data.get("unmatched"),
            no_tmdb_link=data.get("no_tmdb_link", False),
        )


def _shoko_dict(shoko: ShokoFile | None) -> dict[str, Any] | None:
    return None if shoko is None else shoko.to_dict()


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
    problem: Problem | None = None
    file_path: str | None = None
    file_size: int | None = None
    shoko: ShokoFile | None = None
    jellyfin_item_id: str | None = None
    state: State = State.REQUESTED
    problem_text: str | None = None
    blocked_reason: str | None = None
    reached: dict[State, datetime] = field(default_factory=dict)

    @property
    def key(self) -> EpisodeKey:
        """(season, episode)."""
        return (self.season, self.number)

    @property
    def paths(self) -> list[str]:
        """The imported file's path, as a list like a movie's paths."""
        return [] if self.file_path is None else [self.file_path]

    @property
    def stalled(self) -> bool:
        """Whether the episode is stuck on something that does not pass by itself."""
        return self.blocked_reason is not None

    @property
    def current_problem(self) -> str | None:
        """What needs attention: the failure, else why it is stuck."""
        return self.problem_text or self.blocked_reason

    def to_dict(self) -> dict[str, Any]:
        """Serialise for storage."""
        return _without_defaults(
            {
                "season": self.season,
                "number": self.number,
                "title": self.title,
                "sonarr_episode_id": self.sonarr_episode_id,
                "tvdb_id": self.tvdb_id,
                "download_id": self.download_id,
                "stage": int(self.stage),
                "removed": self.removed,
                "problem": None if self.problem is None else self.problem.to_dict(),
                "file_path": self.file_path,
                "file_size": self.file_size,
                "shoko": _shoko_dict(self.shoko),
                "jellyfin_item_id": self.jellyfin_item_id,
                "state": self.state.value,
                "problem_text": self.problem_text,
                "blocked_reason": self.blocked_reason,
                "reached": {state.value: at for state, at in self.reached.items()},
            }
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Episode:
        """Restore from storage."""
        return cls(
            season=data["season"],
            number=data["number"],
            title=data.get("title"),
            sonarr_episode_id=data.get("sonarr_episode_id"),
            tvdb_id=data.get("tvdb_id"),
            download_id=data.get("download_id"),
            stage=Stage(data["stage"]),
            removed=data.get("removed", False),
            problem=Problem.from_dict(data.get("problem")),
            file_path=data.get("file_path"),
            file_size=data.get("file_size"),
            shoko=ShokoFile.from_dict(data.get("shoko")),
            jellyfin_item_id=data.get("jellyfin_item_id"),
            state=State(data["state"]),
            problem_text=data.get("problem_text"),
            blocked_reason=data.get("blocked_reason"),
            reached=_times(data),
        )


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
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    imdb_id: str | None = None
    radarr_id: int | None = None
    sonarr_id: int | None = None
    requested_by: str | None = None
    requested_seasons: frozenset[int] = frozenset()
    is_4k: bool = False
    is_anime: bool = False
    file_paths: list[str] = field(default_factory=list)
    file_size: int | None = None
    shoko: ShokoFile | None = None
    shoko_tmdb_link: bool = False
    jellyfin_item_id: str | None = None
    stage: Stage = Stage.NONE
    declined: bool = False
    removed: bool = False
    problem: Problem | None = None
    downloads: dict[str, Download] = field(default_factory=dict)
    episodes: dict[EpisodeKey, Episode] = field(default_factory=dict)
    state: State = State.REQUESTED
    problem_text: str | None = None
    blocked_reason: str | None = None
    stall_reason: str | None = None
    reached: dict[State, datetime] = field(default_factory=dict)
    state_since: datetime | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    updated_at: datetime | None = None
    _stored: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def jellyseerr_request_id(self) -> int:
        """The Jellyseerr request id (the request key is its string form)."""
        return int(self.key)

    @property
    def is_terminal(self) -> bool:
        """Whether new evidence may no longer attach (DESIGN §2.2)."""
        return self.state in TERMINAL_STATES

    @property
    def paths(self) -> list[str]:
        """The movie's imported files (a TV request's are on its episodes)."""
        return self.file_paths

    @property
    def stalled(self) -> bool:
        """Whether the request is stuck (DESIGN §3).

        Either its stage lasted past its threshold (`stall_reason`), or something that
        does not pass by itself blocks it, known at once (`blocked_reason`: Shoko could
        not match a file).
        """
        return self.blocked_reason is not None or self.stall_reason is not None

    @property
    def current_problem(self) -> str | None:
        """What needs attention: the failure, else why it is stuck."""
        return self.problem_text or self.blocked_reason or self.stall_reason

    def requests_season(self, season: int) -> bool:
        """Whether the request asked for this season (no list means all seasons)."""
        return not self.requested_seasons or season in self.requested_seasons

    def touch(self, now: datetime) -> None:
        """Record a change: the cached stored form is rebuilt on the next save."""
        self.updated_at = now
        self._stored = None

    def to_dict(self) -> dict[str, Any]:
        """Serialise for storage; cached until the request changes again."""
        if self._stored is None:
            self._stored = self._build_dict()
        return self._stored

    def _build_dict(self) -> dict[str, Any]:
        return _without_defaults(
            {
                "key": self.key,
                "media_type": self.media_type.value,
                "title": self.title,
                "created_at": self.created_at,
                "year": self.year,
                "overview": self.overview,
                "poster_url": self.poster_url,
                "tmdb_id": self.tmdb_id,
                "tvdb_id": self.tvdb_id,
                "imdb_id": self.imdb_id,
                "radarr_id": self.radarr_id,
                "sonarr_id": self.sonarr_id,
                "requested_by": self.requested_by,
                "requested_seasons": sorted(self.requested_seasons),
                "is_4k": self.is_4k,
                "is_anime": self.is_anime,
                "file_paths": list(self.file_paths),
                "file_size": self.file_size,
                "shoko": _shoko_dict(self.shoko),
                "shoko_tmdb_link": self.shoko_tmdb_link,
                "jellyfin_item_id": self.jellyfin_item_id,
                "stage": int(self.stage),
                "declined": self.declined,
                "removed": self.removed,
                "problem": None if self.problem is None else self.problem.to_dict(),
                "downloads": [
                    download.to_dict() for download in self.downloads.values()
                ],
                "episodes": [episode.to_dict() for episode in self.episodes.values()],
                "state": self.state.value,
                "problem_text": self.problem_text,
                "blocked_reason": self.blocked_reason,
                "stall_reason": self.stall_reason,
                "reached": {state.value: at for state, at in self.reached.items()},
                "state_since": self.state_since,
                "timeline": [entry.to_dict() for entry in self.timeline],
                "updated_at": self.updated_at,
            }
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Request:
        """Restore from storage."""
        downloads = [Download.from_dict(item) for item in data.get("downloads", ())]
        episodes = [Episode.from_dict(item) for item in data.get("episodes", ())]
        request = cls(
            key=data["key"],
            media_type=MediaType(data["media_type"]),
            title=data["title"],
            created_at=_time(data["created_at"]),
            year=data.get("year"),
            overview=data.get("overview"),
            poster_url=data.get("poster_url"),
            tmdb_id=data.get("tmdb_id"),
            tvdb_id=data.get("tvdb_id"),
            imdb_id=data.get("imdb_id"),
            radarr_id=data.get("radarr_id"),
            sonarr_id=data.get("sonarr_id"),
            requested_by=data.get("requested_by"),
            requested_seasons=frozenset(data.get("requested_seasons", ())),
            is_4k=data.get("is_4k", False),
            is_anime=data.get("is_anime", False),
            file_paths=list(data.get("file_paths", ())),
            file_size=data.get("file_size"),
            shoko=ShokoFile.from_dict(data.get("shoko")),
            shoko_tmdb_link=data.get("shoko_tmdb_link", False),
            jellyfin_item_id=data.get("jellyfin_item_id"),
            stage=Stage(data["stage"]),
            declined=data.get("declined", False),
            removed=data.get("removed", False),
            problem=Problem.from_dict(data.get("problem")),
            downloads={item.download_id.casefold(): item for item in downloads},
            episodes={item.key: item for item in episodes},
            state=State(data["state"]),
            problem_text=data.get("problem_text"),
            blocked_reason=data.get("blocked_reason"),
            stall_reason=data.get("stall_reason"),
            reached=_times(data),
            timeline=[
                TimelineEntry.from_dict(item) for item in data.get("timeline", ())
            ],
            state_since=_optional_time(data.get("state_since")),
            updated_at=_optional_time(data.get("updated_at")),
        )
        request._stored = data
        return request


# A movie request or an episode: what moves through the pipeline on its own.
type Track = Request | Episode
