"""A generated household: many requests of all four kinds, each a timed lifecycle.

A lifecycle is the scenario of one generated title (a movie, a TV season as one pack
or episode by episode, an anime movie, an anime series through Shoko), from the
request to Jellyfin, with the mishaps the real apps produce on the way: an admin who
approves later, an import that needs a manual fix, a download that fails (with or
without another release after it), one a user removes from the queue, a file AniDB
does not know, a request deleted in Jellyseerr. Each knows where its request must end,
so a soak can tell a request that is stuck or wrong. Everything is drawn from one
seed: the same seed gives the same household.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
import random

from .catalog import Release, Series, media
from .scenarios import (
    Action,
    Approve,
    Available,
    BlockImport,
    DeleteRequest,
    FailDownload,
    Grab,
    IgnoreDownload,
    Import,
    LibraryAdd,
    ProcessFailed,
    RemoveDownload,
    Request,
    ShokoDetect,
    ShokoHash,
    ShokoMatch,
    Step,
)
from .titles import (
    episode_release,
    movie,
    movie_release,
    register,
    season_pack,
    series,
)

USERS = ("alice", "bob")
# Simulated seconds a download takes, and how long each later stage waits.
DOWNLOAD = (120.0, 1200.0)
APPROVAL = (60.0, 900.0)
SEARCH = (20.0, 300.0)
AUTO_IMPORT = (5.0, 90.0)
MANUAL_FIX = (300.0, 1800.0)
LIBRARY_SCAN = (30.0, 300.0)
SEERR_SCAN = (60.0, 300.0)


class Kind(StrEnum):
    """The four paths a request takes."""

    MOVIE = "movie"
    TV = "tv"
    ANIME_MOVIE = "anime movie"
    ANIME_SERIES = "anime series"


class Mishap(StrEnum):
    """What goes wrong on the way (or nothing)."""

    NONE = "none"
    APPROVED_LATER = "approved later"
    IMPORT_BLOCKED = "import blocked, fixed by hand"
    RETRIED = "download failed, another release"
    FAILED = "download failed"
    IGNORED = "download removed from the queue"
    NOT_MATCHED = "file Shoko cannot match"
    DELETED = "request deleted in Jellyseerr"


# Each kind deals its mishaps from a shuffled deck, every one once per deck (and
# nothing going wrong three times), so that a short run still meets all of them.
_MISHAPS: dict[Kind, tuple[Mishap, ...]] = {
    Kind.MOVIE: (
        Mishap.APPROVED_LATER,
        Mishap.IMPORT_BLOCKED,
        Mishap.RETRIED,
        Mishap.FAILED,
        Mishap.IGNORED,
        Mishap.DELETED,
    ),
    Kind.TV: (
        Mishap.APPROVED_LATER,
        Mishap.IMPORT_BLOCKED,
        Mishap.RETRIED,
        Mishap.IGNORED,
        Mishap.DELETED,
    ),
    Kind.ANIME_MOVIE: (
        Mishap.IMPORT_BLOCKED,
        Mishap.RETRIED,
        Mishap.NOT_MATCHED,
        Mishap.DELETED,
    ),
    Kind.ANIME_SERIES: (
        Mishap.APPROVED_LATER,
        Mishap.FAILED,
        Mishap.NOT_MATCHED,
        Mishap.DELETED,
    ),
}
DECKS = {kind: (Mishap.NONE,) * 3 + mishaps for kind, mishaps in _MISHAPS.items()}
# Mishaps of a whole download: TV takes them as a season pack.
PACK_ONLY = frozenset({Mishap.RETRIED, Mishap.FAILED, Mishap.IGNORED})


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where a request must end: its state, and its problem code if it has one."""

    state: str
    problem_code: str | None = None


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """One title's story: its steps and the outcome its request must reach."""

    number: int
    kind: Kind
    mishap: Mishap
    media: str
    title: str
    episodes: tuple[tuple[int, int], ...]  # TV only
    steps: tuple[Step, ...]
    expected: Outcome

    @property
    def anime(self) -> bool:
        """Whether Shoko has to match its files."""
        return self.kind in {Kind.ANIME_MOVIE, Kind.ANIME_SERIES}

    @property
    def ends_at(self) -> float:
        """When its last step happens."""
        return self.steps[-1].at


def household(
    count: int, seed: int, *, every: float = 45.0, prefix: str = "soak"
) -> list[Lifecycle]:
    """`count` lifecycles of every kind in turn; a new request every `every` s on average.

    Their titles and releases are added to the catalogue.
    """
    rng = random.Random(seed)  # noqa: S311 (repeatable test data)
    decks = {kind: _deck(rng, kind) for kind in Kind}
    kinds = list(Kind)
    lifecycles = []
    start = 0.0
    for n in range(1, count + 1):
        kind = kinds[(n - 1) % len(kinds)]
        mishap = next(decks[kind])
        lifecycles.append(_lifecycle(rng, prefix, n, kind, mishap, start))
        start += rng.expovariate(1 / every)
    return lifecycles


def _deck(rng: random.Random, kind: Kind) -> Iterator[Mishap]:
    while True:
        cards = list(DECKS[kind])
        rng.shuffle(cards)
        yield from cards


def _lifecycle(
    rng: random.Random, prefix: str, n: int, kind: Kind, mishap: Mishap, start: float
) -> Lifecycle:
    """Make up the title and its releases, then plan its story."""
    plan = _Plan(rng, start)
    user = USERS[n % len(USERS)]
    if kind in {Kind.MOVIE, Kind.ANIME_MOVIE}:
        film = movie(prefix, n, anime=kind is Kind.ANIME_MOVIE)
        releases = (movie_release(film), movie_release(film, "web"))
        register(film, releases)
        expected = plan.story(film.key, (), releases, mishap, user)
        return Lifecycle(
            n, kind, mishap, film.key, film.title, (), plan.steps(), expected
        )
    anime = kind is Kind.ANIME_SERIES
    count = rng.randint(6, 12) if anime else rng.randint(2, 6)
    show = series(prefix, n, count, anime=anime)
    episodes = tuple((e.season, e.number) for e in show.episodes)
    # Every other TV show comes episode by episode, unless its mishap needs a pack.
    if kind is Kind.TV and mishap not in PACK_ONLY and n % 8 == 2:
        singles = tuple(episode_release(show, e) for e in show.episodes)
        register(show, singles)
        expected = plan.story(show.key, (1,), singles, mishap, user, by_episode=True)
    else:
        packs = _packs(show)
        register(show, packs)
        expected = plan.story(show.key, (1,), packs, mishap, user)
    return Lifecycle(
        n, kind, mishap, show.key, show.title, episodes, plan.steps(), expected
    )


def _packs(show: Series) -> tuple[Release, ...]:
    """Two season packs: the second is the one grabbed after the first failed."""
    return season_pack(show), season_pack(show, "web")


class _Plan:
    """A lifecycle's steps, each some seconds after the one before."""

    def __init__(self, rng: random.Random, start: float) -> None:
        self._rng = rng
        self._at = start
        self._steps: list[Step] = []

    def steps(self) -> tuple[Step, ...]:
        """In time order (episodes' stories overlap; a stable sort keeps the rest)."""
        return tuple(sorted(self._steps, key=lambda step: step.at))

    def then(self, wait: tuple[float, float], action: Action) -> None:
        """`action` after a wait drawn in `wait` (whole seconds: the soak's tick)."""
        self._at = float(round(self._at + self._rng.uniform(*wait)))
        self._steps.append(Step(self._at, action))

    def story(
        self,
        key: str,
        seasons: tuple[int, ...],
        releases: tuple[Release, ...],
        mishap: Mishap,
        user: str,
        *,
        by_episode: bool = False,
    ) -> Outcome:
        """Plan the request and what happens to it; the outcome it must reach.

        `releases` are a movie's or a season's two (the second is grabbed when the
        first fails), or one per episode `by_episode`.
        """
        pending = mishap is Mishap.APPROVED_LATER or (
            mishap is Mishap.DELETED and self._rng.random() < 0.5
        )
        self.then((0.0, 0.0), Request(key, user, seasons, auto_approve=not pending))
        if mishap is Mishap.DELETED and pending:
            self.then(APPROVAL, DeleteRequest(key))
            return Outcome("removed")
        if pending:
            self.then(APPROVAL, Approve(key))
        if by_episode:
            return self._episode_by_episode(key, releases, mishap)
        return self._one_download(key, releases, mishap)

    def _one_download(
        self, key: str, releases: tuple[Release, ...], mishap: Mishap
    ) -> Outcome:
        """A movie or a season pack: one release, or a second after it failed."""
        first, second = releases
        seconds = self._grab(first)
        match mishap:
            case Mishap.IGNORED:
                self.then((10.0, seconds * 0.8), IgnoreDownload(first.key))
                return Outcome("failed", "ignored")
            case Mishap.DELETED:
                self.then((10.0, seconds * 0.8), DeleteRequest(key))
                self._finish(key, first, seconds, Mishap.NONE)
                return Outcome("removed")
            case Mishap.FAILED | Mishap.RETRIED:
                self._fail(first, seconds)
                if mishap is Mishap.FAILED:
                    return Outcome("failed", "download_failed")
                return self._finish(key, second, self._grab(second), Mishap.NONE)
        return self._finish(key, first, seconds, mishap)

    def _episode_by_episode(
        self, key: str, releases: tuple[Release, ...], mishap: Mishap
    ) -> Outcome:
        """Each episode its own release, grabbed one after the other.

        Sonarr imports each one shortly after its own download ends and Jellyfin's
        next scan finds it, while later episodes may still be downloading: an
        episode does not wait for the others (nor for a blocked one).
        """
        finished = []
        for release in releases:
            seconds = self._grab(release)  # moves on to the grab
            finished.append(self._at + seconds)
        last = 0.0
        for index, (release, done) in enumerate(zip(releases, finished, strict=True)):
            self._at = done
            self._import(
                release, blocked=mishap is Mishap.IMPORT_BLOCKED and index == 0
            )
            self.then(LIBRARY_SCAN, LibraryAdd(release.key))
            last = max(last, self._at)
        self._at = last
        self.then(SEERR_SCAN, Available(key))
        return Outcome("available")

    def _seconds(self) -> float:
        return float(round(self._rng.uniform(*DOWNLOAD)))

    def _grab(self, release: Release) -> float:
        """The *arr finds and grabs the release; how long its download takes."""
        seconds = self._seconds()
        self.then(SEARCH, Grab(release.key, seconds))
        return seconds

    def _fail(self, release: Release, seconds: float) -> None:
        """The finished download is rejected and failed; the *arr handles it."""
        self._at += seconds
        self.then(AUTO_IMPORT, FailDownload(release.key))
        self.then((10.0, 60.0), ProcessFailed(release.key))

    def _import(self, release: Release, *, blocked: bool) -> None:
        if blocked:
            self.then(AUTO_IMPORT, BlockImport(release.key))
            self.then(MANUAL_FIX, Import(release.key))
        else:
            self.then(AUTO_IMPORT, Import(release.key))

    def _finish(
        self, key: str, release: Release, seconds: float, mishap: Mishap
    ) -> Outcome:
        """The download finishes, is imported (matched by Shoko) and shows up."""
        self._at += seconds
        self._import(release, blocked=mishap is Mishap.IMPORT_BLOCKED)
        if media(release.media).anime is not None:
            self.then((5.0, 30.0), ShokoDetect(release.key))
            self.then((10.0, 60.0), ShokoHash(release.key))
            matched = mishap is not Mishap.NOT_MATCHED
            self.then((10.0, 120.0), ShokoMatch(release.key, matched))
            if not matched:
                return Outcome("anime_matching", "file_not_matched")
        self.then(LIBRARY_SCAN, LibraryAdd(release.key))
        self.then(SEERR_SCAN, Available(key))
        if self._rng.random() < 0.5:  # the *arr removes the seeded torrent
            self.then((60.0, 900.0), RemoveDownload(release.key))
        return Outcome("available")
