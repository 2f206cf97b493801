"""Radarr and Sonarr on what surrounds a request: title missing, release held, health.

None of it moves a request on; it says what the request waits for (`waiting.py`).
"""

from ..changes import Finding
from ..correlate import is_active
from ..evidence import ArrMissing, HealthEvidence, PendingReleases
from ..ledger import Ledger
from ..models import Listing, MediaType, Request, Service
from ..waiting import HELD_UP

type StackEvidence = ArrMissing | PendingReleases | HealthEvidence


def apply(ledger: Ledger, evidence: StackEvidence) -> list[Finding]:
    """What a piece of evidence about the stack changes."""
    match evidence:
        case ArrMissing():
            return apply_missing(ledger, evidence)
        case PendingReleases():
            return apply_pending(ledger, evidence)
        case HealthEvidence():
            return apply_health(ledger, evidence)


def apply_missing(ledger: Ledger, evidence: ArrMissing) -> list[Finding]:
    """The *arr does not have the title: approved, but never added to it."""
    request = ledger.index.for_arr(evidence.media, None, is_active)
    missing = Listing(present=False)
    if request is None or request.listing == missing:
        return []
    request.listing = missing
    detail = f"Not in {evidence.media.service.display_name}"
    return [Finding(request, evidence.media.service, detail, True)]


def apply_pending(ledger: Ledger, evidence: PendingReleases) -> list[Finding]:
    """Releases held back now; those of the *arr's other titles were sent on."""
    held: dict[str, Request] = {}
    findings: list[Finding] = []
    for release in evidence.releases:
        request = ledger.index.for_arr(release.media, None, is_active)
        if request is None:
            continue
        held[request.key] = request
        if request.pending != release.waiting:
            request.pending = release.waiting
            findings.append(_finding(request, evidence.service, "Release held back"))
    media_type = _media_type(evidence.service)
    for request in ledger.requests.values():
        if (
            request.pending is not None
            and request.media_type is media_type
            and request.key not in held
            and evidence.instance.serves(request)
        ):
            request.pending = None
            findings.append(_finding(request, evidence.service, "Release sent on"))
    return findings


def apply_health(ledger: Ledger, evidence: HealthEvidence) -> list[Finding]:
    """The *arr's failing checks: every request they may hold up shows them."""
    instance = evidence.instance
    checks = ledger.health.setdefault((evidence.service, instance), {})
    before = dict(checks)
    if evidence.complete:
        checks.clear()
    for source in evidence.restored:
        checks.pop(source, None)
    for check in evidence.failing:
        checks[check.source] = check
    if checks == before:
        return []
    media_type = _media_type(evidence.service)
    detail = f"{evidence.service.display_name} health: " + (
        ", ".join(sorted(checks)) or "all fine"
    )
    return [
        _finding(request, evidence.service, detail)
        for request in ledger.requests.values()
        if request.media_type is media_type
        and is_active(request)
        and request.state in HELD_UP
        and instance.serves(request)
    ]


def _finding(request: Request, service: Service, detail: str) -> Finding:
    """A change of what the request waits for: its entities show it again."""
    return Finding(request, service, detail, True, [])


def _media_type(service: Service) -> MediaType:
    return MediaType.MOVIE if service is Service.RADARR else MediaType.TV
