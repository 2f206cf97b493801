"""The REST clients against the reference payload shapes, and how each one fails."""

import asyncio
import copy
from datetime import UTC, datetime
from http import HTTPStatus
import json
from typing import Any

from aiohttp import ClientSession, CookieJar, web
from aiohttp.test_utils import TestServer
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import (
    async_create_clientsession,
    async_get_clientsession,
)

from custom_components.media_request_tracker.sources.arr import parse_timespan
from custom_components.media_request_tracker.sources.errors import (
    CannotConnect,
    InvalidAuth,
    InvalidPayload,
    NotFound,
    WrongService,
)
from custom_components.media_request_tracker.sources.http import (
    LARGE_BODY_BYTES,
    ApiFields,
    JsonApi,
)
from custom_components.media_request_tracker.sources.jellyfin import JellyfinClient
from custom_components.media_request_tracker.sources.qbittorrent import (
    QBittorrentClient,
    TorrentFile,
)
from custom_components.media_request_tracker.sources.radarr import Movie, RadarrClient
from custom_components.media_request_tracker.sources.sonarr import (
    SeriesEpisode,
    SonarrClient,
)

from .conftest import FIXTURES

RADARR = "http://radarr.local:7878"
SONARR = "http://sonarr.local:8989"
QBITTORRENT = "http://192.168.1.20:8080"
JELLYFIN = "http://jellyfin.local:8096"
MOVIE_HASH = "8c212779b4abde7a7df5ea8b9b1c1f3a6a5d7e11"
ANIME_HASH = "3f1a9bb0c5e24d7a8e6f0c1d2b3a4e5f60718293"
LOGIN = f"{QBITTORRENT}/api/v2/auth/login"
MAINDATA = f"{QBITTORRENT}/api/v2/sync/maindata"
PASSWORD = "secret"
BANNED = (
    "Your IP address has been banned after too many failed authentication attempts."
)


def fixture(name: str) -> Any:
    """A fixture file's JSON (objects or arrays), a fresh copy each time."""
    return copy.deepcopy(json.loads((FIXTURES / name).read_text()))


def requests(mock: AiohttpClientMocker) -> list[str]:
    """`METHOD path?query` of every request made, in order."""
    return [f"{method.upper()} {url.path_qs}" for method, url, _, _ in mock.mock_calls]


@pytest.fixture
def radarr(hass: HomeAssistant, aioclient_mock: AiohttpClientMocker) -> RadarrClient:
    """A Radarr client on Home Assistant's (mocked) shared session."""
    return RadarrClient(async_get_clientsession(hass), RADARR, "radarr-key")


@pytest.fixture
def sonarr(hass: HomeAssistant, aioclient_mock: AiohttpClientMocker) -> SonarrClient:
    """A Sonarr client on Home Assistant's (mocked) shared session."""
    return SonarrClient(async_get_clientsession(hass), SONARR, "sonarr-key")


@pytest.fixture
async def qbittorrent(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> QBittorrentClient:
    """A qBittorrent client on its own session, created the way the caller does."""
    session = async_create_clientsession(hass, cookie_jar=CookieJar(unsafe=True))
    return QBittorrentClient(session, QBITTORRENT, username="admin", password=PASSWORD)


@pytest.fixture
def jellyfin(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> JellyfinClient:
    """A Jellyfin client on Home Assistant's (mocked) shared session."""
    return JellyfinClient(async_get_clientsession(hass), JELLYFIN, "jellyfin-key")


# Radarr and Sonarr


async def test_arr_status_sends_the_api_key(
    radarr: RadarrClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """The status names the app and its version; the key goes in `X-Api-Key`."""
    aioclient_mock.get(
        f"{RADARR}/api/v3/system/status", json=fixture("radarr/api_system_status.json")
    )

    status = await radarr.async_get_status()

    assert (status.app_name, status.version, status.instance_name) == (
        "Radarr",
        "5.28.0.10274",
        "Radarr",
    )
    assert aioclient_mock.mock_calls[0][3]["X-Api-Key"] == "radarr-key"
    assert radarr.url == RADARR


@pytest.mark.parametrize(
    "answer",
    [
        {"json": {**fixture("radarr/api_system_status.json"), "appName": "Sonarr"}},
        {"json": [{"appName": "Radarr"}]},
        {"text": "<!doctype html><title>Home</title>"},
    ],
    ids=["sonarr", "array", "html"],
)
async def test_arr_status_of_another_service(
    radarr: RadarrClient, aioclient_mock: AiohttpClientMocker, answer: dict[str, Any]
) -> None:
    """Sonarr, or anything that is not an *arr status, is the wrong service."""
    aioclient_mock.get(f"{RADARR}/api/v3/system/status", **answer)

    with pytest.raises(WrongService):
        await radarr.async_get_status()


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (HTTPStatus.UNAUTHORIZED, InvalidAuth),
        (HTTPStatus.INTERNAL_SERVER_ERROR, CannotConnect),
        (HTTPStatus.BAD_GATEWAY, CannotConnect),
    ],
)
async def test_arr_http_errors(
    sonarr: SonarrClient,
    aioclient_mock: AiohttpClientMocker,
    status: HTTPStatus,
    error: type[Exception],
) -> None:
    """A wrong key answers 401; a 5xx means the server is not usable."""
    aioclient_mock.get(f"{SONARR}/api/v3/queue", status=status)

    with pytest.raises(error):
        await sonarr.async_get_queue()


async def test_a_large_answer_reads_like_a_small_one(
    radarr: RadarrClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A queue page past LARGE_BODY_BYTES (decoded in a worker thread) reads the same."""
    page = fixture("radarr/api_queue.json")
    [record] = page["records"]
    page["records"] = [
        {**record, "downloadId": f"{n:040X}", "id": n} for n in range(300)
    ]
    page["totalRecords"] = 300
    assert len(json.dumps(page)) > LARGE_BODY_BYTES
    aioclient_mock.get(f"{RADARR}/api/v3/queue", json=page)

    items = await radarr.async_get_queue()

    assert [item.download_id for item in items] == [f"{n:040X}" for n in range(300)]
    assert {item.media_tmdb_id for item in items} == {533514}


async def test_a_large_answer_that_is_not_json(
    radarr: RadarrClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A large page that is not JSON is another service, as a small one would be."""
    aioclient_mock.get(
        f"{RADARR}/api/v3/queue", text="<html>" + " " * LARGE_BODY_BYTES + "</html>"
    )

    with pytest.raises(WrongService):
        await radarr.async_get_queue()


def test_a_bad_row_is_named_by_its_place() -> None:
    """Rows carry no path of their own until an error has to name one."""
    rows = ApiFields.array([{"id": 1}, {"id": "two"}], "records")

    assert rows[0].integer("id") == 1
    with pytest.raises(InvalidPayload, match=r"^records\[1\]\.id must be an integer$"):
        rows[1].integer("id")
    with pytest.raises(InvalidPayload, match=r"^records\[1\] must be an object$"):
        ApiFields.array([{}, 2], "records")


async def test_radarr_queue_record(
    radarr: RadarrClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A blocked import: lower-cased states, de-duplicated messages, the movie's ids."""
    aioclient_mock.get(f"{RADARR}/api/v3/queue", json=fixture("radarr/api_queue.json"))

    [item] = await radarr.async_get_queue()

    assert item.download_id == "C2C60F66C126652A86F7F2EE73DC83D4E255929E"
    assert (item.arr_id, item.media_tmdb_id) == (52, 533514)
    assert (item.episode_id, item.season, item.episode) == (None, None, None)
    assert item.title.startswith("[The-Nut] Violet Evergarden")
    assert (item.status, item.tracked_state, item.tracked_status) == (
        "completed",
        "importblocked",
        "warning",
    )
    assert item.messages == (
        "Movie title mismatch, automatic import is not possible. Manual Import required.",
    )
    assert (item.protocol, item.size, item.size_left, item.time_left) == (
        "torrent",
        1181116032,
        0,
        0.0,
    )
    query = aioclient_mock.mock_calls[0][1].query
    assert query["includeMovie"] == "true"
    assert query["pageSize"] == "200"


async def test_queue_is_read_across_pages(
    radarr: RadarrClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """The queue is paged (10 a page by default): every page is read."""
    record = fixture("radarr/api_queue.json")["records"][0]
    pages = [
        [{**record, "id": n, "movieId": n} for n in range(1, 201)],
        [{**record, "id": 201, "movieId": 201}],
    ]
    for number, records in enumerate(pages, start=1):
        aioclient_mock.get(
            f"{RADARR}/api/v3/queue",
            params={"page": number},
            json={"page": number, "totalRecords": 201, "records": records},
        )

    queue = await radarr.async_get_queue()

    assert [item.arr_id for item in queue] == list(range(1, 202))
    assert [url.query["page"] for _, url, _, _ in aioclient_mock.mock_calls] == [
        "1",
        "2",
    ]


async def test_sonarr_queue_has_a_record_per_episode(
    sonarr: SonarrClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A season pack is one record per episode, with the series and episode ids.

    The series is not embedded (`includeSeries` would copy it into every record): its
    TVDB id is looked up once, and remembered.
    """
    aioclient_mock.get(f"{SONARR}/api/v3/queue", json=queue_without_series())
    aioclient_mock.get(f"{SONARR}/api/v3/series/23", json=LYCORIS_SERIES)

    first, second = await sonarr.async_get_queue()

    assert first.download_id == second.download_id
    assert (first.arr_id, first.media_tvdb_id) == (23, 414057)
    assert [(i.episode_id, i.season, i.episode) for i in (first, second)] == [
        (739, 1, 1),
        (740, 1, 2),
    ]
    assert (first.episode_tvdb_id, second.episode_tvdb_id) == (8916235, 9234918)
    assert first.time_left == 93784.5  # 1 day, 02:03:04.5
    assert first.media_tmdb_id is None
    query = aioclient_mock.mock_calls[0][1].query
    assert (query.get("includeSeries"), query["includeEpisode"]) == (None, "true")

    assert [item.media_tvdb_id for item in await sonarr.async_get_queue()] == [
        414057,
        414057,
    ]
    paths = [url.path for _, url, _, _ in aioclient_mock.mock_calls]
    assert paths.count("/api/v3/series/23") == 1


async def test_a_queue_record_of_a_deleted_series_has_no_tvdb_id(
    sonarr: SonarrClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Sonarr answers 404 for a series deleted meanwhile: no TVDB id, no error."""
    aioclient_mock.get(f"{SONARR}/api/v3/queue", json=queue_without_series())
    aioclient_mock.get(f"{SONARR}/api/v3/series/23", status=404)

    assert {item.media_tvdb_id for item in await sonarr.async_get_queue()} == {None}


def queue_without_series() -> dict[str, Any]:
    """Sonarr's queue as asked for: with each record's episode, not its series."""
    queue = fixture("sonarr/api_queue.json")
    for record in queue["records"]:
        del record["series"]
    return queue


# `GET /api/v3/series/{id}` answers one SeriesResource, the object
# `GET /api/v3/series?tvdbId=` lists (Sonarr's SeriesController, RestGetById).
LYCORIS_SERIES = fixture("sonarr/api_series_id.json")


async def test_queue_record_of_older_versions_and_pending_releases(
    sonarr: SonarrClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Older, pending and failing downloads.

    PascalCase statuses (before Sonarr 4.0.10) compare lower-cased; a pending release
    has no download id or time left; without `episode` the record's season is used; a
    client's error message joins the status messages.
    """
    stalled = fixture("sonarr/api_queue.json")["records"][0]
    del stalled["episode"]
    stalled |= {
        "status": "Warning",
        "trackedDownloadStatus": "warning",
        "errorMessage": "The download is stalled with no connections",
    }
    pending = {
        "id": 9,
        "seriesId": 23,
        "episodeId": 741,
        "seasonNumber": 1,
        "title": "Lycoris.Recoil.S01E03.1080p",
        "status": "DownloadClientUnavailable",
        "statusMessages": [],
        "size": 1395864371,
        "sizeleft": 1395864371,
        "protocol": "torrent",
    }
    aioclient_mock.get(
        f"{SONARR}/api/v3/queue",
        json={"totalRecords": 2, "records": [stalled, pending]},
    )
    aioclient_mock.get(f"{SONARR}/api/v3/series/23", json=LYCORIS_SERIES)

    old, waiting = await sonarr.async_get_queue()

    assert (old.status, old.season, old.episode) == ("warning", 1, None)
    assert old.messages == ("The download is stalled with no connections",)
    assert waiting.status == "downloadclientunavailable"
    assert (waiting.download_id, waiting.time_left, waiting.tracked_state) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("00:00:00", 0.0),
        ("01:02:03", 3723.0),
        ("2.01:02:03", 176523.0),
        ("00:00:05.5000000", 5.5),
        ("12.00:00:00.2500000", 1036800.25),
        ("-00:00:01", -1.0),
    ],
)
def test_timespan(text: str, seconds: float) -> None:
    """.NET TimeSpan text, with days and fractions of a second."""
    assert parse_timespan(text) == seconds


@pytest.mark.parametrize("text", ["", "5 minutes", "1:02", "00:00:00.12345678"])
def test_timespan_refused(text: str) -> None:
    """Anything else names the field instead of guessing."""
    with pytest.raises(InvalidPayload, match="timeleft"):
        parse_timespan(text)


async def test_command(
    radarr: RadarrClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A command is its name plus its own fields."""
    aioclient_mock.post(f"{RADARR}/api/v3/command", json={"id": 1})

    await radarr.async_command("RescanMovie", movieId=52)

    assert aioclient_mock.mock_calls[0][2] == {"name": "RescanMovie", "movieId": 52}


async def test_radarr_movie(
    radarr: RadarrClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """`/movie?tmdbId=` answers an array of one, or an empty one."""
    aioclient_mock.get(
        f"{RADARR}/api/v3/movie",
        params={"tmdbId": 533514},
        json=fixture("radarr/api_movie.json"),
    )
    aioclient_mock.get(f"{RADARR}/api/v3/movie", params={"tmdbId": 1}, json=[])

    assert await radarr.async_get_movie(533514) == Movie(
        arr_id=52,
        title="Violet Evergarden: The Movie",
        year=2020,
        tmdb_id=533514,
        imdb_id="tt8652818",
        has_file=True,
        file_path="/data/anime/movies/Violet Evergarden - The Movie (2020)/"
        "Violet Evergarden - The Movie (2020) Bluray-1080p.mkv",
        monitored=True,
        tag_ids=frozenset({2}),
    )
    assert await radarr.async_get_movie(1) is None


async def test_radarr_tags(
    radarr: RadarrClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """`/tag` names the ids REST answers use (TagResource: id, label)."""
    aioclient_mock.get(
        f"{RADARR}/api/v3/tag",
        json=[{"id": 1, "label": "anime"}, {"id": 4, "label": "4k"}],
    )
    assert await radarr.async_get_tags() == {1: "anime", 4: "4k"}


async def test_sonarr_series_and_episodes(
    sonarr: SonarrClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """`seriesType` tells anime; an episode has aired once its UTC air time passed."""
    aioclient_mock.get(
        f"{SONARR}/api/v3/series",
        params={"tvdbId": 414057},
        json=fixture("sonarr/api_series.json"),
    )
    aioclient_mock.get(f"{SONARR}/api/v3/series", params={"tvdbId": 1}, json=[])
    aioclient_mock.get(
        f"{SONARR}/api/v3/episode",
        params={"seriesId": 23},
        json=fixture("sonarr/api_episode.json"),
    )

    series = await sonarr.async_get_series(414057)
    assert series is not None
    assert (series.arr_id, series.title, series.year, series.tvdb_id) == (
        23,
        "Lycoris Recoil",
        2022,
        414057,
    )
    assert series.is_anime is True
    assert await sonarr.async_get_series(1) is None
    aired, future, unknown = await sonarr.async_get_episodes(
        23, datetime(2026, 1, 22, tzinfo=UTC)
    )
    assert aired == SeriesEpisode(
        episode_id=739,
        season=1,
        number=1,
        title="Easy does it",
        tvdb_id=8916235,
        has_file=True,
        monitored=True,
        aired=True,
        file_id=4012,
        air_date=datetime(2022, 7, 2, 15, 0, tzinfo=UTC),
    )
    assert (future.aired, future.tvdb_id, future.file_id) == (False, None, None)
    assert future.air_date is not None
    assert future.air_date > datetime(2026, 1, 22, tzinfo=UTC)
    assert (unknown.aired, unknown.season, unknown.title) == (False, 0, None)
    assert unknown.air_date is None


# qBittorrent


@pytest.mark.parametrize(
    "answer",
    [{"text": "Ok."}, {"status": HTTPStatus.NO_CONTENT}],
    ids=["4.x", "5.2"],
)
async def test_qbittorrent_login(
    qbittorrent: QBittorrentClient,
    aioclient_mock: AiohttpClientMocker,
    answer: dict[str, Any],
) -> None:
    """`200 Ok.` (≤ 5.1) and `204` (5.2+) both log in; the form carries the account."""
    aioclient_mock.post(LOGIN, **answer)
    aioclient_mock.get(f"{QBITTORRENT}/api/v2/app/version", text="v5.2.3\n")

    await qbittorrent.async_login()

    assert await qbittorrent.async_get_version() == "v5.2.3"
    assert aioclient_mock.mock_calls[0][2] == {
        "username": "admin",
        "password": PASSWORD,
    }
    assert qbittorrent.request_count == 2


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"text": "Fails."}, "username or password"),
        ({"status": HTTPStatus.UNAUTHORIZED}, "username or password"),
        ({"status": HTTPStatus.FORBIDDEN, "text": BANNED}, "banned"),
    ],
    ids=["4.x", "5.2", "banned"],
)
async def test_qbittorrent_login_refused(
    qbittorrent: QBittorrentClient,
    aioclient_mock: AiohttpClientMocker,
    answer: dict[str, Any],
    message: str,
) -> None:
    """A wrong password (`200 Fails.` or 401) or a ban is InvalidAuth, tried once."""
    aioclient_mock.post(LOGIN, **answer)

    with pytest.raises(InvalidAuth, match=message):
        await qbittorrent.async_login()
    assert aioclient_mock.call_count == 1


async def test_qbittorrent_login_server_error(
    qbittorrent: QBittorrentClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A 5xx at login is a connection problem, not a wrong password."""
    aioclient_mock.post(LOGIN, status=HTTPStatus.SERVICE_UNAVAILABLE)

    with pytest.raises(CannotConnect):
        await qbittorrent.async_login()


async def test_qbittorrent_api_key(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """With a key (5.2+) there is no login, and a refused key is not retried."""
    client = QBittorrentClient(
        async_get_clientsession(hass), QBITTORRENT, api_key="qbt_key"
    )
    aioclient_mock.get(f"{QBITTORRENT}/api/v2/app/version", text="v5.2.3")
    aioclient_mock.get(MAINDATA, status=HTTPStatus.FORBIDDEN)

    await client.async_login()
    assert await client.async_get_version() == "v5.2.3"
    with pytest.raises(InvalidAuth):
        await client.async_sync()

    assert requests(aioclient_mock) == [
        "GET /api/v2/app/version",
        "GET /api/v2/sync/maindata?rid=0",
    ]
    assert aioclient_mock.mock_calls[0][3]["Authorization"] == "Bearer qbt_key"


async def test_qbittorrent_sync_merges_updates(
    qbittorrent: QBittorrentClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Full update, then a partial one merged key by key, then a removal."""
    for rid, name in enumerate(["full_rid0", "partial_rid1", "torrent_removed_rid2"]):
        aioclient_mock.get(
            MAINDATA,
            params={"rid": rid},
            json=fixture(f"qbittorrent/sync_maindata_{name}.json"),
        )

    full = await qbittorrent.async_sync()
    partial = await qbittorrent.async_sync()
    removed = await qbittorrent.async_sync()

    assert set(full) == {MOVIE_HASH, ANIME_HASH}
    movie, anime = full[MOVIE_HASH], full[ANIME_HASH]
    assert (movie.hash, movie.state, movie.progress, movie.eta) == (
        MOVIE_HASH,
        "downloading",
        0.4217,
        395,
    )
    assert movie.download_speed == 12582912
    assert (anime.state, anime.progress, anime.eta, anime.amount_left) == (
        "stalledUP",
        1.0,
        None,
        0,
    )
    assert partial[MOVIE_HASH].progress == 0.4389
    assert partial[MOVIE_HASH].amount_left == 4819934592
    assert partial[MOVIE_HASH].name == movie.name
    assert partial[MOVIE_HASH].content_path == movie.content_path
    assert partial[ANIME_HASH] == anime
    assert set(removed) == {MOVIE_HASH}


async def test_qbittorrent_relogs_in_once_when_the_session_expires(
    qbittorrent: QBittorrentClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A 403 mid-sync: one new login, and a sync restarted from rid 0."""
    aioclient_mock.get(
        MAINDATA,
        params={"rid": 0},
        json=fixture("qbittorrent/sync_maindata_full_rid0.json"),
    )
    await qbittorrent.async_sync()
    aioclient_mock.clear_requests()
    snapshot = fixture("qbittorrent/sync_maindata_full_rid0.json")
    del snapshot["torrents"][ANIME_HASH]
    aioclient_mock.get(MAINDATA, params={"rid": 1}, status=HTTPStatus.FORBIDDEN)
    aioclient_mock.post(LOGIN, text="Ok.")
    aioclient_mock.get(MAINDATA, params={"rid": 0}, json=snapshot)

    torrents = await qbittorrent.async_sync()

    assert set(torrents) == {MOVIE_HASH}  # the full update replaced the cache
    assert requests(aioclient_mock) == [
        "GET /api/v2/sync/maindata?rid=1",
        "POST /api/v2/auth/login",
        "GET /api/v2/sync/maindata?rid=0",
    ]


async def test_qbittorrent_never_loops_on_403(
    qbittorrent: QBittorrentClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """If the new session is refused too (cookie dropped), the sync gives up."""
    aioclient_mock.get(MAINDATA, status=HTTPStatus.FORBIDDEN)
    aioclient_mock.post(LOGIN, text="Ok.")

    with pytest.raises(InvalidAuth):
        await qbittorrent.async_sync()

    assert qbittorrent.request_count == 3


async def test_qbittorrent_recovers_from_a_broken_cache(
    qbittorrent: QBittorrentClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A partial update for a torrent never seen in full fails, then asks for rid 0."""
    partial = fixture("qbittorrent/sync_maindata_partial_rid1.json")
    aioclient_mock.get(MAINDATA, params={"rid": 0}, json=partial)

    with pytest.raises(InvalidPayload, match="state"):
        await qbittorrent.async_sync()
    with pytest.raises(InvalidPayload):
        await qbittorrent.async_sync()

    assert requests(aioclient_mock) == ["GET /api/v2/sync/maindata?rid=0"] * 2


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"status": HTTPStatus.BAD_GATEWAY}, CannotConnect),
        ({"text": "<html>qBittorrent WebUI</html>"}, WrongService),
        ({"json": {"rid": 1, "torrents": []}}, InvalidPayload),
    ],
    ids=["5xx", "html", "torrents-list"],
)
async def test_qbittorrent_sync_failures(
    qbittorrent: QBittorrentClient,
    aioclient_mock: AiohttpClientMocker,
    answer: dict[str, Any],
    error: type[Exception],
) -> None:
    """Server errors, non-JSON and malformed answers map to our exceptions."""
    aioclient_mock.get(MAINDATA, **answer)

    with pytest.raises(error):
        await qbittorrent.async_sync()


async def test_qbittorrent_files(
    qbittorrent: QBittorrentClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Files are asked for by the lower-case hash, even when given *arr's upper case."""
    files_url = f"{QBITTORRENT}/api/v2/torrents/files"
    aioclient_mock.get(
        files_url,
        params={"hash": ANIME_HASH},
        json=[
            {
                "index": 0,
                "name": "S01/E01.mkv",
                "size": 1395864371,
                "progress": 1,
                "priority": 1,
                "is_seed": True,
                "piece_range": [0, 332],
                "availability": -1,
            },
            {
                "index": 1,
                "name": "S01/NCOP.mkv",
                "size": 104857600,
                "progress": 0,
                "priority": 0,
                "is_seed": False,
                "piece_range": [332, 357],
                "availability": -1,
            },
        ],
    )
    aioclient_mock.get(
        files_url, params={"hash": MOVIE_HASH}, status=HTTPStatus.NOT_FOUND
    )

    files = await qbittorrent.async_get_files(ANIME_HASH.upper())

    assert files == [
        TorrentFile(name="S01/E01.mkv", size=1395864371, progress=1.0, priority=1),
        TorrentFile(name="S01/NCOP.mkv", size=104857600, progress=0.0, priority=0),
    ]
    with pytest.raises(NotFound):
        await qbittorrent.async_get_files(MOVIE_HASH)


# Jellyfin


async def test_jellyfin_public_info_is_anonymous(
    jellyfin: JellyfinClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """The public info needs no key, so a wrong URL shows before a wrong key."""
    aioclient_mock.get(
        f"{JELLYFIN}/System/Info/Public",
        json=fixture("jellyfin/GET_System_Info_Public.json"),
    )

    assert await jellyfin.async_get_public_info() == ("jellyfin", "10.11.11")
    assert "Authorization" not in aioclient_mock.mock_calls[0][3]
    assert jellyfin.url == JELLYFIN


@pytest.mark.parametrize(
    "answer",
    [
        {
            "json": {
                **fixture("jellyfin/GET_System_Info_Public.json"),
                "ProductName": "Emby Server",
            }
        },
        {"json": {"status": "ok"}},
        {"text": "<!doctype html><title>Radarr</title>"},
    ],
    ids=["emby", "other-json", "html"],
)
async def test_jellyfin_wrong_service(
    jellyfin: JellyfinClient,
    aioclient_mock: AiohttpClientMocker,
    answer: dict[str, Any],
) -> None:
    """Emby, or anything without Jellyfin's public info, is the wrong service."""
    aioclient_mock.get(f"{JELLYFIN}/System/Info/Public", **answer)

    with pytest.raises(WrongService):
        await jellyfin.async_get_public_info()


async def test_jellyfin_validate(
    jellyfin: JellyfinClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """The key goes in `Authorization: MediaBrowser Token=…`; 401 is a wrong key."""
    aioclient_mock.get(f"{JELLYFIN}/System/Info", json={"Id": "4f3c2b1a"})

    await jellyfin.async_validate()

    assert (
        aioclient_mock.mock_calls[0][3]["Authorization"]
        == 'MediaBrowser Token="jellyfin-key"'
    )
    aioclient_mock.clear_requests()
    aioclient_mock.get(f"{JELLYFIN}/System/Info", status=HTTPStatus.UNAUTHORIZED)
    with pytest.raises(InvalidAuth):
        await jellyfin.async_validate()


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"status": HTTPStatus.INTERNAL_SERVER_ERROR}, CannotConnect),
        ({"json": ["Id"]}, WrongService),
    ],
)
async def test_jellyfin_validate_failures(
    jellyfin: JellyfinClient,
    aioclient_mock: AiohttpClientMocker,
    answer: dict[str, Any],
    error: type[Exception],
) -> None:
    """A 5xx is a connection problem; an answer that is no object, the wrong service."""
    aioclient_mock.get(f"{JELLYFIN}/System/Info", **answer)

    with pytest.raises(error):
        await jellyfin.async_validate()


async def test_jellyfin_find_movies(
    jellyfin: JellyfinClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """The query is narrowed by type, year and title; provider ids come back as given."""
    aioclient_mock.get(
        f"{JELLYFIN}/Items",
        json=fixture("jellyfin/GET_Items_Movie_Fields_ProviderIds_Path.json"),
    )

    [movie] = await jellyfin.async_find_movies(year=2023, search_term="Some Movie")

    assert (movie.item_id, movie.kind, movie.name, movie.year) == (
        "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "Movie",
        "Some Movie",
        2023,
    )
    assert movie.provider_ids == {"Tmdb": "123456", "Imdb": "tt1234567"}
    assert movie.playable
    query = aioclient_mock.mock_calls[0][1].query
    assert {
        key: query[key]
        for key in ("Recursive", "IncludeItemTypes", "Fields", "Years", "SearchTerm")
    } == {
        "Recursive": "true",
        "IncludeItemTypes": "Movie",
        "Fields": "ProviderIds,Path",
        "Years": "2023",
        "SearchTerm": "Some Movie",
    }
    assert "AnyProviderIdEquals" not in query


async def test_jellyfin_find_series_pages(
    jellyfin: JellyfinClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Large results are read page by page; a short page is the last one."""
    shoko_movie = fixture("jellyfin/GET_Items_anime_movie_via_Shokofin_VFS.json")[
        "Items"
    ][0]
    series = {**shoko_movie, "Type": "Series", "IsFolder": True}
    pages = [[{**series, "Id": f"{n:032x}"} for n in range(200)], [series]]
    for start, items in zip((0, 200), pages, strict=True):
        aioclient_mock.get(
            f"{JELLYFIN}/Items", params={"StartIndex": start}, json={"Items": items}
        )

    found = await jellyfin.async_find_series(search_term=None, year=None)

    assert len(found) == 201
    assert found[-1].provider_ids["Shoko File"] == "220"
    query = aioclient_mock.mock_calls[1][1].query
    assert query["IncludeItemTypes"] == "Series"
    assert "Years" not in query
    assert "SearchTerm" not in query


async def test_jellyfin_episodes(
    jellyfin: JellyfinClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A Virtual placeholder is not playable; dashed ids are normalised both ways."""
    episodes = fixture(
        "jellyfin/GET_Shows_seriesId_Episodes_Fields_ProviderIds_Path.json"
    )
    episodes["Items"][0]["Id"] = "0C1D2E3F-4051-6273-8495-A6B7C8D9E0F1"
    aioclient_mock.get(
        f"{JELLYFIN}/Shows/5e6f708192a3b4c5d6e7f8091a2b3c4d/Episodes",
        params={"IsMissing": "false", "Fields": "ProviderIds,Path"},
        json=episodes,
    )

    pilot, stub = await jellyfin.async_get_episodes(
        "5E6F7081-92A3-B4C5-D6E7-F8091A2B3C4D"
    )

    assert pilot.item_id == "0c1d2e3f405162738495a6b7c8d9e0f1"
    assert (pilot.season, pilot.number, pilot.series_id) == (
        1,
        1,
        "5e6f708192a3b4c5d6e7f8091a2b3c4d",
    )
    assert pilot.playable
    assert (stub.location_type, stub.path, stub.playable) == ("Virtual", None, False)


async def test_jellyfin_report_updated(
    jellyfin: JellyfinClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A created folder is reported with the body of the reference request."""
    aioclient_mock.post(
        f"{JELLYFIN}/Library/Media/Updated", status=HTTPStatus.NO_CONTENT
    )

    await jellyfin.async_report_updated("/data/media/movies/Some Movie (2023)")

    assert aioclient_mock.mock_calls[0][2] == fixture(
        "jellyfin/POST_Library_Media_Updated_request.json"
    )


# Readers the REST answers need


@pytest.mark.parametrize(
    ("body", "read", "message"),
    [
        ({"p": "1"}, lambda f: f.real("p"), r"body\.p must be a number"),
        ({"p": True}, lambda f: f.real("p"), r"body\.p must be a number"),
        ({}, lambda f: f.required_real("p"), r"body\.p is missing"),
        (
            {"ids": {"Tmdb": 1}},
            lambda f: f.text_map("ids"),
            r"body\.ids must be an object of strings",
        ),
        (
            {"ids": ["Tmdb"]},
            lambda f: f.text_map("ids"),
            r"body\.ids must be an object of strings",
        ),
        ({"items": {}}, lambda f: f.records("items"), r"body\.items must be a list"),
        (
            {"items": [1]},
            lambda f: f.records("items"),
            r"body\.items\[0\] must be an object",
        ),
    ],
)
def test_api_fields_name_the_path(
    body: dict[str, Any], read: Any, message: str
) -> None:
    """Every REST reader refuses the wrong type and says where."""
    with pytest.raises(InvalidPayload, match=message):
        read(ApiFields(body))


def test_api_fields_values() -> None:
    """Whole numbers stay exact; null provider ids are left out; absent is empty."""
    fields = ApiFields(
        {"size": 8589934592, "p": 0.5, "ids": {"Tmdb": "1", "Tvdb": None}}
    )
    assert fields.real("size") == 8589934592
    assert fields.required_real("p") == 0.5
    assert fields.text_map("ids") == {"Tmdb": "1"}
    assert (fields.text_map("none"), fields.records("none"), fields.real("none")) == (
        {},
        [],
        None,
    )


async def test_an_image_in_many_chunks_arrives_whole(socket_enabled: None) -> None:
    """A real server sending 200 KB in 16 KB chunks: every byte is kept.

    Reading once would keep only what had arrived (the first chunk).
    """
    poster = bytes(range(256)) * 800

    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        await response.prepare(request)
        for start in range(0, len(poster), 16 * 1024):
            await response.write(poster[start : start + 16 * 1024])
            await asyncio.sleep(0.001)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/poster", chunked)
    server = TestServer(app)
    await server.start_server()
    try:
        async with ClientSession() as session:
            api = JsonApi(session, str(server.make_url("")), {})
            image = await api.request_image("/poster")
    finally:
        await server.close()
    assert (image.content_type, image.body) == ("image/png", poster)
