"""The steps that may unstick a request, taken by hand (`retry`) or by remediation.

`prepare` checks that a step applies to a request and returns the call that takes
it; nothing reaches a service before every check has passed. Errors are translated:
`ServiceValidationError` when a step does not apply, `HomeAssistantError` when the
service failed.
"""

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import partial

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .data import MediaRequestTrackerData
from .engine.models import Remedy, Request, Service, Stage, State
from .pollers import RadarrPoller, SonarrPoller
from .sources.errors import UNUSABLE_ANSWER
from .sources.jellyseerr import JellyseerrClient
from .sources.qbittorrent import QBittorrentClient
from .sources.radarr import RadarrClient
from .sources.shoko import ShokoClient
from .sources.sonarr import SonarrClient

# Episodes that need no search: there, or deliberately deleted.
_SETTLED_EPISODES = frozenset({State.AVAILABLE, State.REMOVED})


def prepare(
    data: MediaRequestTrackerData, request: Request, remedy: Remedy
) -> Callable[[], Awaitable[None]]:
    """The call that takes a step for a request; an error if it cannot apply.

    Everything is checked here, before anything is sent.
    """
    if request.is_terminal:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="retry_finished",
            translation_placeholders={
                "title": request.title,
                "state": request.state.value,
            },
        )
    match remedy:
        case Remedy.REANNOUNCE:
            return _reannounce(data, request)
        case Remedy.REPLACE:
            return _replace(data, request)
        case Remedy.SEARCH:
            return _search(data, request)
        case Remedy.JELLYSEERR_RETRY:
            return partial(_async_jellyseerr_retry, data.jellyseerr.client, request)
        case Remedy.SHOKO_RESCAN:
            return _shoko_rescan(data, request)


def _search(
    data: MediaRequestTrackerData, request: Request
) -> Callable[[], Awaitable[None]]:
    """Radarr's search for the movie, or Sonarr's for the show's missing episodes."""
    match _arr(data, request):
        case RadarrPoller() as radarr:
            return partial(_async_search_movie, radarr.client, request)
        case sonarr:
            return partial(_async_search_series, sonarr.client, request)


def _reannounce(
    data: MediaRequestTrackerData, request: Request
) -> Callable[[], Awaitable[None]]:
    """The download client announces the request's stuck torrents again."""
    if (qbittorrent := data.qbittorrent) is None:
        raise _not_configured(Service.QBITTORRENT, request)
    return partial(_async_reannounce, qbittorrent.client, _downloading(request))


def _replace(
    data: MediaRequestTrackerData, request: Request
) -> Callable[[], Awaitable[None]]:
    """Radarr/Sonarr drop the request's stuck downloads, and grab others."""
    arr = _arr(data, request).client
    return partial(_async_replace, data, arr, request, _downloading(request))


def _arr(
    data: MediaRequestTrackerData, request: Request
) -> RadarrPoller | SonarrPoller:
    """The Radarr or Sonarr instance the request belongs to, which must exist."""
    if (arr := data.arr_for(request)) is None:
        raise _not_configured(request.arr, request)
    return arr


def _downloading(request: Request) -> set[str]:
    """The request's downloads (folded ids) still downloading: the stuck ones if any.

    A finished download waiting for its import is never dropped with its files.
    """
    unfinished = {
        folded: download
        for folded, download in request.downloads.items()
        if download.stage < Stage.DOWNLOADED
    }
    stuck = {
        folded
        for folded, download in unfinished.items()
        if any(live.stall is not None for live in download.live_by.values())
    }
    if not unfinished:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_download",
            translation_placeholders={"title": request.title},
        )
    return stuck or set(unfinished)


async def _async_reannounce(qbittorrent: QBittorrentClient, hashes: set[str]) -> None:
    with _upstream_errors(Service.QBITTORRENT):
        await qbittorrent.async_reannounce(hashes)


async def _async_replace(
    data: MediaRequestTrackerData,
    arr: RadarrClient | SonarrClient,
    request: Request,
    downloads: set[str],
) -> None:
    """Remove the downloads' queue records (a season pack has one per episode)."""
    with _upstream_errors(arr.SERVICE):
        queue = await arr.async_get_queue()
        ids = [
            item.queue_id
            for item in queue
            if item.queue_id is not None
            and item.download_id is not None
            and item.download_id.casefold() in downloads
        ]
        if not ids:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="not_in_queue",
                translation_placeholders={
                    "service": arr.SERVICE.display_name,
                    "title": request.title,
                },
            )
        await arr.async_replace_downloads(ids)
    # The request now waits for the release Radarr/Sonarr grab instead.
    data.tracking.replaced(request.key, downloads)


def _not_configured(arr: Service, request: Request) -> ServiceValidationError:
    """Retrying needs the service configured."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="service_not_configured",
        translation_placeholders={"service": arr.display_name, "title": request.title},
    )


async def _async_search_movie(radarr: RadarrClient, request: Request) -> None:
    """`MoviesSearch` for the movie, looked up by TMDB id if no webhook named it."""
    with _upstream_errors(Service.RADARR):
        movie_id = request.radarr_id
        if movie_id is None and request.tmdb_id is not None:
            movie = await radarr.async_get_movie(request.tmdb_id)
            movie_id = None if movie is None else movie.arr_id
        if movie_id is None:
            raise _not_in_arr(Service.RADARR, request)
        await radarr.async_command("MoviesSearch", movieIds=[movie_id])


async def _async_search_series(sonarr: SonarrClient, request: Request) -> None:
    """`EpisodeSearch` for the missing episodes, else the requested seasons/series.

    Sonarr names every episode it grabs or lists with its id, so the requested
    seasons are searched only while Sonarr has named none of them yet.
    """
    episode_ids = sorted(
        episode.sonarr_episode_id
        for episode in request.episodes.values()
        if episode.state not in _SETTLED_EPISODES
        and episode.sonarr_episode_id is not None
    )
    with _upstream_errors(Service.SONARR):
        if episode_ids:
            await sonarr.async_command("EpisodeSearch", episodeIds=episode_ids)
            return
        series_id = await _async_series_id(sonarr, request)
        if not request.requested_seasons:
            await sonarr.async_command("SeriesSearch", seriesId=series_id)
        for season in sorted(request.requested_seasons):
            await sonarr.async_command(
                "SeasonSearch", seriesId=series_id, seasonNumber=season
            )


async def _async_series_id(sonarr: SonarrClient, request: Request) -> int:
    """Sonarr's id of the series, from its library (by TVDB id)."""
    series = None
    if request.tvdb_id is not None:
        series = await sonarr.async_get_series(request.tvdb_id)
    if series is None:
        raise _not_in_arr(Service.SONARR, request)
    return series.arr_id


def _not_in_arr(arr: Service, request: Request) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="not_in_arr",
        translation_placeholders={"service": arr.display_name, "title": request.title},
    )


@contextmanager
def _upstream_errors(service: Service) -> Iterator[None]:
    """A failed call upstream becomes a translated HomeAssistantError."""
    try:
        yield
    except UNUSABLE_ANSWER as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="service_unavailable",
            translation_placeholders={
                "service": service.display_name,
                "error": str(err),
            },
        ) from err


def _shoko_rescan(
    data: MediaRequestTrackerData, request: Request
) -> Callable[[], Awaitable[None]]:
    """Shoko matches the request's unmatched files with AniDB again."""
    if (shoko := data.shoko) is None:
        raise _not_configured(Service.SHOKO, request)
    files = [request.shoko, *(episode.shoko for episode in request.episodes.values())]
    unmatched = sorted(
        {file.file_id for file in files if file is not None and not file.matched}
    )
    if not unmatched:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_unmatched_file",
            translation_placeholders={"title": request.title},
        )
    return partial(_async_shoko_rescan, shoko.client, unmatched)


async def _async_shoko_rescan(shoko: ShokoClient, file_ids: list[int]) -> None:
    with _upstream_errors(Service.SHOKO):
        for file_id in file_ids:
            await shoko.async_rescan_file(file_id)


async def _async_jellyseerr_retry(
    jellyseerr: JellyseerrClient, request: Request
) -> None:
    with _upstream_errors(Service.JELLYSEERR):
        await jellyseerr.async_retry_request(request.key)
