"""The remediation ladder's decisions (engine/remediation.py)."""

from datetime import UTC, datetime, timedelta
import json

import pytest

from custom_components.media_request_tracker.engine.codes import (
    Problem,
    ProblemCode,
    Waiting,
    WaitingCode,
)
from custom_components.media_request_tracker.engine.models import (
    Attempt,
    Download,
    MediaType,
    Remedy,
    Request,
    Stage,
    State,
)
from custom_components.media_request_tracker.engine.remediation import (
    Ladder,
    attempts_today,
    next_remedy,
)
from custom_components.media_request_tracker.engine.stored import (
    request_from_dict,
    request_to_dict,
)

NOW = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)
LADDER = Ladder()


def stuck(
    code: ProblemCode = ProblemCode.STALLED,
    waiting: WaitingCode | None = WaitingCode.DOWNLOAD_STALLED,
    state: State = State.DOWNLOADING,
) -> Request:
    """A request whose problem is `code` (a stall waits for `waiting`)."""
    request = Request(
        key="80",
        media_type=MediaType.MOVIE,
        title="Dune: Part Two",
        created_at=NOW - timedelta(days=2),
        state=state,
        state_since=NOW - timedelta(days=1),
    )
    problem = Problem(code, waiting=None if waiting is None else Waiting(waiting))
    if code is ProblemCode.STALLED:
        request.stall = problem
    elif code in {ProblemCode.FILE_NOT_MATCHED}:
        request.blocked = problem
    else:
        request.failure = problem
    return request


def took(
    request: Request, remedy: Remedy, ago: timedelta, result: str = "done"
) -> None:
    request.attempts.append(Attempt(remedy, NOW - ago, False, result))


def test_a_dead_download_climbs_the_ladder() -> None:
    """Reannounce, then replace after 30 min, then search after an hour."""
    request = stuck()
    assert next_remedy(request, NOW, LADDER) is Remedy.REANNOUNCE
    took(request, Remedy.REANNOUNCE, timedelta(minutes=10))
    assert next_remedy(request, NOW, LADDER) is None
    request.attempts[-1] = Attempt(
        Remedy.REANNOUNCE, NOW - timedelta(minutes=31), False, "done"
    )
    assert next_remedy(request, NOW, LADDER) is Remedy.REPLACE
    # The replace followed the reannounce; an hour later, a search.
    request.attempts[-1] = Attempt(
        Remedy.REANNOUNCE, NOW - timedelta(minutes=95), False, "done"
    )
    took(request, Remedy.REPLACE, timedelta(minutes=61))
    assert next_remedy(request, NOW, LADDER) is Remedy.SEARCH


def test_the_budget_stops_a_request_that_keeps_failing() -> None:
    """Three steps a day at most; one that did not apply uses none."""
    request = stuck()
    took(request, Remedy.SEARCH, timedelta(hours=7))
    took(request, Remedy.REANNOUNCE, timedelta(hours=5), result="not_applicable")
    took(request, Remedy.REANNOUNCE, timedelta(hours=4), result="failed")
    took(request, Remedy.REPLACE, timedelta(hours=3))
    assert next_remedy(request, NOW, LADDER) is None
    assert next_remedy(request, NOW + timedelta(hours=18), LADDER) is Remedy.SEARCH


def test_a_replaced_download_fails_and_the_arr_searches_first() -> None:
    """Right after a replace the failure is ours: no search until its wait ends."""
    request = stuck(ProblemCode.DOWNLOAD_FAILED, None, State.FAILED)
    took(request, Remedy.REPLACE, timedelta(minutes=5))
    assert next_remedy(request, NOW, LADDER) is None
    assert next_remedy(request, NOW + timedelta(hours=1), LADDER) is Remedy.SEARCH
    # Radarr searches by itself after a failure: an hour for it first.
    failed = stuck(ProblemCode.DOWNLOAD_FAILED, None, State.FAILED)
    failed.state_since = NOW - timedelta(minutes=20)
    assert next_remedy(failed, NOW, LADDER) is None
    assert next_remedy(failed, NOW + timedelta(minutes=41), LADDER) is Remedy.SEARCH


@pytest.mark.parametrize(
    ("code", "waiting", "state", "expected"),
    [
        (
            ProblemCode.STALLED,
            WaitingCode.NOT_ADDED,
            State.APPROVED,
            Remedy.JELLYSEERR_RETRY,
        ),
        (ProblemCode.FILE_NOT_MATCHED, None, State.ANIME_MATCHING, Remedy.SHOKO_RESCAN),
        (ProblemCode.IMPORT_BLOCKED, None, State.FAILED, None),
        (ProblemCode.MANUAL_INTERACTION, None, State.FAILED, None),
        (ProblemCode.STALLED, WaitingCode.SEARCHING, State.APPROVED, None),
        (ProblemCode.STALLED, WaitingCode.IMPORT_PENDING, State.DOWNLOADED, None),
    ],
)
def test_each_problem_has_its_step_or_none(
    code: ProblemCode,
    waiting: WaitingCode | None,
    state: State,
    expected: Remedy | None,
) -> None:
    """A cause a person must fix gets no step; the others theirs."""
    assert next_remedy(stuck(code, waiting, state), NOW, LADDER) is expected


def test_shoko_rescans_once_after_anidbs_own_wait() -> None:
    """Not before six hours in matching, and never twice."""
    request = stuck(ProblemCode.FILE_NOT_MATCHED, None, State.ANIME_MATCHING)
    request.state_since = NOW - timedelta(hours=2)
    assert next_remedy(request, NOW, LADDER) is None
    request.state_since = NOW - timedelta(hours=7)
    assert next_remedy(request, NOW, LADDER) is Remedy.SHOKO_RESCAN
    took(request, Remedy.SHOKO_RESCAN, timedelta(hours=1))
    assert next_remedy(request, NOW + timedelta(days=30), LADDER) is None


def test_finished_or_healthy_requests_get_nothing() -> None:
    """No problem, or a final state: no step."""
    request = stuck()
    request.stall = None
    assert next_remedy(request, NOW, LADDER) is None
    assert next_remedy(stuck(state=State.AVAILABLE), NOW, LADDER) is None


def test_a_dry_run_climbs_its_own_ladder() -> None:
    """Steps a dry run only decided neither count nor climb for real ones."""
    request = stuck()
    request.attempts.append(
        Attempt(Remedy.REANNOUNCE, NOW - timedelta(hours=2), True, "dry_run")
    )
    request.attempts.append(
        Attempt(Remedy.REPLACE, NOW - timedelta(hours=1), True, "dry_run")
    )
    assert next_remedy(request, NOW, LADDER) is Remedy.REANNOUNCE
    assert next_remedy(request, NOW, LADDER, dry_run=True) is Remedy.SEARCH


def test_a_failed_once_only_step_is_tried_again() -> None:
    """A Shoko rescan that failed waits six hours, not for ever."""
    request = stuck(ProblemCode.FILE_NOT_MATCHED, None, State.ANIME_MATCHING)
    took(request, Remedy.SHOKO_RESCAN, timedelta(hours=7), result="failed")
    assert next_remedy(request, NOW, LADDER) is Remedy.SHOKO_RESCAN


def test_a_step_taken_by_hand_moves_the_ladder_without_using_its_budget() -> None:
    """A person's reannounce is not repeated within its wait; the budget stays whole."""
    request = stuck()
    request.attempts.append(
        Attempt(
            Remedy.REANNOUNCE, NOW - timedelta(minutes=10), False, "done", by_hand=True
        )
    )
    for dry_run in (False, True):
        assert next_remedy(request, NOW, LADDER, dry_run=dry_run) is None
        later = NOW + timedelta(minutes=21)
        assert next_remedy(request, later, LADDER, dry_run=dry_run) is Remedy.REPLACE
    assert attempts_today(request, NOW, dry_run=False) == 0


def test_attempts_and_replaced_downloads_survive_a_restart() -> None:
    """Stored and read back as they were: by hand, dry run, and what was replaced."""
    request = stuck()
    took(request, Remedy.REPLACE, timedelta(hours=2))
    request.attempts += [
        Attempt(Remedy.SEARCH, NOW, True, "dry_run", number=2, of=3),
        Attempt(Remedy.REANNOUNCE, NOW, False, "done", by_hand=True),
    ]
    request.replaced = {"dead1"}
    stored = json.loads(
        json.dumps(request_to_dict(request), default=datetime.isoformat)
    )
    restored = request_from_dict(stored)
    assert (restored.attempts, restored.replaced) == (request.attempts, {"dead1"})


@pytest.mark.parametrize(
    ("stall", "replace_after"),
    [
        (timedelta(hours=24), timedelta(minutes=30)),
        (timedelta(minutes=10), timedelta(minutes=10)),
    ],
)
def test_a_short_stall_threshold_shortens_the_download_waits(
    stall: timedelta, replace_after: timedelta
) -> None:
    """The reannounce waits the stall threshold when it is shorter than 30 minutes."""
    ladder = Ladder.for_stalls(stall)
    request = stuck()
    took(request, Remedy.REANNOUNCE, replace_after - timedelta(minutes=1))
    assert next_remedy(request, NOW, ladder) is None
    assert next_remedy(request, NOW + timedelta(minutes=1), ladder) is Remedy.REPLACE
    assert ladder.waits[Remedy.SEARCH] == timedelta(hours=6)


def test_nothing_grabbed_after_a_replace_is_searched_for() -> None:
    """The stall left with the download; an hour on, with nothing grabbed, a search."""
    request = stuck()
    request.stall = None
    took(request, Remedy.REANNOUNCE, timedelta(hours=2))
    took(request, Remedy.REPLACE, timedelta(minutes=30))
    assert next_remedy(request, NOW, LADDER) is None
    later = NOW + timedelta(minutes=31)
    assert next_remedy(request, later, LADDER) is Remedy.SEARCH
    # Radarr grabbed another release meanwhile: nothing to do.
    request.downloads["other1"] = Download("OTHER1", Stage.GRABBED)
    assert next_remedy(request, later, LADDER) is None
