"""What users see of a request: sensor attributes and the `get_requests` answer."""

from typing import Any

from .models import Episode, Request, State


def request_attributes(request: Request) -> dict[str, Any]:
    """The request status sensor's attributes (DESIGN §4)."""
    live = [ep for ep in request.episodes.values() if ep.state is not State.REMOVED]
    return {
        "request_key": request.key,
        "title": request.title,
        "year": request.year,
        "media_type": request.media_type.value,
        "is_anime": request.is_anime,
        "is_4k": request.is_4k,
        "tmdb_id": request.tmdb_id,
        "tvdb_id": request.tvdb_id,
        "imdb_id": request.imdb_id,
        "jellyseerr_request_id": request.jellyseerr_request_id,
        "requested_by": request.requested_by,
        "progress": progress(request.state),
        "download_speed": None,
        "eta": None,
        "stalled": request.stalled,
        "problem": request.problem_text,
        "episodes_total": len(live),
        "episodes_available": sum(ep.state is State.AVAILABLE for ep in live),
        "jellyfin_item_id": request.jellyfin_item_id,
        "poster_url": request.poster_url,
    }


def episode_attributes(episode: Episode) -> dict[str, Any]:
    """An episode status sensor's attributes."""
    return {
        "season": episode.season,
        "episode": episode.number,
        "title": episode.title,
        "progress": progress(episode.state),
        "stalled": False,
        "problem": episode.problem_text,
    }


def progress(state: State) -> int | None:
    """Download progress in percent, where the state alone says it."""
    if state in (State.REQUESTED, State.APPROVED, State.GRABBING):
        return 0
    if state in (
        State.DOWNLOADED,
        State.IMPORTING,
        State.ANIME_MATCHING,
        State.AVAILABLE,
    ):
        return 100
    return None
