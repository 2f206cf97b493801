"""What polls say about downloads: qBittorrent torrents and *arr queue records.

Both become DownloadStatus evidence. The mapping of qBittorrent's `state` follows
`TorrentImpl::updateState()` (reference §1.5): finished means a finished state or
nothing left to download, never `progress == 1` (deselected files never complete).
"""

from collections.abc import Iterable, Mapping

from ..engine.evidence import (
    ArrMedia,
    DownloadStatus,
    EpisodeRef,
    GrabEvidence,
    Release,
)
from ..engine.models import EpisodeKey, Service, Stage
from .arr import QueueItem, episode_keys_in_name
from .qbittorrent import Torrent, TorrentFile

FINISHED_STATES = frozenset(
    {"uploading", "stalledUP", "queuedUP", "forcedUP", "stoppedUP", "pausedUP"}
)
ACTIVE_STATES = frozenset({"downloading", "forcedDL", "moving", "checkingUP"})
# States in which nothing arrives, with what the user should know about them.
WAITING_STATES = {
    "metaDL": "Waiting for the torrent's metadata (magnet link)",
    "forcedMetaDL": "Waiting for the torrent's metadata (magnet link)",
    "queuedDL": "Queued in qBittorrent",
    "stoppedDL": "Stopped in qBittorrent",
    "pausedDL": "Paused in qBittorrent",
    "checkingDL": "qBittorrent is checking the files",
    "checkingResumeData": "qBittorrent is starting up",
}
PROBLEM_STATES = {
    "error": "qBittorrent reports an error for this torrent",
    "missingFiles": "qBittorrent cannot find the torrent's files",
}

# *arr queue: trackedDownloadState (lower-cased) → stage.
TRACKED_STAGES = {
    "downloading": Stage.DOWNLOADING,
    "importpending": Stage.DOWNLOADED,
    "importing": Stage.DOWNLOADED,
    "importblocked": Stage.DOWNLOADED,
    "imported": Stage.IMPORTED,
    "failedpending": Stage.DOWNLOADING,
    "failed": Stage.DOWNLOADING,
}
# `status` of records still waiting in the client (or before it).
QUEUED_STATUSES = frozenset({"queued", "paused", "delay", "downloadclientunavailable"})


def torrent_status(
    torrent: Torrent, episodes: Mapping[EpisodeKey, float] | None = None
) -> DownloadStatus:
    """What qBittorrent says of one torrent."""
    state = torrent.state
    finished = state in FINISHED_STATES or (
        torrent.amount_left == 0 and torrent.size > 0 and state != "checkingUP"
    )
    if finished:
        stage = Stage.DOWNLOADED
    elif state in ACTIVE_STATES or torrent.progress > 0:
        stage = Stage.DOWNLOADING
    else:
        stage = Stage.GRABBED
    stall = None
    if state == "stalledDL":
        stall = (
            "Download stalled: no seeds"
            if torrent.num_seeds == 0
            else "Download stalled: no data is arriving"
        )
    elif not finished:
        stall = WAITING_STATES.get(state)
    return DownloadStatus(
        source=Service.QBITTORRENT,
        download_id=torrent.hash,
        stage=stage,
        progress=1.0 if finished else torrent.progress,
        speed=torrent.download_speed,
        eta=None if finished else torrent.eta,
        problem=PROBLEM_STATES.get(state),
        stall=stall,
        episodes=tuple((episodes or {}).items()),
    )


def episode_progress(files: Iterable[TorrentFile]) -> dict[EpisodeKey, float]:
    """Progress of each episode in a season pack, matched by file name."""
    progress: dict[EpisodeKey, float] = {}
    for file in files:
        if file.priority == 0:
            continue
        for key in episode_keys_in_name(file.name):
            progress[key] = file.progress
    return progress


def queue_status(
    items: list[QueueItem], service: Service, *, with_progress: bool
) -> DownloadStatus | None:
    """The *arr's view of one download (Sonarr lists a record per episode).

    `with_progress` is off when qBittorrent is polled too: its numbers are fresher,
    and two sources of progress would make the attributes flicker.
    """
    item = items[0]
    if item.download_id is None:
        return None
    tracked = item.tracked_state or "downloading"
    stage = TRACKED_STAGES.get(tracked, Stage.DOWNLOADING)
    if tracked == "downloading" and item.status in QUEUED_STATUSES:
        stage = Stage.GRABBED
    if item.status == "completed" and stage < Stage.DOWNLOADED:
        stage = Stage.DOWNLOADED
    words = " ".join(item.messages)
    problem = stall = None
    if tracked == "importblocked":
        problem = words or "Import blocked: a manual import is needed"
    elif tracked in ("failedpending", "failed") or item.status == "failed":
        problem = f"The download failed: {words}" if words else "The download failed"
    elif tracked == "importpending":
        stall = f"Waiting to import: {words}" if words else "Waiting to import"
    elif item.tracked_status == "warning" and words:
        stall = words
    progress = eta = None
    if with_progress and item.size:
        progress = max(0.0, 1 - (item.size_left or 0) / item.size)
        eta = None if item.time_left is None else round(item.time_left)
    return DownloadStatus(
        source=service,
        download_id=item.download_id,
        stage=stage,
        progress=progress,
        eta=eta,
        problem=problem,
        stall=stall,
    )


def queue_grab(items: list[QueueItem], service: Service) -> GrabEvidence | None:
    """A queued download proves a grab, whether or not its webhook arrived."""
    item = items[0]
    if item.download_id is None:
        return None
    media = ArrMedia(
        service=service,
        arr_id=item.arr_id,
        title="",
        tmdb_id=item.media_tmdb_id,
        tvdb_id=item.media_tvdb_id,
    )
    episodes = tuple(
        EpisodeRef(
            season=record.season,
            number=record.episode,
            sonarr_episode_id=record.episode_id,
            tvdb_id=record.episode_tvdb_id,
        )
        for record in items
        if record.season is not None and record.episode is not None
    )
    return GrabEvidence(media, item.download_id, Release(title=item.title), episodes)


def by_download(items: Iterable[QueueItem]) -> dict[str, list[QueueItem]]:
    """Queue records grouped by download id (ids compared case-insensitively)."""
    grouped: dict[str, list[QueueItem]] = {}
    for item in items:
        if item.download_id is not None:
            grouped.setdefault(item.download_id.casefold(), []).append(item)
    return grouped
