"""The titles the simulator knows: ids, episodes, releases and file names.

Every service answers about the same titles with the same ids (TMDB/TVDB/IMDb, Radarr and
Sonarr ids, Sonarr episode ids, AniDB and Shoko ids), so a scenario only names a title or
a release and each fake service derives its own view of it. Ids taken from the reference
payloads (Violet Evergarden, Lycoris Recoil) keep their captured values; the rest are
real public ids where they are well known and illustrative otherwise.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from .clock import SimClock


@dataclass(frozen=True, slots=True)
class Language:
    """A *arr language (`{id, name}` in payloads) and its ISO 639-2 code."""

    id: int
    name: str
    code: str


ENGLISH = Language(1, "English", "eng")
JAPANESE = Language(8, "Japanese", "jpn")

# When an episode airs: a historic date, an offset from the stack's start (unscaled
# calendar time, for "aired last week"), or a scenario second (it airs during the run).
type Airing = date | timedelta | float
# A movie's TMDB date: a calendar date, or an offset from the stack's start (unscaled
# calendar time, for a film that is "out digitally in 20 days").
type Dated = date | timedelta


@dataclass(frozen=True, slots=True)
class Anime:
    """How Shoko and AniDB know an anime (for a movie, also its single episode)."""

    anidb_id: int
    shoko_series_id: int
    shoko_group_id: int
    anidb_episode_id: int = 0
    shoko_episode_id: int = 0


@dataclass(frozen=True, slots=True)
class Episode:
    """One episode as Sonarr, Jellyfin and Shoko know it."""

    season: int
    number: int
    title: str
    sonarr_id: int
    tvdb_id: int
    airs: Airing
    anidb_id: int = 0
    shoko_id: int = 0


@dataclass(frozen=True, slots=True)
class Movie:
    """A movie as Jellyseerr (TMDB), Radarr and Jellyfin know it."""

    key: str
    title: str
    year: int
    tmdb_id: int
    imdb_id: str
    radarr_id: int
    folder: str
    overview: str
    poster: str  # TMDB poster path, as Jellyseerr glues it to its image URL
    genres: tuple[str, ...]
    language: Language
    release_date: str  # the home (physical) release, often a year later ("": none)
    runtime: int  # minutes
    anime: Anime | None = None
    # Radarr's other TMDB dates (absent: unknown); `physical_release` replaces
    # `release_date` for a film whose home release is relative to the stack's start.
    in_cinemas: Dated | None = None
    digital_release: Dated | None = None
    physical_release: Dated | None = None

    @property
    def premiere(self) -> str:
        """TMDB's primary release date, Jellyseerr's `releaseDate`: the title's year.

        Jellyseerr takes a webhook subject's year from the same date, so the two
        always agree.
        """
        return f"{self.year}-01-01"


@dataclass(frozen=True, slots=True)
class Series:
    """A series as Jellyseerr (TMDB), Sonarr (TVDB) and Jellyfin know it."""

    key: str
    title: str
    year: int
    tmdb_id: int
    tvdb_id: int
    imdb_id: str
    tvmaze_id: int
    sonarr_id: int
    overview: str
    poster: str
    genres: tuple[str, ...]
    language: Language
    runtime: int
    episodes: tuple[Episode, ...]
    anime: Anime | None = None

    def episode(self, season: int, number: int) -> Episode:
        """The episode with this season and number."""
        for episode in self.episodes:
            if (episode.season, episode.number) == (season, number):
                return episode
        raise KeyError(f"{self.key} has no S{season:02d}E{number:02d}")


type Media = Movie | Series


@dataclass(frozen=True, slots=True)
class Release:
    """A release an *arr grabs: one torrent with one file per movie or episode."""

    key: str
    media: str
    name: str
    quality: str
    group: str
    indexer: str
    size: int
    video_codec: str
    audio_codec: str
    audio_channels: float
    quality_version: int = 1
    custom_formats: tuple[str, ...] = ()
    custom_format_score: int = 0
    episodes: tuple[tuple[int, int], ...] = ()  # (season, number); TV only
    single_file: bool = False  # one-file torrent (its name is the file name)

    @property
    def release_type(self) -> str:
        """Sonarr's `releaseType` for this release."""
        return "singleEpisode" if len(self.episodes) == 1 else "seasonPack"


# Radarr and Sonarr quality definitions (`Qualities/Quality.cs`): id, source, resolution.
QUALITIES: dict[str, tuple[int, str, str, int]] = {
    # name: (id, Radarr source, Sonarr source, resolution)
    "Bluray-1080p": (7, "bluray", "bluray", 1080),
    "WEBDL-1080p": (3, "webdl", "web", 1080),
    "Bluray-2160p": (19, "bluray", "bluray", 2160),
}
CUSTOM_FORMAT_IDS = {
    "10bit": 34,
    "AV1": 51,
    "x265 (HD)": 20,
    "Anime Dual Audio": 12,
    "Repack/Proper": 7,
    "Anime Web Tier 01": 15,
    "HDR": 40,
}
TAG_IDS = {"anime": 1}
# Prowlarr-synced indexers: (*arr indexer id, site). Illustrative values.
INDEXERS: dict[str, tuple[int, str]] = {
    "TorrentLeech (Prowlarr)": (1, "https://www.torrentleech.org"),
    "Nyaa.si (Prowlarr)": (2, "https://nyaa.si"),
    "1337x (Prowlarr)": (3, "https://1337x.to"),
}


def _weekly(first: date, count: int) -> list[date]:
    return [first + timedelta(weeks=n) for n in range(count)]


def _episodes(
    season: int,
    titles: list[str],
    airs: list[Airing],
    sonarr_first: int,
    tvdb_ids: list[int],
    anime: Anime | None = None,
) -> tuple[Episode, ...]:
    return tuple(
        Episode(
            season=season,
            number=number,
            title=title,
            sonarr_id=sonarr_first + number - 1,
            tvdb_id=tvdb_id,
            airs=airing,
            anidb_id=anime.anidb_episode_id + number - 1 if anime else 0,
            shoko_id=anime.shoko_episode_id + number - 1 if anime else 0,
        )
        for number, (title, airing, tvdb_id) in enumerate(
            zip(titles, airs, tvdb_ids, strict=True), start=1
        )
    )


MOVIES = {
    movie.key: movie
    for movie in (
        Movie(
            key="dune_part_two",
            title="Dune: Part Two",
            year=2024,
            tmdb_id=693134,
            imdb_id="tt15239678",
            radarr_id=71,
            folder="Dune - Part Two (2024)",
            overview="Follow the mythic journey of Paul Atreides as he unites with Chani and the Fremen while on a path of revenge against the conspirators who destroyed his family.",
            poster="/1pdfLvkbY9ohJlCjQH2CZjjYVvJ.jpg",
            genres=("Science Fiction", "Adventure"),
            language=ENGLISH,
            release_date="2024-05-14",
            runtime=167,
        ),
        Movie(
            key="violet_evergarden_movie",
            title="Violet Evergarden: The Movie",
            year=2020,
            tmdb_id=533514,
            imdb_id="tt8652818",
            radarr_id=52,
            folder="Violet Evergarden - The Movie (2020)",
            overview="As the world moves on from the war and technological advances bring changes to her life, Violet still hopes to see her lost commanding officer again.",
            poster="/A9R6bukzzRmOzxvDQsXdQpeNm8l.jpg",
            genres=("Animation", "Fantasy", "Romance", "Drama"),
            language=JAPANESE,
            release_date="2021-10-13",
            runtime=140,
            anime=Anime(
                anidb_id=14768,
                shoko_series_id=31,
                shoko_group_id=30,
                anidb_episode_id=229102,
                shoko_episode_id=402,
            ),
        ),
        Movie(
            key="oppenheimer",
            title="Oppenheimer",
            year=2023,
            tmdb_id=872585,
            imdb_id="tt15398776",
            radarr_id=73,
            folder="Oppenheimer (2023)",
            overview="The story of J. Robert Oppenheimer's role in the development of the atomic bomb during World War II.",
            poster="/8Gxv8gSFCU0XGDykEGv7zR1n2ua.jpg",
            genres=("Drama", "History"),
            language=ENGLISH,
            release_date="2023-11-21",
            runtime=181,
        ),
        Movie(
            key="interstellar",
            title="Interstellar",
            year=2014,
            tmdb_id=157336,
            imdb_id="tt0816692",
            radarr_id=74,
            folder="Interstellar (2014)",
            overview="The adventures of a group of explorers who make use of a newly discovered wormhole to surpass the limitations on human space travel.",
            poster="/gEU2QniE6E77NI6lCU6MxlNBvIx.jpg",
            genres=("Adventure", "Drama", "Science Fiction"),
            language=ENGLISH,
            release_date="2015-03-31",
            runtime=169,
        ),
        Movie(
            key="arrival",
            title="Arrival",
            year=2016,
            tmdb_id=329865,
            imdb_id="tt2543164",
            radarr_id=75,
            folder="Arrival (2016)",
            overview="Taking place after alien crafts land around the world, an expert linguist is recruited by the military to determine whether they come in peace or are a threat.",
            poster="/x2FJsf1ElAgr63Y3PNPtJrcmpoe.jpg",
            genres=("Drama", "Science Fiction", "Mystery"),
            language=ENGLISH,
            release_date="2017-02-14",
            runtime=116,
        ),
        Movie(
            key="perfect_blue",
            title="Perfect Blue",
            year=1997,
            tmdb_id=10494,
            imdb_id="tt0156887",
            radarr_id=76,
            folder="Perfect Blue (1997)",
            overview="A retired pop singer turned actress's sense of reality is shaken when she is stalked by an obsessed fan and seemingly a ghost of her past.",
            poster="/6WTiOCfDPP8XV4jqfloiVWf7KHq.jpg",
            genres=("Animation", "Thriller"),
            language=JAPANESE,
            release_date="1998-08-04",
            runtime=81,
            anime=Anime(anidb_id=8, shoko_series_id=52, shoko_group_id=51),
        ),
        Movie(
            key="blade_runner_2049",
            title="Blade Runner 2049",
            year=2017,
            tmdb_id=335984,
            imdb_id="tt1856101",
            radarr_id=77,
            folder="Blade Runner 2049 (2017)",
            overview="Thirty years after the events of the first film, a new blade runner, LAPD Officer K, unearths a long-buried secret.",
            poster="/gajva2L0rPYkEWjzgFlBXCAVBE5.jpg",
            genres=("Science Fiction", "Drama"),
            language=ENGLISH,
            release_date="2018-01-16",
            runtime=164,
        ),
        Movie(
            key="inception",
            title="Inception",
            year=2010,
            tmdb_id=27205,
            imdb_id="tt1375666",
            radarr_id=78,
            folder="Inception (2010)",
            overview="Cobb, a skilled thief who commits corporate espionage by infiltrating the subconscious of his targets, is offered a chance to regain his old life.",
            poster="/oYuLEt3zVCKq57qu2F8dT7NIa6f.jpg",
            genres=("Action", "Science Fiction", "Adventure"),
            language=ENGLISH,
            release_date="2010-12-07",
            runtime=148,
        ),
        Movie(
            key="the_matrix",
            title="The Matrix",
            year=1999,
            tmdb_id=603,
            imdb_id="tt0133093",
            radarr_id=79,
            folder="The Matrix (1999)",
            overview="Set in the 22nd century, The Matrix tells the story of a computer hacker who joins a group of underground insurgents fighting the vast and powerful computers who now rule the earth.",
            poster="/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg",
            genres=("Action", "Science Fiction"),
            language=ENGLISH,
            release_date="1999-09-21",
            runtime=136,
        ),
        Movie(
            key="mad_max_fury_road",
            title="Mad Max: Fury Road",
            year=2015,
            tmdb_id=76341,
            imdb_id="tt1392190",
            radarr_id=80,
            folder="Mad Max - Fury Road (2015)",
            overview="An apocalyptic story set in the furthest reaches of our planet, in a stark desert landscape where humanity is broken, and most everyone is crazed fighting for the necessities of life.",
            poster="/hA2ple9q4qnwxp3hKVNhroipsir.jpg",
            genres=("Action", "Adventure", "Science Fiction"),
            language=ENGLISH,
            release_date="2015-09-01",
            runtime=121,
        ),
        Movie(
            key="whiplash",
            title="Whiplash",
            year=2014,
            tmdb_id=244786,
            imdb_id="tt2582802",
            radarr_id=81,
            folder="Whiplash (2014)",
            overview="Under the direction of a ruthless instructor, a talented young drummer begins to pursue perfection at any cost, even his humanity.",
            poster="/7fn624j5lj3xTme2SgiLCeuedmO.jpg",
            genres=("Drama", "Music"),
            language=ENGLISH,
            release_date="2015-02-24",
            runtime=107,
        ),
        Movie(
            key="alien",
            title="Alien",
            year=1979,
            tmdb_id=348,
            imdb_id="tt0078748",
            radarr_id=82,
            folder="Alien (1979)",
            overview="During its return to the earth, commercial spaceship Nostromo intercepts a distress signal from a distant planet.",
            poster="/vfrQk5IPloGg1v9Rzbh2Eg3VGyM.jpg",
            genres=("Horror", "Science Fiction"),
            language=ENGLISH,
            release_date="1999-10-26",
            runtime=117,
        ),
        Movie(
            key="everything_everywhere",
            title="Everything Everywhere All at Once",
            year=2022,
            tmdb_id=545611,
            imdb_id="tt6710474",
            radarr_id=84,
            folder="Everything Everywhere All at Once (2022)",
            overview="An aging Chinese immigrant is swept up in an insane adventure, where she alone can save what's important to her by connecting with the lives she could have led in other universes.",
            poster="/w3LxiVYdWWRvEVdn5RYq6jIqkb1.jpg",
            genres=("Action", "Adventure", "Science Fiction"),
            language=ENGLISH,
            release_date="2022-07-05",
            runtime=140,
        ),
        # Not out yet: in cinemas for a month, digital in 20 days, disc in 40 (dates
        # relative to the stack's start; the ids are real, poster and runtime are not).
        Movie(
            key="dune_part_three",
            title="Dune: Part Three",
            year=2026,
            tmdb_id=1170608,
            imdb_id="tt31378509",
            radarr_id=83,
            folder="Dune - Part Three (2026)",
            overview="The conclusion of Denis Villeneuve's adaptation of Frank Herbert's saga, after Dune Messiah: Paul Atreides rules as Emperor, and the holy war waged in his name spreads across the universe.",
            poster="/dune-part-three-illustrative.jpg",
            genres=("Science Fiction", "Adventure"),
            language=ENGLISH,
            release_date="",
            runtime=150,
            in_cinemas=timedelta(days=-30),
            digital_release=timedelta(days=20),
            physical_release=timedelta(days=40),
        ),
    )
}

# Luther: five short seasons (episodes are just numbered), first air date of each.
_LUTHER_SEASONS = {
    1: (6, date(2010, 5, 4)),
    2: (4, date(2011, 6, 14)),
    3: (4, date(2013, 7, 2)),
    4: (2, date(2015, 12, 15)),
    5: (4, date(2019, 1, 1)),
}

_LYCORIS = Anime(
    anidb_id=16887,
    shoko_series_id=41,
    shoko_group_id=40,
    anidb_episode_id=260001,
    shoko_episode_id=501,
)

SERIES = {
    series.key: series
    for series in (
        Series(
            key="breaking_bad",
            title="Breaking Bad",
            year=2008,
            tmdb_id=1396,
            tvdb_id=81189,
            imdb_id="tt0903747",
            tvmaze_id=169,
            sonarr_id=31,
            overview="Walter White, a New Mexico chemistry teacher, is diagnosed with Stage III cancer and given a prognosis of only two years left to live.",
            poster="/ztkUQFLlC19CCMYHW9o1zWhJRNq.jpg",
            genres=("Drama", "Crime"),
            language=ENGLISH,
            runtime=47,
            episodes=_episodes(
                1,
                [
                    "Pilot",
                    "Cat's in the Bag...",
                    "...And the Bag's in the River",
                    "Cancer Man",
                    "Gray Matter",
                    "Crazy Handful of Nothin'",
                    "A No-Rough-Stuff-Type Deal",
                ],
                [date(2008, 1, 20), *_weekly(date(2008, 1, 27), 6)],
                sonarr_first=1001,
                tvdb_ids=list(range(349232, 349239)),
            ),
        ),
        Series(
            key="lycoris_recoil",
            title="Lycoris Recoil",
            year=2022,
            tmdb_id=154494,
            tvdb_id=414057,
            imdb_id="tt16755706",
            tvmaze_id=62715,
            sonarr_id=23,
            overview="A spirited secret agent and her aloof colleague work in an unassuming, charming cafe while happily helping their customers out in any way they can.",
            poster="/hcPLwLGEU4alv9sOWvzSY4IorxV.jpg",
            genres=("Action", "Animation", "Anime", "Comedy"),
            language=JAPANESE,
            runtime=24,
            episodes=_episodes(
                1,
                [
                    "Easy does it",
                    "The more the merrier",
                    "More haste, less speed",
                    "Nothing seek, nothing find",
                    "So far, so good",
                    "Opposites attract",
                    "Time will tell",
                    "Another day, another dollar",
                    "What's done is done",
                    "Repay evil with evil",
                    "Diamond cut diamond",
                    "Nature versus nurture",
                    "Recoil of Lycoris",
                ],
                list(_weekly(date(2022, 7, 2), 13)),
                sonarr_first=739,
                tvdb_ids=[8916235, 9234918, 9234919, 9234920, *range(9242981, 9242990)],
                anime=_LYCORIS,
            ),
            anime=_LYCORIS,
        ),
        Series(
            key="severance",
            title="Severance",
            year=2022,
            tmdb_id=95396,
            tvdb_id=371980,
            imdb_id="tt11280740",
            tvmaze_id=44933,
            sonarr_id=32,
            overview="Mark leads a team of office workers whose memories have been surgically divided between their work and personal lives.",
            poster="/pPHpeI2X1qEd1CS1SeyrdhZ4qnT.jpg",
            genres=("Drama", "Mystery", "Science Fiction"),
            language=ENGLISH,
            runtime=50,
            episodes=_episodes(
                2,
                [
                    "Hello, Ms. Cobel",
                    "Goodbye, Mrs. Selvig",
                    "Who Is Alive?",
                    "Woe's Hollow",
                    "Trojan's Horse",
                    "Attila",
                    "Chikhai Bardo",
                    "Sweet Vitriol",
                    "The After Hours",
                    "Cold Harbor",
                ],
                # Airing now: three episodes out, the fourth airs during the scenario.
                [
                    *(timedelta(weeks=-n) for n in (3, 2, 1)),
                    300.0,
                    *(timedelta(weeks=n) for n in range(1, 7)),
                ],
                sonarr_first=2101,
                tvdb_ids=list(range(10512001, 10512011)),
            ),
        ),
        Series(
            key="chernobyl",
            title="Chernobyl",
            year=2019,
            tmdb_id=87108,
            tvdb_id=360893,
            imdb_id="tt7366338",
            tvmaze_id=30770,
            sonarr_id=33,
            overview="The true story of one of the worst man-made catastrophes in history: the catastrophic nuclear accident at Chernobyl.",
            poster="/hlLXt2tOPT6RRnjiUmoxyG1LTFi.jpg",
            genres=("Drama",),
            language=ENGLISH,
            runtime=65,
            episodes=_episodes(
                1,
                [
                    "1:23:45",
                    "Please Remain Calm",
                    "Open Wide, O Earth",
                    "The Happiness of All Mankind",
                    "Vichnaya Pamyat",
                ],
                list(_weekly(date(2019, 5, 6), 5)),
                sonarr_first=3001,
                tvdb_ids=list(range(7050261, 7050266)),
            ),
        ),
        Series(
            key="luther",
            title="Luther",
            year=2010,
            tmdb_id=1426,
            tvdb_id=159611,
            imdb_id="tt1474684",
            tvmaze_id=201,
            sonarr_id=34,
            overview="DCI John Luther is a near-genius murder detective whose brilliant mind can't always save him from the dangerous violence of his obsessions and passions.",
            poster="/ek2Ll2AZCpgw5yaz5XYz0IaLHf4.jpg",
            genres=("Crime", "Drama", "Mystery"),
            language=ENGLISH,
            runtime=58,
            episodes=tuple(
                episode
                for season, (count, first) in _LUTHER_SEASONS.items()
                for episode in _episodes(
                    season,
                    [f"Episode {number}" for number in range(1, count + 1)],
                    list(_weekly(first, count)),
                    sonarr_first=4001 + 100 * season,
                    tvdb_ids=[4_100_001 + 100 * season + n for n in range(count)],
                )
            ),
        ),
        Series(
            key="the_bear",
            title="The Bear",
            year=2022,
            tmdb_id=136315,
            tvdb_id=403245,
            imdb_id="tt14452776",
            tvmaze_id=58770,  # illustrative, like the episodes' TVDB ids
            sonarr_id=35,
            overview="Carmy, a young fine-dining chef, comes home to Chicago to run his family's Italian beef sandwich shop.",
            poster="/sHFlbKS3WLqMnp9t2ghADIJFnuQ.jpg",
            genres=("Comedy", "Drama"),
            language=ENGLISH,
            runtime=30,
            episodes=_episodes(
                1,
                [
                    "System",
                    "Hands",
                    "Brigade",
                    "Dogs",
                    "Sheridan",
                    "Ceres",
                    "Review",
                    "Braciole",
                ],
                [date(2022, 6, 23)] * 8,  # the whole season at once
                sonarr_first=5001,
                tvdb_ids=list(range(9_144_901, 9_144_909)),
            ),
        ),
    )
}


def _pack(season: int, count: int) -> tuple[tuple[int, int], ...]:
    return tuple((season, number) for number in range(1, count + 1))


RELEASES = {
    release.key: release
    for release in (
        Release(
            key="dune_part_two_bluray",
            media="dune_part_two",
            name="Dune.Part.Two.2024.1080p.BluRay.DDP7.1.x264-ZoroSenpai",
            quality="Bluray-1080p",
            group="ZoroSenpai",
            indexer="TorrentLeech (Prowlarr)",
            size=14_063_403_213,
            video_codec="x264",
            audio_codec="EAC3",
            audio_channels=7.1,
        ),
        Release(
            key="violet_evergarden_movie_bd",
            media="violet_evergarden_movie",
            name="[The-Nut] Violet Evergarden The Movie 2020 [BD][1080p 10bit AV1]",
            quality="Bluray-1080p",
            group="The-Nut",
            indexer="Nyaa.si (Prowlarr)",
            size=1_181_116_032,
            video_codec="AV1",
            audio_codec="FLAC",
            audio_channels=2.0,
            custom_formats=("10bit", "AV1"),
        ),
        Release(
            key="oppenheimer_bluray",
            media="oppenheimer",
            name="Oppenheimer.2023.1080p.BluRay.DDP5.1.x265.10bit-GalaxyRG265",
            quality="Bluray-1080p",
            group="GalaxyRG265",
            indexer="1337x (Prowlarr)",
            size=6_228_541_440,
            video_codec="x265",
            audio_codec="EAC3",
            audio_channels=5.1,
            custom_formats=("10bit", "x265 (HD)"),
        ),
        # Another Oppenheimer: what Radarr grabs once a dead one is blocklisted.
        Release(
            key="oppenheimer_web",
            media="oppenheimer",
            name="Oppenheimer.2023.1080p.WEB-DL.DDP5.1.H.264-FLUX",
            quality="WEBDL-1080p",
            group="FLUX",
            indexer="TorrentLeech (Prowlarr)",
            size=7_412_002_816,
            video_codec="h264",
            audio_codec="EAC3",
            audio_channels=5.1,
        ),
        Release(
            key="interstellar_bluray",
            media="interstellar",
            name="Interstellar.2014.1080p.BluRay.x264.DTS-HD.MA.5.1-SWTYBLZ",
            quality="Bluray-1080p",
            group="SWTYBLZ",
            indexer="TorrentLeech (Prowlarr)",
            size=17_394_213_888,
            video_codec="x264",
            audio_codec="DTS-HD MA",
            audio_channels=5.1,
        ),
        Release(
            key="arrival_bluray",
            media="arrival",
            name="Arrival.2016.1080p.BluRay.x264-SPARKS",
            quality="Bluray-1080p",
            group="SPARKS",
            indexer="TorrentLeech (Prowlarr)",
            size=8_589_934_592,
            video_codec="x264",
            audio_codec="DTS",
            audio_channels=5.1,
        ),
        Release(
            key="perfect_blue_bd",
            media="perfect_blue",
            name="[Judas] Perfect Blue (1997) [BD 1080p][HEVC x265 10bit][Dual-Audio]",
            quality="Bluray-1080p",
            group="Judas",
            indexer="Nyaa.si (Prowlarr)",
            size=2_791_728_742,
            video_codec="x265",
            audio_codec="AAC",
            audio_channels=2.0,
            custom_formats=("10bit", "x265 (HD)", "Anime Dual Audio"),
        ),
        Release(
            key="blade_runner_2049_bluray",
            media="blade_runner_2049",
            name="Blade.Runner.2049.2017.1080p.BluRay.x264-SPARKS",
            quality="Bluray-1080p",
            group="SPARKS",
            indexer="TorrentLeech (Prowlarr)",
            size=12_884_901_888,
            video_codec="x264",
            audio_codec="DTS",
            audio_channels=5.1,
        ),
        Release(
            key="inception_bluray",
            media="inception",
            name="Inception.2010.1080p.BluRay.x264-REFiNED",
            quality="Bluray-1080p",
            group="REFiNED",
            indexer="TorrentLeech (Prowlarr)",
            size=10_737_418_240,
            video_codec="x264",
            audio_codec="DTS",
            audio_channels=5.1,
        ),
        Release(
            key="breaking_bad_s01",
            media="breaking_bad",
            name="Breaking.Bad.S01.1080p.BluRay.x264-ROVERS",
            quality="Bluray-1080p",
            group="ROVERS",
            indexer="TorrentLeech (Prowlarr)",
            size=16_106_127_360,
            video_codec="x264",
            audio_codec="AC3",
            audio_channels=5.1,
            episodes=_pack(1, 7),
        ),
        Release(
            key="lycoris_recoil_s01",
            media="lycoris_recoil",
            name="[FLE] Lycoris Recoil - S01 REPACK (BD 1080p HEVC x265 Opus) [Dual Audio]",
            quality="Bluray-1080p",
            group="FLE",
            indexer="Nyaa.si (Prowlarr)",
            size=33_930_242_048,
            video_codec="x265",
            audio_codec="Opus",
            audio_channels=2.0,
            quality_version=2,
            custom_formats=("Anime Dual Audio", "Repack/Proper", "x265 (HD)"),
            custom_format_score=200,
            episodes=_pack(1, 13),
        ),
        *(
            Release(
                key=f"severance_s02e{number:02d}",
                media="severance",
                name=f"Severance.S02E{number:02d}.1080p.ATVP.WEB-DL.DDP5.1.Atmos.H.264-FLUX.mkv",
                quality="WEBDL-1080p",
                group="FLUX",
                indexer="TorrentLeech (Prowlarr)",
                size=3_650_000_000 + number * 12_345_678,
                video_codec="h264",
                audio_codec="EAC3 Atmos",
                audio_channels=5.1,
                episodes=((2, number),),
                single_file=True,
            )
            for number in range(1, 5)
        ),
        Release(
            key="chernobyl_s01",
            media="chernobyl",
            name="Chernobyl.S01.1080p.BluRay.x264-SHORTBREHD",
            quality="Bluray-1080p",
            group="SHORTBREHD",
            indexer="TorrentLeech (Prowlarr)",
            size=13_421_772_800,
            video_codec="x264",
            audio_codec="DTS",
            audio_channels=5.1,
            episodes=_pack(1, 5),
        ),
        *(
            Release(
                key=f"luther_s{season:02d}",
                media="luther",
                name=f"Luther.S{season:02d}.1080p.BluRay.x264-SHORTBREHD",
                quality="Bluray-1080p",
                group="SHORTBREHD",
                indexer="TorrentLeech (Prowlarr)",
                size=_LUTHER_SEASONS[season][0] * 3_900_000_000,
                video_codec="x264",
                audio_codec="DTS",
                audio_channels=5.1,
                episodes=_pack(season, _LUTHER_SEASONS[season][0]),
            )
            for season in (2, 3)
        ),
        Release(
            key="the_matrix_bluray",
            media="the_matrix",
            name="The.Matrix.1999.1080p.BluRay.x264-AMIABLE",
            quality="Bluray-1080p",
            group="AMIABLE",
            indexer="1337x (Prowlarr)",
            size=9_126_805_504,
            video_codec="x264",
            audio_codec="DTS",
            audio_channels=5.1,
        ),
        Release(
            key="everything_everywhere_bluray",
            media="everything_everywhere",
            name="Everything.Everywhere.All.at.Once.2022.1080p.BluRay.x264-PiGNUS",
            quality="Bluray-1080p",
            group="PiGNUS",
            indexer="TorrentLeech (Prowlarr)",
            size=11_811_160_064,
            video_codec="x264",
            audio_codec="DTS-HD MA",
            audio_channels=5.1,
        ),
        Release(
            key="the_bear_s01",
            media="the_bear",
            name="The.Bear.S01.1080p.DSNP.WEB-DL.DDP5.1.H.264-NTb",
            quality="WEBDL-1080p",
            group="NTb",
            indexer="TorrentLeech (Prowlarr)",
            size=10_800_000_000,
            video_codec="h264",
            audio_codec="EAC3",
            audio_channels=5.1,
            episodes=_pack(1, 8),
        ),
        Release(
            key="mad_max_fury_road_bluray",
            media="mad_max_fury_road",
            name="Mad.Max.Fury.Road.2015.1080p.BluRay.x264-SPARKS",
            quality="Bluray-1080p",
            group="SPARKS",
            indexer="TorrentLeech (Prowlarr)",
            size=10_200_547_328,
            video_codec="x264",
            audio_codec="DTS",
            audio_channels=7.1,
        ),
    )
}


@dataclass(frozen=True, slots=True)
class ReleaseFile:
    """One file of a release: its path inside the torrent and what it holds."""

    name: str
    size: int
    episodes: tuple[tuple[int, int], ...] = ()


def release_files(release: Release) -> tuple[ReleaseFile, ...]:
    """The files of a release, in torrent order; sizes add up to the release size."""
    if release.single_file:
        return (ReleaseFile(release.name, release.size, release.episodes),)
    if not release.episodes:
        return (ReleaseFile(f"{release.name}/{release.name}.mkv", release.size),)
    share, rest = divmod(release.size, len(release.episodes))
    files = []
    for index, (season, number) in enumerate(release.episodes):
        tag = f"S{season:02d}"
        name = release.name.replace(tag, f"{tag}E{number:02d}", 1)
        size = share + (rest if index == len(release.episodes) - 1 else 0)
        files.append(
            ReleaseFile(f"{release.name}/{name}.mkv", size, ((season, number),))
        )
    return tuple(files)


def media(key: str) -> Media:
    """The movie or series with this catalog key."""
    return MOVIES.get(key) or SERIES[key]


@dataclass(frozen=True, slots=True)
class MovieDates:
    """A movie's TMDB dates as Radarr stores them (midnight UTC; None: unknown)."""

    in_cinemas: datetime | None
    digital_release: datetime | None
    physical_release: datetime | None


def _day(when: Dated | None, clock: SimClock) -> datetime | None:
    """A date at midnight UTC; an offset counts from the clock's start date."""
    match when:
        case None:
            return None
        case timedelta():
            return datetime.combine((clock.start + when).date(), time(0), UTC)
        case _:
            return datetime.combine(when, time(0), UTC)


def movie_dates(movie: Movie, clock: SimClock) -> MovieDates:
    """The cinema, digital and physical release dates of a movie."""
    physical = movie.physical_release
    if physical is None and movie.release_date:
        physical = date.fromisoformat(movie.release_date)
    return MovieDates(
        _day(movie.in_cinemas, clock),
        _day(movie.digital_release, clock),
        _day(physical, clock),
    )


def air_datetime(episode: Episode, clock: SimClock) -> datetime:
    """When an episode airs (historic dates at 15:00 UTC, like Sonarr's anime slots)."""
    match episode.airs:
        case date():
            return datetime.combine(episode.airs, time(15), UTC)
        case timedelta():
            return clock.start + episode.airs
        case _:
            return clock.datetime_at(episode.airs)
