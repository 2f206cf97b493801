"""What Radarr and Sonarr say holds downloads up: health checks, releases held back.

Health comes from `GET /api/v3/health` (every failing check, one per source) and the
`Health` / `HealthRestored` webhooks (one check going bad, or back to normal; the
latter repeats the old message). Messages are translated into the app's language,
so checks are told apart by `source`, the check's class name (addendum §1d). Only
checks that hold up a request are kept; the rest are the app's own business, and so
are advisories (sorting, removing completed downloads, the client's root folder). The
status checks of clients and indexers warn while some fail and err when all do
(`IndexerStatusCheck`, `DownloadClientStatusCheck`): one dead indexer holds up nothing.

Pending releases are queue records not sent to a client yet: they have no download
id, and `status` says why (addendum §1e).
"""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..engine.codes import Waiting, WaitingCode, params
from ..engine.evidence import ArrMedia, HealthEvidence, PendingRelease, PendingReleases
from ..engine.models import HealthCheck, HealthImpact, Service
from .fields import Fields

if TYPE_CHECKING:
    # `arr.py` reads health webhooks with this module: annotations only.
    from .arr import QueueItem

HEALTH_EVENTS = frozenset({"Health", "HealthRestored"})
# Checks that hold up downloads (HealthCheck/Checks/), by what they hold up.
HEALTH_IMPACTS = {
    "DownloadClientCheck": HealthImpact.DOWNLOAD,
    "DownloadClientStatusCheck": HealthImpact.DOWNLOAD,
    "RemotePathMappingCheck": HealthImpact.IMPORT,
    "ImportMechanismCheck": HealthImpact.IMPORT,
    "RootFolderCheck": HealthImpact.IMPORT,
    "MountCheck": HealthImpact.IMPORT,
    "IndexerStatusCheck": HealthImpact.SEARCH,
    "IndexerLongTermStatusCheck": HealthImpact.SEARCH,
    "IndexerSearchCheck": HealthImpact.SEARCH,
    "IndexerRssCheck": HealthImpact.SEARCH,
}
# Levels that mean the check fails (`ok` and `notice` do not).
FAILING = frozenset({"warning", "error"})
# Checks that warn when some clients or indexers fail and err when all do: only
# then is nothing sent or found.
ALL_OR_SOME = frozenset(
    {"DownloadClientStatusCheck", "IndexerStatusCheck", "IndexerLongTermStatusCheck"}
)
# Queue statuses of releases held back, and what the request waits for then.
PENDING = {
    "delay": WaitingCode.DELAY_PROFILE,
    "downloadclientunavailable": WaitingCode.DOWNLOAD_CLIENT_UNREACHABLE,
    "fallback": WaitingCode.DELAY_PROFILE,
}


def health_evidence(records: Iterable[Fields], service: Service) -> HealthEvidence:
    """The failing checks `GET /api/v3/health` lists: every other one is fine."""
    checks = (
        _check(record.text("source"), record.text("type"), record.text("message"))
        for record in records
    )
    failing = tuple(check for check in checks if check is not None)
    return HealthEvidence(service, failing, complete=True)


def health_webhook(payload: Fields, name: str, service: Service) -> HealthEvidence:
    """`Health`: a check began to fail; `HealthRestored`: it is fine again."""
    source = payload.text("type")
    if name == "HealthRestored":
        return HealthEvidence(service, restored=() if source is None else (source,))
    check = _check(source, payload.text("level"), payload.text("message"))
    return HealthEvidence(service, failing=() if check is None else (check,))


def pending_releases(items: Iterable[QueueItem], service: Service) -> PendingReleases:
    """The releases the queue holds back (no download id), and why."""
    held = []
    for item in items:
        code = PENDING.get(item.status)
        if item.download_id is not None or code is None or item.arr_id is None:
            continue
        until = item.estimated_completion
        waiting = Waiting(
            code, params(until=None if until is None else until.isoformat())
        )
        media = ArrMedia(
            service,
            item.arr_id,
            "",
            tmdb_id=item.media_tmdb_id,
            tvdb_id=item.media_tvdb_id,
        )
        held.append(PendingRelease(media, waiting))
    return PendingReleases(service, tuple(held))


def _check(
    source: str | None, level: str | None, message: str | None
) -> HealthCheck | None:
    impact = None if source is None else HEALTH_IMPACTS.get(source)
    level = (level or "").casefold()
    if source is None or impact is None or level not in FAILING:
        return None
    if source in ALL_OR_SOME and level != "error":
        return None
    return HealthCheck(source, impact, message or source)
