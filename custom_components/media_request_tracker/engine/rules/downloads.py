"""Polls of download clients and *arr queues: how far each tracked download is."""

from datetime import datetime

from ..changes import Finding
from ..correlate import IndexKind, is_active
from ..evidence import DownloadStatus
from ..facts import advance_download, block, covered
from ..ledger import Ledger
from ..models import STAGE_STATES, Blocker, Download, LiveProgress, Stage


def apply_download_status(
    ledger: Ledger, evidence: DownloadStatus, now: datetime
) -> list[Finding]:
    """Move the download on, keep its blocker current and its live numbers fresh."""
    folded = evidence.download_id.casefold()
    findings: list[Finding] = []
    for request in ledger.index.candidates(IndexKind.DOWNLOAD, folded):
        if not is_active(request):
            continue
        download = request.downloads[folded]
        moved = advance_download(download, evidence.stage)
        moved |= _observe_blocker(download, evidence)
        progressed = _observe_live(download, evidence, now)
        if not (moved or progressed):
            continue
        problem = evidence.problem
        detail = f"{evidence.source.display_name}: " + (
            problem.words if problem else STAGE_STATES[download.stage].value
        )
        findings.append(
            Finding(
                request,
                evidence.source,
                detail,
                moved,
                covered(request, download) if moved else [],
                progressed=progressed,
            )
        )
    return findings


def _observe_blocker(download: Download, evidence: DownloadStatus) -> bool:
    """A poll's problem replaces what the same service saw last time.

    It is about the download as it is now: a download that failed after it had
    finished is blocked where it got to, not where the poll's state would put it.
    """
    if evidence.problem is not None:
        stage = max(evidence.stage, min(download.stage, Stage.DOWNLOADED))
        return block(download, Blocker(evidence.problem, stage, evidence.source))
    if download.blocker is not None and download.blocker.polled_by is evidence.source:
        download.blocker = None
        return True
    return False


def _observe_live(download: Download, evidence: DownloadStatus, now: datetime) -> bool:
    """Keep the latest progress; a stall condition keeps the time it began."""
    if (
        evidence.progress is None
        and evidence.speed is None
        and evidence.eta is None
        and evidence.stall is None
        and not evidence.episodes
    ):
        return False
    old = download.live_by.get(evidence.source)
    stall_since = None
    if evidence.stall is not None:
        continues = old is not None and old.stall == evidence.stall
        stall_since = old.stall_since if continues and old is not None else now
    live = LiveProgress(
        progress=evidence.progress,
        speed=evidence.speed,
        eta=evidence.eta,
        stall=evidence.stall,
        stall_since=stall_since,
        episodes=dict(evidence.episodes),
    )
    if live == old:
        return False
    download.live_by[evidence.source] = live
    return True
