"""What a request or an episode that is not available waits for (DESIGN §4, Codes).

The reason follows the state, made precise by what the services report: a condition
of the download client's (stalled, paused, queued, fetching metadata), known at once,
long before it lasts long enough to be a stall; a health check of Radarr's or
Sonarr's that holds the stage up; and, before the grab, what their library says
(not added, not released yet, held back by a delay profile, searched when).
"""

from collections.abc import Iterable, Iterator

from .codes import BY_HAND, ProblemCode, Waiting, WaitingCode, params
from .lifecycle import hidden_by_shokofin, matched
from .models import (
    Download,
    Episode,
    HealthCheck,
    HealthImpact,
    LiveProgress,
    MediaType,
    Remedy,
    Request,
    Service,
    Stage,
    State,
    Track,
)

# What a track in a state waits for, when nothing more precise is known.
WAITING_IN_STATE = {
    State.REQUESTED: WaitingCode.APPROVAL,
    State.APPROVED: WaitingCode.SEARCHING,
    State.GRABBING: WaitingCode.QUEUED,
    State.DOWNLOADING: WaitingCode.DOWNLOADING,
    State.DOWNLOADED: WaitingCode.IMPORT_PENDING,
    State.IMPORTING: WaitingCode.JELLYFIN,
    State.ANIME_MATCHING: WaitingCode.SHOKO_MATCH,
}


# What a failing health check holds up, by the state of what waits.
HELD_UP = {
    State.APPROVED: HealthImpact.SEARCH,
    State.GRABBING: HealthImpact.DOWNLOAD,
    State.DOWNLOADING: HealthImpact.DOWNLOAD,
    State.DOWNLOADED: HealthImpact.IMPORT,
}


def request_waiting(
    request: Request, health: Iterable[HealthCheck] = ()
) -> Waiting | None:
    """What the request waits for: a TV request's is its bottleneck episode's.

    `health`: the failing checks of the *arr that handles the request.
    """
    if request.media_type is MediaType.MOVIE or not request.episodes:
        return _track_waiting(request, request, request.downloads.values(), health)
    episode = bottleneck_episode(request)
    return None if episode is None else episode_waiting(request, episode, health)


def remedy_since_state(request: Request) -> Waiting | None:
    """The remediation step taken since the request entered its state, if any.

    What users see waits on it; stalls keep the cause the step was taken for. A
    replace is said until another download continues the request.
    """
    if request.is_terminal or not request.attempts:
        return None
    last = request.attempts[-1]
    since = request.state_since or request.created_at
    if not last.helps or last.at < since:
        return None
    if (
        last.remedy is Remedy.REPLACE
        and not last.dry_run
        and download_under_way(request)
    ):
        return None
    return Waiting(
        WaitingCode.REMEDIATION,
        params(
            step=last.remedy.value,
            attempt=None if last.by_hand else last.number,
            of=None if last.by_hand else last.of,
            dry_run="yes" if last.dry_run else None,
            by_hand="yes" if last.by_hand else None,
        ),
    )


def download_under_way(request: Request) -> bool:
    """Whether a healthy download is on its way (a replaced one left the request)."""
    return any(
        download.blocker is None and download.stage < Stage.DOWNLOADED
        for download in request.downloads.values()
    )


def episode_waiting(
    request: Request, episode: Episode, health: Iterable[HealthCheck] = ()
) -> Waiting | None:
    """What one episode waits for."""
    downloads = (d for d in request.downloads.values() if episode.key in d.episodes)
    return _track_waiting(request, episode, downloads, health)


def bottleneck_episode(request: Request) -> Episode | None:
    """The episode that holds the request in its state, the least advanced first.

    One the download client reports a condition for comes first, then one Shoko has
    not matched yet, then the first in the season.
    """
    holding = [
        episode
        for episode in request.episodes.values()
        if _counts_as(request, episode.state) is request.state
    ]
    if not holding:
        return None
    return min(
        holding,
        key=lambda episode: (
            download_condition_of(request, episode) is None,
            matched(episode),
            episode.key,
        ),
    )


def download_condition_of(request: Request, episode: Episode) -> Waiting | None:
    """A condition reported for the episode's download."""
    downloads = (d for d in request.downloads.values() if episode.key in d.episodes)
    return download_condition(downloads)


def download_condition(downloads: Iterable[Download]) -> Waiting | None:
    """The first condition reported for downloads not imported yet."""
    return next((live.stall for live in reported_conditions(downloads)), None)


def reported_conditions(downloads: Iterable[Download]) -> Iterator[LiveProgress]:
    """Live reports with a condition, of downloads not imported yet.

    The download client's first: it is polled most often and knows the torrent;
    the *arr queue's too (an import pending, a health warning), whichever is polled.
    """
    for download in downloads:
        if download.stage >= Stage.IMPORTED:
            continue
        lives = sorted(
            download.live_by.items(),
            key=lambda item: item[0] is not Service.QBITTORRENT,
        )
        yield from (live for _, live in lives if live.stall is not None)


def _track_waiting(
    request: Request,
    track: Track,
    downloads: Iterable[Download],
    health: Iterable[HealthCheck],
) -> Waiting | None:
    state = track.state
    if state in (State.GRABBING, State.DOWNLOADING, State.DOWNLOADED):
        condition = download_condition(downloads)
        if condition is not None:
            return condition
    if state is State.APPROVED:
        # Failing indexers hold up a search, not a title that is not out yet.
        before = _before_the_grab(request)
        held = _held_up(state, health) if before.code is WaitingCode.SEARCHING else None
        return held or before
    if (held := _held_up(state, health)) is not None:
        return held
    if state is State.FAILED:
        return _fixed_by_hand(track)
    if state is State.ANIME_MATCHING and matched(track):
        if track is request and hidden_by_shokofin(request):
            return Waiting(WaitingCode.SHOKOFIN_FILTER)
        return Waiting(WaitingCode.JELLYFIN)
    if state is State.ANIME_MATCHING and _banned(track):
        return Waiting(WaitingCode.ANIDB_BAN)
    code = WAITING_IN_STATE.get(state)
    return None if code is None else Waiting(code)


def _fixed_by_hand(track: Track) -> Waiting | None:
    """A failed import waits for a person to import it; other failures wait for nothing."""
    failure = track.failure
    if failure is None or failure.code not in BY_HAND:
        return None
    return Waiting(WaitingCode.IMPORT_BLOCKED, failure.params)


def _banned(track: Track) -> bool:
    """Whether Shoko reported the file waits for AniDB's ban to end."""
    shoko = track.shoko
    unmatched = None if shoko is None else shoko.unmatched
    return unmatched is not None and unmatched.code is ProblemCode.ANIDB_BAN


def _held_up(state: State, health: Iterable[HealthCheck]) -> Waiting | None:
    """A failing health check that holds up this stage, in the *arr's words."""
    impact = HELD_UP.get(state)
    check = next((check for check in health if check.impact is impact), None)
    if check is None:
        return None
    if impact is HealthImpact.DOWNLOAD:
        return Waiting(
            WaitingCode.DOWNLOAD_CLIENT_UNREACHABLE, params(message=check.message)
        )
    return Waiting(WaitingCode.ARR_HEALTH, params(message=check.message))


def _before_the_grab(request: Request) -> Waiting:
    """Approved: not added, not released, held back, or being searched for."""
    listing = request.listing
    if listing is not None and not listing.present:
        return Waiting(WaitingCode.NOT_ADDED)
    if listing is not None and not listing.released:
        return Waiting(WaitingCode.NOT_RELEASED, params(date=_release_date(request)))
    if request.pending is not None:
        return request.pending
    searched = None if listing is None else listing.last_search
    last_search = None if searched is None else searched.isoformat()
    return Waiting(WaitingCode.SEARCHING, params(last_search=last_search))


def _release_date(request: Request) -> str | None:
    """Radarr's release dates are days; Sonarr's air date is a moment.

    A day stays the day it is; a moment is shown on its local date by the texts.
    """
    release = None if request.listing is None else request.listing.release
    if release is None:
        return None
    if request.media_type is MediaType.MOVIE:
        return release.date().isoformat()
    return release.isoformat()


def _counts_as(request: Request, state: State) -> State:
    """An episode no release named yet counts as grabbing once one was grabbed."""
    if state in (State.REQUESTED, State.APPROVED) and request.state is State.GRABBING:
        return State.GRABBING
    return state
