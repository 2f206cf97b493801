"""What Radarr and Sonarr webhooks share: media, releases, problems, file names.

Both apps build their payloads from one code base (reference `arr-jellyseerr.md` §1):
camelCase keys, null keys omitted, `eventType` in PascalCase.
"""

from dataclasses import dataclass
from pathlib import PureWindowsPath
import re

from ..engine.evidence import ArrMedia, Ping, Release
from ..engine.models import EpisodeKey, Service
from .fields import Fields

_EPISODE_IN_NAME = re.compile(r"S(\d{1,3})E(\d{1,4})(?:-?E(\d{1,4}))?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ArrEvent:
    """A webhook body of an event we use, with what every such event carries."""

    payload: Fields
    name: str
    download_id: str | None


def read_event(
    body: object, service: Service, used: frozenset[str]
) -> ArrEvent | Ping | None:
    """The event of a webhook body: a ping for `Test`, None for events we do not use."""
    payload = Fields(body)
    name = payload.required_text("eventType")
    if name == "Test":
        return Ping(service)
    if name not in used:
        return None
    return ArrEvent(payload, name, payload.text("downloadId"))


def blocked_media(payload: Fields, key: str, service: Service) -> ArrMedia:
    """The movie/series of Manual Interaction Required (or an unknown one).

    The *arr omits it when it could not tell which movie or series the download is.
    """
    item = payload.obj(key)
    return unknown_media(service) if item is None else parse_media(item, service)


def parse_media(item: Fields, service: Service) -> ArrMedia:
    """The `movie` (Radarr) or `series` (Sonarr) object of a payload."""
    if service is Service.RADARR:
        is_anime = any(tag.casefold() == "anime" for tag in item.texts("tags"))
    else:
        is_anime = (item.text("type") or "").casefold() == "anime"
    return ArrMedia(
        service=service,
        arr_id=item.integer("id"),
        title=item.text("title") or "",
        year=item.id_number("year"),
        tmdb_id=item.id_number("tmdbId"),
        tvdb_id=item.id_number("tvdbId"),
        imdb_id=item.text("imdbId"),
        is_anime=is_anime,
        poster_url=poster_url(item),
    )


def unknown_media(service: Service) -> ArrMedia:
    """Radarr/Sonarr could not identify the download (no movie/series in the payload)."""
    return ArrMedia(service=service, arr_id=None, title="")


def poster_url(item: Fields) -> str | None:
    """The absolute poster URL; the `url` key is local to the *arr and unusable."""
    for image in item.objects("images"):
        remote = image.text("remoteUrl")
        if image.text("coverType") == "poster" and remote and remote.startswith("http"):
            return remote
    return None


def parse_release(payload: Fields) -> Release:
    """The release of a Grab (`release` plus the download client's name)."""
    release = payload.obj("release")
    client = payload.text("downloadClient")
    if release is None:
        return Release(client=client)
    return Release(
        title=release.text("releaseTitle"),
        quality=release.text("quality"),
        indexer=release.text("indexer"),
        release_group=release.text("releaseGroup"),
        size=release.integer("size") or None,
        client=client,
    )


def status_problem(payload: Fields) -> str:
    """The *arr's own words for why an import is blocked."""
    messages = [
        message
        for status in payload.objects("downloadStatusMessages")
        for message in status.texts("messages")
    ]
    if messages:
        return " ".join(dict.fromkeys(messages))
    return "Manual interaction required in the download queue"


def episode_keys_in_name(path: str) -> tuple[EpisodeKey, ...]:
    """(season, episode) pairs a file name carries, such as S01E03 or S01E03-E04."""
    # PureWindowsPath splits on both separators: *arr may run on Windows.
    match = _EPISODE_IN_NAME.search(PureWindowsPath(path).name)
    if match is None:
        return ()
    season, first = int(match[1]), int(match[2])
    last = int(match[3]) if match[3] else first
    return tuple((season, number) for number in range(first, max(first, last) + 1))
