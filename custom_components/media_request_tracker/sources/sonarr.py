"""Sonarr: webhooks and the REST series lookups (reference `arr-jellyseerr.md` §3).

Two payloads share `eventType: "Download"`: "On File Import" carries one `episodeFile`
for the episodes in that file, "On Import Complete" carries `episodeFiles[]` once the
whole release is imported. Both are accepted, alone or together.

The client is hand-written for the reasons given in `http.py`; what it shares with
Radarr's lives in `arr.py`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

import aiohttp

from ..engine.evidence import (
    ArrListing,
    ArrMedia,
    ArrMissing,
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
    ArrClient,
    ArrEvent,
    QueueItem,
    blocked_media,
    episode_keys_in_name,
    file_delete,
    optional_datetime,
    parse_media,
    parse_release,
    read_event,
    status_problem,
)
from .errors import InvalidPayload, NotFound
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


@dataclass(frozen=True, slots=True)
class Series:
    """A series in Sonarr."""

    arr_id: int
    title: str
    year: int | None
    tvdb_id: int | None
    is_anime: bool
    tag_ids: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class SeriesEpisode:
    """An episode of a Sonarr series, and whether its file is there."""

    episode_id: int
    season: int
    number: int
    title: str | None
    tvdb_id: int | None
    has_file: bool
    monitored: bool
    aired: bool
    file_id: int | None
    air_date: datetime | None = None
    last_search: datetime | None = None


class SonarrClient(ArrClient):
    """The Sonarr v3 REST API (Sonarr v4)."""

    APP_NAME = "Sonarr"
    SERVICE = Service.SONARR
    _ID_KEY = "seriesId"
    _HISTORY_FLAGS: ClassVar[Mapping[str, str]] = {
        "includeSeries": "true",
        "includeEpisode": "true",
    }
    # Without `includeSeries`: it embeds the whole series in each episode's record
    # (26 MB a cycle at 1,000 requests); series ids are resolved once instead.
    _QUEUE_FLAGS: ClassVar[Mapping[str, str]] = {
        "includeEpisode": "true",
        "includeUnknownSeriesItems": "true",
    }

    def __init__(self, session: aiohttp.ClientSession, url: str, api_key: str) -> None:
        """A client; series' TVDB ids are remembered by Sonarr id (they never change)."""
        super().__init__(session, url, api_key)
        self._tvdb_ids: dict[int, int | None] = {}

    async def async_get_queue(self) -> list[QueueItem]:
        """The queue, each record with its series' TVDB id (looked up once per series)."""
        queue = await super().async_get_queue()
        for series_id in sorted(
            {item.arr_id for item in queue if item.arr_id is not None}
            - self._tvdb_ids.keys()
        ):
            self._tvdb_ids[series_id] = await self._async_series_tvdb_id(series_id)
        return [
            replace(item, media_tvdb_id=self._tvdb_ids.get(item.arr_id))
            if item.arr_id is not None
            else item
            for item in queue
        ]

    async def _async_series_tvdb_id(self, series_id: int) -> int | None:
        """`GET /api/v3/series/{id}`'s `tvdbId`; None once the series is gone (404)."""
        try:
            body = await self._api.request("GET", f"/api/v3/series/{series_id}")
        except NotFound:
            return None
        return Fields(body).id_number("tvdbId")

    async def async_get_series(self, tvdb_id: int) -> Series | None:
        """The series with this TVDB id, or None when Sonarr does not have it."""
        found = await self._get_list("/api/v3/series", {"tvdbId": tvdb_id})
        if not found:
            return None
        series = found[0]
        return Series(
            arr_id=series.required_integer("id"),
            title=series.text("title") or "",
            year=series.id_number("year"),
            tvdb_id=series.id_number("tvdbId"),
            # The REST API calls the webhook's `type` `seriesType`.
            is_anime=(series.text("seriesType") or "").casefold() == "anime",
            tag_ids=frozenset(series.integers("tags")),
        )

    async def async_get_episodes(
        self, series_id: int, now: datetime
    ) -> list[SeriesEpisode]:
        """Every episode of a series; `aired` is judged against `now` (aware)."""
        episodes = await self._get_list("/api/v3/episode", {"seriesId": series_id})
        return [_series_episode(episode, now) for episode in episodes]

    async def async_get_episode_files(self, series_id: int) -> dict[int, ImportedFile]:
        """The series' files by id: where each is, and its size.

        They carry no episode ids; an episode names its `episodeFileId` (addendum
        §1e).
        """
        files = await self._get_list("/api/v3/episodefile", {"seriesId": series_id})
        return {
            item.required_integer("id"): ImportedFile(
                item.required_text("path"), size=item.integer("size")
            )
            for item in files
        }


def library_evidence(
    series: Series,
    episodes: Iterable[SeriesEpisode],
    seasons: frozenset[int],
    files: Mapping[int, ImportedFile] | None = None,
    request_key: str | None = None,
) -> ArrListing:
    """The aired, monitored episodes of a series, which have their file, and where.

    `files` (by episode file id) name the paths, when they were asked for. Of the
    requested `seasons` (all when empty) of the request `request_key`: whether an
    episode aired yet, when the next one airs, and when missing ones were last
    searched for.
    """
    episodes = list(episodes)
    listed = [episode for episode in episodes if episode.aired and episode.monitored]
    wanted = [
        episode
        for episode in episodes
        if episode.monitored and (not seasons or episode.season in seasons)
    ]
    upcoming = [e.air_date for e in wanted if not e.aired and e.air_date is not None]
    searched = [
        e.last_search for e in wanted if e.last_search is not None and not e.has_file
    ]
    media = ArrMedia(
        Service.SONARR,
        series.arr_id,
        series.title,
        series.year,
        tvdb_id=series.tvdb_id,
        is_anime=series.is_anime,
    )
    refs = tuple(
        EpisodeRef(e.season, e.number, e.title, e.episode_id, e.tvdb_id) for e in listed
    )
    with_file = frozenset((e.season, e.number) for e in listed if e.has_file)
    located = tuple(
        replace(file, episodes=((e.season, e.number),))
        for e in listed
        if e.file_id is not None and (file := (files or {}).get(e.file_id))
    )
    return ArrListing(
        media,
        refs,
        with_file,
        located,
        released=any(episode.aired for episode in wanted),
        release=min(upcoming, default=None),
        last_search=max(searched, default=None),
        request_key=request_key,
    )


def missing_evidence(tvdb_id: int) -> ArrMissing:
    """Sonarr does not have the series."""
    return ArrMissing(ArrMedia(Service.SONARR, None, "", tvdb_id=tvdb_id))


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
            return file_delete(payload, media, episodes)
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
        file = ImportedFile(
            single.required_text("path"), keys, size=single.integer("size")
        )
        return ImportEvidence(
            media,
            download_id,
            files=(file,),
            complete=False,
            is_upgrade=payload.flag("isUpgrade"),
            episodes=episodes,
        )
    files = tuple(_imported_file(item) for item in payload.objects("episodeFiles"))
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


def _series_episode(item: Fields, now: datetime) -> SeriesEpisode:
    air_date = optional_datetime(item, "airDateUtc")
    return SeriesEpisode(
        episode_id=item.required_integer("id"),
        season=item.required_integer("seasonNumber"),
        number=item.required_integer("episodeNumber"),
        title=item.text("title"),
        tvdb_id=item.id_number("tvdbId"),
        has_file=item.flag("hasFile"),
        monitored=item.flag("monitored"),
        aired=air_date is not None and air_date <= now,
        file_id=item.id_number("episodeFileId"),
        air_date=air_date,
        # Since Sonarr 4.0.9 (addendum §1e); absent until a search reached indexers.
        last_search=optional_datetime(item, "lastSearchTime"),
    )


def _imported_file(item: Fields) -> ImportedFile:
    """A file of Import Complete; only its name tells which episodes it holds."""
    path = item.required_text("path")
    return ImportedFile(path, episode_keys_in_name(path), size=item.integer("size"))
