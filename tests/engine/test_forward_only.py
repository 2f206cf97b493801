"""States only move forward (DESIGN §3), whatever order the evidence arrives in.

Whole lifecycles of the four paths (movie, season pack, anime movie, anime season),
with download polls and failures, are applied in every order hypothesis draws. No
request or episode may step back in the forward order, except into and out of
`failed`; when the evidence itself is a failure that a healthier download already
supersedes (the honest state is then the retry's); and when episodes join a TV
request (it shows its least advanced episode, and a new one may be behind).
"""

from datetime import UTC, datetime

from hypothesis import given, settings, strategies as st

from custom_components.media_request_tracker.engine.changes import Outcome
from custom_components.media_request_tracker.engine.codes import Problem, ProblemCode
from custom_components.media_request_tracker.engine.evidence import (
    DownloadStatus,
    Evidence,
    GrabEvidence,
    ImportBlockedEvidence,
)
from custom_components.media_request_tracker.engine.lifecycle import FORWARD_ORDER
from custom_components.media_request_tracker.engine.models import (
    Service,
    Stage,
    State,
)
from custom_components.media_request_tracker.engine.tracker import Tracker

from . import test_anime
from .flows import (
    ANIME_SERIES,
    blocked_then_imported_flow,
    movie_flow,
    retried_download_flow,
    tv_pack_flow,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
# Leaving one of these is no step back: failures recover, terminal states are final.
ANY_DIRECTION = frozenset({State.FAILED, State.DECLINED, State.REMOVED})


def polled(download_id: str, *stages: Stage) -> list[Evidence]:
    """QBittorrent's view of a download as it moves through these stages."""
    return [
        DownloadStatus(Service.QBITTORRENT, download_id.lower(), stage, progress=0.5)
        for stage in stages
    ]


def with_polls(flow: list[Evidence]) -> list[Evidence]:
    """A flow plus the download client's polls of every download it grabs."""
    grabs = {e.download_id for e in flow if isinstance(e, GrabEvidence)}
    return flow + [
        status
        for download_id in sorted(d for d in grabs if d)
        for status in polled(download_id, Stage.DOWNLOADING, Stage.DOWNLOADED)
    ]


def failed_download_flow() -> list[Evidence]:
    """QBittorrent reports an error; a later poll sees the download running again."""
    flow = movie_flow(download_id="ERR1")
    error = DownloadStatus(
        Service.QBITTORRENT,
        "err1",
        Stage.DOWNLOADING,
        problem=Problem(ProblemCode.DOWNLOAD_ERROR),
    )
    return [*flow[:2], error, *polled("ERR1", Stage.DOWNLOADING), *flow[2:]]


FLOWS: dict[str, tuple[list[Evidence], bool]] = {
    "movie": (with_polls(movie_flow()), False),
    "season pack": (with_polls(tv_pack_flow(count=4)), False),
    "anime movie": (with_polls(test_anime.movie_flow()), True),
    "anime season": (with_polls(test_anime.show_flow()), True),
    "anime pack without Shoko": (
        with_polls(tv_pack_flow(ANIME_SERIES, count=3)),
        False,
    ),
    "blocked then imported": (with_polls(blocked_then_imported_flow()), False),
    "retried download": (with_polls(retried_download_flow()), False),
    "download error": (failed_download_flow(), False),
}


def is_failure(evidence: Evidence) -> bool:
    """Evidence that something failed: the only kind allowed to undo progress."""
    return isinstance(evidence, ImportBlockedEvidence) or (
        isinstance(evidence, DownloadStatus) and evidence.problem is not None
    )


def steps_back(outcome: Outcome) -> list[tuple[str, State, State]]:
    """Every request or episode state change that moved backwards.

    A request that episodes just joined may show a less advanced one now.
    """
    joined = {request.key for request, _ in outcome.new_episodes}
    changes = [
        (change.request.key, change.from_state, change.to_state)
        for change in outcome.state_changes
        if change.request.key not in joined
    ] + [
        (
            f"{change.request.key} {change.episode.key}",
            change.from_state,
            change.to_state,
        )
        for change in outcome.episode_changes
    ]
    return [
        (what, before, after)
        for what, before, after in changes
        if before is not None
        and before not in ANY_DIRECTION
        and after not in ANY_DIRECTION
        and FORWARD_ORDER[after] < FORWARD_ORDER[before]
    ]


def run(flow: list[Evidence], anime_matching: bool) -> list[tuple[str, State, State]]:
    """Apply a flow; the backward steps it caused, failures aside."""
    tracker = Tracker(anime_matching=anime_matching)
    found = []
    for evidence in flow:
        outcome = tracker.apply(evidence, NOW)
        if not is_failure(evidence):
            found += steps_back(outcome)
    return found


def test_real_orders_never_step_back() -> None:
    """In the order things happen, nothing ever moves backwards."""
    for name, (flow, anime_matching) in FLOWS.items():
        assert run(flow, anime_matching) == [], name


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(FLOWS)), st.data())
def test_no_order_of_evidence_steps_back(name: str, data: st.DataObject) -> None:
    """Shuffled, duplicated or late evidence never moves a state backwards.

    The Jellyseerr request stays first: nothing is tracked before it exists.
    """
    flow, anime_matching = FLOWS[name]
    rest = data.draw(st.permutations(flow[1:]))
    repeats = data.draw(st.lists(st.sampled_from(flow[1:]), max_size=4))
    assert run([flow[0], *rest, *repeats], anime_matching) == []
