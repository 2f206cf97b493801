"""Generated catalogue titles, the stage each is taken to, and the steps that do it.

Titles are added to the simulator's catalogue (in the process that runs the stack),
and the simulator's own scenario player carries the steps out, so every fake service
holds the same ids, hashes and paths and sends the webhooks it sends in the
end-to-end tests.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
import hashlib

from tests.simulator.catalog import Release
from tests.simulator.scenarios import Action, Grab, Import, LibraryAdd, Request
from tests.simulator.titles import (
    movie,
    movie_release,
    register,
    season_pack,
    series,
)

# Long enough to stay downloading for the whole run, short enough to finish at once.
LONG_DOWNLOAD = 36_000.0
SHORT_DOWNLOAD = 20.0


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

    Shows have one season of `episodes` aired episodes, grabbed as one season pack;
    `tests.simulator.titles` makes up their ids and names.
    """
    titles = []
    for n in range(first_id, first_id + count):
        stage = stages[(n // 2) % len(stages)]
        if movies_only or n % 2 == 0:
            film = movie(prefix, n)
            release = movie_release(film)
            register(film, (release,))
            titles.append(Title(film.key, film.title, release.key, True, stage))
        else:
            show = series(prefix, n, episodes)
            release = season_pack(show)
            register(show, (release,))
            titles.append(Title(show.key, show.title, release.key, False, stage))
    return titles


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
