"""When a request or an episode should be watchable: an honest estimate, or none.

A download's time left is only the first part: Radarr/Sonarr's import, Shoko's match
and Jellyfin's scan follow, and this household's own recent delays say how long they
take (`timings`). An unreleased title is watchable some time after its release. A
request that waits for a person (approval), a search, a stuck download or a fix
gets no estimate: nothing honest can be said.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .models import (
    Download,
    Episode,
    HealthImpact,
    MediaType,
    Request,
    Service,
    Stage,
    State,
    Track,
)
from .timings import Delay, Timings
from .waiting import HELD_UP


@dataclass(frozen=True, slots=True)
class Pace:
    """When it is, and how fast this stack moves: its delays, Shoko's part in anime.

    `held_up`: what each *arr's failing health checks hold up; while one holds a
    stage up, nothing honest can be said of when it ends.
    """

    now: datetime
    timings: Timings
    anime_matching: bool
    held_up: Mapping[Service, frozenset[HealthImpact]] = field(default_factory=dict)


def request_watchable_at(request: Request, pace: Pace) -> datetime | None:
    """When the whole request should be watchable (a show: its last episode)."""
    episodes = [
        episode
        for episode in request.episodes.values()
        if episode.state not in (State.REMOVED, State.AVAILABLE)
    ]
    if request.media_type is MediaType.MOVIE or not request.episodes:
        downloads = request.downloads.values()
        return _track_at(request, request, downloads, pace)
    estimates = [episode_watchable_at(request, episode, pace) for episode in episodes]
    if not estimates or None in estimates:
        return None
    return max(estimate for estimate in estimates if estimate is not None)


def episode_watchable_at(
    request: Request, episode: Episode, pace: Pace
) -> datetime | None:
    """When one episode should be watchable."""
    downloads = (d for d in request.downloads.values() if episode.key in d.episodes)
    return _track_at(request, episode, downloads, pace)


def _track_at(
    request: Request, track: Track, downloads: Iterable[Download], pace: Pace
) -> datetime | None:
    """From the stage the track is in, the typical delays of the stages to come.

    None once the request is flagged stalled (its stage has outlasted any delay),
    or while a health check of its *arr holds the stage up.
    """
    if request.stalled or HELD_UP.get(track.state) in pace.held_up.get(request.arr, ()):
        return None
    now, timings = pace.now, pace.timings
    after_import = timings.typical(
        Delay.ANIME if request.is_anime and pace.anime_matching else Delay.LIBRARY
    )
    at: datetime | None
    match track.state:
        case State.APPROVED:
            at = _release_then_grab(request, pace)
        case State.DOWNLOADING:
            left = _time_left(track, downloads)
            at = None if left is None else now + left + timings.typical(Delay.IMPORT)
            at = None if at is None else at + after_import
        case State.DOWNLOADED:
            at = _not_before(
                track, State.DOWNLOADED, timings.typical(Delay.IMPORT), now
            )
            at = None if at is None else at + after_import
        case State.IMPORTING | State.ANIME_MATCHING:
            at = _not_before(track, track.state, after_import, now)
        case _:
            at = None
    return None if at is None else _to_the_minute(at)


def _release_then_grab(request: Request, pace: Pace) -> datetime | None:
    """An unreleased title: its release, then this stack's typical grab delay.

    None when the release has passed and the *arr still waits (Radarr's
    availability delay): when it will stop waiting is not known here.
    """
    listing = request.listing
    if listing is None or listing.released or listing.release is None:
        return None
    if listing.release <= pace.now:
        return None
    return listing.release + pace.timings.typical(Delay.GRAB)


def _time_left(track: Track, downloads: Iterable[Download]) -> timedelta | None:
    """The longest time left of its downloads in progress (None: one cannot say)."""
    lefts = []
    for download in downloads:
        live = download.live
        if download.stage is not Stage.DOWNLOADING:
            continue
        if track.stalled or live is None or live.stall or live.eta is None:
            return None
        lefts.append(live.eta)
    return timedelta(seconds=max(lefts)) if lefts else None


def _not_before(
    track: Track, state: State, delay: timedelta, now: datetime
) -> datetime | None:
    """The stage's typical end, counted from when it began; now at the earliest."""
    began = track.reached.get(state)
    if began is None or track.stalled:
        return None
    return max(began + delay, now)


def _to_the_minute(at: datetime) -> datetime:
    """The next whole minute: seconds of an estimate would only churn."""
    whole = at.replace(second=0, microsecond=0)
    return whole if whole == at else whole + timedelta(minutes=1)
