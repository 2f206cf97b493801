"""How polled torrents and queue records map to stages, problems and stalls."""

import pytest

from custom_components.media_request_tracker.engine.codes import (
    Problem,
    ProblemCode,
    Waiting,
    WaitingCode,
    params,
)
from custom_components.media_request_tracker.engine.models import Service, Stage
from custom_components.media_request_tracker.sources.arr import (
    QueueItem,
    queue_grab,
    queue_status,
)
from custom_components.media_request_tracker.sources.qbittorrent import (
    Torrent,
    TorrentFile,
    episode_progress,
    torrent_status,
)

STALLED = Waiting(WaitingCode.DOWNLOAD_STALLED)
PAUSED = Waiting(WaitingCode.DOWNLOAD_PAUSED)


def torrent(state: str, *, progress: float = 0.5, amount_left: int = 50) -> Torrent:
    return Torrent(
        hash="abc",
        name="x",
        state=state,
        progress=progress,
        download_speed=10,
        eta=60,
        size=100,
        amount_left=amount_left,
        content_path=None,
    )


@pytest.mark.parametrize(
    ("state", "progress", "amount_left", "stage", "problem", "stall"),
    [
        ("downloading", 0.5, 50, Stage.DOWNLOADING, None, None),
        ("forcedDL", 0.5, 50, Stage.DOWNLOADING, None, None),
        ("stalledDL", 0.5, 50, Stage.DOWNLOADING, None, STALLED),
        (
            "metaDL",
            0.0,
            100,
            Stage.GRABBED,
            None,
            Waiting(WaitingCode.DOWNLOAD_METADATA),
        ),
        ("queuedDL", 0.0, 100, Stage.GRABBED, None, Waiting(WaitingCode.QUEUED)),
        ("stoppedDL", 0.3, 70, Stage.DOWNLOADING, None, PAUSED),
        ("pausedDL", 0.0, 100, Stage.GRABBED, None, PAUSED),
        (
            "checkingResumeData",
            0.0,
            100,
            Stage.GRABBED,
            None,
            Waiting(WaitingCode.DOWNLOAD_CHECKING),
        ),
        ("checkingUP", 1.0, 0, Stage.DOWNLOADING, None, None),
        ("uploading", 1.0, 0, Stage.DOWNLOADED, None, None),
        ("stoppedUP", 1.0, 0, Stage.DOWNLOADED, None, None),
        ("pausedUP", 1.0, 0, Stage.DOWNLOADED, None, None),
        # Deselected files: progress below 1, but nothing left to download.
        ("stalledUP", 0.8, 0, Stage.DOWNLOADED, None, None),
        ("moving", 1.0, 0, Stage.DOWNLOADED, None, None),
        (
            "error",
            0.4,
            60,
            Stage.DOWNLOADING,
            Problem(ProblemCode.DOWNLOAD_ERROR),
            None,
        ),
        (
            "missingFiles",
            0.0,
            100,
            Stage.GRABBED,
            Problem(ProblemCode.MISSING_FILES),
            None,
        ),
    ],
)
def test_torrent_states(
    state: str,
    progress: float,
    amount_left: int,
    stage: Stage,
    problem: Problem | None,
    stall: Waiting | None,
) -> None:
    """Every qBittorrent 4.x and 5.x state has its stage, problem and stall."""
    status = torrent_status(torrent(state, progress=progress, amount_left=amount_left))
    assert status.source is Service.QBITTORRENT
    assert (status.stage, status.problem, status.stall) == (stage, problem, stall)


def test_finished_progress() -> None:
    """A finished torrent reports 100 % and no ETA."""
    finished = torrent_status(torrent("uploading", progress=0.9, amount_left=0))
    assert (finished.progress, finished.eta) == (1.0, None)


def test_episode_progress_from_pack_files() -> None:
    """Files name their episodes; deselected files (priority 0) are ignored."""
    files = [
        TorrentFile("Show.S01/Show.S01E01.mkv", 10, 1.0, 1),
        TorrentFile("Show.S01/Show.S01E02E03.mkv", 10, 0.5, 1),
        TorrentFile("Show.S01/Show.S01E04.mkv", 10, 0.0, 0),
        TorrentFile("Show.S01/sample.mkv", 1, 1.0, 1),
    ]
    assert episode_progress(files) == {(1, 1): 1.0, (1, 2): 0.5, (1, 3): 0.5}


def record(**changes: object) -> QueueItem:
    fields: dict[str, object] = {
        "download_id": "ABC",
        "arr_id": 7,
        "episode_id": 70,
        "season": 1,
        "episode": 2,
        "title": "Show.S01E02",
        "status": "downloading",
        "tracked_state": "downloading",
        "tracked_status": "ok",
        "messages": (),
        "protocol": "usenet",
        "size": 200,
        "size_left": 50,
        "time_left": 90.4,
        "media_tmdb_id": None,
        "media_tvdb_id": 5,
        "episode_tvdb_id": 55,
    }
    return QueueItem(**(fields | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "stage", "problem", "stall"),
    [
        ({}, Stage.DOWNLOADING, None, None),
        ({"status": "queued"}, Stage.GRABBED, None, None),
        ({"status": "delay"}, Stage.GRABBED, None, None),
        (
            {"status": "completed", "tracked_state": "importpending"},
            Stage.DOWNLOADED,
            None,
            Waiting(WaitingCode.IMPORT_PENDING),
        ),
        (
            {
                "tracked_state": "importpending",
                "messages": ("No files found are eligible",),
            },
            Stage.DOWNLOADED,
            None,
            Waiting(
                WaitingCode.IMPORT_PENDING,
                params(message="No files found are eligible"),
            ),
        ),
        ({"tracked_state": "importing"}, Stage.DOWNLOADED, None, None),
        ({"tracked_state": "imported"}, Stage.IMPORTED, None, None),
        (
            {"tracked_state": "ignored", "messages": ("Manually ignored",)},
            Stage.DOWNLOADING,
            Problem(ProblemCode.IGNORED, params(message="Manually ignored")),
            None,
        ),
        (
            {"tracked_state": "importblocked"},
            Stage.DOWNLOADED,
            Problem(ProblemCode.IMPORT_BLOCKED),
            None,
        ),
        (
            {"tracked_state": "failedpending", "messages": ("Unpacking failed",)},
            Stage.DOWNLOADING,
            Problem(ProblemCode.DOWNLOAD_FAILED, params(message="Unpacking failed")),
            None,
        ),
        (
            {"tracked_state": "failed"},
            Stage.DOWNLOADING,
            Problem(ProblemCode.DOWNLOAD_FAILED),
            None,
        ),
        (
            {"status": "failed", "tracked_state": None},
            Stage.DOWNLOADING,
            Problem(ProblemCode.DOWNLOAD_FAILED),
            None,
        ),
        (
            {"tracked_status": "warning", "messages": ("Stalled",)},
            Stage.DOWNLOADING,
            None,
            Waiting(WaitingCode.ARR_HEALTH, params(message="Stalled")),
        ),
    ],
)
def test_queue_states(
    changes: dict[str, object],
    stage: Stage,
    problem: Problem | None,
    stall: Waiting | None,
) -> None:
    """TrackedDownloadState and status map to our stages, problems and stalls."""
    status = queue_status([record(**changes)], Service.SONARR)
    assert status is not None
    assert (status.stage, status.problem, status.stall) == (stage, problem, stall)


def test_queue_progress_and_grab() -> None:
    """Progress from size/sizeleft; a grab names every episode of it."""
    items = [record(), record(episode=3, episode_id=71, episode_tvdb_id=56)]
    status = queue_status(items, Service.SONARR)
    assert status is not None
    assert (status.progress, status.eta) == (0.75, 90)
    grab = queue_grab(items, Service.SONARR)
    assert grab is not None
    assert [(ref.season, ref.number) for ref in grab.episodes] == [(1, 2), (1, 3)]
    assert grab.media.tvdb_id == 5
    pending = record(download_id=None)
    assert queue_status([pending], Service.SONARR) is None
    assert queue_grab([pending], Service.SONARR) is None
