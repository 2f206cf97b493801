"""Generated titles: movies, shows and anime made up in bulk, with their releases.

The catalogue's hand-written titles tell one story each; benchmarks and the soak need
hundreds. Number `n` gives every id of a title (TMDB, TVDB, IMDb, Radarr, Sonarr,
episodes, AniDB, Shoko), far above the catalogue's own, so generated titles never
collide with it or with each other. Names are zero-padded so that no title is a
search match for another (Jellyfin searches by substring). `register` adds a title
and its releases to the catalogue the fake services read.
"""

from datetime import date, timedelta

from .catalog import (
    ENGLISH,
    JAPANESE,
    MOVIES,
    RELEASES,
    SERIES,
    Anime,
    Episode,
    Media,
    Movie,
    Release,
    Series,
)

FIRST_AIRED = date(2020, 1, 6)
# Each title's episodes get ids in a block of this size.
EPISODE_BLOCK = 100


def anime_ids(n: int) -> Anime:
    """How AniDB and Shoko know generated title `n` (episodes follow in its block)."""
    return Anime(
        anidb_id=30_000 + n,
        shoko_series_id=10_000 + n,
        shoko_group_id=20_000 + n,
        anidb_episode_id=1_000_000 + n * EPISODE_BLOCK,
        shoko_episode_id=2_000_000 + n * EPISODE_BLOCK,
    )


def movie(prefix: str, n: int, *, anime: bool = False) -> Movie:
    """Generated film `n` (Japanese and tagged anime in Radarr when `anime`)."""
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
        overview="A generated film.",
        poster=f"/film{n}.jpg",
        genres=("Animation",) if anime else ("Drama",),
        language=JAPANESE if anime else ENGLISH,
        release_date=f"{year}-06-01",
        runtime=110,
        anime=anime_ids(n) if anime else None,
    )


def series(prefix: str, n: int, episodes: int, *, anime: bool = False) -> Series:
    """Generated show `n`: one season of `episodes` aired episodes."""
    ids = anime_ids(n) if anime else None
    return Series(
        key=f"{prefix}_show_{n:05d}",
        title=f"{prefix.title()} Show {n:05d}",
        year=2000 + n % 25,
        tmdb_id=60_000_000 + n,
        tvdb_id=70_000_000 + n,
        imdb_id=f"tt{80_000_000 + n}",
        tvmaze_id=900_000 + n,
        sonarr_id=200_000 + n,
        overview="A generated show.",
        poster=f"/show{n}.jpg",
        genres=("Animation",) if anime else ("Drama",),
        language=JAPANESE if anime else ENGLISH,
        runtime=24 if anime else 45,
        episodes=tuple(
            Episode(
                season=1,
                number=e,
                title=f"Episode {e}",
                sonarr_id=10_000_000 + n * EPISODE_BLOCK + e,
                tvdb_id=80_000_000 + n * EPISODE_BLOCK + e,
                airs=FIRST_AIRED + timedelta(weeks=e),
                anidb_id=ids.anidb_episode_id + e - 1 if ids else 0,
                shoko_id=ids.shoko_episode_id + e - 1 if ids else 0,
            )
            for e in range(1, episodes + 1)
        ),
        anime=ids,
    )


def movie_release(film: Movie, variant: str = "bluray") -> Release:
    """A one-file release of a film; each `variant` is another torrent."""
    group = variant.upper()
    return Release(
        key=f"{film.key}_{variant}",
        media=film.key,
        name=f"{film.title.replace(' ', '.')}.{film.year}.1080p.BluRay.x264-{group}",
        quality="Bluray-1080p",
        group=group,
        indexer="TorrentLeech (Prowlarr)",
        size=8_589_934_592,
        video_codec="x264",
        audio_codec="DTS",
        audio_channels=5.1,
    )


def season_pack(show: Series, variant: str = "bluray") -> Release:
    """Season 1 as one torrent with a file per episode; each `variant` is another."""
    group = variant.upper()
    return Release(
        key=f"{show.key}_s01_{variant}",
        media=show.key,
        name=f"{show.title.replace(' ', '.')}.S01.1080p.BluRay.x264-{group}",
        quality="Bluray-1080p",
        group=group,
        indexer="TorrentLeech (Prowlarr)",
        size=len(show.episodes) * 1_500_000_000,
        video_codec="x264",
        audio_codec="AC3",
        audio_channels=5.1,
        episodes=tuple((e.season, e.number) for e in show.episodes),
    )


def episode_release(show: Series, episode: Episode) -> Release:
    """One episode as a one-file web release."""
    tag = f"S{episode.season:02d}E{episode.number:02d}"
    return Release(
        key=f"{show.key}_{tag.lower()}",
        media=show.key,
        name=f"{show.title.replace(' ', '.')}.{tag}.1080p.WEB-DL.x264-WEB.mkv",
        quality="WEBDL-1080p",
        group="WEB",
        indexer="TorrentLeech (Prowlarr)",
        size=1_500_000_000,
        video_codec="x264",
        audio_codec="AAC",
        audio_channels=2.0,
        episodes=((episode.season, episode.number),),
        single_file=True,
    )


def register(title: Media, releases: tuple[Release, ...]) -> None:
    """Add a title and its releases to the catalogue every fake service reads."""
    if isinstance(title, Movie):
        MOVIES[title.key] = title
    else:
        SERIES[title.key] = title
    for release in releases:
        RELEASES[release.key] = release


def unregister(title: Media, releases: tuple[Release, ...]) -> None:
    """Take a registered title and its releases out of the catalogue again.

    The catalogue is the process's: a test that adds titles removes them, or a
    later test (the soak's household) would find ids it numbered the same.
    """
    (MOVIES if isinstance(title, Movie) else SERIES).pop(title.key, None)
    for release in releases:
        RELEASES.pop(release.key, None)
