"""Radarr webhooks (reference `arr-jellyseerr.md` §2)."""

from ..engine.evidence import (
    DeleteEvidence,
    Evidence,
    GrabEvidence,
    ImportBlockedEvidence,
    ImportedFile,
    ImportEvidence,
)
from ..engine.models import Service
from .arr import (
    ArrEvent,
    blocked_media,
    parse_media,
    parse_release,
    read_event,
    status_problem,
)

USED_EVENTS = frozenset(
    {"Grab", "Download", "ManualInteractionRequired", "MovieFileDelete", "MovieDelete"}
)


def parse_webhook(body: object) -> Evidence | None:
    """Evidence from a Radarr webhook body; None for events we do not use."""
    event = read_event(body, Service.RADARR, USED_EVENTS)
    if not isinstance(event, ArrEvent):
        return event
    payload, download_id = event.payload, event.download_id
    if event.name == "ManualInteractionRequired":
        media = blocked_media(payload, "movie", Service.RADARR)
        return ImportBlockedEvidence(media, download_id, status_problem(payload))
    media = parse_media(payload.required_obj("movie"), Service.RADARR)
    match event.name:
        case "Grab":
            return GrabEvidence(media, download_id, parse_release(payload))
        case "Download":
            path = payload.required_obj("movieFile").required_text("path")
            return ImportEvidence(
                media,
                download_id,
                files=(ImportedFile(path),),
                complete=True,
                is_upgrade=payload.flag("isUpgrade"),
            )
        case "MovieFileDelete":
            reason = payload.text("deleteReason") or "unknown"
            # An upgrade replaces the file: the movie stays available.
            return None if reason == "upgrade" else DeleteEvidence(media, reason)
        case _:
            return DeleteEvidence(media, "movie deleted")
