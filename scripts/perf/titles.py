"""Generated catalogue titles, the stage each is taken to, and the steps that do it.

Titles are added to the simulator's catalogue (in the process that runs the stack),
and the simulator's own scenario player carries the steps out, so every fake service
holds the same ids, hashes and paths and sends the webhooks it sends in the
end-to-end tests.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
import hashlib

from tests.simulator.catalog import (
    ENGLISH,
    MOVIES,
    RELEASES,
    SERIES,
    Episode,
    Movie,
    Release,
    Series,
)
from tests.simulator.scenarios import Action, Grab, Import, LibraryAdd, Request

# Long enough to stay downloading for the whole run, short enough to finish at once.
LONG_DOWNLOAD = 36_000.0
SHORT_DOWNLOAD = 20.0
FIRST_AIRED = date(2020, 1, 6)


class Stage(StrEnum):
    """Where a generated title is taken before the measurements."""

    APPROVED = "approved"
    DOWNLOADING = "downloading"
    DOWNLOADED = "downloaded"
    IMPORTING = "importing"
    AVAILABLE = "available"


# Twenty buckets (title pairs share one, so movies and shows get every stage): 10 %
# approved, 10 % downloading, 5 % downloaded, 10 % importing, 65 % available.
STAGE_BUCKETS = (
    [Stage.APPROVED] * 2
    + [Stage.DOWNLOADING] * 2
    + [Stage.DOWNLOADED]
    + [Stage.IMPORTING] * 2
    + [Stage.AVAILABLE] * 13
)


@dataclass(frozen=True, slots=True)
class Title:
    """A generated catalogue title, its one release, and the stage it is taken to."""

    key: str
    name: str
    release: str
    is_movie: bool
    stage: Stage

    @property
    def grabbed(self) -> bool:
        """Whether an *arr grabbed its release."""
        return self.stage is not Stage.APPROVED


def add_titles(
    prefix: str,
    count: int,
    *,
    episodes: int,
    movies_only: bool = False,
    stages: Sequence[Stage] = STAGE_BUCKETS,
    first_id: int = 1,
) -> list[Title]:
    """Add `count` titles to the simulator's catalogue: alternately movies and shows.

    Shows have one season of `episodes` aired episodes, grabbed as one season pack.
    Ids start far above the catalogue's own; titles are zero-padded so that no title
    is a search match for another (Jellyfin searches by substring).
    """
    titles = []
    for n in range(first_id, first_id + count):
        stage = stages[(n // 2) % len(stages)]
        if movies_only or n % 2 == 0:
            movie = _movie(prefix, n)
            release = _movie_release(movie)
            MOVIES[movie.key] = movie
            titles.append(Title(movie.key, movie.title, release.key, True, stage))
        else:
            series = _series(prefix, n, episodes)
            release = _season_pack(series, episodes)
            SERIES[series.key] = series
            titles.append(Title(series.key, series.title, release.key, False, stage))
        RELEASES[release.key] = release
    return titles


def _movie(prefix: str, n: int) -> Movie:
    year = 2000 + n % 25
    title = f"{prefix.title()} Film {n:05d}"
    return Movie(
        key=f"{prefix}_movie_{n:05d}",
        title=title,
        year=year,
        tmdb_id=50_000_000 + n,
        imdb_id=f"tt{90_000_000 + n}",
        radarr_id=100_000 + n,
        folder=f"{title} ({year})",
        overview="A generated film for the benchmark.",
        poster=f"/bench{n}.jpg",
        genres=("Drama",),
        language=ENGLISH,
        release_date=f"{year}-06-01",
        runtime=110,
    )


def _movie_release(movie: Movie) -> Release:
    return Release(
        key=f"{movie.key}_bluray",
        media=movie.key,
        name=f"{movie.title.replace(' ', '.')}.{movie.year}.1080p.BluRay.x264-BENCH",
        quality="Bluray-1080p",
        group="BENCH",
        indexer="Bench (Prowlarr)",
        size=8_589_934_592,
        video_codec="x264",
        audio_codec="DTS",
        audio_channels=5.1,
    )


def _series(prefix: str, n: int, episodes: int) -> Series:
    return Series(
        key=f"{prefix}_show_{n:05d}",
        title=f"{prefix.title()} Show {n:05d}",
        year=2000 + n % 25,
        tmdb_id=60_000_000 + n,
        tvdb_id=70_000_000 + n,
        imdb_id=f"tt{80_000_000 + n}",
        tvmaze_id=900_000 + n,
        sonarr_id=200_000 + n,
        overview="A generated show for the benchmark.",
        poster=f"/show{n}.jpg",
        genres=("Drama",),
        language=ENGLISH,
        runtime=45,
        episodes=tuple(
            Episode(
                season=1,
                number=e,
                title=f"Episode {e}",
                sonarr_id=10_000_000 + n * 100 + e,
                tvdb_id=80_000_000 + n * 100 + e,
                airs=FIRST_AIRED + timedelta(weeks=e),
            )
            for e in range(1, episodes + 1)
        ),
    )


def _season_pack(series: Series, episodes: int) -> Release:
    return Release(
        key=f"{series.key}_s01",
        media=series.key,
        name=f"{series.title.replace(' ', '.')}.S01.1080p.BluRay.x264-BENCH",
        quality="Bluray-1080p",
        group="BENCH",
        indexer="Bench (Prowlarr)",
        size=24 * 1_500_000_000,
        video_codec="x264",
        audio_codec="AC3",
        audio_channels=5.1,
        episodes=tuple((1, e) for e in range(1, episodes + 1)),
    )


def request_steps(titles: Iterable[Title]) -> list[Action]:
    """Each title requested in Jellyseerr (auto-approved: it goes to the *arr)."""
    return [
        Request(title.key, seasons=() if title.is_movie else (1,)) for title in titles
    ]


def grab_steps(titles: Iterable[Title]) -> list[Action]:
    """Grabs: downloads that stay running, or that finish within seconds."""
    return [
        Grab(
            title.release,
            LONG_DOWNLOAD if title.stage is Stage.DOWNLOADING else SHORT_DOWNLOAD,
        )
        for title in titles
        if title.grabbed
    ]


def import_steps(titles: Iterable[Title]) -> list[Action]:
    """Imports of the titles that get past the download."""
    return [
        Import(title.release)
        for title in titles
        if title.stage in {Stage.IMPORTING, Stage.AVAILABLE}
    ]


def library_steps(titles: Iterable[Title]) -> list[Action]:
    """Jellyfin scans that find the available titles."""
    return [
        LibraryAdd(title.release) for title in titles if title.stage is Stage.AVAILABLE
    ]


def idle_torrent(n: int) -> tuple[str, Release]:
    """The hash and release of a seeding torrent nobody tracks (in no *arr)."""
    release = Release(
        key=f"idle_{n:05d}",
        media="",
        name=f"Seeding.Torrent.{n:05d}.1080p.WEB-DL.x264-IDLE",
        quality="WEBDL-1080p",
        group="IDLE",
        indexer="Bench (Prowlarr)",
        size=2_147_483_648,
        video_codec="x264",
        audio_codec="AAC",
        audio_channels=2.0,
    )
    return hashlib.sha1(
        release.key.encode(), usedforsecurity=False
    ).hexdigest(), release
