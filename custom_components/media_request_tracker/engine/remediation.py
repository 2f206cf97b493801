"""The remediation ladder: which step, if any, may help a stuck request now.

Pure decisions over a request's problem and the steps already taken for it (its
`attempts`); the shell takes the step, or only reports it in a dry run. Each rung
waits for the previous one to have had time to work, the same step is never taken
twice within its wait, and a request gets a budget of steps per day.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from .codes import ProblemCode, WaitingCode
from .models import Attempt, Remedy, Request
from .waiting import download_under_way

DAY = timedelta(days=1)

# How long a step is given to work before the next rung (or itself again).
DEFAULT_WAITS: Mapping[Remedy, timedelta] = {
    Remedy.REANNOUNCE: timedelta(minutes=30),
    Remedy.REPLACE: timedelta(hours=1),
    Remedy.SEARCH: timedelta(hours=6),
    Remedy.JELLYSEERR_RETRY: timedelta(hours=6),
    # Once: AniDB does not learn a file by being asked twice.
    Remedy.SHOKO_RESCAN: timedelta.max,
}
# A file Shoko could not match gets AniDB's own retries first.
SHOKO_GRACE = timedelta(hours=6)
# A once-only step that did not get done is tried again after this long.
RETRY_WAIT = timedelta(hours=6)
# Radarr/Sonarr search again by themselves after a failed download: give them time.
FAILED_GRACE = timedelta(hours=1)
# Attempts are kept this long (a done Shoko rescan, for good: it is once only).
KEEP_ATTEMPTS = timedelta(days=7)

# What a download that stopped moving waits for.
_DEAD_DOWNLOAD = frozenset(
    {WaitingCode.DOWNLOAD_STALLED, WaitingCode.DOWNLOAD_METADATA}
)
_DOWNLOAD_LADDER = (Remedy.REANNOUNCE, Remedy.REPLACE, Remedy.SEARCH)
_NOT_COUNTED = frozenset({"not_applicable", "protected"})


class Mode(StrEnum):
    """The `remediation` option."""

    OFF = "off"
    # Decide and report; act on nothing.
    DRY_RUN = "dry_run"
    ON = "on"


@dataclass(frozen=True, slots=True)
class Ladder:
    """How often and how patiently steps are taken."""

    budget: int = 3
    waits: Mapping[Remedy, timedelta] = field(default_factory=lambda: DEFAULT_WAITS)

    @classmethod
    def for_stalls(cls, download_stall: timedelta) -> Ladder:
        """A dead download's steps get no longer to work than it got to move.

        A household that calls a download stalled after ten minutes does not want
        to wait half an hour between a reannounce and a replace.
        """
        waits = dict(DEFAULT_WAITS)
        for remedy in (Remedy.REANNOUNCE, Remedy.REPLACE):
            waits[remedy] = min(waits[remedy], download_stall)
        return cls(waits=waits)


def next_remedy(
    request: Request, now: datetime, ladder: Ladder, *, dry_run: bool = False
) -> Remedy | None:
    """The step to take for the request now, if one may help and is due.

    A dry run climbs its own ladder: steps it only decided do not count when the
    steps are taken for real. Steps a person took count in both.
    """
    attempts = _ladder_of(request, dry_run=dry_run)
    if request.is_terminal or _counted_today(attempts, now) >= ladder.budget:
        return None
    remedy = _rung(request, attempts, now, ladder)
    if remedy is None:
        return None
    last = _last(attempts, (remedy,))
    if last is not None and now - last.at < _wait(last, ladder):
        return None
    return remedy


def attempts_today(request: Request, now: datetime, *, dry_run: bool) -> int:
    """Steps of the mode that used budget in the last day."""
    return _counted_today(_ladder_of(request, dry_run=dry_run), now)


def _ladder_of(request: Request, *, dry_run: bool) -> list[Attempt]:
    """The steps a mode's ladder climbs on: its own, and those taken by hand."""
    return [a for a in request.attempts if a.dry_run == dry_run or a.by_hand]


def uses_budget(result: str) -> bool:
    """A step that did not apply, or that the protected tag forbade, uses none."""
    return result not in _NOT_COUNTED


def _counted_today(attempts: list[Attempt], now: datetime) -> int:
    """Steps of the last day that used budget (a person's steps never do)."""
    return sum(
        now - a.at < DAY and not a.by_hand and uses_budget(a.result) for a in attempts
    )


def _wait(last: Attempt, ladder: Ladder) -> timedelta:
    """How long a step waits before it is taken again; once-only steps only once done."""
    wait = ladder.waits[last.remedy]
    return wait if wait != timedelta.max or last.result == "done" else RETRY_WAIT


def _rung(
    request: Request, attempts: list[Attempt], now: datetime, ladder: Ladder
) -> Remedy | None:
    """The step the request's problem calls for, the ladder's progress considered."""
    replaced = _last(attempts, _DOWNLOAD_LADDER)
    if (
        replaced is not None
        and replaced.remedy is Remedy.REPLACE
        and replaced.helps
        and not download_under_way(request)
    ):
        # Nothing grabbed since the replace: a search once its wait is over.
        return _download_rung(attempts, now, ladder)
    problem = request.current_problem
    if problem is None:
        return None
    waiting = None if problem.waiting is None else problem.waiting.code
    match problem.code:
        case ProblemCode.STALLED if waiting in _DEAD_DOWNLOAD:
            return _download_rung(attempts, now, ladder)
        case ProblemCode.DOWNLOAD_FAILED:
            # Radarr/Sonarr search again by themselves first (after our replace too).
            since = request.state_since or request.created_at
            last = _last(attempts, (Remedy.REPLACE,))
            if now - since < FAILED_GRACE or (
                last is not None and now - last.at < ladder.waits[Remedy.REPLACE]
            ):
                return None
            return Remedy.SEARCH
        case ProblemCode.STALLED if waiting is WaitingCode.NOT_ADDED:
            return Remedy.JELLYSEERR_RETRY
        case ProblemCode.FILE_NOT_MATCHED:
            since = request.state_since or request.created_at
            return Remedy.SHOKO_RESCAN if now - since >= SHOKO_GRACE else None
        case _:
            # Import blocks need a person; anything else passes by itself.
            return None


def _download_rung(
    attempts: list[Attempt], now: datetime, ladder: Ladder
) -> Remedy | None:
    """Reannounce, then replace, then search; over again once a search had its time."""
    last = _last(attempts, _DOWNLOAD_LADDER)
    if last is None:
        return Remedy.REANNOUNCE
    if now - last.at < ladder.waits[last.remedy]:
        return None
    if last.remedy is Remedy.SEARCH:
        return Remedy.REANNOUNCE
    return _DOWNLOAD_LADDER[_DOWNLOAD_LADDER.index(last.remedy) + 1]


def kept_attempts(attempts: list[Attempt], now: datetime) -> list[Attempt]:
    """The attempts still worth keeping: the last week's, and done Shoko rescans."""
    return [
        a
        for a in attempts
        if now - a.at < KEEP_ATTEMPTS
        or (a.remedy is Remedy.SHOKO_RESCAN and a.result == "done")
    ]


def _last(attempts: list[Attempt], remedies: tuple[Remedy, ...]) -> Attempt | None:
    found = [attempt for attempt in attempts if attempt.remedy in remedies]
    return max(found, key=lambda attempt: attempt.at, default=None)
