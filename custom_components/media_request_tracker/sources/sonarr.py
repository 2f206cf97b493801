"""Sonarr webhooks (reference `arr-jellyseerr.md` §3).

Two payloads share `eventType: "Download"`: "On File Import" carries one `episodeFile`
for the episodes in that file, "On Import Complete" carries `episodeFiles[]` once the
whole release is imported. Both are accepted, alone or together.
"""

from ..engine.evidence import (
    ArrMedia,
    DeleteEvidence,
    EpisodeRef,
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
    episode_keys_in_name,
    parse_media,
    parse_release,
    read_event,
    status_problem,
)
from .errors import InvalidPayload
from .fields import Fields

USED_EVENTS = frozenset(
    {
        "Grab",
        "Download",
        "ManualInteractionRequired",
        "EpisodeFileDelete",
        "SeriesDelete",
    }
)


def parse_webhook(body: object) -> Evidence | None:
    """Evidence from a Sonarr webhook body; None for events we do not use."""
    event = read_event(body, Service.SONARR, USED_EVENTS)
    if not isinstance(event, ArrEvent):
        return event
    payload, download_id = event.payload, event.download_id
    episodes = tuple(_episode(item) for item in payload.objects("episodes"))
    if event.name == "ManualInteractionRequired":
        media = blocked_media(payload, "series", Service.SONARR)
        problem = status_problem(payload)
        return ImportBlockedEvidence(media, download_id, problem, episodes)
    media = parse_media(payload.required_obj("series"), Service.SONARR)
    match event.name:
        case "Grab":
            return GrabEvidence(media, download_id, parse_release(payload), episodes)
        case "Download":
            return _import(payload, media, download_id, episodes)
        case "EpisodeFileDelete":
            reason = payload.text("deleteReason") or "unknown"
            if reason == "upgrade":
                return None
            return DeleteEvidence(media, reason, episodes)
        case _:
            return DeleteEvidence(media, "series deleted")


def _import(
    payload: Fields,
    media: ArrMedia,
    download_id: str | None,
    episodes: tuple[EpisodeRef, ...],
) -> ImportEvidence:
    single = payload.obj("episodeFile")
    if single is not None:
        keys = tuple((ref.season, ref.number) for ref in episodes)
        file = ImportedFile(single.required_text("path"), keys)
        return ImportEvidence(
            media,
            download_id,
            files=(file,),
            complete=False,
            is_upgrade=payload.flag("isUpgrade"),
            episodes=episodes,
        )
    files = tuple(
        ImportedFile(path, episode_keys_in_name(path))
        for path in (
            item.required_text("path") for item in payload.objects("episodeFiles")
        )
    )
    if not files:
        raise InvalidPayload("body must carry episodeFile or episodeFiles")
    return ImportEvidence(media, download_id, files, complete=True, episodes=episodes)


def _episode(item: Fields) -> EpisodeRef:
    return EpisodeRef(
        season=item.required_integer("seasonNumber"),
        number=item.required_integer("episodeNumber"),
        title=item.text("title"),
        sonarr_episode_id=item.integer("id"),
        tvdb_id=item.id_number("tvdbId"),
    )
