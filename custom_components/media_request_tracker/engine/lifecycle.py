"""State derivation: from accumulated facts to the state users see (DESIGN §3)."""

from collections.abc import Iterable

from .codes import Problem
from .models import (
    STAGE_STATES,
    Blocker,
    Download,
    Episode,
    MediaType,
    Request,
    Stage,
    State,
    Track,
)

# The forward order of states (DESIGN §3): a request or an episode never moves back
# in it, except into and out of `failed` and when airing episodes join a request.
FORWARD_ORDER: dict[State, int] = {
    State.REQUESTED: 0,
    State.APPROVED: 1,
    State.GRABBING: 2,
    State.DOWNLOADING: 3,
    State.DOWNLOADED: 4,
    State.IMPORTING: 5,
    State.ANIME_MATCHING: 6,
    State.AVAILABLE: 7,
}
# Episodes of a TV request that no release named yet.
_NOT_GRABBED = frozenset({State.REQUESTED, State.APPROVED})

type Derived = tuple[State, Problem | None]


def advance(current: Stage, proven: Stage) -> Stage:
    """Stages only move forward: late or repeated evidence never moves one back."""
    return proven if proven > current else current


def track_state(
    stage: Stage,
    blocker: Blocker | None,
    downloads: Iterable[Download],
    imported: State,
) -> Derived:
    """The state of one track (a movie request or one episode) and its problem.

    A failed download counts only while no other download of the track is healthy (a
    retry supersedes it); a track-level blocker only while nothing got past its stage.
    """
    if stage is Stage.AVAILABLE:
        return State.AVAILABLE, None
    furthest: Stage = stage
    failures: list[Blocker] = []
    healthy = False
    for download in downloads:
        if download.blocker is None:
            healthy = True
            furthest = advance(furthest, download.stage)
        else:
            failures.append(download.blocker)
    if failures and not healthy:
        # The furthest failure, the newest download's when several got as far.
        worst = max(reversed(failures), key=lambda failure: failure.stage)
        if worst.stage >= stage:
            return State.FAILED, worst.problem
    if blocker is not None and blocker.stage >= furthest:
        return State.FAILED, blocker.problem
    if furthest is Stage.IMPORTED:
        return imported, None
    return STAGE_STATES[furthest], None


def imported_state(request: Request, anime_matching: bool) -> State:
    """Imported anime is `anime_matching` until available, when Shoko is configured.

    Whether it still waits for Shoko's match or, once matched, for Shokofin and
    Jellyfin is a waiting reason, never a step back to `importing` (DESIGN §3).
    """
    if request.is_anime and anime_matching:
        return State.ANIME_MATCHING
    return State.IMPORTING


def matched(track: Track) -> bool:
    """Whether Shoko matched the track's file."""
    return track.shoko is not None and track.shoko.matched


def episode_state(request: Request, episode: Episode, anime_matching: bool) -> Derived:
    """An episode's state: its own facts, its downloads, and the request's approval."""
    if episode.removed:
        return State.REMOVED, None
    floor = min(request.stage, Stage.APPROVED)
    downloads = (
        download
        for download in request.downloads.values()
        if episode.key in download.episodes
    )
    imported = imported_state(request, anime_matching)
    return track_state(
        advance(episode.stage, floor), episode.blocker, downloads, imported
    )


def request_state(request: Request, anime_matching: bool) -> Derived:
    """A request's state; a TV request with known episodes aggregates them."""
    if request.removed:
        return State.REMOVED, None
    if request.declined:
        return State.DECLINED, None
    imported = imported_state(request, anime_matching)
    if request.media_type is MediaType.MOVIE:
        return track_state(
            request.stage, request.blocker, request.downloads.values(), imported
        )
    if not request.episodes:
        return track_state(request.stage, request.blocker, (), imported)
    return _aggregate_episodes(request)


def blocked_by(track: Track, state: State) -> Problem | None:
    """Why a track waiting for Shoko cannot get matched (None: nothing known)."""
    if state is not State.ANIME_MATCHING or track.shoko is None or matched(track):
        return None
    return track.shoko.unmatched


def request_blocked_by(request: Request) -> Problem | None:
    """What blocks a request: its movie's file, or its first blocked episode."""
    if request.media_type is MediaType.MOVIE or not request.episodes:
        return blocked_by(request, request.state)
    blocked = [
        (episode.key, episode.blocked)
        for episode in request.episodes.values()
        if episode.blocked is not None
    ]
    if not blocked:
        return None
    key, problem = min(blocked, key=lambda pair: pair[0])
    return problem.about(key)


def hidden_by_shokofin(request: Request) -> bool:
    """Whether Shokofin's default `FilterMovieLibraries` likely hides the movie.

    It keeps anime movies without a TMDB link in Shoko out of movie libraries
    (reference §4.3).
    """
    shoko = request.shoko
    return (
        request.media_type is MediaType.MOVIE
        and request.is_anime
        and shoko is not None
        and shoko.matched
        and shoko.no_tmdb_link
        and not request.shoko_tmdb_link
    )


def _aggregate_episodes(request: Request) -> Derived:
    """All available → available; one failed → failed; else the bottleneck.

    The bottleneck is the least advanced episode that is not available yet, where
    an episode no release named counts as `grabbing` once any episode was grabbed:
    "3 of 10 ready, the rest downloading" is `downloading`. So the request only
    moves forward as its episodes do (DESIGN §3).
    """
    live = [ep for ep in request.episodes.values() if ep.state is not State.REMOVED]
    if not live:
        return State.REMOVED, None
    failed = [ep for ep in live if ep.state is State.FAILED]
    if failed:
        first = min(failed, key=lambda episode: episode.key)
        return State.FAILED, first.failure and first.failure.about(first.key)
    grabbed = any(ep.state not in _NOT_GRABBED for ep in live)
    waiting = [
        State.GRABBING if grabbed and ep.state in _NOT_GRABBED else ep.state
        for ep in live
        if ep.state is not State.AVAILABLE
    ]
    if not waiting:
        return State.AVAILABLE, None
    bottleneck = min(waiting, key=FORWARD_ORDER.__getitem__)
    blocker = request.blocker
    if blocker is not None and blocker.stage >= _stage_of(bottleneck):
        return State.FAILED, blocker.problem
    return bottleneck, None


def _stage_of(state: State) -> Stage:
    if state is State.ANIME_MATCHING:
        return Stage.IMPORTED
    return next(stage for stage, shown in STAGE_STATES.items() if shown is state)
