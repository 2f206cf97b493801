"""Stalls: a request that waits longer than its state's threshold (DESIGN §3).

A stall is a flag with a problem, not a state: `stalled` with the state, the threshold
in hours, and what the request has been waiting for all that time.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from .codes import Problem, ProblemCode, Waiting, params
from .models import HealthCheck, Request, State
from .waiting import reported_conditions, request_waiting


def stall_of(
    request: Request,
    now: datetime,
    thresholds: Mapping[State, timedelta],
    health: Iterable[HealthCheck] = (),
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
        if request.state is State.DOWNLOADING:
            return None  # slow is not stuck: only a reported condition stalls it
        waiting = request_waiting(request, health)
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
    """A condition reported for a download, counted from when it began."""
    for live in reported_conditions(request.downloads.values()):
        if live.stall_since is not None and now - live.stall_since >= limit:
            return live.stall
    return None
