"""Evidence: what a source said, parsed and typed, ready for the tracker.

Each upstream parser in `sources/` turns a webhook body or an API answer into one of
these frozen records; the tracker never sees raw JSON.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from .codes import Problem, Waiting
from .models import (
    PRIMARY,
    EpisodeKey,
    HealthCheck,
    Instance,
    MediaType,
    Service,
    Stage,
)


class RequestStatus(StrEnum):
    """What Jellyseerr says about a request (REMOVED: its media was deleted)."""

    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    FAILED = "failed"
    AVAILABLE = "available"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class Ping:
    """A service's test notification: proof that its webhook reaches us."""

    service: Service


@dataclass(frozen=True, slots=True)
class RequestEvidence:
    """Jellyseerr: a request was made, approved, declined, failed or is available."""

    request_key: str
    status: RequestStatus
    media_type: MediaType
    title: str | None
    detail: str
    year: int | None = None
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    imdb_id: str | None = None
    poster_url: str | None = None
    overview: str | None = None
    requested_by: str | None = None
    requested_seasons: frozenset[int] = frozenset()
    is_4k: bool = False
    # Title, year, poster and overview are Jellyseerr's media details (TMDB): they
    # override a webhook's, whose subject only fills what is not known yet.
    from_details: bool = False


@dataclass(frozen=True, slots=True)
class RequestGone:
    """Jellyseerr no longer has the request: it was deleted (no webhook says so)."""

    request_key: str


@dataclass(frozen=True, slots=True)
class ArrMedia:
    """The movie (Radarr) or series (Sonarr) an *arr event is about."""

    service: Service
    arr_id: int | None
    title: str
    year: int | None = None
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    imdb_id: str | None = None
    is_anime: bool = False
    poster_url: str | None = None
    # Which of the household's Radarrs or Sonarrs said it (`from_instance`).
    instance: Instance = PRIMARY

    @property
    def media_type(self) -> MediaType:
        """Radarr handles movies, Sonarr TV."""
        return MediaType.MOVIE if self.service is Service.RADARR else MediaType.TV


@dataclass(frozen=True, slots=True)
class EpisodeRef:
    """An episode as Sonarr names it."""

    season: int
    number: int
    title: str | None = None
    sonarr_episode_id: int | None = None
    tvdb_id: int | None = None


@dataclass(frozen=True, slots=True)
class Release:
    """What was grabbed."""

    title: str | None = None
    quality: str | None = None
    indexer: str | None = None
    release_group: str | None = None
    size: int | None = None
    client: str | None = None


@dataclass(frozen=True, slots=True)
class GrabEvidence:
    """Radarr/Sonarr sent a release to the download client."""

    media: ArrMedia
    download_id: str | None
    release: Release
    episodes: tuple[EpisodeRef, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportedFile:
    """A file imported into the library, the episodes it holds and its size, if known.

    The size tells two files with the same name apart when Shoko reports one (§6).
    """

    path: str
    episodes: tuple[EpisodeKey, ...] = ()
    size: int | None = None


@dataclass(frozen=True, slots=True)
class ImportEvidence:
    """Radarr/Sonarr imported files.

    `complete` is true when the whole release is imported (Radarr `Download`, Sonarr
    "On Import Complete"); Sonarr's per-file `Download` event is not complete.
    """

    media: ArrMedia
    download_id: str | None
    files: tuple[ImportedFile, ...]
    complete: bool
    is_upgrade: bool = False
    episodes: tuple[EpisodeRef, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportBlockedEvidence:
    """Radarr/Sonarr finished a download but cannot import it (manual interaction)."""

    media: ArrMedia
    download_id: str | None
    problem: Problem
    episodes: tuple[EpisodeRef, ...] = ()


@dataclass(frozen=True, slots=True)
class DownloadFailedEvidence:
    """Radarr/Sonarr's history says a download failed, or the user ignored it.

    There is no webhook for either, and the queue item is brief or gone: history is
    where they show (reference addendum §1a).
    """

    media: ArrMedia
    download_id: str | None
    problem: Problem
    episodes: tuple[EpisodeRef, ...] = ()


@dataclass(frozen=True, slots=True)
class DeleteEvidence:
    """Radarr/Sonarr deleted a movie/series (`episodes` empty) or episode files."""

    media: ArrMedia
    reason: str
    episodes: tuple[EpisodeRef, ...] = ()


class ItemKind(StrEnum):
    """The Jellyfin item types we use."""

    MOVIE = "movie"
    SERIES = "series"
    EPISODE = "episode"


@dataclass(frozen=True, slots=True)
class LibraryItemEvidence:
    """Jellyfin holds a playable item (a movie, an episode) or a series folder."""

    item_id: str
    kind: ItemKind
    name: str
    year: int | None = None
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    imdb_id: str | None = None
    season: int | None = None
    number: int | None = None
    series_item_id: str | None = None
    # Shokofin's `Shoko File` and `Shoko Series` provider ids: anime items rarely
    # carry TMDB/TVDB ids.
    shoko_file_id: int | None = None
    shoko_series_id: int | None = None


@dataclass(frozen=True, slots=True)
class DownloadStatus:
    """A poll's view of one download (qBittorrent, or the *arr queue without it).

    `stage` is how far the download is; `problem` something wrong now (a torrent
    error, a blocked or failed import); `stall` a condition that becomes a stalled
    problem if it lasts (no seeds, waiting to import). `episodes` holds the progress
    of each episode of a season pack, from the torrent's files.
    """

    source: Service
    download_id: str
    stage: Stage
    progress: float | None = None
    speed: int | None = None
    eta: int | None = None
    problem: Problem | None = None
    stall: Waiting | None = None
    episodes: tuple[tuple[EpisodeKey, float], ...] = ()


@dataclass(frozen=True, slots=True)
class ArrListing:
    """A movie or series as Radarr's or Sonarr's REST API lists it.

    It names the *arr's ids and whether the title is anime, which otherwise only a
    webhook tells. For a series: its aired, monitored episodes, and which have
    files. A TV request's episodes are those of its requested seasons (DESIGN §3);
    a file that is there proves the import even if its webhook never came.
    """

    media: ArrMedia
    episodes: tuple[EpisodeRef, ...] = ()
    with_file: frozenset[EpisodeKey] = frozenset()
    files: tuple[ImportedFile, ...] = ()
    released: bool = True
    release: datetime | None = None
    last_search: datetime | None = None
    # The request it was asked for: a series' release depends on its seasons.
    request_key: str | None = None


@dataclass(frozen=True, slots=True)
class ArrMissing:
    """Radarr or Sonarr does not have the title (Jellyseerr did not add it)."""

    media: ArrMedia


@dataclass(frozen=True, slots=True)
class PendingRelease:
    """A release the *arr holds back, not sent to a client yet (no download id)."""

    media: ArrMedia
    waiting: Waiting


@dataclass(frozen=True, slots=True)
class PendingReleases:
    """All releases an *arr holds back now: those of other titles were sent on."""

    service: Service
    releases: tuple[PendingRelease, ...]
    instance: Instance = PRIMARY


@dataclass(frozen=True, slots=True)
class HealthEvidence:
    """Radarr's or Sonarr's failing health checks that hold up downloads.

    From a poll, `complete`: every check not named is fine. From a webhook, one
    check failing (`failing`) or back to normal (`restored`, by source).
    """

    service: Service
    failing: tuple[HealthCheck, ...] = ()
    restored: tuple[str, ...] = ()
    complete: bool = False
    instance: Instance = PRIMARY


@dataclass(frozen=True, slots=True)
class ShokoLocation:
    """Where Shoko keeps a file: an import folder and the path relative to it.

    `path` uses `/` and has no leading separator, whatever Shoko's host writes.
    """

    folder_id: int
    path: str

    @property
    def name(self) -> str:
        """The file name."""
        return self.path.rpartition("/")[2]


class ShokoFileEvent(StrEnum):
    """What Shoko Server did with a file (reference §3.4)."""

    HASHED = "hashed"
    MATCHED = "matched"
    NOT_MATCHED = "not_matched"
    RELOCATED = "relocated"


@dataclass(frozen=True, slots=True)
class AnimeLink:
    """A file's cross reference: its AniDB episode, and Shoko's ids once they exist."""

    anidb_anime_id: int | None = None
    anidb_episode_id: int | None = None
    series_id: int | None = None
    episode_id: int | None = None


@dataclass(frozen=True, slots=True)
class ShokoFileEvidence:
    """Shoko hashed, matched, could not match or moved a file.

    A file is found by its Shoko id once known, else by `location` (or `previous`, where
    it was before a move) against the paths Radarr/Sonarr imported, with `size` to
    confirm. `tmdb_linked` says whether Shoko links the file to a TMDB movie (None: not
    known); Shokofin hides anime movies without that link from movie libraries.
    """

    event: ShokoFileEvent
    file_id: int
    location: ShokoLocation | None = None
    previous: ShokoLocation | None = None
    links: tuple[AnimeLink, ...] = ()
    size: int | None = None
    tmdb_linked: bool | None = None
    anidb_banned: bool = False


@dataclass(frozen=True, slots=True)
class AnimeSeriesEvidence:
    """Shoko created or refreshed the series of an AniDB anime (`Source: AniDB`).

    It names the Shoko series and episode ids that a file matched before the series
    existed could not carry (reference §3.4).
    """

    anidb_anime_id: int
    series_ids: tuple[int, ...]
    episodes: tuple[tuple[int, tuple[int, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class AnimeMovieEvidence:
    """Shoko linked a TMDB movie (`MovieUpdated`): Shokofin now lists it as a movie."""

    tmdb_id: int


type Evidence = (
    Ping
    | RequestEvidence
    | RequestGone
    | GrabEvidence
    | ImportEvidence
    | ImportBlockedEvidence
    | DownloadFailedEvidence
    | DeleteEvidence
    | LibraryItemEvidence
    | DownloadStatus
    | ArrListing
    | ArrMissing
    | PendingReleases
    | HealthEvidence
    | ShokoFileEvidence
    | AnimeSeriesEvidence
    | AnimeMovieEvidence
)


def from_instance[E: Evidence](evidence: E, instance: Instance) -> E:
    """The evidence as said by this Radarr or Sonarr (parsers know none).

    The shell tells every piece of *arr evidence its instance here, in one place,
    so the parsers stay the same for every instance.
    """
    if instance == PRIMARY:
        return evidence
    match evidence:
        case PendingReleases():
            releases = tuple(
                replace(release, media=replace(release.media, instance=instance))
                for release in evidence.releases
            )
            return replace(evidence, releases=releases, instance=instance)
        case HealthEvidence():
            return replace(evidence, instance=instance)
    # Every other piece of *arr evidence names its movie or series (`media`).
    media = getattr(evidence, "media", None)
    if isinstance(media, ArrMedia):
        told: E = replace(
            cast("Any", evidence), media=replace(media, instance=instance)
        )
        return told
    return evidence
