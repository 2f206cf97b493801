"""The stored form of requests: compact dicts, cached per request, and their migration.

The stored form leaves out None, False and empty values (they are the defaults):
thousands of episodes are saved at once, so this halves what is encoded and written.
Times stay datetimes, which Home Assistant's JSON encoder writes natively and much
faster than `isoformat()` would; they come back as ISO text.
"""

from collections.abc import Iterable
from copy import deepcopy
from datetime import datetime
from typing import Any

from .codes import Problem, ProblemCode, params
from .models import (
    Attempt,
    Blocker,
    Download,
    Episode,
    EpisodeKey,
    Listing,
    MediaType,
    Remedy,
    Request,
    Service,
    ShokoFile,
    Stage,
    State,
    TimelineEntry,
)

# Each state's text, without the enum's attribute lookup (thousands per save).
STATE_VALUES = {state: state.value for state in State}


def request_to_dict(request: Request) -> dict[str, Any]:
    """The request's stored form."""
    return _compact(
        {
            "key": request.key,
            "media_type": request.media_type.value,
            "title": request.title,
            "created_at": request.created_at,
            "year": request.year,
            "overview": request.overview,
            "poster_url": request.poster_url,
            "details_known": request.details_known,
            "listing": _listing_dict(request.listing),
            "tmdb_id": request.tmdb_id,
            "tvdb_id": request.tvdb_id,
            "imdb_id": request.imdb_id,
            "radarr_id": request.radarr_id,
            "sonarr_id": request.sonarr_id,
            "arr_instance": request.arr_instance,
            "requested_by": request.requested_by,
            "followers": list(request.followers),
            "unfollowed": list(request.unfollowed),
            "requested_seasons": sorted(request.requested_seasons),
            "is_4k": request.is_4k,
            "is_anime": request.is_anime,
            "file_paths": list(request.file_paths),
            "file_size": request.file_size,
            "shoko": _shoko_dict(request.shoko),
            "shoko_tmdb_link": request.shoko_tmdb_link,
            "jellyfin_item_id": request.jellyfin_item_id,
            "stage": int(request.stage),
            "declined": request.declined,
            "removed": request.removed,
            "blocker": _blocker_dict(request.blocker),
            "downloads": [_download_dict(d) for d in request.downloads.values()],
            "episodes": _episode_dicts(request),
            "attempts": [_attempt_dict(a) for a in request.attempts],
            "replaced": sorted(request.replaced),
            "state": request.state.value,
            "failure": _problem_dict(request.failure),
            "blocked": _problem_dict(request.blocked),
            "stall": _problem_dict(request.stall),
            "reached": {state.value: at for state, at in request.reached.items()},
            "state_since": request.state_since,
            "timeline": [timeline_dict(entry) for entry in request.timeline],
            "updated_at": request.updated_at,
        }
    )


def request_from_dict(data: dict[str, Any]) -> Request:
    """Restore a request from its stored form."""
    downloads = [_download(item) for item in data.get("downloads", ())]
    owners = _download_owners(downloads)
    episodes = [_episode(item, owners) for item in data.get("episodes", ())]
    return Request(
        key=data["key"],
        media_type=MediaType(data["media_type"]),
        title=data["title"],
        created_at=_time(data["created_at"]),
        year=data.get("year"),
        overview=data.get("overview"),
        poster_url=data.get("poster_url"),
        details_known=data.get("details_known", False),
        listing=_listing(data.get("listing")),
        tmdb_id=data.get("tmdb_id"),
        tvdb_id=data.get("tvdb_id"),
        imdb_id=data.get("imdb_id"),
        radarr_id=data.get("radarr_id"),
        sonarr_id=data.get("sonarr_id"),
        arr_instance=data.get("arr_instance", ""),
        requested_by=data.get("requested_by"),
        followers=tuple(data.get("followers", ())),
        unfollowed=tuple(data.get("unfollowed", ())),
        requested_seasons=frozenset(data.get("requested_seasons", ())),
        is_4k=data.get("is_4k", False),
        is_anime=data.get("is_anime", False),
        file_paths=list(data.get("file_paths", ())),
        file_size=data.get("file_size"),
        shoko=_shoko(data.get("shoko")),
        shoko_tmdb_link=data.get("shoko_tmdb_link", False),
        jellyfin_item_id=data.get("jellyfin_item_id"),
        stage=Stage(data["stage"]),
        declined=data.get("declined", False),
        removed=data.get("removed", False),
        blocker=_blocker(data.get("blocker")),
        downloads={item.download_id.casefold(): item for item in downloads},
        episodes={item.key: item for item in episodes},
        attempts=[_attempt(item) for item in data.get("attempts", ())],
        replaced=set(data.get("replaced", ())),
        state=State(data["state"]),
        failure=_problem(data.get("failure")),
        blocked=_problem(data.get("blocked")),
        stall=_problem(data.get("stall")),
        reached=_times(data),
        timeline=[_timeline(item) for item in data.get("timeline", ())],
        state_since=_optional_time(data.get("state_since")),
        updated_at=_optional_time(data.get("updated_at")),
    )


def timeline_dict(entry: TimelineEntry) -> dict[str, Any]:
    """One timeline entry, for storage and for `get_requests`."""
    return {
        "time": entry.time,
        "state": entry.state.value,
        "source": str(entry.source),
        "detail": entry.detail,
    }


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out None, False and empty values; zero stays (season 0: specials)."""
    return {key: value for key, value in data.items() if value or type(value) is int}


def _time(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _optional_time(value: datetime | str | None) -> datetime | None:
    return None if value is None else _time(value)


def _times(data: dict[str, Any]) -> dict[State, datetime]:
    return {State(state): _time(at) for state, at in data.get("reached", {}).items()}


def _problem_dict(problem: Problem | None) -> dict[str, Any] | None:
    return None if problem is None else problem.to_dict()


def _problem(data: dict[str, Any] | None) -> Problem | None:
    return None if data is None else Problem.from_dict(data)


def _blocker_dict(blocker: Blocker | None) -> dict[str, Any] | None:
    if blocker is None:
        return None
    return _compact(
        {
            "problem": blocker.problem.to_dict(),
            "stage": int(blocker.stage),
            "polled_by": blocker.polled_by,
        }
    )


def _blocker(data: dict[str, Any] | None) -> Blocker | None:
    if data is None:
        return None
    polled_by = data.get("polled_by")
    return Blocker(
        Problem.from_dict(data["problem"]),
        Stage(data["stage"]),
        None if polled_by is None else Service(polled_by),
    )


def _attempt_dict(attempt: Attempt) -> dict[str, Any]:
    return {
        "remedy": attempt.remedy.value,
        "at": attempt.at,
        "dry_run": attempt.dry_run,
        "result": attempt.result,
        "number": attempt.number,
        "of": attempt.of,
        "by_hand": attempt.by_hand,
    }


def _attempt(data: dict[str, Any]) -> Attempt:
    return Attempt(
        remedy=Remedy(data["remedy"]),
        at=_time(data["at"]),
        dry_run=data["dry_run"],
        result=data["result"],
        number=data["number"],
        of=data["of"],
        by_hand=data.get("by_hand", False),
    )


def _timeline(data: dict[str, Any]) -> TimelineEntry:
    return TimelineEntry(
        time=_time(data["time"]),
        state=State(data["state"]),
        source=data["source"],
        detail=data["detail"],
    )


def _download_dict(download: Download) -> dict[str, Any]:
    return _compact(
        {
            "download_id": download.download_id,
            "stage": int(download.stage),
            "blocker": _blocker_dict(download.blocker),
            "client": download.client,
            "release_title": download.release_title,
            "quality": download.quality,
            "indexer": download.indexer,
            "release_group": download.release_group,
            "size": download.size,
            "episodes": [list(key) for key in sorted(download.episodes)],
        }
    )


def _download(data: dict[str, Any]) -> Download:
    return Download(
        download_id=data["download_id"],
        stage=Stage(data["stage"]),
        blocker=_blocker(data.get("blocker")),
        client=data.get("client"),
        release_title=data.get("release_title"),
        quality=data.get("quality"),
        indexer=data.get("indexer"),
        release_group=data.get("release_group"),
        size=data.get("size"),
        episodes={(season, number) for season, number in data.get("episodes", ())},
    )


def _shoko_dict(shoko: ShokoFile | None) -> dict[str, Any] | None:
    if shoko is None:
        return None
    return _compact(
        {
            "file_id": shoko.file_id,
            "matched": shoko.matched,
            "matched_at": shoko.matched_at,
            "anidb_anime_id": shoko.anidb_anime_id,
            "anidb_episode_id": shoko.anidb_episode_id,
            "series_id": shoko.series_id,
            "episode_id": shoko.episode_id,
            "unmatched": _problem_dict(shoko.unmatched),
            "no_tmdb_link": shoko.no_tmdb_link,
        }
    )


def _shoko(data: dict[str, Any] | None) -> ShokoFile | None:
    if data is None:
        return None
    return ShokoFile(
        file_id=data["file_id"],
        matched=data.get("matched", False),
        matched_at=_optional_time(data.get("matched_at")),
        anidb_anime_id=data.get("anidb_anime_id"),
        anidb_episode_id=data.get("anidb_episode_id"),
        series_id=data.get("series_id"),
        episode_id=data.get("episode_id"),
        unmatched=_problem(data.get("unmatched")),
        no_tmdb_link=data.get("no_tmdb_link", False),
    )


def _download_owners(downloads: Iterable[Download]) -> dict[EpisodeKey, str]:
    """The last download (in the order they came) that covers each episode.

    That is an episode's own download almost always: its id is stored with the
    episode only where it is another (thousands of 40-character hashes saved).
    """
    return {
        key: download.download_id for download in downloads for key in download.episodes
    }


def _episode_dicts(request: Request) -> list[dict[str, Any]]:
    owners = _download_owners(request.downloads.values())
    return [
        _episode_dict(episode, owners.get(key))
        for key, episode in request.episodes.items()
    ]


def _episode_dict(episode: Episode, owner: str | None) -> dict[str, Any]:
    """The episode's stored form, as `_compact` would leave it.

    Written out key by key: saving thousands of episodes at once (after loading,
    a migration) spends most of its time here.
    """
    stored: dict[str, Any] = {
        "season": episode.season,
        "number": episode.number,
        "stage": int(episode.stage),
        "state": STATE_VALUES[episode.state],
    }
    if episode.title:
        stored["title"] = episode.title
    if episode.sonarr_episode_id is not None:
        stored["sonarr_episode_id"] = episode.sonarr_episode_id
    if episode.tvdb_id is not None:
        stored["tvdb_id"] = episode.tvdb_id
    if episode.download_id and episode.download_id != owner:
        stored["download_id"] = episode.download_id
    if episode.file_path:
        stored["file_path"] = episode.file_path
    if episode.file_size is not None:
        stored["file_size"] = episode.file_size
    if episode.jellyfin_item_id:
        stored["jellyfin_item_id"] = episode.jellyfin_item_id
    if episode.reached:
        stored["reached"] = {STATE_VALUES[s]: at for s, at in episode.reached.items()}
    if episode.removed or episode.shoko or episode.blocker or episode.current_problem:
        stored |= _compact(
            {
                "removed": episode.removed,
                "blocker": _blocker_dict(episode.blocker),
                "shoko": _shoko_dict(episode.shoko),
                "failure": _problem_dict(episode.failure),
                "blocked": _problem_dict(episode.blocked),
            }
        )
    return stored


def _episode(data: dict[str, Any], owners: dict[EpisodeKey, str]) -> Episode:
    key = (data["season"], data["number"])
    return Episode(
        season=data["season"],
        number=data["number"],
        title=data.get("title"),
        sonarr_episode_id=data.get("sonarr_episode_id"),
        tvdb_id=data.get("tvdb_id"),
        download_id=data.get("download_id") or owners.get(key),
        stage=Stage(data["stage"]),
        removed=data.get("removed", False),
        blocker=_blocker(data.get("blocker")),
        file_path=data.get("file_path"),
        file_size=data.get("file_size"),
        shoko=_shoko(data.get("shoko")),
        jellyfin_item_id=data.get("jellyfin_item_id"),
        state=State(data["state"]),
        failure=_problem(data.get("failure")),
        blocked=_problem(data.get("blocked")),
        reached=_times(data),
    )


# Storage 1.1 kept English text; 1.2 keeps codes. The texts version 1.1 wrote itself:
_OLD_TEXTS = {
    "Jellyseerr could not hand the request to Radarr/Sonarr": (
        ProblemCode.JELLYSEERR_FAILED
    ),
    "qBittorrent reports an error for this torrent": ProblemCode.DOWNLOAD_ERROR,
    "qBittorrent cannot find the torrent's files": ProblemCode.MISSING_FILES,
    "Manual interaction required in the download queue": (
        ProblemCode.MANUAL_INTERACTION
    ),
    "Import blocked: a manual import is needed": ProblemCode.IMPORT_BLOCKED,
}
_OLD_FAILED = "The download failed"
_OLD_UNMATCHED = "Shoko could not match this file (AniDB): "
_OLD_BANNED = ("AniDB has banned Shoko Server for now (UDP ban): ", " waits for it")
_OLD_DERIVED = ("problem_text", "blocked_reason", "stall_reason")


def migrate_request(data: dict[str, Any]) -> dict[str, Any]:
    """A request stored as text (1.1) in the coded form of 1.2.

    Blockers keep their stage with the code their text meant, and Radarr/Sonarr's
    own words become its `message`. Derived problems are left out: the tracker
    derives them again once loaded (`Tracker.load(..., derive=True)`).
    """
    migrated = {
        key: deepcopy(value) for key, value in data.items() if key not in _OLD_DERIVED
    }
    _migrate_blocker(migrated)
    for download in migrated.get("downloads", ()):
        _migrate_blocker(download)
    episodes = migrated.get("episodes", [])
    for episode in episodes:
        for key in _OLD_DERIVED:
            episode.pop(key, None)
        _migrate_blocker(episode)
    for track in (migrated, *episodes):
        shoko = track.get("shoko")
        if shoko and (text := shoko.pop("unmatched", None)):
            shoko["unmatched"] = _problem_dict(_old_unmatched(text))
    return migrated


def _migrate_blocker(data: dict[str, Any]) -> None:
    """Turn a 1.1 `problem` {text, stage, polled_by} into a 1.2 `blocker`."""
    old = data.pop("problem", None)
    if old is not None:
        data["blocker"] = _compact(
            {
                "problem": _old_problem(old["text"], old.get("polled_by")).to_dict(),
                "stage": old["stage"],
                "polled_by": old.get("polled_by"),
            }
        )


def _old_problem(text: str, polled_by: str | None) -> Problem:
    """The code a 1.1 text meant; other text was Radarr/Sonarr's own words.

    Their words came from a poll of the queue (a blocked import) or from their
    Manual Interaction Required webhook (no poller named).
    """
    if (code := _OLD_TEXTS.get(text)) is not None:
        return Problem(code)
    if text.startswith(_OLD_FAILED):
        message = text.removeprefix(_OLD_FAILED).removeprefix(":").strip()
        return Problem(ProblemCode.DOWNLOAD_FAILED, params(message=message or None))
    words = (
        ProblemCode.MANUAL_INTERACTION
        if polled_by is None
        else (ProblemCode.IMPORT_BLOCKED)
    )
    return Problem(words, params(message=text))


def _old_unmatched(text: str) -> Problem:
    """`Shoko could not match this file (AniDB): <name>`, or the AniDB ban text."""
    start, end = _OLD_BANNED
    if text.startswith(start):
        name = text.removeprefix(start).removesuffix(end)
        return Problem(ProblemCode.ANIDB_BAN, params(file=name))
    return Problem(
        ProblemCode.FILE_NOT_MATCHED, params(file=text.removeprefix(_OLD_UNMATCHED))
    )


def _listing_dict(listing: Listing | None) -> dict[str, Any] | None:
    if listing is None:
        return None
    return {
        "present": listing.present,
        "released": listing.released,
        "release": listing.release,
        "last_search": listing.last_search,
    }


def _listing(data: dict[str, Any] | None) -> Listing | None:
    if data is None:
        return None
    return Listing(
        present=data["present"],
        released=data["released"],
        release=_optional_time(data.get("release")),
        last_search=_optional_time(data.get("last_search")),
    )
