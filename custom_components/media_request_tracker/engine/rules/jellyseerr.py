"""Jellyseerr: requests are made, approved, declined, failed or become available."""

from datetime import datetime

from ..changes import Finding
from ..codes import Problem, ProblemCode
from ..evidence import RequestEvidence, RequestGone, RequestStatus
from ..facts import fill, merge, reach
from ..ledger import Ledger
from ..models import Blocker, Request, Service, Stage

STAGES = {
    RequestStatus.PENDING: Stage.REQUESTED,
    RequestStatus.APPROVED: Stage.APPROVED,
    RequestStatus.FAILED: Stage.APPROVED,
    RequestStatus.DECLINED: Stage.NONE,
    RequestStatus.AVAILABLE: Stage.AVAILABLE,
    RequestStatus.REMOVED: Stage.NONE,
}
FAILED = Blocker(Problem(ProblemCode.JELLYSEERR_FAILED), Stage.APPROVED)


def apply_request(
    ledger: Ledger, evidence: RequestEvidence, now: datetime
) -> list[Finding]:
    """Create the request (never a forgotten one) or update a live one."""
    request = ledger.requests.get(evidence.request_key)
    changed = False
    if request is None:
        if not _wanted(ledger, evidence):
            return []
        request = Request(
            key=evidence.request_key,
            media_type=evidence.media_type,
            title=evidence.title or f"TMDB {evidence.tmdb_id}",
            created_at=now,
        )
        ledger.requests[request.key] = request
        changed = True
    elif request.is_terminal:
        return []
    changed |= _describe(request, evidence)
    changed |= merge(
        request,
        tmdb_id=evidence.tmdb_id,
        tvdb_id=evidence.tvdb_id,
        requested_by=evidence.requested_by,
        requested_seasons=evidence.requested_seasons or None,
        is_4k=evidence.is_4k or None,
    )
    changed |= reach(request, STAGES[evidence.status])
    if evidence.status is RequestStatus.DECLINED and not request.declined:
        request.declined = changed = True
    elif evidence.status is RequestStatus.REMOVED and not request.removed:
        request.removed = changed = True
    elif evidence.status is RequestStatus.FAILED:
        changed |= merge(request, blocker=FAILED)
    elif evidence.status is RequestStatus.AVAILABLE:
        for episode in request.episodes.values():
            changed |= reach(episode, Stage.AVAILABLE)
    return [Finding(request, Service.JELLYSEERR, evidence.detail, changed)]


def apply_request_gone(ledger: Ledger, evidence: RequestGone) -> list[Finding]:
    """A request deleted in Jellyseerr is removed, whatever it reached.

    Delete evidence is one of the two kinds that touch a terminal request: it
    moves `available` to `removed` (DESIGN §2.2); declined and removed stay.
    """
    request = ledger.requests.get(evidence.request_key)
    if request is None or request.declined or request.removed:
        return []
    request.removed = True
    return [Finding(request, Service.JELLYSEERR, "Deleted in Jellyseerr", True)]


def _describe(request: Request, evidence: RequestEvidence) -> bool:
    """Title, year, poster: the media details decide; a webhook fills gaps.

    So a title never shows two years, whichever arrived first.
    """
    settle = merge if evidence.from_details or not request.details_known else fill
    changed = settle(
        request,
        title=evidence.title,
        year=evidence.year,
        imdb_id=evidence.imdb_id,
        poster_url=evidence.poster_url,
        overview=evidence.overview,
    )
    if evidence.from_details and not request.details_known:
        request.details_known = changed = True
    return changed


def _wanted(ledger: Ledger, evidence: RequestEvidence) -> bool:
    """New requests: never a forgotten one, and only from the chosen requesters."""
    if evidence.request_key in ledger.tombstones:
        return False
    if not ledger.requesters:
        return True
    return (evidence.requested_by or "").casefold() in ledger.requesters
