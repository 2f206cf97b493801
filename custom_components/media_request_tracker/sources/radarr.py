"""Radarr: webhooks and the REST movie lookup (reference `arr-jellyseerr.md` §2).

The client is hand-written for the reasons given in `http.py`; what it shares with
Sonarr's lives in `arr.py`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from ..engine.evidence import (
    ArrListing,
    ArrMedia,
    ArrMissing,
    DeleteEvidence,
    Evidence,
    GrabEvidence,
    ImportBlockedEvidence,
    ImportedFile,
    ImportEvidence,
)
from ..engine.models import Service
from .arr import (
    ArrClient,
    ArrEvent,
    blocked_media,
    file_delete,
    is_anime_tag,
    optional_datetime,
    parse_media,
    parse_release,
    read_event,
    status_problem,
)
from .fields import Fields

USED_EVENTS = frozenset(
    {"Grab", "Download", "ManualInteractionRequired", "MovieFileDelete", "MovieDelete"}
)


@dataclass(frozen=True, slots=True)
class Movie:
    """A movie in Radarr, and whether its file is there."""

    arr_id: int
    title: str
    year: int | None
    tmdb_id: int | None
    imdb_id: str | None
    has_file: bool
    file_path: str | None
    monitored: bool
    tag_ids: frozenset[int]
    is_available: bool = True
    release: datetime | None = None
    last_search: datetime | None = None


class RadarrClient(ArrClient):
    """The Radarr v3 REST API."""

    APP_NAME = "Radarr"
    SERVICE = Service.RADARR
    _ID_KEY = "movieId"
    _HISTORY_FLAGS: ClassVar[Mapping[str, str]] = {"includeMovie": "true"}
    _QUEUE_FLAGS: ClassVar[Mapping[str, str]] = {
        "includeMovie": "true",
        "includeUnknownMovieItems": "true",
    }

    async def async_get_movie(self, tmdb_id: int) -> Movie | None:
        """The movie with this TMDB id, or None when Radarr does not have it."""
        movies = await self._get_list("/api/v3/movie", {"tmdbId": tmdb_id})
        if not movies:
            return None
        movie = movies[0]
        movie_file = movie.obj("movieFile")
        return Movie(
            arr_id=movie.required_integer("id"),
            title=movie.text("title") or "",
            year=movie.id_number("year"),
            tmdb_id=movie.id_number("tmdbId"),
            imdb_id=movie.text("imdbId"),
            has_file=movie.flag("hasFile"),
            file_path=None if movie_file is None else movie_file.text("path"),
            monitored=movie.flag("monitored"),
            tag_ids=frozenset(movie.integers("tags")),
            # Radarr's own default: a movie is available unless it says otherwise.
            is_available=movie.flag("isAvailable", absent=True),
            release=_release(movie),
            # Since Radarr 5.10.3 (addendum §1e); absent until a search reached one.
            last_search=optional_datetime(movie, "lastSearchTime"),
        )


def library_evidence(
    movie: Movie, tags: Mapping[int, str]
) -> ImportEvidence | ArrListing:
    """The movie as Radarr has it; a file in the library proves its import.

    A re-request that Radarr satisfies with a file it already has sends no webhook.
    It is anime when tagged `anime`: the REST API names its tags by id (`tags`
    gives their labels), where webhooks name them by label.
    """
    is_anime = any(is_anime_tag(tags.get(tag, "")) for tag in movie.tag_ids)
    media = ArrMedia(
        Service.RADARR,
        movie.arr_id,
        movie.title,
        movie.year,
        tmdb_id=movie.tmdb_id,
        imdb_id=movie.imdb_id,
        is_anime=is_anime,
    )
    if not movie.has_file or movie.file_path is None:
        return ArrListing(
            media,
            released=movie.is_available,
            release=movie.release,
            last_search=movie.last_search,
        )
    return ImportEvidence(media, None, (ImportedFile(movie.file_path),), complete=True)


def missing_evidence(tmdb_id: int) -> ArrMissing:
    """Radarr does not have the movie."""
    return ArrMissing(ArrMedia(Service.RADARR, None, "", tmdb_id=tmdb_id))


def _release(movie: Fields) -> datetime | None:
    """When the movie becomes available, as `Movie.IsAvailable` judges it.

    `minimumAvailability` picks the date: the cinema release, else the earlier of
    the digital and physical releases, else 90 days after the cinema one (addendum
    §1e). `tba` and `announced` are available at once: no date to wait for.
    """
    minimum = (movie.text("minimumAvailability") or "released").casefold()
    if minimum in ("tba", "announced"):
        return None
    in_cinemas = optional_datetime(movie, "inCinemas")
    if minimum == "incinemas":
        return in_cinemas
    homes = [
        date
        for key in ("digitalRelease", "physicalRelease")
        if (date := optional_datetime(movie, key)) is not None
    ]
    if homes:
        return min(homes)
    return None if in_cinemas is None else in_cinemas + timedelta(days=90)


def parse_webhook(body: object) -> Evidence | None:
    """Evidence from a Radarr webhook body; None for events we do not use."""
    event = read_event(body, Service.RADARR, USED_EVENTS)
    if not isinstance(event, ArrEvent):
        return event
    payload, download_id = event.payload, event.download_id
    if event.name == "ManualInteractionRequired":
        media = blocked_media(payload, "movie", Service.RADARR)
        return ImportBlockedEvidence(media, download_id, status_problem(payload))
    media = parse_media(payload.required_obj("movie"), Service.RADARR)
    match event.name:
        case "Grab":
            return GrabEvidence(media, download_id, parse_release(payload))
        case "Download":
            movie_file = payload.required_obj("movieFile")
            path = movie_file.required_text("path")
            return ImportEvidence(
                media,
                download_id,
                files=(ImportedFile(path, size=movie_file.integer("size")),),
                complete=True,
                is_upgrade=payload.flag("isUpgrade"),
            )
        case "MovieFileDelete":
            return file_delete(payload, media)
        case _:
            return DeleteEvidence(media, "movie deleted")
