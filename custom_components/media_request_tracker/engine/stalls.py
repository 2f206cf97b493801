"""Stalls: a request that waits longer than its state's threshold (DESIGN §3).

A stall is a flag with a problem, not a state: `stalled` with the state, the threshold
in hours, and what the request has been waiting for all that time.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta

from .codes import Problem, ProblemCode, Waiting, WaitingCode, params
from .lifecycle import hidden_by_shokofin, matched
from .models import Request, Stage, State

# What a request in a state waits for. Downloading has none: slow is not stuck; only
# a condition the download client reports (no seeds) makes it stall.
WAITING_IN_STATE = {
    State.REQUESTED: WaitingCode.APPROVAL,
    State.APPROVED: WaitingCode.SEARCHING,
    State.GRABBING: WaitingCode.QUEUED,
    State.DOWNLOADED: WaitingCode.IMPORT_PENDING,
    State.IMPORTING: WaitingCode.JELLYFIN,
    State.ANIME_MATCHING: WaitingCode.SHOKO_MATCH,
}


def stall_of(
    request: Request, now: datetime, thresholds: Mapping[State, timedelta]
) -> Problem | None:
    """Why the request is stuck, once what it waits for lasted past the threshold."""
    limit = thresholds.get(request.state)
    if (
        limit is None
        or request.is_terminal
        or request.state is State.FAILED
        or request.blocked is not None  # stuck already, and saying why
    ):
        return None
    waiting = _reported_stall(request, now, limit)
    if waiting is None:
        waiting = _waiting_in_state(request)
        since = request.state_since or request.created_at
        if waiting is None or now - since < limit:
            return None
    hours = limit / timedelta(hours=1)
    return Problem(
        ProblemCode.STALLED,
        params(state=request.state.value, hours=f"{hours:g}"),
        waiting=waiting,
    )


def _reported_stall(
    request: Request, now: datetime, limit: timedelta
) -> Waiting | None:
    """A condition the download client reports, counted from when it began."""
    for download in request.downloads.values():
        if download.stage >= Stage.IMPORTED:
            continue
        for live in download.live_by.values():
            if (
                live.stall is not None
                and live.stall_since is not None
                and now - live.stall_since >= limit
            ):
                return live.stall
    return None


def _waiting_in_state(request: Request) -> Waiting | None:
    """What a request in its state waits for.

    Matched anime waits for Jellyfin, or for Shokofin's filter to let it through.
    """
    if request.state is State.ANIME_MATCHING and _all_matched(request):
        if hidden_by_shokofin(request):
            return Waiting(WaitingCode.SHOKOFIN_FILTER)
        return Waiting(WaitingCode.JELLYFIN)
    code = WAITING_IN_STATE.get(request.state)
    return None if code is None else Waiting(code)


def _all_matched(request: Request) -> bool:
    """Whether Shoko matched the movie's file, or every episode waiting on it."""
    if not request.episodes:
        return matched(request)
    return all(
        matched(episode)
        for episode in request.episodes.values()
        if episode.state is State.ANIME_MATCHING
    )
