"""What users see of a request: sensor attributes and the `get_requests` answer.

Problems and waiting reasons are codes here; the shell passes what says them in Home
Assistant's language.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from math import floor
from typing import Any, Protocol

from .codes import Problem, Waiting
from .eta import Pace, episode_watchable_at, request_watchable_at
from .models import (
    Episode,
    HealthCheck,
    LiveProgress,
    MediaType,
    Request,
    Stage,
    State,
)
from .people import audience, requester_person
from .waiting import (
    episode_waiting,
    remedy_since_state,
    reported_conditions,
    request_waiting,
)


class Renderer(Protocol):
    """Says codes in words; the media type names Radarr or Sonarr."""

    def problem(self, problem: Problem | None, media_type: MediaType) -> str | None:
        """A problem's sentence."""

    def waiting(self, waiting: Waiting | None, media_type: MediaType) -> str | None:
        """A waiting reason's sentence."""


@dataclass(frozen=True, slots=True)
class Outlook:
    """What a view of a request depends on besides the request itself.

    The time and the stack's pace (for estimates), and the failing health checks of
    the *arr that handles a request, and who the household's people are.
    """

    pace: Pace
    health_of: Callable[[Request], list[HealthCheck]]
    # Jellyseerr users (case-folded) to the Home Assistant persons they are.
    people: Mapping[str, str] = field(default_factory=dict)

    @property
    def now(self) -> datetime:
        """When the view is taken."""
        return self.pace.now


_NOTHING_YET = frozenset({State.REQUESTED, State.APPROVED, State.GRABBING})
_ALL_THERE = frozenset(
    {State.DOWNLOADED, State.IMPORTING, State.ANIME_MATCHING, State.AVAILABLE}
)


def request_attributes(
    request: Request, render: Renderer, outlook: Outlook
) -> dict[str, Any]:
    """The request status sensor's attributes (DESIGN §4)."""
    live = [ep for ep in request.episodes.values() if ep.state is not State.REMOVED]
    problem = request.current_problem
    waiting = remedy_since_state(request) or request_waiting(
        request, outlook.health_of(request)
    )
    return {
        "request_key": request.key,
        "title": request.title,
        "year": request.year,
        "media_type": request.media_type.value,
        "is_anime": request.is_anime,
        "is_4k": request.is_4k,
        "tmdb_id": request.tmdb_id,
        "tvdb_id": request.tvdb_id,
        "imdb_id": request.imdb_id,
        "jellyseerr_request_id": request.jellyseerr_request_id,
        "requested_by": request.requested_by,
        "requested_by_person": requester_person(request, outlook.people),
        "followers": audience(request, outlook.people),
        "progress": request_progress(request),
        "download_speed": _total_speed(request),
        "eta": _eta(request),
        "stalled": request.stalled,
        "problem": render.problem(problem, request.media_type),
        "problem_code": code_of(problem),
        "waiting_for": code_of(waiting),
        "waiting_detail": render.waiting(waiting, request.media_type),
        "watchable_at": iso(request_watchable_at(request, outlook.pace)),
        "episodes_total": len(live),
        "episodes_available": sum(ep.state is State.AVAILABLE for ep in live),
        "jellyfin_item_id": request.jellyfin_item_id,
        "poster_url": request.poster_url,
    }


def episode_attributes(
    request: Request, episode: Episode, render: Renderer, outlook: Outlook
) -> dict[str, Any]:
    """An episode status sensor's attributes."""
    problem = episode.current_problem
    waiting = episode_waiting(request, episode, outlook.health_of(request))
    watchable_at = episode_watchable_at(request, episode, outlook.pace)
    return {
        "season": episode.season,
        "episode": episode.number,
        "title": episode.title,
        "progress": episode_progress(request, episode),
        "stalled": episode.stalled,
        "problem": render.problem(problem, request.media_type),
        "problem_code": code_of(problem),
        "waiting_for": code_of(waiting),
        "waiting_detail": render.waiting(waiting, request.media_type),
        "watchable_at": iso(watchable_at),
    }


def iso(moment: datetime | None) -> str | None:
    """A timestamp as attributes, events and `get_requests` carry it."""
    return None if moment is None else moment.isoformat()


def code_of(reason: Problem | Waiting | None) -> str | None:
    """The stable code automations match on."""
    return None if reason is None else reason.code.value


def request_progress(request: Request) -> int | None:
    """Percent done: the movie's download, or the mean over the show's episodes."""
    if request.media_type is MediaType.MOVIE or not request.episodes:
        settled = _settled_progress(request.state)
        return _percent(_live_progress(request) if settled is None else settled)
    values = [
        episode_progress(request, episode)
        for episode in request.episodes.values()
        if episode.state is not State.REMOVED
    ]
    known = [value for value in values if value is not None]
    return round(sum(known) / len(known)) if known else None


def episode_progress(request: Request, episode: Episode) -> int | None:
    """Percent done of one episode: its file in a pack, else its whole download."""
    settled = _settled_progress(episode.state)
    if settled is not None or episode.download_id is None:
        return _percent(settled)
    download = request.downloads.get(episode.download_id.casefold())
    if download is None or download.live is None:
        return None
    live = download.live
    return _percent(live.episodes.get(episode.key, live.progress))


def _settled_progress(state: State) -> float | None:
    """Progress the state alone tells: nothing yet, or everything."""
    if state in _NOTHING_YET:
        return 0.0
    if state in _ALL_THERE:
        return 1.0
    return None


def _live_progress(request: Request) -> float | None:
    known = [
        live.progress for live in _downloading(request) if live.progress is not None
    ]
    return max(known) if known else None


def _percent(fraction: float | None) -> int | None:
    """Whole percent, rounded down: 99.6 % must not read 100 while bytes are missing."""
    return None if fraction is None else floor(100 * fraction)


def _downloading(request: Request) -> list[LiveProgress]:
    return [
        download.live
        for download in request.downloads.values()
        if download.live is not None and download.stage is Stage.DOWNLOADING
    ]


def _total_speed(request: Request) -> int | None:
    """Bytes per second over the downloads in progress; a stalled one sends none."""
    speeds = [0 if live.stall else live.speed for live in _downloading(request)]
    known = [speed for speed in speeds if speed is not None]
    return sum(known) if known else None


def _eta(request: Request) -> int | None:
    """The longest time left of the downloads in progress: all of them must finish.

    Unknown as soon as one of them cannot say (stalled, paused, no estimate).
    """
    etas = [None if live.stall else live.eta for live in _downloading(request)]
    known = [eta for eta in etas if eta is not None]
    return max(known) if known and len(known) == len(etas) else None


def live_condition(request: Request) -> frozenset[str]:
    """The conditions reported of downloads not imported yet: a change is news.

    Progress ticks within the same condition are throttled; a stall, a pause or a
    resume is published at once. A speed dropping to nothing for a poll is a tick.
    """
    return frozenset(
        live.stall.code
        for live in reported_conditions(request.downloads.values())
        if live.stall
    )
