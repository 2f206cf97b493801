"""State derivation: from accumulated facts to the state users see (DESIGN §3)."""

from collections.abc import Iterable

from .models import (
    STAGE_STATES,
    Download,
    Episode,
    MediaType,
    Problem,
    Request,
    Stage,
    State,
    episode_label,
)

# The order in which a TV request shows its most advanced in-progress episode.
IN_PROGRESS_ORDER: dict[State, int] = {
    State.REQUESTED: 0,
    State.APPROVED: 1,
    State.GRABBING: 2,
    State.DOWNLOADING: 3,
    State.DOWNLOADED: 4,
    State.IMPORTING: 5,
    State.ANIME_MATCHING: 6,
}

type Derived = tuple[State, str | None]


def advance(current: Stage, proven: Stage) -> Stage:
    """Stages only move forward: late or repeated evidence never moves one back."""
    return proven if proven > current else current


def track_state(
    stage: Stage,
    problem: Problem | None,
    downloads: Iterable[Download],
    imported: State,
) -> Derived:
    """The state of one track (a movie request or one episode) and its problem text.

    A failed download counts only while no other download of the track is healthy (a
    retry supersedes it); a track-level problem only while nothing got past its stage.
    """
    if stage is Stage.AVAILABLE:
        return State.AVAILABLE, None
    furthest: Stage = stage
    failures: list[Problem] = []
    healthy = False
    for download in downloads:
        if download.problem is None:
            healthy = True
            furthest = advance(furthest, download.stage)
        else:
            failures.append(download.problem)
    if failures and not healthy:
        worst = max(failures, key=lambda failure: failure.stage)
        if worst.stage >= stage:
            return State.FAILED, worst.text
    if problem is not None and problem.stage >= furthest:
        return State.FAILED, problem.text
    if furthest is Stage.IMPORTED:
        return imported, None
    return STAGE_STATES[furthest], None


def imported_state(request: Request, anime_matching: bool) -> State:
    """Imported anime waits for Shoko to match it when Shoko is configured."""
    if request.is_anime and anime_matching:
        return State.ANIME_MATCHING
    return State.IMPORTING


def episode_state(request: Request, episode: Episode, imported: State) -> Derived:
    """An episode's state: its own facts, its downloads, and the request's approval."""
    if episode.removed:
        return State.REMOVED, None
    floor = min(request.stage, Stage.APPROVED)
    downloads = (
        download
        for download in request.downloads.values()
        if episode.key in download.episodes
    )
    return track_state(
        advance(episode.stage, floor), episode.problem, downloads, imported
    )


def request_state(request: Request, imported: State) -> Derived:
    """A request's state; a TV request with known episodes aggregates them."""
    if request.removed:
        return State.REMOVED, None
    if request.declined:
        return State.DECLINED, None
    if request.media_type is MediaType.MOVIE:
        return track_state(
            request.stage, request.problem, request.downloads.values(), imported
        )
    if not request.episodes:
        return track_state(request.stage, request.problem, (), imported)
    return _aggregate_episodes(request)


def _aggregate_episodes(request: Request) -> Derived:
    """All available → available; one failed → failed; else the furthest state."""
    first_failed: Episode | None = None
    furthest: State | None = None
    live = False
    for episode in request.episodes.values():
        state = episode.state
        if state is State.REMOVED:
            continue
        live = True
        if state is State.FAILED:
            if first_failed is None or episode.key < first_failed.key:
                first_failed = episode
        elif state is not State.AVAILABLE and (
            furthest is None or IN_PROGRESS_ORDER[state] > IN_PROGRESS_ORDER[furthest]
        ):
            furthest = state
    if not live:
        return State.REMOVED, None
    if first_failed is not None:
        label = episode_label(first_failed.key)
        return State.FAILED, f"{label}: {first_failed.problem_text}"
    if furthest is None:
        return State.AVAILABLE, None
    problem = request.problem
    if problem is not None and problem.stage >= _stage_of(furthest):
        return State.FAILED, problem.text
    return furthest, None


def _stage_of(state: State) -> Stage:
    if state is State.ANIME_MATCHING:
        return Stage.IMPORTED
    return next(stage for stage, shown in STAGE_STATES.items() if shown is state)
