"""The protocol simulator (tests/simulator) against its own reference contract.

Plain aiohttp clients against the fake servers on loopback ports; no Home Assistant.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import datetime, timedelta
import json
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import orjson
from pysignalr.client import SignalRClient
from pysignalr.exceptions import AuthorizationError
import pytest

from custom_components.media_request_tracker.sources.jellyseerr import (
    JellyseerrClient,
)
from tests.conftest import load_fixture
from tests.simulator import SCENARIOS, Service, SimulatedStack, Step
from tests.simulator.__main__ import parse_args, webhook_urls
from tests.simulator.arr import ArrServer, stable_id
from tests.simulator.catalog import MOVIES, RELEASES, SERIES
from tests.simulator.clock import SimClock, iso_seconds
from tests.simulator.jellyfin import JellyfinServer, ShokoFileRef
from tests.simulator.jellyseerr import (
    USERS,
    JellyseerrServer,
    MediaStatus,
    RequestStatus,
    User,
)
from tests.simulator.qbittorrent import QBittorrentServer
from tests.simulator.radarr import RadarrServer
from tests.simulator.server import FakeService
from tests.simulator.shoko import ShokoFile, ShokoServer
from tests.simulator.sonarr import SonarrServer
from tests.simulator.webhooks import WebhookSender, WebhookTarget

# The harness blocks sockets; these tests talk to real servers on 127.0.0.1 only.
pytestmark = pytest.mark.usefixtures("socket_enabled")

HASH = "c2c60f66c126652a86f7f2ee73dc83d4e255929e"
PACK_HASH = "3f92992e2fbeb6ebb251304236bf5e0b600a91c3"
QBIT_PASSWORD = "adminadmin"
HOOK_PASSWORD = "pw"


class Capture:
    """A webhook receiver that records every request and answers `status`."""

    def __init__(self) -> None:
        """Create the app; the fixture starts it on a free loopback port."""
        self.status = 200
        self.requests: list[dict[str, Any]] = []
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.server = TestServer(app, host="127.0.0.1")

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(
            {
                "path": request.path,
                "headers": dict(request.headers),
                "json": json.loads(body) if body else None,
            }
        )
        return web.Response(status=self.status)

    def url(self, path: str = "/hook") -> str:
        """The URL to point a service at."""
        return str(self.server.make_url(path))

    def events(self, key: str = "eventType") -> list[Any]:
        """One key of every received JSON body, in order."""
        return [r["json"].get(key) for r in self.requests]


@pytest.fixture
async def capture() -> AsyncIterator[Capture]:
    receiver = Capture()
    await receiver.server.start_server()
    yield receiver
    await receiver.server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    # qBittorrent's cookie comes from a bare IP: the default jar would drop it.
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as client:
        yield client


@pytest.fixture
async def sender() -> AsyncIterator[WebhookSender]:
    webhook_sender = WebhookSender()
    await webhook_sender.start()
    yield webhook_sender
    await webhook_sender.close()


@pytest.fixture
def clock() -> SimClock:
    return SimClock(speed=0)


async def started[T: FakeService](server: T) -> T:
    await server.start()
    return server


@pytest.fixture
async def qbit(clock: SimClock) -> AsyncIterator[QBittorrentServer]:
    server = QBittorrentServer(clock, username="admin", password=QBIT_PASSWORD)
    yield await started(server)
    await server.stop()


async def login(
    session: aiohttp.ClientSession, url: str, password: str
) -> aiohttp.ClientResponse:
    async with session.post(
        f"{url}/api/v2/auth/login", data={"username": "admin", "password": password}
    ) as response:
        await response.read()
        return response


# --- qBittorrent -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "ok", "bad", "cookie"),
    [
        ("4.6", (200, "Ok."), (200, "Fails."), "SID"),
        ("5.0", (200, "Ok."), (200, "Fails."), "SID"),
        ("5.2", (204, ""), (401, "Unauthorized"), "QBT_SID_"),
    ],
)
async def test_qbittorrent_login_by_version(
    clock: SimClock,
    session: aiohttp.ClientSession,
    version: str,
    ok: tuple[int, str],
    bad: tuple[int, str],
    cookie: str,
) -> None:
    server = await started(
        QBittorrentServer(
            clock, username="admin", password=QBIT_PASSWORD, version=version
        )
    )
    try:
        async with session.get(f"{server.url}/api/v2/app/version") as response:
            assert response.status == 403
        response = await login(session, server.url, "wrong")
        assert (response.status, await response.text()) == bad
        response = await login(session, server.url, QBIT_PASSWORD)
        assert (response.status, await response.text()) == ok
        assert any(c.key.startswith(cookie) for c in session.cookie_jar)
        async with session.get(f"{server.url}/api/v2/app/webapiVersion") as response:
            assert await response.text() == server.version.webapi
        server.forget_sessions()  # a restart: the old cookie no longer works
        async with session.get(f"{server.url}/api/v2/sync/maindata") as response:
            assert response.status == 403
    finally:
        await server.stop()


async def test_qbittorrent_api_key_and_ban(
    clock: SimClock, session: aiohttp.ClientSession
) -> None:
    server = await started(
        QBittorrentServer(
            clock,
            username="admin",
            password=QBIT_PASSWORD,
            version="5.2",
            api_key="qbt_key",
        )
    )
    try:
        bearer = {"Authorization": "Bearer qbt_key"}
        async with session.get(f"{server.url}/api/v2/app/version", headers=bearer) as r:
            assert (r.status, await r.text()) == (200, "v5.2.3")
        async with session.post(f"{server.url}/api/v2/auth/login", headers=bearer) as r:
            assert r.status == 403  # auth/* is refused with an API key
        for _ in range(5):
            assert (await login(session, server.url, "nope")).status == 401
        response = await login(session, server.url, QBIT_PASSWORD)
        assert response.status == 403
        assert "banned" in await response.text()
    finally:
        await server.stop()


async def test_qbittorrent_torrent_lifecycle_and_states(
    clock: SimClock, qbit: QBittorrentServer, session: aiohttp.ClientSession
) -> None:
    await login(session, qbit.url, QBIT_PASSWORD)
    release = RELEASES["violet_evergarden_movie_bd"]
    qbit.add_torrent(HASH.upper(), release, "radarr", 100)

    async def info() -> dict[str, Any]:
        async with session.get(
            f"{qbit.url}/api/v2/torrents/info", params={"hashes": HASH.upper()}
        ) as response:
            (torrent,) = await response.json()
            return dict(torrent)

    torrent = await info()
    assert torrent["hash"] == HASH  # lower case, whatever case was asked
    assert (torrent["state"], torrent["size"], torrent["amount_left"]) == (
        "metaDL",
        0,
        0,
    )
    clock.advance(53)
    torrent = await info()
    assert torrent["state"] == "downloading"
    assert 0.4 < torrent["progress"] < 0.6
    assert torrent["amount_left"] == release.size - torrent["completed"]
    assert torrent["eta"] > 0
    assert torrent["dlspeed"] > 0
    qbit.stall_torrent(HASH)
    clock.advance(10)
    torrent = await info()
    assert (torrent["state"], torrent["num_seeds"], torrent["dlspeed"]) == (
        "stalledDL",
        0,
        0,
    )
    assert torrent["eta"] == 8640000


async def test_qbittorrent_finished_and_stopped_names(
    clock: SimClock, session: aiohttp.ClientSession
) -> None:
    for version, stopped in (("4.6", "pausedUP"), ("5.1", "stoppedUP")):
        server = await started(
            QBittorrentServer(
                clock, username="admin", password=QBIT_PASSWORD, version=version
            )
        )
        try:
            await login(session, server.url, QBIT_PASSWORD)
            server.add_torrent(
                HASH, RELEASES["violet_evergarden_movie_bd"], "radarr", 10
            )
            clock.advance(11)
            assert server.status(HASH).state == "stalledUP"  # type: ignore[union-attr]
            server.stop_torrent(HASH)
            async with session.get(
                f"{server.url}/api/v2/torrents/info", params={"filter": "completed"}
            ) as response:
                (torrent,) = await response.json()
            assert torrent["state"] == stopped
            assert torrent["amount_left"] == 0
            assert torrent["progress"] == 1
            assert torrent["completion_on"] > 0
        finally:
            await server.stop()


async def test_qbittorrent_maindata_rid_protocol(
    clock: SimClock, qbit: QBittorrentServer, session: aiohttp.ClientSession
) -> None:
    await login(session, qbit.url, QBIT_PASSWORD)
    qbit.add_torrent(HASH, RELEASES["violet_evergarden_movie_bd"], "radarr", 100)
    url = f"{qbit.url}/api/v2/sync/maindata"

    async def maindata(rid: int) -> dict[str, Any]:
        async with session.get(url, params={"rid": rid}) as response:
            return dict(await response.json())

    full = await maindata(0)
    assert full["full_update"] is True
    assert "hash" not in full["torrents"][HASH]
    assert full["torrents"][HASH]["state"] == "metaDL"
    assert set(full) >= {"categories", "tags", "trackers", "server_state"}
    clock.advance(50)
    partial = await maindata(full["rid"])
    assert "full_update" not in partial
    changed = partial["torrents"][HASH]
    assert changed["state"] == "downloading"
    assert "name" not in changed
    # Nothing changed: an empty diff with a new rid.
    same = await maindata(partial["rid"])
    assert set(same) == {"rid"}
    # Resending the previously accepted rid gives the accumulated diff again.
    clock.advance(5)
    first = await maindata(same["rid"])
    again = await maindata(same["rid"])
    assert again["torrents"][HASH]["progress"] == first["torrents"][HASH]["progress"]
    # A rid the server never sent means a full update; a removal is announced.
    assert (await maindata(999))["full_update"] is True
    latest = await maindata(0)
    qbit.add_torrent(PACK_HASH, RELEASES["lycoris_recoil_s01"], "tv-sonarr", 100)
    qbit.remove_torrent(HASH)
    diff = await maindata(latest["rid"])
    assert diff["torrents_removed"] == [HASH]
    assert diff["torrents"][PACK_HASH]["name"] == RELEASES["lycoris_recoil_s01"].name
    assert diff["categories"]["tv-sonarr"]["savePath"]
    assert diff["categories_removed"] == ["radarr"]


async def test_qbittorrent_files(
    clock: SimClock, qbit: QBittorrentServer, session: aiohttp.ClientSession
) -> None:
    await login(session, qbit.url, QBIT_PASSWORD)
    release = RELEASES["lycoris_recoil_s01"]
    qbit.add_torrent(PACK_HASH, release, "tv-sonarr", 100)
    url = f"{qbit.url}/api/v2/torrents/files"
    async with session.get(url) as response:
        assert response.status == 400
    async with session.get(url, params={"hash": HASH}) as response:
        assert response.status == 404
    async with session.get(url, params={"hash": PACK_HASH}) as response:
        assert await response.json() == []  # no metadata yet
    clock.advance(100)
    async with session.get(url, params={"hash": PACK_HASH.upper()}) as response:
        files = await response.json()
    assert len(files) == 13
    assert sum(f["size"] for f in files) == release.size
    assert files[0]["is_seed"] is True
    assert "is_seed" not in files[1]
    assert files[0]["name"].startswith(f"{release.name}/")


# --- Radarr / Sonarr ---------------------------------------------------------------


@pytest.fixture
async def radarr(
    clock: SimClock, qbit: QBittorrentServer, sender: WebhookSender
) -> AsyncIterator[RadarrServer]:
    server = RadarrServer(clock, qbit, sender, "radarr-key")
    yield await started(server)
    await server.stop()


@pytest.fixture
async def sonarr(
    clock: SimClock, qbit: QBittorrentServer, sender: WebhookSender
) -> AsyncIterator[SonarrServer]:
    server = SonarrServer(clock, qbit, sender, "sonarr-key")
    yield await started(server)
    await server.stop()


async def get_json(
    session: aiohttp.ClientSession, url: str, **kwargs: Any
) -> tuple[int, Any]:
    async with session.get(url, **kwargs) as response:
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.text()


async def test_arr_api_key_forms(
    radarr: RadarrServer, session: aiohttp.ClientSession
) -> None:
    url = f"{radarr.url}/api/v3/system/status"
    assert (await get_json(session, url))[0] == 401
    assert (await get_json(session, url, headers={"X-Api-Key": "wrong"}))[0] == 401
    status, body = await get_json(session, url, headers={"X-Api-Key": "radarr-key"})
    assert status == 200
    assert body["appName"] == "Radarr"
    assert (await get_json(session, url, params={"apikey": "radarr-key"}))[0] == 200
    bearer = {"Authorization": "Bearer radarr-key"}
    assert (await get_json(session, url, headers=bearer))[0] == 200


async def test_radarr_movie_queue_and_history(
    clock: SimClock, radarr: RadarrServer, session: aiohttp.ClientSession
) -> None:
    headers = {"X-Api-Key": "radarr-key"}
    release = RELEASES["violet_evergarden_movie_bd"]
    added = radarr.add_movie(MOVIES["violet_evergarden_movie"])
    assert added is not None
    assert added["eventType"] == "MovieAdded"
    assert radarr.add_movie(MOVIES["violet_evergarden_movie"]) is None  # known already
    grab = radarr.grab(release, HASH, 100)
    assert grab["downloadId"] == HASH.upper()
    _, movies = await get_json(
        session,
        f"{radarr.url}/api/v3/movie",
        headers=headers,
        params={"tmdbId": "533514"},
    )
    assert [(m["id"], m["hasFile"], m["tags"]) for m in movies] == [(52, False, [1])]
    assert (await get_json(session, f"{radarr.url}/api/v3/movie/999", headers=headers))[
        0
    ] == 404

    clock.advance(50)
    _, queue = await get_json(
        session,
        f"{radarr.url}/api/v3/queue",
        headers=headers,
        params={"includeMovie": "true"},
    )
    assert (queue["page"], queue["pageSize"], queue["totalRecords"]) == (1, 10, 1)
    (record,) = queue["records"]
    assert record["downloadId"] == HASH.upper()
    assert record["movie"]["tmdbId"] == 533514
    assert record["status"] == "downloading"
    assert record["trackedDownloadState"] == "downloading"
    assert 0 < record["sizeleft"] < record["size"]
    assert record["timeleft"].count(":") == 2

    clock.advance(60)
    _, queue = await get_json(session, f"{radarr.url}/api/v3/queue", headers=headers)
    (record,) = queue["records"]
    assert (record["status"], record["trackedDownloadState"]) == (
        "completed",
        "importPending",
    )
    assert record["sizeleft"] == 0
    # qBittorrent's eta is "infinite" once finished; Radarr reports no time left.
    assert record["timeleft"] == "00:00:00"
    assert record["estimatedCompletionTime"] == iso_seconds(clock.wall_now())

    blocked = radarr.block_import(release, "")
    assert blocked["downloadStatus"] == "Warning"
    _, queue = await get_json(session, f"{radarr.url}/api/v3/queue", headers=headers)
    (record,) = queue["records"]
    assert (record["trackedDownloadState"], record["trackedDownloadStatus"]) == (
        "importBlocked",
        "warning",
    )
    assert (
        record["statusMessages"][0]["messages"]
        == blocked["downloadStatusMessages"][0]["messages"]
    )

    payload, file = radarr.import_download(release)
    assert payload["movieFile"]["sourcePath"].endswith(".mkv")
    assert payload["movieFile"]["path"] == file.path
    _, queue = await get_json(session, f"{radarr.url}/api/v3/queue", headers=headers)
    assert queue["records"] == []
    _, history = await get_json(
        session,
        f"{radarr.url}/api/v3/history",
        headers=headers,
        params={"downloadId": HASH.upper()},
    )
    assert [r["eventType"] for r in history["records"]] == [
        "downloadFolderImported",
        "grabbed",
    ]
    _, lower = await get_json(
        session,
        f"{radarr.url}/api/v3/history",
        headers=headers,
        params={"downloadId": HASH},
    )
    assert lower["records"] == []  # an exact match: pass it as the *arr emitted it
    _, movie = await get_json(session, f"{radarr.url}/api/v3/movie/52", headers=headers)
    assert movie["hasFile"] is True
    assert movie["movieFile"]["path"] == file.path


async def test_sonarr_queue_per_episode_and_episodes(
    clock: SimClock, sonarr: SonarrServer, session: aiohttp.ClientSession
) -> None:
    headers = {"X-Api-Key": "sonarr-key"}
    series = SERIES["lycoris_recoil"]
    sonarr.add_series(series, [1])
    grab = sonarr.grab(RELEASES["lycoris_recoil_s01"], PACK_HASH, 100)
    assert len(grab["episodes"]) == 13
    clock.advance(30)
    _, queue = await get_json(
        session,
        f"{sonarr.url}/api/v3/queue",
        headers=headers,
        params={"pageSize": "50", "includeSeries": "true", "includeEpisode": "true"},
    )
    assert queue["totalRecords"] == 13
    assert {r["downloadId"] for r in queue["records"]} == {PACK_HASH.upper()}
    assert {r["episode"]["episodeNumber"] for r in queue["records"]} == set(
        range(1, 14)
    )
    assert queue["records"][0]["series"]["seriesType"] == "anime"

    status, error = await get_json(
        session, f"{sonarr.url}/api/v3/episode", headers=headers
    )
    assert status == 400
    assert "seriesId" in error["message"]
    _, found = await get_json(
        session,
        f"{sonarr.url}/api/v3/series",
        headers=headers,
        params={"tvdbId": "414057"},
    )
    assert [s["id"] for s in found] == [23]
    clock.advance(80)
    blocked = sonarr.block_import(RELEASES["lycoris_recoil_s01"], "")
    assert blocked["downloadStatus"] == "Warning"
    assert blocked["release"]["releaseType"] == "seasonPack"
    _, queue = await get_json(
        session,
        f"{sonarr.url}/api/v3/queue",
        headers=headers,
        params={"pageSize": "20"},
    )
    assert {r["trackedDownloadState"] for r in queue["records"]} == {"importBlocked"}
    per_file, complete, files = sonarr.import_download(RELEASES["lycoris_recoil_s01"])
    assert len(per_file) == 13
    assert "episodeFile" in per_file[0]
    assert complete["fileCount"] == 13
    assert len(complete["episodeFiles"]) == 13
    assert "sourcePath" not in complete["episodeFiles"][0]
    assert complete["destinationPath"] == "/data/anime/shows/Lycoris Recoil/Season 1"
    _, episodes = await get_json(
        session,
        f"{sonarr.url}/api/v3/episode",
        headers=headers,
        params={"seriesId": "23", "seasonNumber": "1"},
    )
    assert all(e["hasFile"] for e in episodes)
    assert episodes[0]["episodeFileId"] == files[0].id
    _, history = await get_json(
        session,
        f"{sonarr.url}/api/v3/history",
        headers=headers,
        params={"downloadId": PACK_HASH.upper(), "eventType": "1", "pageSize": "100"},
    )
    assert history["totalRecords"] == 13  # one grabbed record per episode


async def since(
    session: aiohttp.ClientSession, arr: ArrServer, **params: str
) -> tuple[int, Any]:
    """`GET /api/v3/history/since` (a 400 is `application/problem+json`)."""
    async with session.get(
        f"{arr.url}/api/v3/history/since",
        headers={"X-Api-Key": arr.api_key},
        params=params,
    ) as response:
        return response.status, await response.json(content_type=None)


RADARR_GRABBED_DATA = {
    "indexer",
    "nzbInfoUrl",
    "releaseGroup",
    "age",
    "ageHours",
    "ageMinutes",
    "publishedDate",
    "downloadClient",
    "downloadClientName",
    "size",
    "downloadUrl",
    "guid",
    "tmdbId",
    "imdbId",
    "protocol",
    "customFormatScore",
    "movieMatchType",
    "releaseSource",
    "indexerFlags",
    "indexerId",
    "torrentInfoHash",
}


async def test_radarr_failed_and_ignored_downloads_and_history_since(
    clock: SimClock,
    radarr: RadarrServer,
    qbit: QBittorrentServer,
    session: aiohttp.ClientSession,
) -> None:
    headers = {"X-Api-Key": "radarr-key"}
    matrix = RELEASES["the_matrix_bluray"]
    mad_max = RELEASES["mad_max_fury_road_bluray"]
    start = iso_seconds(clock.wall_now())
    radarr.add_movie(MOVIES["the_matrix"])
    radarr.add_movie(MOVIES["mad_max_fury_road"])
    radarr.grab(matrix, HASH, 100)
    clock.advance(110)
    radarr.fail_download(matrix)
    _, queue = await get_json(session, f"{radarr.url}/api/v3/queue", headers=headers)
    (record,) = queue["records"]
    assert (
        record["status"],
        record["trackedDownloadState"],
        record["trackedDownloadStatus"],
        record["timeleft"],
    ) == ("completed", "failedPending", "error", "00:00:00")
    radarr.process_failed(matrix)
    clock.advance(10)
    radarr.grab(mad_max, PACK_HASH, 300)
    clock.advance(30)
    radarr.ignore_download(mad_max)
    _, queue = await get_json(session, f"{radarr.url}/api/v3/queue", headers=headers)
    assert queue["records"] == []  # failed and ignored downloads leave the queue
    assert qbit.status(HASH) is None  # Radarr removed the failed torrent…
    assert qbit.status(PACK_HASH) is not None  # …an ignored one stays in the client

    status, rows = await since(session, radarr, date=start)
    assert status == 200
    assert [(r["movieId"], r["eventType"]) for r in rows] == [
        (79, "grabbed"),
        (79, "downloadFailed"),
        (80, "grabbed"),
        (80, "downloadIgnored"),
    ]
    assert set(rows[0]["data"]) == RADARR_GRABBED_DATA
    assert rows[0]["data"]["torrentInfoHash"] == HASH
    assert rows[1]["downloadId"] == HASH.upper()
    assert rows[1]["sourceTitle"] == matrix.name
    assert rows[1]["data"] == {
        "downloadClient": "qBittorrent",
        "downloadClientName": "qBittorrent",
        "message": "Failed download detected",
        "releaseGroup": "AMIABLE",
        "size": str(matrix.size),
        "indexer": "1337x (Prowlarr)",
    }
    assert rows[3]["data"]["message"] == "Manually ignored"
    # The event type by name (any case) or number; `date` is inclusive.
    _, ignored = await since(
        session, radarr, date=start, eventType="DownloadIgnored", includeMovie="true"
    )
    assert [(r["eventType"], r["movie"]["title"]) for r in ignored] == [
        ("downloadIgnored", "Mad Max: Fury Road")
    ]
    _, failed = await since(session, radarr, date=start, eventType="4")
    assert [r["id"] for r in failed] == [rows[1]["id"]]
    _, later = await since(session, radarr, date=rows[2]["date"])
    assert [r["eventType"] for r in later] == ["grabbed", "downloadIgnored"]
    status, problem = await since(session, radarr, date=start, eventType="failed")
    assert (status, list(problem["errors"])) == (400, ["eventType"])

    # Deleting a movie deletes its history.
    radarr.delete_movie(MOVIES["the_matrix"])
    _, rows = await since(session, radarr)
    assert {r["movieId"] for r in rows} == {80}
    _, paged = await get_json(session, f"{radarr.url}/api/v3/history", headers=headers)
    assert paged["totalRecords"] == 2


async def test_sonarr_history_rows_per_episode(
    clock: SimClock, sonarr: SonarrServer, session: aiohttp.ClientSession
) -> None:
    start = iso_seconds(clock.wall_now())
    pack, breaking_bad = RELEASES["lycoris_recoil_s01"], RELEASES["breaking_bad_s01"]
    single = RELEASES["severance_s02e01"]
    for key, season in (("lycoris_recoil", 1), ("breaking_bad", 1), ("severance", 2)):
        sonarr.add_series(SERIES[key], [season])
    sonarr.grab(pack, PACK_HASH, 100)
    sonarr.grab(breaking_bad, HASH, 100)
    sonarr.grab(single, "0" * 40, 500)
    clock.advance(110)
    sonarr.import_download(pack)
    sonarr.fail_download(breaking_bad)
    sonarr.process_failed(breaking_bad)
    sonarr.ignore_download(single)

    _, imported = await since(
        session,
        sonarr,
        date=start,
        eventType="downloadFolderImported",
        includeSeries="true",
        includeEpisode="true",
    )
    assert [r["episode"]["episodeNumber"] for r in imported] == list(range(1, 14))
    first = imported[0]
    assert first["series"]["title"] == "Lycoris Recoil"
    # Sonarr's source title is the file's scene name (or name), not the pack's.
    assert first["sourceTitle"] == (
        "[FLE] Lycoris Recoil - S01E01 REPACK (BD 1080p HEVC x265 Opus) [Dual Audio]"
    )
    data = first["data"]
    assert data["droppedPath"].startswith(f"/data/downloads/complete/{pack.name}/")
    assert data["importedPath"].startswith("/data/anime/shows/Lycoris Recoil/")
    assert (data["downloadClient"], data["releaseType"]) == (
        "qBittorrent",
        "SeasonPack",
    )
    _, grabbed = await since(session, sonarr, date=start, eventType="grabbed")
    assert len(grabbed) == 13 + 7 + 1
    assert {"tvdbId", "tvRageId", "seriesMatchType", "releaseType"} <= set(
        grabbed[0]["data"]
    )
    assert "indexerId" not in grabbed[0]["data"]  # Radarr only
    _, failed = await since(session, sonarr, date=start, eventType="downloadFailed")
    assert [r["episodeId"] for r in failed] == list(range(1001, 1008))
    assert set(failed[0]["data"]) == {
        "downloadClient",
        "downloadClientName",
        "message",
        "releaseGroup",
        "size",
    }
    _, ignored = await since(session, sonarr, date=start, eventType="downloadIgnored")
    (row,) = ignored
    assert (row["episodeId"], row["data"]["releaseType"]) == (2101, "SingleEpisode")


async def test_arr_command(
    radarr: RadarrServer, sonarr: SonarrServer, session: aiohttp.ClientSession
) -> None:
    async with session.post(
        f"{radarr.url}/api/v3/command",
        headers={"X-Api-Key": "radarr-key"},
        json={"name": "MoviesSearch", "movieIds": [52]},
    ) as response:
        assert response.status == 201
        command = await response.json()
    assert (command["name"], command["commandName"], command["status"]) == (
        "MoviesSearch",
        "Movies Search",
        "queued",
    )
    assert command["body"]["movieIds"] == [52]
    async with session.post(
        f"{sonarr.url}/api/v3/command",
        headers={"X-Api-Key": "sonarr-key"},
        json={"name": "SeasonSearch", "seriesId": 23, "seasonNumber": 1},
    ) as response:
        assert response.status == 201
    assert sonarr.command_log[0]["body"]["seasonNumber"] == 1


async def test_arr_connection_is_tested_on_save(
    radarr: RadarrServer, capture: Capture, session: aiohttp.ClientSession
) -> None:
    headers = {"X-Api-Key": "radarr-key"}
    url = f"{radarr.url}/api/v3/notification"
    resource = {
        "name": "Home Assistant",
        "implementation": "Webhook",
        "implementationName": "Webhook",
        "configContract": "WebhookSettings",
        "tags": [],
        "onGrab": True,
        "onDownload": True,
        "fields": [
            {"name": "url", "value": capture.url()},
            {"name": "method", "value": 1},
            {"name": "username", "value": ""},
            {"name": "password", "value": "secret"},
            {"name": "headers", "value": [{"key": "X-Token", "value": "t"}]},
        ],
    }
    capture.status = 500
    async with session.post(
        url, headers=headers, json=resource, params={"forceSave": "true"}
    ) as r:
        assert r.status == 400  # forceSave does not skip the test on POST
        (failure,) = await r.json()
    assert failure["propertyName"] == "Url"
    assert capture.events() == ["Test"]
    assert capture.requests[0]["headers"]["X-Token"] == "t"
    assert capture.requests[0]["headers"]["Authorization"].startswith("Basic ")

    capture.status = 200
    async with session.post(url, headers=headers, json=resource) as r:
        assert r.status == 201
        created = await r.json()
    assert created["fields"][3]["value"] == "********"
    assert capture.events() == ["Test", "Test"]

    # An unchanged PUT (password sent back masked) and a forced PUT skip the test.
    async with session.put(
        f"{url}/{created['id']}", headers=headers, json=created
    ) as r:
        assert r.status == 202
    changed = {**created, "onMovieAdded": True}
    async with session.put(
        f"{url}/{created['id']}",
        headers=headers,
        json=changed,
        params={"forceSave": "true"},
    ) as r:
        assert r.status == 202
    assert len(capture.requests) == 2
    assert radarr.connections[created["id"]].field_value("password") == "secret"

    # A disabled connection is saved without a test.
    disabled = {**resource, "onGrab": False, "onDownload": False}
    async with session.post(url, headers=headers, json=disabled) as r:
        assert r.status == 201
    assert len(capture.requests) == 2

    radarr.add_movie(MOVIES["dune_part_two"])
    await radarr.emit("onGrab", radarr.grab(RELEASES["dune_part_two_bluray"], HASH, 50))
    assert capture.events()[-1] == "Grab"
    async with session.delete(f"{url}/{created['id']}", headers=headers) as r:
        assert r.status == 200
    _, remaining = await get_json(session, url, headers=headers)
    assert [c["onGrab"] for c in remaining] == [False]


# --- availability, searches, health, disk space, pending releases ------------------


def midnight_after(clock: SimClock, days: int) -> str:
    """A date `days` after the clock's start date, as Radarr's REST dates."""
    return f"{(clock.start + timedelta(days=days)).date()}T00:00:00Z"


async def test_radarr_movie_availability_and_last_search(
    clock: SimClock, radarr: RadarrServer, session: aiohttp.ClientSession
) -> None:
    headers = {"X-Api-Key": "radarr-key"}
    url = f"{radarr.url}/api/v3/movie"
    added = radarr.add_movie(MOVIES["dune_part_three"])
    assert added is not None
    # The webhook's releaseDate is the physical release (`PhysicalReleaseDate()`).
    assert added["movie"]["releaseDate"] == midnight_after(clock, 40)[:10]
    _, (movie,) = await get_json(
        session, url, headers=headers, params={"tmdbId": "1170608"}
    )
    assert (
        movie["status"],
        movie["minimumAvailability"],
        movie["isAvailable"],
    ) == ("inCinemas", "released", False)
    assert (movie["inCinemas"], movie["digitalRelease"], movie["physicalRelease"]) == (
        midnight_after(clock, -30),
        midnight_after(clock, 20),
        midnight_after(clock, 40),
    )
    assert movie["releaseDate"] == movie["digitalRelease"]  # the earlier home release
    # Not available: the search on add skips it, so no search reached the indexers.
    assert "lastSearchTime" not in movie

    # A released movie is searched on add; it has no cinema or digital date.
    radarr.add_movie(MOVIES["dune_part_two"])
    _, dune_two = await get_json(session, f"{url}/71", headers=headers)
    assert (dune_two["status"], dune_two["isAvailable"]) == ("released", True)
    assert dune_two["physicalRelease"] == "2024-05-14T00:00:00Z"
    assert {"inCinemas", "digitalRelease"}.isdisjoint(dune_two)
    assert dune_two["lastSearchTime"] == iso_seconds(clock.wall_now())

    # A user's MoviesSearch searches it anyway.
    clock.advance(60)
    async with session.post(
        f"{radarr.url}/api/v3/command",
        headers=headers,
        json={"name": "MoviesSearch", "movieIds": [83]},
    ) as response:
        assert response.status == 201
    _, movie = await get_json(session, f"{url}/83", headers=headers)
    assert movie["lastSearchTime"] == iso_seconds(clock.wall_now())
    assert movie["isAvailable"] is False

    digital = datetime.fromisoformat(movie["digitalRelease"])
    clock.advance((digital - clock.wall_now()).total_seconds() - 1)
    _, movie = await get_json(session, f"{url}/83", headers=headers)
    assert (movie["status"], movie["isAvailable"]) == ("inCinemas", False)
    clock.advance(1)  # the digital release
    _, movie = await get_json(session, f"{url}/83", headers=headers)
    assert (movie["status"], movie["isAvailable"]) == ("released", True)


async def test_sonarr_episode_last_search_time(
    clock: SimClock, sonarr: SonarrServer, session: aiohttp.ClientSession
) -> None:
    headers = {"X-Api-Key": "sonarr-key"}
    sonarr.add_series(SERIES["severance"], [2])
    added = iso_seconds(clock.wall_now())

    async def searched() -> dict[int, str | None]:
        _, episodes = await get_json(
            session,
            f"{sonarr.url}/api/v3/episode",
            headers=headers,
            params={"seriesId": "32"},
        )
        return {e["episodeNumber"]: e.get("lastSearchTime") for e in episodes}

    # The missing-episode search on add: the three aired episodes only.
    assert await searched() == {
        1: added,
        2: added,
        3: added,
        **dict.fromkeys(range(4, 11)),
    }
    clock.advance(400)  # episode 4 aired at 300 s
    async with session.post(
        f"{sonarr.url}/api/v3/command",
        headers=headers,
        json={"name": "EpisodeSearch", "episodeIds": [2104]},
    ) as response:
        assert response.status == 201
    assert (await searched())[4] == iso_seconds(clock.wall_now())
    assert (await searched())[5] is None


async def test_arr_disk_space(
    radarr: RadarrServer, sonarr: SonarrServer, session: aiohttp.ClientSession
) -> None:
    for arr in (radarr, sonarr):
        _, disks = await get_json(
            session, f"{arr.url}/api/v3/diskspace", headers={"X-Api-Key": arr.api_key}
        )
        assert [d["path"] for d in disks] == ["/config", "/data"]
        assert all(
            set(d) == {"path", "label", "freeSpace", "totalSpace"} for d in disks
        )
        assert all(0 < d["freeSpace"] < d["totalSpace"] for d in disks)


def health_connection(url: str, **flags: bool) -> dict[str, Any]:
    """A Webhook connection with only the given `on*`/health flags on."""
    return {
        "name": url,
        "implementation": "Webhook",
        "implementationName": "Webhook",
        "configContract": "WebhookSettings",
        "tags": [],
        **flags,
        "fields": [{"name": "url", "value": url}, {"name": "method", "value": 1}],
    }


async def test_arr_health_checks_and_webhooks(
    clock: SimClock,
    radarr: RadarrServer,
    capture: Capture,
    session: aiohttp.ClientSession,
) -> None:
    headers = {"X-Api-Key": "radarr-key"}
    connections = {
        "/errors": {"onHealthIssue": True, "onHealthRestored": True},
        "/warnings": {
            "onHealthIssue": True,
            "includeHealthWarnings": True,
            "onHealthRestored": True,
        },
        "/issues-only": {"onHealthIssue": True, "includeHealthWarnings": False},
        "/grabs": {"onGrab": True},
    }
    for path, flags in connections.items():
        async with session.post(
            f"{radarr.url}/api/v3/notification",
            headers=headers,
            json=health_connection(capture.url(path), **flags),
        ) as response:
            assert response.status == 201
    _, stored = await get_json(
        session, f"{radarr.url}/api/v3/notification", headers=headers
    )
    assert [c.get("includeHealthWarnings", False) for c in stored] == [
        False,
        True,
        False,
        False,
    ]
    capture.requests.clear()  # the Test events

    def received() -> list[tuple[str, str, str]]:
        return [
            (r["path"], r["json"]["eventType"], r["json"]["type"])
            for r in capture.requests
        ]

    # Inside the start-up grace: listed at once, no webhook.
    assert await radarr.fail_health("DownloadClientCheck", "error", "Unable.") == []
    _, health = await get_json(session, f"{radarr.url}/api/v3/health", headers=headers)
    assert health == [
        {
            "source": "DownloadClientCheck",
            "type": "error",
            "message": "Unable.",
            "wikiUrl": "https://wiki.servarr.com/radarr/system"
            "#unable-to-communicate-with-download-client",
        }
    ]
    clock.advance(899)
    assert await radarr.health_tick() == []
    assert radarr.in_health_grace
    clock.advance(1)
    # The grace is over: the check still failing is announced.
    await radarr.health_tick()
    assert not radarr.in_health_grace
    assert received() == [
        ("/errors", "Health", "DownloadClientCheck"),
        ("/warnings", "Health", "DownloadClientCheck"),
        ("/issues-only", "Health", "DownloadClientCheck"),
    ]
    assert capture.requests[0]["json"] == {
        "level": "error",
        "message": "Unable.",
        "type": "DownloadClientCheck",
        "wikiUrl": health[0]["wikiUrl"],
        "eventType": "Health",
        "instanceName": "Radarr",
        "applicationUrl": "",
    }
    assert await radarr.health_tick() == []  # once only

    # Still failing with another message: stored, nothing sent.
    message = (
        "Unable to communicate with qBittorrent. "
        "Failed to connect to qBittorrent, please check your settings."
    )
    assert await radarr.fail_health("DownloadClientCheck", "error", message) == []
    _, health = await get_json(session, f"{radarr.url}/api/v3/health", headers=headers)
    assert [h["message"] for h in health] == [message]

    # A warning reaches only the connections that include warnings; a notice none.
    capture.requests.clear()
    indexers = "Indexers unavailable due to failures: 1337x (Prowlarr)"
    await radarr.fail_health("IndexerStatusCheck", "warning", indexers)
    assert await radarr.fail_health("ImportMechanismCheck", "notice", "Note.") == []
    assert received() == [("/warnings", "Health", "IndexerStatusCheck")]
    assert capture.requests[0]["json"]["wikiUrl"].endswith(
        "#indexers-are-unavailable-due-to-failures"
    )
    _, health = await get_json(session, f"{radarr.url}/api/v3/health", headers=headers)
    assert [(h["source"], h["type"]) for h in health] == [
        ("DownloadClientCheck", "error"),
        ("IndexerStatusCheck", "warning"),
        ("ImportMechanismCheck", "notice"),
    ]
    # Without a fragment of its own, the wiki link comes from the message.
    assert health[2]["wikiUrl"] == "https://wiki.servarr.com/radarr/system#note"

    # Restored: the previous check comes back, without applicationUrl.
    capture.requests.clear()
    await radarr.restore_health("DownloadClientCheck")
    await radarr.restore_health("IndexerStatusCheck")
    await radarr.restore_health("ImportMechanismCheck")
    assert await radarr.restore_health("DownloadClientCheck") == []  # not failing
    assert received() == [
        ("/errors", "HealthRestored", "DownloadClientCheck"),
        ("/warnings", "HealthRestored", "DownloadClientCheck"),
        ("/warnings", "HealthRestored", "IndexerStatusCheck"),
    ]
    assert capture.requests[0]["json"] == {
        "level": "error",
        "message": message,
        "type": "DownloadClientCheck",
        "wikiUrl": health[0]["wikiUrl"],
        "eventType": "HealthRestored",
        "instanceName": "Radarr",
    }
    _, health = await get_json(session, f"{radarr.url}/api/v3/health", headers=headers)
    assert health == []


async def test_sonarr_health_grace_and_payload(
    clock: SimClock,
    qbit: QBittorrentServer,
    sender: WebhookSender,
    capture: Capture,
) -> None:
    sonarr = await started(SonarrServer(clock, qbit, sender, "sonarr-key"))
    try:
        sonarr.set_webhook_target(WebhookTarget(capture.url()))
        # Failing and restored within the grace: nothing is ever sent.
        await sonarr.fail_health("DownloadClientCheck", "error", "Down.")
        await sonarr.restore_health("DownloadClientCheck")
        clock.advance(900)
        await sonarr.health_tick()
        assert capture.requests == []
        await sonarr.fail_health("DownloadClientCheck", "error", "Down.")
        await sonarr.restore_health("DownloadClientCheck")
    finally:
        await sonarr.stop()
    health, restored = (r["json"] for r in capture.requests)
    # Sonarr sets applicationUrl in neither payload.
    assert health == {
        "level": "error",
        "message": "Down.",
        "type": "DownloadClientCheck",
        "wikiUrl": "https://wiki.servarr.com/sonarr/system"
        "#unable-to-communicate-with-download-client",
        "eventType": "Health",
        "instanceName": "Sonarr",
    }
    assert restored == {**health, "eventType": "HealthRestored"}


async def test_pending_releases_in_the_queue(
    clock: SimClock,
    radarr: RadarrServer,
    sonarr: SonarrServer,
    qbit: QBittorrentServer,
    session: aiohttp.ClientSession,
) -> None:
    pack = RELEASES["the_bear_s01"]
    sonarr.add_series(SERIES["the_bear"], [1])
    sonarr.hold(pack, 240, 120)
    queue_url = f"{sonarr.url}/api/v3/queue"
    params = {"pageSize": "20", "includeEpisode": "true"}
    headers = {"X-Api-Key": "sonarr-key"}
    clock.advance(100)
    _, queue = await get_json(session, queue_url, headers=headers, params=params)
    assert queue["totalRecords"] == 8  # one record per episode
    record = min(queue["records"], key=lambda r: r["episodeId"])
    assert record["id"] == stable_id("pending-1-ep5001")
    assert (record["seriesId"], record["episodeId"], record["seasonNumber"]) == (
        35,
        5001,
        1,
    )
    assert record["episode"]["title"] == "System"
    assert record["status"] == "delay"
    assert record["estimatedCompletionTime"] == iso_seconds(clock.datetime_at(240))
    assert record["timeleft"] == "00:02:20"
    assert record["sizeleft"] == record["size"] == pack.size
    assert record["title"] == pack.name
    assert {
        "downloadId",
        "trackedDownloadState",
        "trackedDownloadStatus",
        "outputPath",
    }.isdisjoint(record)
    assert qbit.status(PACK_HASH) is None  # qBittorrent has not seen it

    # The delay is over but qBittorrent is away: it waits for the next RSS sync.
    clock.advance(140)
    qbit.answer_unavailable()
    assert sonarr.send_pending(pack, PACK_HASH) is None
    _, queue = await get_json(session, queue_url, headers=headers, params=params)
    assert {r["status"] for r in queue["records"]} == {"downloadClientUnavailable"}
    retry = clock.wall_now() + timedelta(minutes=15)
    assert queue["records"][0]["estimatedCompletionTime"] == iso_seconds(retry)
    qbit.answer_unavailable(False)
    grab = sonarr.send_pending(pack, PACK_HASH)
    assert grab is not None
    assert (grab["eventType"], grab["downloadId"]) == ("Grab", PACK_HASH.upper())
    clock.advance(30)
    _, queue = await get_json(session, queue_url, headers=headers, params=params)
    assert queue["totalRecords"] == 8
    assert {(r["status"], r["downloadId"]) for r in queue["records"]} == {
        ("downloading", PACK_HASH.upper())
    }

    # Radarr: one record per movie, its id from the pending release and the movie.
    radarr.add_movie(MOVIES["everything_everywhere"])
    radarr.hold(RELEASES["everything_everywhere_bluray"], 600, 100)
    _, queue = await get_json(
        session,
        f"{radarr.url}/api/v3/queue",
        headers={"X-Api-Key": "radarr-key"},
        params={"includeMovie": "true"},
    )
    (record,) = queue["records"]
    assert (record["id"], record["movieId"], record["status"]) == (
        stable_id("pending-1-movie84"),
        84,
        "delay",
    )
    assert record["movie"]["title"] == "Everything Everywhere All at Once"
    assert record["timeleft"] == "00:10:00"
    assert "downloadId" not in record
    radarr.delete_movie(MOVIES["everything_everywhere"])
    assert radarr.pending == {}  # gone with the movie


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait (up to 5 s) for scenarios playing in the background to get somewhere."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the scenario did not get there")


async def test_delay_profile_scenario_sends_the_grab_when_the_delay_ends(
    capture: Capture, session: aiohttp.ClientSession
) -> None:
    async with SimulatedStack(speed=0) as stack:
        stack.set_webhook_target("sonarr", capture.url())
        stack.play([SCENARIOS["delay_profile"]])
        stack.clock.advance(20)
        await eventually(lambda: "the_bear_s01" in stack.sonarr.pending)
        key = {"X-Api-Key": stack.api_keys[Service.SONARR]}
        queue_url = f"{stack.urls[Service.SONARR]}/api/v3/queue"
        _, queue = await get_json(session, queue_url, headers=key)
        assert {r["status"] for r in queue["records"]} == {"delay"}
        assert capture.events() == ["SeriesAdd"]
        stack.clock.advance(229)  # 249 s: one second before the delay ends
        await asyncio.sleep(0.05)
        assert capture.events() == ["SeriesAdd"]
        stack.clock.advance(1)
        await eventually(lambda: "Grab" in capture.events())
        assert stack.sonarr.pending == {}
        stack.clock.advance(200)
        await asyncio.wait_for(stack.finished(), 5)
        request = stack.player.request_of("the_bear")
    assert capture.events() == ["SeriesAdd", "Grab", *["Download"] * 9]
    assert request is not None
    assert request.status is RequestStatus.COMPLETED


async def test_an_offered_release_follows_its_grab_to_available(
    capture: Capture, session: aiohttp.ClientSession
) -> None:
    """The stalled torrent scenario: nothing after the stall until the blocklist.

    Once Oppenheimer's dead release is removed with blocklist, Radarr grabs the
    offered one, and its import, library add and availability follow that grab.
    """
    async with SimulatedStack(speed=0) as stack:
        stack.set_webhook_target("radarr", capture.url())
        stack.play([SCENARIOS["stalled_torrent"]])
        stack.clock.advance(1000)
        await asyncio.wait_for(stack.finished(), 5)
        assert capture.events() == ["MovieAdded", "Grab"]
        key = {"X-Api-Key": stack.api_keys[Service.RADARR]}
        radarr = stack.urls[Service.RADARR]
        _, queue = await get_json(session, f"{radarr}/api/v3/queue", headers=key)
        async with session.delete(
            f"{radarr}/api/v3/queue/bulk",
            headers=key,
            params={"blocklist": "true"},
            json={"ids": [record["id"] for record in queue["records"]]},
        ) as removed:
            assert removed.status == 200
        assert capture.events()[-1] == "Grab"
        stack.clock.advance(149)
        await eventually(lambda: capture.events()[-1] == "Download")
        request = stack.player.request_of("oppenheimer")
        assert request is not None
        assert request.status is not RequestStatus.COMPLETED
        stack.clock.advance(1)
        await eventually(lambda: request.status is RequestStatus.COMPLETED)


async def test_unreleased_movie_scenario(session: aiohttp.ClientSession) -> None:
    async with SimulatedStack(speed=0) as stack:
        await apply_steps(stack, SCENARIOS["unreleased_movie"].steps)
        _, movie = await get_json(
            session,
            f"{stack.urls[Service.RADARR]}/api/v3/movie/83",
            headers={"X-Api-Key": stack.api_keys[Service.RADARR]},
        )
        assert (movie["isAvailable"], movie["hasFile"]) == (False, False)
        assert movie["lastSearchTime"] == iso_seconds(stack.clock.datetime_at(60))
        assert [c["name"] for c in stack.radarr.command_log] == ["MoviesSearch"]
        assert stack.radarr.downloads == {}
        assert stack.radarr.pending == {}


async def test_health_outage_scenario_waits_for_the_start_up_grace(
    capture: Capture, session: aiohttp.ClientSession
) -> None:
    async with SimulatedStack(speed=0) as stack:
        stack.set_webhook_target("radarr", capture.url())
        stack.play([SCENARIOS["health_outage"]])
        key = {"X-Api-Key": stack.api_keys[Service.RADARR]}
        health_url = f"{stack.urls[Service.RADARR]}/api/v3/health"
        stack.clock.advance(850)
        await eventually(lambda: bool(stack.radarr.health))
        _, health = await get_json(session, health_url, headers=key)
        assert [h["source"] for h in health] == ["DownloadClientCheck"]
        assert capture.events() == ["MovieAdded", "Grab"]  # inside the grace
        stack.clock.advance(50)
        await eventually(lambda: "Health" in capture.events())
        stack.clock.advance(300)
        await asyncio.wait_for(stack.finished(), 5)
        _, health = await get_json(session, health_url, headers=key)
    assert health == []
    assert capture.events() == [
        "MovieAdded",
        "Grab",
        "Health",
        "HealthRestored",
        "Download",
    ]
    assert (
        capture.requests[3]["json"]["message"] == capture.requests[2]["json"]["message"]
    )


# --- Jellyseerr --------------------------------------------------------------------


@pytest.fixture
async def jellyseerr(
    clock: SimClock, sender: WebhookSender
) -> AsyncIterator[JellyseerrServer]:
    server = JellyseerrServer(clock, sender, "seerr-key")
    yield await started(server)
    await server.stop()


async def test_jellyseerr_users_page_by_page(
    jellyseerr: JellyseerrServer,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The client reads every page of a household larger than one page."""
    for user_id in range(10, 160):
        monkeypatch.setitem(USERS, user_id, User(user_id, f"guest{user_id}"))
    client = JellyseerrClient(session, jellyseerr.url, "seerr-key")
    names = await client.async_get_user_names()
    assert len(names) == 153
    assert names[:4] == ["admin", "alice", "bob", "guest10"]


async def test_jellyseerr_auth_and_requests(
    jellyseerr: JellyseerrServer, session: aiohttp.ClientSession
) -> None:
    base = f"{jellyseerr.url}/api/v1"
    status, body = await get_json(session, f"{base}/status")
    assert status == 200
    assert body["version"] == "2.7.3"
    status, body = await get_json(session, f"{base}/auth/me")
    assert status == 403
    assert body == {
        "status": 403,
        "error": "You do not have permission to access this endpoint",
    }
    headers = {"X-Api-Key": "seerr-key"}
    _, me = await get_json(session, f"{base}/auth/me", headers=headers)
    assert (me["id"], me["displayName"]) == (1, "admin")

    alice, bob = USERS[2], USERS[3]
    movie = jellyseerr.create_request(MOVIES["dune_part_two"], alice, (), approved=True)
    show = jellyseerr.create_request(SERIES["breaking_bad"], bob, (1,), approved=False)
    done = jellyseerr.create_request(MOVIES["inception"], alice, (), approved=True)
    jellyseerr.mark_available(MOVIES["inception"], "abc")
    _, page = await get_json(session, f"{base}/request", headers=headers)
    assert page["pageInfo"] == {"pages": 1, "pageSize": 10, "results": 3, "page": 1}
    assert [r["id"] for r in page["results"]] == [done.id, show.id, movie.id]
    first = page["results"][2]
    assert (first["status"], first["type"], first["media"]["tmdbId"]) == (
        2,
        "movie",
        693134,
    )
    assert first["media"]["externalServiceId"] == 71
    assert first["requestedBy"]["displayName"] == "alice"

    async def ids(**params: str) -> list[int]:
        _, body = await get_json(
            session, f"{base}/request", headers=headers, params=params
        )
        return [r["id"] for r in body["results"]]

    assert await ids(filter="pending") == [show.id]
    assert await ids(filter="available") == [done.id]
    assert await ids(filter="processing") == [movie.id]
    assert await ids(mediaType="tv") == [show.id]
    assert await ids(requestedBy="2", sortDirection="asc") == [movie.id, done.id]
    assert await ids(take="1", skip="1") == [show.id]
    _, tv = await get_json(session, f"{base}/request/{show.id}", headers=headers)
    assert tv["seasons"][0]["seasonNumber"] == 1
    assert tv["media"]["tvdbId"] == 81189
    status, missing = await get_json(session, f"{base}/request/999", headers=headers)
    assert (status, missing) == (404, {"message": "Request not found."})


@pytest.mark.parametrize(
    ("version", "proxy", "wrong_route"),
    [("2.7.3", "/imageproxy/tmdb", 400), ("2.5.2", "/imageproxy", 500)],
)
async def test_jellyseerr_public_settings_and_image_proxy(
    clock: SimClock,
    sender: WebhookSender,
    session: aiohttp.ClientSession,
    version: str,
    proxy: str,
    wrong_route: int,
) -> None:
    """No API key for either; the image proxy's route by version (addendum §3).

    The other version's route is no 404: Seerr 2.6+ answers 400 for an unknown
    image source, older versions ask TMDB for `tmdb/…` and answer 500.
    """
    server = await started(
        JellyseerrServer(clock, sender, "seerr-key", version=version)
    )
    try:
        status, settings = await get_json(
            session, f"{server.url}/api/v1/settings/public"
        )
        assert (status, settings["applicationTitle"]) == (200, "Kingsley Family Cinema")
        poster = f"/t/p/w300_and_h450_bestv2{MOVIES['dune_part_two'].poster}"
        async with session.get(f"{server.url}{proxy}{poster}") as response:
            assert response.status == 200
            assert response.content_type == "image/png"
            assert (await response.read()).startswith(b"\x89PNG\r\n\x1a\n")
        other = "/imageproxy" if proxy != "/imageproxy" else "/imageproxy/tmdb"
        async with session.get(f"{server.url}{other}{poster}") as response:
            assert response.status == wrong_route
        async with session.get(f"{server.url}{proxy}/t/p/w300/unknown.jpg") as response:
            assert response.status == 500  # TMDB does not know it
    finally:
        await server.stop()


async def test_jellyseerr_webhook_settings_and_template(
    jellyseerr: JellyseerrServer, capture: Capture, session: aiohttp.ClientSession
) -> None:
    url = f"{jellyseerr.url}/api/v1/settings/notifications/webhook"
    headers = {"X-Api-Key": "seerr-key"}
    as_alice = {**headers, "X-API-User": "2"}
    assert (await get_json(session, url, headers=as_alice))[0] == 403  # admins only
    _, settings = await get_json(session, url, headers=headers)
    template = settings["options"]["jsonPayload"]
    assert isinstance(template, str)
    assert json.loads(template)["{{extra}}"] == []

    body: dict[str, Any] = {
        "enabled": True,
        "types": 222,
        "options": {
            "webhookUrl": capture.url(),
            "jsonPayload": json.dumps(template),  # a JSON string literal of the text
            "authHeader": "Bearer secret",
        },
    }
    async with session.post(f"{url}/test", headers=headers, json=body) as response:
        assert response.status == 204
    test = capture.requests[-1]
    assert test["headers"]["Authorization"] == "Bearer secret"
    assert test["json"] == {
        "notification_type": "TEST_NOTIFICATION",
        "event": "",
        "subject": "Test Notification",
        "message": "Check check, 1, 2, 3. Are we coming in clear?",
        "image": "",
        "media": None,
        "request": None,
        "issue": None,
        "comment": None,
        "extra": [],
    }
    # The raw template (not a string literal) passes validation but cannot render.
    raw = {**body, "options": {**body["options"], "jsonPayload": template}}
    async with session.post(f"{url}/test", headers=headers, json=raw) as response:
        assert response.status == 500
    async with session.post(url, headers=headers, json=raw) as response:
        assert response.status == 200  # JSON.parse accepts it…
    request = jellyseerr.create_request(MOVIES["arrival"], USERS[2], (), approved=True)
    assert await jellyseerr.notify("MEDIA_AUTO_APPROVED", request) is None  # …lost
    async with session.post(url, headers=headers, json=body) as response:
        assert response.status == 200

    request = jellyseerr.create_request(
        SERIES["lycoris_recoil"], USERS[2], (1,), approved=True
    )
    assert capture.events("notification_type") == ["TEST_NOTIFICATION"]
    await jellyseerr.notify("MEDIA_AUTO_APPROVED", request)
    sent = capture.requests[-1]["json"]
    assert sent["notification_type"] == "MEDIA_AUTO_APPROVED"
    assert sent["event"] == "Series Request Automatically Approved"
    assert sent["subject"] == "Lycoris Recoil (2022)"
    assert sent["media"] == {
        "media_type": "tv",
        "tmdbId": "154494",
        "tvdbId": "414057",
        "status": "PENDING",
        "status4k": "UNKNOWN",
    }
    assert sent["request"]["request_id"] == str(request.id)
    assert sent["request"]["requestedBy_username"] == "alice"
    assert sent["extra"] == [{"name": "Requested Seasons", "value": "1"}]
    assert sent["issue"] is None
    # Only the selected types are sent (8: MEDIA_AVAILABLE alone).
    jellyseerr.webhook["types"] = 8
    assert await jellyseerr.notify("MEDIA_AUTO_APPROVED", request) is None


async def apply_steps(stack: SimulatedStack, steps: Iterable[Step]) -> None:
    """Play steps in order, moving the stack's manual clock to each one."""
    for step in steps:
        stack.clock.advance(max(0.0, step.at - stack.clock.now()))
        await stack.player.apply(step)


async def seerr_get(
    session: aiohttp.ClientSession, stack: SimulatedStack, path: str, **params: str
) -> tuple[int, Any]:
    """A Jellyseerr REST call with the stack's API key."""
    return await get_json(
        session,
        f"{stack.urls[Service.JELLYSEERR]}/api/v1{path}",
        headers={"X-Api-Key": stack.api_keys[Service.JELLYSEERR]},
        params=params,
    )


def season_statuses(body: dict[str, Any]) -> dict[int, int]:
    """`seasonNumber` -> `status` of a request's or a media's seasons."""
    return {season["seasonNumber"]: season["status"] for season in body["seasons"]}


async def test_seerr_seasons_become_available_one_by_one(
    capture: Capture, session: aiohttp.ClientSession
) -> None:
    steps = SCENARIOS["partial_seasons"].steps
    async with SimulatedStack(speed=0) as stack:
        stack.set_webhook_target("jellyseerr", capture.url())
        await apply_steps(stack, [s for s in steps if s.at <= 180])
        _, page = await seerr_get(session, stack, "/request")
        (request,) = page["results"]
        # Season 2 is in Jellyfin: its season request completes, the request waits.
        assert (request["status"], season_statuses(request)) == (2, {2: 5, 3: 2})
        media = request["media"]
        assert (media["status"], season_statuses(media)) == (4, {2: 5, 3: 3})
        assert capture.events("notification_type") == ["MEDIA_AUTO_APPROVED"]

        await apply_steps(stack, [s for s in steps if s.at > 180])
        _, request = await seerr_get(session, stack, f"/request/{request['id']}")
    assert (request["status"], season_statuses(request)) == (5, {2: 5, 3: 5})
    # Seasons 1, 4 and 5 were never asked for: the show stays partially available.
    media = request["media"]
    assert (media["status"], season_statuses(media)) == (4, {2: 5, 3: 5})
    assert capture.events("notification_type") == [
        "MEDIA_AUTO_APPROVED",
        "MEDIA_AVAILABLE",
    ]
    available = capture.requests[-1]["json"]
    assert available["media"]["status"] == "PARTIALLY_AVAILABLE"
    assert available["extra"] == [{"name": "Requested Seasons", "value": "2, 3"}]


async def test_seerr_before_2_6_never_completes(
    clock: SimClock, sender: WebhookSender, session: aiohttp.ClientSession
) -> None:
    server = await started(
        JellyseerrServer(clock, sender, "seerr-key", version="2.5.2")
    )
    headers = {"X-Api-Key": "seerr-key"}
    base = f"{server.url}/api/v1"
    try:
        _, status = await get_json(session, f"{base}/status")
        assert (status["version"], status["commitTag"]) == ("2.5.2", "v2.5.2")
        dune = MOVIES["dune_part_two"]
        first = server.create_request(dune, USERS[2], (), approved=True)
        second = server.create_request(dune, USERS[3], (), approved=False)
        # The movie turning available is announced to every request not declined.
        assert server.mark_available(dune, "abc") == [first, second]
        assert server.mark_available(dune, "abc") == []
        luther = SERIES["luther"]
        show = server.create_request(luther, USERS[2], (2, 3), approved=True)
        assert server.mark_available(luther, "def", {2: 4}) == []
        assert server.mark_available(luther, "def", {2: 4, 3: 4}) == [show]
        _, body = await get_json(session, f"{base}/request/{show.id}", headers=headers)
        assert (body["status"], season_statuses(body)) == (2, {2: 2, 3: 2})
        assert body["media"]["status"] == 4
        # No DELETED either: a lost movie is UNKNOWN again and its requests go.
        server.mark_deleted(dune)
        status_code, _ = await get_json(
            session, f"{base}/request/{first.id}", headers=headers
        )
        assert status_code == 404
        assert server.media_entries["dune_part_two"].status is MediaStatus.UNKNOWN
    finally:
        await server.stop()


async def test_seerr_deleted_title_completes_approved_requests(
    jellyseerr: JellyseerrServer, session: aiohttp.ClientSession
) -> None:
    movie = jellyseerr.create_request(MOVIES["arrival"], USERS[2], (), approved=True)
    jellyseerr.mark_deleted(MOVIES["arrival"])
    # A season with some episodes completes nothing until it is lost (DELETED).
    show = jellyseerr.create_request(SERIES["luther"], USERS[2], (2,), approved=True)
    assert jellyseerr.mark_available(SERIES["luther"], "abc", {2: 1}) == []
    assert show.status is RequestStatus.APPROVED
    jellyseerr.mark_deleted(SERIES["luther"])
    _, page = await get_json(
        session,
        f"{jellyseerr.url}/api/v1/request",
        headers={"X-Api-Key": "seerr-key"},
        params={"filter": "deleted", "sortDirection": "asc"},
    )
    assert [(r["id"], r["status"], r["media"]["status"]) for r in page["results"]] == [
        (movie.id, 5, 7),
        (show.id, 5, 7),
    ]
    assert season_statuses(page["results"][1]["media"]) == {2: 7}


async def test_seerr_request_deleted_and_title_blocklisted(
    session: aiohttp.ClientSession,
) -> None:
    steps = SCENARIOS["seerr_housekeeping"].steps
    async with SimulatedStack(speed=0) as stack:
        await apply_steps(stack, [s for s in steps if s.at < 60])
        _, page = await seerr_get(session, stack, "/request", sortDirection="asc")
        whiplash, alien = (r["id"] for r in page["results"])
        await apply_steps(stack, [s for s in steps if s.at >= 60])
        status, body = await seerr_get(session, stack, f"/request/{whiplash}")
        assert (status, body) == (404, {"message": "Request not found."})
        _, page = await seerr_get(session, stack, "/request")
        (kept,) = page["results"]
        assert (kept["id"], kept["status"]) == (alien, 2)
        assert (kept["media"]["status"], kept["media"]["status4k"]) == (6, 6)
        # A title left without requests is UNKNOWN again.
        entry = stack.jellyseerr.media_entries["whiplash"]
        assert entry.status is MediaStatus.UNKNOWN


# --- Jellyfin ----------------------------------------------------------------------

TOKEN = {"Authorization": 'MediaBrowser Client="tests", Token="jf-key"'}


@pytest.fixture
async def jellyfin(
    clock: SimClock, sender: WebhookSender
) -> AsyncIterator[JellyfinServer]:
    server = JellyfinServer(clock, sender, "jf-key", "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99")
    yield await started(server)
    await server.stop()


async def test_jellyfin_auth(
    jellyfin: JellyfinServer, session: aiohttp.ClientSession
) -> None:
    status, public = await get_json(session, f"{jellyfin.url}/System/Info/Public")
    assert status == 200
    assert (public["Version"], public["Id"]) == ("10.11.11", jellyfin.server_id)
    info = f"{jellyfin.url}/System/Info"
    assert (await get_json(session, info))[0] == 401
    assert (await get_json(session, info, headers={"X-Emby-Token": "jf-key"}))[0] == 401
    assert (await get_json(session, info, params={"ApiKey": "jf-key"}))[0] == 200
    status, body = await get_json(session, info, headers=TOKEN)
    assert status == 200
    assert body["ServerName"] == "jellyfin"
    jellyfin.legacy_authorization = True  # 10.11's default still takes X-Emby-Token
    assert (await get_json(session, info, headers={"X-Emby-Token": "jf-key"}))[0] == 200


async def test_jellyfin_items_stubs_and_webhook(
    jellyfin: JellyfinServer, capture: Capture, session: aiohttp.ClientSession
) -> None:
    dune = jellyfin.add_movie(
        MOVIES["dune_part_two"], "/data/movies/Dune - Part Two (2024)/x.mkv"
    )
    jellyfin.add_movie(MOVIES["inception"], "/data/movies/Inception (2010)/y.mkv")
    items = f"{jellyfin.url}/Items"
    query = {
        "Recursive": "true",
        "IncludeItemTypes": "Movie",
        "Fields": "ProviderIds,Path",
    }
    _, body = await get_json(session, items, headers=TOKEN, params=query)
    assert body["TotalRecordCount"] == 2
    found = next(i for i in body["Items"] if i["Id"] == dune.id)
    assert found["ProviderIds"] == {"Tmdb": "693134", "Imdb": "tt15239678"}
    assert (found["LocationType"], found["Path"]) == ("FileSystem", dune.path)
    # No such filter in Jellyfin: ignored, the whole list comes back.
    _, unfiltered = await get_json(
        session,
        items,
        headers=TOKEN,
        params={**query, "AnyProviderIdEquals": "tmdb.693134"},
    )
    assert unfiltered["TotalRecordCount"] == 2
    _, narrowed = await get_json(
        session,
        items,
        headers=TOKEN,
        params={**query, "Years": "2024", "SearchTerm": "dune"},
    )
    assert [i["Id"] for i in narrowed["Items"]] == [dune.id]
    _, bare = await get_json(
        session, items, headers=TOKEN, params={"recursive": "true", "limit": "1"}
    )
    assert "Path" not in bare["Items"][0]
    assert "ProviderIds" not in bare["Items"][0]

    series = SERIES["severance"]
    files = {(2, n): f"/data/tv/Severance/Season 2/e{n}.mkv" for n in (1, 2, 3)}
    added = jellyfin.add_episodes(series, files)
    assert [i.type for i in added] == ["Series", "Episode", "Episode", "Episode"]
    episodes = f"{jellyfin.url}/Shows/{added[0].id}/Episodes"
    _, all_episodes = await get_json(
        session, episodes, headers=TOKEN, params={"Fields": "Path", "season": "2"}
    )
    stub = all_episodes["Items"][3]
    assert all_episodes["TotalRecordCount"] == 10
    assert stub["LocationType"] == "Virtual"
    assert "Path" not in stub
    _, on_disk = await get_json(
        session, episodes, headers=TOKEN, params={"isMissing": "false"}
    )
    assert on_disk["TotalRecordCount"] == 3
    assert (
        await get_json(session, f"{jellyfin.url}/Shows/nope/Episodes", headers=TOKEN)
    )[0] == 404

    # The stub of episode 4 is replaced by a real item once the file is there.
    (ep4,) = jellyfin.add_episodes(
        series, {(2, 4): "/data/tv/Severance/Season 2/e4.mkv"}
    )
    assert ep4.id != stub["Id"]
    jellyfin.webhook_target = WebhookTarget(capture.url())
    await jellyfin.notify_added([dune, ep4])
    movie, episode = (r["json"] for r in capture.requests)
    assert capture.requests[0]["headers"]["Content-Type"].startswith("text/plain")
    assert (movie["NotificationType"], movie["ItemType"], movie["ItemId"]) == (
        "ItemAdded",
        "Movie",
        dune.id,
    )
    assert movie["Provider_tmdb"] == "693134"
    assert (episode["SeasonNumber"], episode["EpisodeNumber00"]) == (2, "04")
    assert episode["SeriesId"] == added[0].id

    async with session.post(
        f"{jellyfin.url}/Library/Media/Updated",
        headers=TOKEN,
        json={
            "Updates": [
                {"Path": "/data/movies/Dune - Part Two (2024)", "UpdateType": "Created"}
            ]
        },
    ) as response:
        assert response.status == 204
    assert jellyfin.media_updates[0]["UpdateType"] == "Created"


async def test_jellyfin_shokofin_ids_use_the_plugin_keys(
    jellyfin: JellyfinServer, capture: Capture
) -> None:
    """`Provider_<key lower-cased>`, spaces kept: as the plugin sends Shokofin's ids."""
    violet = MOVIES["violet_evergarden_movie"]
    item = jellyfin.add_movie(violet, "/x.mkv", ShokoFileRef(220, 331, 147025))
    jellyfin.webhook_target = WebhookTarget(capture.url())
    await jellyfin.notify_added([item])
    body = capture.requests[0]["json"]
    plugin = load_fixture(
        "jellyfin-webhook/ItemAdded_AnimeMovie_Shokofin_SendAllProperties.json"
    )
    shoko_keys = {key for key in plugin if key.startswith("Provider_shoko ")}
    assert shoko_keys == {key for key in body if key.startswith("Provider_shoko")}
    assert body["Provider_shoko file"] == "220"


# --- Shoko -------------------------------------------------------------------------

SHOKO_KEY = "shoko-key"


@pytest.fixture
async def shoko(clock: SimClock) -> AsyncIterator[ShokoServer]:
    server = ShokoServer(clock, SHOKO_KEY)
    yield await started(server)
    await server.stop()


async def test_shoko_rest(shoko: ShokoServer, session: aiohttp.ClientSession) -> None:
    async with session.post(
        f"{shoko.url}/api/auth", json={"user": "Default", "pass": "", "device": "ha"}
    ) as response:
        assert await response.json() == {"apikey": SHOKO_KEY}
    async with session.post(
        f"{shoko.url}/api/auth", json={"user": "Default", "pass": "x", "device": "ha"}
    ) as response:
        assert response.status == 401
    status, init = await get_json(session, f"{shoko.url}/api/v3/Init/Status")
    assert (status, init["State"]) == (200, "Started")
    assert (await get_json(session, f"{shoko.url}/api/v3/ImportFolder"))[0] == 401
    key = {"apikey": SHOKO_KEY}
    _, folders = await get_json(
        session, f"{shoko.url}/api/v3/ImportFolder", headers=key
    )
    assert [f["Path"] for f in folders] == ["/mnt/anime/shows/", "/mnt/anime/movies/"]

    anime = MOVIES["violet_evergarden_movie"].anime
    assert anime is not None
    radarr_path = "/data/anime/movies/Violet Evergarden - The Movie (2020)/movie.mkv"
    file = await shoko.detect(radarr_path, 1181116032)
    await shoko.hash(file)
    await shoko.match(
        file, anime, anime.anidb_episode_id, anime.shoko_episode_id, 533514
    )
    status, by_path = await get_json(
        session,
        f"{shoko.url}/api/v3/File/PathEndsWith/Violet%20Evergarden%20-%20The%20Movie%20(2020)/movie.mkv",
        params={"apikey": SHOKO_KEY},
    )
    assert status == 200
    (found,) = by_path
    assert found["ID"] == file.id
    assert found["SeriesIDs"][0]["SeriesID"]["ID"] == anime.shoko_series_id
    assert "AbsolutePath" not in found["Locations"][0]
    _, full = await get_json(
        session,
        f"{shoko.url}/api/v3/File/{file.id}",
        headers=key,
        params={"include": "XRefs,AbsolutePaths"},
    )
    assert full["Locations"][0]["AbsolutePath"] == (
        "/mnt/anime/movies/Violet Evergarden - The Movie (2020)/movie.mkv"
    )
    assert full["Size"] == 1181116032
    _, plain = await get_json(
        session, f"{shoko.url}/api/v3/File/{file.id}", headers=key
    )
    assert "SeriesIDs" not in plain
    assert (await get_json(session, f"{shoko.url}/api/v3/File/9999", headers=key))[
        0
    ] == 404


V5_EVENTS = {
    f"ShokoEvent:{name}": name
    for name in (
        "OnConnected",
        "FileDetected",
        "FileHashed",
        "FileMatched",
        "FileNotMatched",
        "SeriesUpdated",
        "MovieUpdated",
    )
}
# Every v5 name too: a v6 server must send none of them.
V6_EVENTS = V5_EVENTS | {
    name: name
    for name in (
        "anidb:connected",
        "file:connected",
        "file:detected",
        "file:hashed",
        "release:connected",
        "release:saved",
        "release:search.completed",
        "metadata:connected",
        "metadata:series.added",
        "metadata:movie.added",
    )
}


class HubClient:
    """A pysignalr client the way the integration uses it, collecting Shoko events."""

    def __init__(
        self,
        url: str,
        events: dict[str, str] | None = None,
        feeds: str = "shoko,file,release,metadata",
        **kwargs: Any,
    ) -> None:
        """Join `feeds`, collect `events` (hub method -> name collected; default v5)."""
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.opened = asyncio.Event()
        self.client = SignalRClient(f"{url}/signalr/aggregate?feeds={feeds}", **kwargs)
        self.client.on_open(self._opened)
        for target, name in (events or V5_EVENTS).items():
            self.client.on(target, self._collector(name))
        self.task = asyncio.create_task(self.client.run())

    async def _opened(self) -> None:
        self.opened.set()

    def _collector(self, name: str) -> Callable[[list[Any]], Awaitable[None]]:
        async def collect(arguments: list[Any]) -> None:
            await self.events.put((name, arguments[0] if arguments else None))

        return collect

    async def next(self) -> tuple[str, Any]:
        """The next event (fails after 5 s)."""
        return await asyncio.wait_for(self.events.get(), 5)

    async def close(self) -> None:
        """Stop the client by cancelling its task: pysignalr has no `close()`."""
        self.task.cancel()
        await asyncio.wait([self.task])


async def test_shoko_signalr_handshake_and_events(shoko: ShokoServer) -> None:
    hub = HubClient(shoko.url, headers={"apikey": SHOKO_KEY}, retry_sleep=0.05)
    try:
        await asyncio.wait_for(hub.opened.wait(), 5)
        assert await hub.next() == ("OnConnected", None)
        anime = SERIES["lycoris_recoil"].anime
        assert anime is not None
        file = await shoko.detect(
            "/data/anime/shows/Lycoris Recoil/Season 1/e1.mkv", 100
        )
        await shoko.hash(file)
        await shoko.match(file, anime, 260001, 501, None)
        assert await hub.next() == (
            "FileDetected",
            {"RelativePath": "Lycoris Recoil/Season 1/e1.mkv", "ImportFolderID": 1},
        )
        name, hashed = await hub.next()
        assert (name, hashed["FileID"], hashed["CrossReferences"]) == (
            "FileHashed",
            file.id,
            [],
        )
        name, matched = await hub.next()
        assert name == "FileMatched"
        # A brand-new series: Shoko ids are null until SeriesUpdated creates it.
        assert matched["CrossReferences"] == [
            {
                "EpisodeID": None,
                "AnidbEpisodeID": 260001,
                "SeriesID": None,
                "AnidbAnimeID": anime.anidb_id,
                "GroupID": None,
            }
        ]
        assert [(await hub.next())[1]["Source"] for _ in range(2)] == ["AniDB", "Shoko"]

        # A dropped connection: the stale id gets 404, the client negotiates again.
        await shoko.hub.drop_connections()
        hub.opened.clear()
        await asyncio.wait_for(hub.opened.wait(), 5)
        assert shoko.hub.negotiations == 2
        assert await hub.next() == ("OnConnected", None)

        # A frame that is not JSON ends pysignalr's run() (the caller must supervise).
        await shoko.hub.send_malformed_frame()
        with pytest.raises(orjson.JSONDecodeError):
            await asyncio.wait_for(hub.task, 5)
        # pysignalr leaves its keepalive task behind when run() dies this way.
        leftovers = [
            task
            for task in asyncio.all_tasks()
            if getattr(task.get_coro(), "__qualname__", "")
            == "WebsocketTransport._keepalive"
        ]
        assert leftovers
        for task in leftovers:
            task.cancel()
        await asyncio.wait(leftovers)
    finally:
        await hub.close()


async def test_shoko_signalr_auth_pings_and_refused(
    clock: SimClock, session: aiohttp.ClientSession
) -> None:
    shoko = await started(ShokoServer(clock, SHOKO_KEY, keepalive=0.2))
    try:
        await check_hub_auth_pings_and_refused(shoko, session)
    finally:
        await shoko.stop()


async def check_hub_auth_pings_and_refused(
    shoko: ShokoServer, session: aiohttp.ClientSession
) -> None:
    """401 without the key; the raw protocol; pings; a restart refusing connections."""
    hub = HubClient(shoko.url)  # no apikey header
    with pytest.raises(AuthorizationError):
        await asyncio.wait_for(hub.task, 5)
    negotiate = f"{shoko.url}/signalr/aggregate/negotiate"
    async with session.post(
        negotiate, params={"negotiateVersion": "1"}, headers={"apikey": SHOKO_KEY}
    ) as r:
        body = await r.json()
    assert body["negotiateVersion"] == 1
    assert body["availableTransports"][0]["transport"] == "WebSockets"
    async with session.ws_connect(
        f"{shoko.url}/signalr/aggregate",
        params={"id": body["connectionToken"], "feeds": "shoko"},
        headers={"apikey": SHOKO_KEY},
    ) as socket:
        await socket.send_str('{"protocol":"json","version":1}\x1e')
        assert await socket.receive_str() == "{}\x1e"
        assert json.loads((await socket.receive_str()).rstrip("\x1e")) == {
            "type": 1,
            "target": "ShokoEvent:OnConnected",
            "arguments": [None],
        }
        assert await socket.receive_str() == '{"type":6}\x1e'  # a keepalive ping
    await shoko.refuse_connections(0.3)
    with pytest.raises(aiohttp.ClientConnectionError):
        async with session.post(negotiate, headers={"apikey": SHOKO_KEY}):
            pass
    await asyncio.sleep(0.5)
    async with session.post(negotiate, headers={"apikey": SHOKO_KEY}) as r:
        assert r.status == 200


@pytest.fixture
async def shoko_v6(clock: SimClock) -> AsyncIterator[ShokoServer]:
    server = ShokoServer(clock, SHOKO_KEY, version="6")
    yield await started(server)
    await server.stop()


async def import_violet_and_unknown(shoko: ShokoServer) -> tuple[ShokoFile, ShokoFile]:
    """Violet Evergarden matched (a new series), then a file AniDB does not know."""
    anime = MOVIES["violet_evergarden_movie"].anime
    assert anime is not None
    movie = await shoko.detect(
        "/data/anime/movies/Violet Evergarden - The Movie (2020)/movie.mkv", 1000
    )
    await shoko.hash(movie)
    await shoko.match(
        movie, anime, anime.anidb_episode_id, anime.shoko_episode_id, 533514
    )
    other = await shoko.detect("/data/anime/movies/Perfect Blue (1997)/pb.mkv", 50)
    await shoko.hash(other)
    await shoko.not_matched(other)
    return movie, other


async def test_shoko_v6_hub_events(shoko_v6: ShokoServer) -> None:
    hub = HubClient(
        shoko_v6.url,
        V6_EVENTS,
        feeds="shoko,file,release,metadata,anidb",
        headers={"apikey": SHOKO_KEY},
        retry_sleep=0.05,
    )
    try:
        await asyncio.wait_for(hub.opened.wait(), 5)
        # Only `anidb` greets (string update types); `shoko` is no v6 feed.
        name, statuses = await hub.next()
        assert name == "anidb:connected"
        assert [s["UpdateType"] for s in statuses] == ["UDPBan", "HTTPBan"]
        movie, other = await import_violet_and_unknown(shoko_v6)
        events = [await hub.next() for _ in range(10)]
        assert hub.events.empty()
    finally:
        await hub.close()
    assert [name for name, _ in events] == [
        "file:detected",
        "file:hashed",
        "release:saved",
        "release:search.completed",
        "metadata:series.added",
        "metadata:series.added",
        "metadata:movie.added",
        "file:detected",
        "file:hashed",
        "release:search.completed",
    ]
    payloads = [payload for _, payload in events]
    assert payloads[0] == {
        "RelativePath": "Violet Evergarden - The Movie (2020)/movie.mkv",
        "ManagedFolderID": 2,
    }
    hashed = payloads[1]
    assert (hashed["FileID"], hashed["ManagedFolderID"]) == (movie.id, 2)
    assert "ImportFolderID" not in hashed
    assert hashed["Hashes"][0] == {
        "Type": "ED2K",
        "Value": movie.ed2k,
        "Metadata": None,
    }
    anidb_ids = {"AniDB_Episode": "229102", "AniDB_Anime": "14768"}
    (xref,) = payloads[2]["Release"]["CrossReferences"]
    assert (xref["ProviderIDs"], payloads[2]["FileID"]) == (anidb_ids, movie.id)
    matched, missed = payloads[3], payloads[9]
    assert matched["SelectedProvider"] is not None
    assert (missed["FileID"], missed["SelectedProvider"]) == (other.id, None)
    for search in (matched, missed):
        assert (search["ReleaseInfo"], search["IsSaved"]) == (None, True)


async def test_shoko_v6_managed_folders_and_files(
    shoko_v6: ShokoServer, session: aiohttp.ClientSession
) -> None:
    key = {"apikey": SHOKO_KEY}
    api = f"{shoko_v6.url}/api/v3"
    assert (await get_json(session, f"{api}/ImportFolder", headers=key))[0] == 404
    _, folders = await get_json(session, f"{api}/ManagedFolder", headers=key)
    assert [f["ID"] for f in folders] == [1, 2]
    movie, _ = await import_violet_and_unknown(shoko_v6)
    # Cross references only with `include=XRefs`; `includeXRefs` is gone.
    ends_with = f"{api}/File/PathEndsWith"
    query = {"path": "movie.mkv", "includeXRefs": "true"}
    _, plain = await get_json(session, ends_with, headers=key, params=query)
    assert "SeriesIDs" not in plain[0]
    query = {"path": "movie.mkv", "include": "XRefs"}
    _, found = await get_json(session, ends_with, headers=key, params=query)
    assert found[0]["SeriesIDs"][0]["SeriesID"]["AniDB"] == 14768
    _, full = await get_json(
        session,
        f"{api}/File/{movie.id}",
        headers=key,
        params={"include": "XRefs,AbsolutePaths"},
    )
    (location,) = full["Locations"]
    assert (location["ManagedFolderID"], "ImportFolderID" in location) == (2, False)
    assert location["AbsolutePath"].startswith("/mnt/anime/movies/")
    assert [h["Type"] for h in full["Hashes"]] == ["ED2K", "CRC32"]
    _, folder = await get_json(session, f"{api}/ManagedFolder/2", headers=key)
    assert (folder["Size"], folder["FileSize"]) == (1, 1050)  # one anime, two files


# --- the whole stack ---------------------------------------------------------------


def by_title(
    capture: Capture, path: str, title: Callable[[dict[str, Any]], str]
) -> dict[str, list[str]]:
    """Event names per title, in the order they arrived at one target path."""
    events: dict[str, list[str]] = {}
    for request in capture.requests:
        if request["path"] != path:
            continue
        body = request["json"]
        name = (
            body.get("eventType")
            or body.get("notification_type")
            or body["NotificationType"]
        )
        if name == "Download" and "series" in body:  # Sonarr's two kinds
            name += ":complete" if "episodeFiles" in body else ":file"
        events.setdefault(title(body), []).append(name)
    return events


async def test_all_scenarios_drive_every_service(
    capture: Capture, session: aiohttp.ClientSession
) -> None:
    stack = SimulatedStack(speed=400, seed=7)
    async with stack:
        stack.set_webhook_target(
            "radarr", capture.url("/radarr"), username="ha", password=HOOK_PASSWORD
        )
        stack.set_webhook_target(Service.SONARR, capture.url("/sonarr"))
        stack.set_webhook_target(
            "jellyseerr", capture.url("/jellyseerr"), authorization="Bearer s"
        )
        stack.set_webhook_target(
            "jellyfin",
            capture.url("/jellyfin"),
            headers={"Content-Type": "application/json"},
        )
        hub = HubClient(
            stack.urls[Service.SHOKO], headers={"apikey": stack.api_keys[Service.SHOKO]}
        )
        try:
            await asyncio.wait_for(hub.opened.wait(), 5)
            stack.play(list(SCENARIOS.values()))
            await asyncio.wait_for(stack.finished(), 15)
        finally:
            await hub.close()
        radarr_key = {"X-Api-Key": stack.api_keys[Service.RADARR]}
        _, queue = await get_json(
            session, f"{stack.urls[Service.RADARR]}/api/v3/queue", headers=radarr_key
        )
    events: list[tuple[str, Any]] = []
    while not hub.events.empty():
        events.append(hub.events.get_nowait())

    assert all(delivery.ok for delivery in stack.deliveries)
    assert [d.body for d in stack.deliveries] == [r["json"] for r in capture.requests]
    check_webhook_sequences(capture)
    check_same_ids_everywhere(stack, capture)
    check_shoko_events(capture, events)
    # What the APIs show at the end: the stalled torrent, the silent import.
    (stalled,) = queue["records"]
    assert stalled["title"] == RELEASES["oppenheimer_bluray"].name
    assert stalled["status"] == "warning"
    assert stalled["errorMessage"] == "The download is stalled with no connections"
    assert stack.radarr.has_file(MOVIES["arrival"])


def check_webhook_sequences(capture: Capture) -> None:
    """What each app sent, title by title, and how it authenticated."""
    # Health webhooks carry no movie: they are listed by check.
    radarr = by_title(
        capture, "/radarr", lambda b: b["movie"]["title"] if "movie" in b else b["type"]
    )
    assert radarr == {
        "Dune: Part Two": ["MovieAdded", "Grab", "Download"],
        "Violet Evergarden: The Movie": ["MovieAdded", "Grab", "Download"],
        "Oppenheimer": ["MovieAdded", "Grab"],
        "Interstellar": ["MovieAdded", "Grab", "ManualInteractionRequired", "Download"],
        "Arrival": ["MovieAdded"],  # its Grab and Download webhooks went missing
        "Perfect Blue": ["MovieAdded", "Grab", "Download"],
        "Inception": [
            "MovieAdded",
            "Grab",
            "Download",
            "MovieFileDelete",
            "MovieDelete",
        ],
        "The Matrix": ["MovieAdded", "Grab"],  # no webhook for a failed download
        "Mad Max: Fury Road": ["MovieAdded", "Grab"],  # nor for an ignored one
        "Alien": ["MovieAdded"],
        "Dune: Part Three": ["MovieAdded"],  # not out yet: nothing to grab
        "Everything Everywhere All at Once": ["MovieAdded", "Grab", "Download"],
        # Failing since 840 s, announced when the start-up grace ends at 900 s.
        "DownloadClientCheck": ["Health", "HealthRestored"],
    }  # Blade Runner 2049: re-requested with its file already there, Radarr is silent
    file, complete = "Download:file", "Download:complete"
    assert by_title(capture, "/sonarr", lambda b: b["series"]["title"]) == {
        "Breaking Bad": ["SeriesAdd", "Grab", *[file] * 7, complete],
        "Lycoris Recoil": ["SeriesAdd", "Grab", *[file] * 13, complete],
        "Severance": [
            "SeriesAdd",
            *["Grab"] * 3,
            *[file, complete] * 3,
            *["Grab", file, complete],
        ],
        "Chernobyl": [
            "SeriesAdd",
            "Grab",
            *[file] * 5,
            complete,
            "EpisodeFileDelete",
            "SeriesDelete",
        ],
        "Luther": ["SeriesAdd", "Grab", "Grab", *[*[file] * 4, complete] * 2],
        # Held by a delay profile: its Grab comes when the delay ends.
        "The Bear": ["SeriesAdd", "Grab", *[file] * 8, complete],
    }
    auto, available = "MEDIA_AUTO_APPROVED", "MEDIA_AVAILABLE"
    assert by_title(capture, "/jellyseerr", lambda b: b["subject"]) == {
        "Dune: Part Two (2024)": [auto, available],
        "Breaking Bad (2008)": [auto, available],
        "Violet Evergarden: The Movie (2020)": [
            "MEDIA_PENDING",
            "MEDIA_APPROVED",
            available,
        ],
        "Lycoris Recoil (2022)": [auto, available],
        "Severance (2022)": [auto],  # an airing season never becomes available
        "Oppenheimer (2023)": [auto],
        "Interstellar (2014)": [auto, available],
        "Arrival (2016)": [auto, available],
        "Perfect Blue (1997)": [auto],
        "Blade Runner 2049 (2017)": [auto, available],
        "Luther (2010)": [auto, available],  # once both seasons are there
        "The Matrix (1999)": [auto],
        "Mad Max: Fury Road (2015)": [auto],
        "Whiplash (2014)": ["MEDIA_PENDING"],  # deleting a request sends nothing
        "Alien (1979)": [auto],
        "Inception (2010)": [auto, available],
        "Chernobyl (2019)": [auto, available],
        "Dune: Part Three (2026)": [auto],
        "The Bear (2022)": [auto, available],
        "Everything Everywhere All at Once (2022)": [auto, available],
    }
    added = by_title(capture, "/jellyfin", lambda b: b.get("SeriesName") or b["Name"])
    assert {title: len(names) for title, names in added.items()} == {
        "Dune: Part Two": 1,
        "Breaking Bad": 8,  # the series, then 7 episodes
        "Violet Evergarden: The Movie": 1,
        "Lycoris Recoil": 14,
        "Severance": 5,
        "Interstellar": 1,
        "Arrival": 1,
        "Luther": 9,
        "Inception": 1,
        "Chernobyl": 6,
        "The Bear": 9,
        "Everything Everywhere All at Once": 1,
    }
    first = {r["path"]: r["headers"] for r in reversed(capture.requests)}
    assert first["/radarr"]["Authorization"] == "Basic aGE6cHc="  # ha:pw
    assert first["/jellyseerr"]["Authorization"] == "Bearer s"
    assert first["/jellyfin"]["Content-Type"] == "application/json"
    assert "Authorization" not in first["/sonarr"]


def check_same_ids_everywhere(stack: SimulatedStack, capture: Capture) -> None:
    """Hashes, paths, item and request ids agree between the services."""
    bodies = [r["json"] for r in capture.requests]
    radarr = [b for b in bodies if "movie" in b and b["movie"]["id"] == 71]
    grab = next(b for b in radarr if b["eventType"] == "Grab")
    download = next(b for b in radarr if b["eventType"] == "Download")
    release = RELEASES["dune_part_two_bluray"]
    assert grab["downloadId"] == stack.player.info_hash(release).upper()
    assert download["downloadId"] == grab["downloadId"]
    item = next(b for b in bodies if b.get("Name") == "Dune: Part Two")
    assert stack.jellyfin.items[item["ItemId"]].path == download["movieFile"]["path"]
    assert item["Provider_tmdb"] == "693134"
    seerr = [b for b in bodies if b.get("subject") == "Blade Runner 2049 (2017)"]
    assert len({b["request"]["request_id"] for b in seerr}) == 1
    assert all(isinstance(v, str) for b in seerr for v in b["media"].values())
    rerequest = stack.jellyseerr.requests[int(seerr[0]["request"]["request_id"])]
    earlier = [
        r for r in stack.jellyseerr.requests.values() if r.entry is rerequest.entry
    ]
    assert len(earlier) == 2  # the preloaded request stays, the new one has a new id


def check_shoko_events(capture: Capture, events: list[tuple[str, Any]]) -> None:
    """Shoko hub events for the three anime titles, tied to Radarr and Jellyfin."""
    names = [name for name, _ in events]
    assert names.count("FileDetected") == 1 + 13 + 1
    assert names.count("FileHashed") == 1 + 13 + 1
    assert names.count("FileMatched") == 1 + 13
    assert names.count("SeriesUpdated") == 2 * 2  # AniDB + Shoko, per new series
    assert names.count("MovieUpdated") == 1
    (not_matched,) = [payload for name, payload in events if name == "FileNotMatched"]
    assert not_matched["CrossReferences"] == []
    assert not_matched["HasCrossReferences"] is False
    bodies = [r["json"] for r in capture.requests]
    item = next(b for b in bodies if b.get("Name") == "Violet Evergarden: The Movie")
    match = next(
        p for n, p in events if n == "FileMatched" and p["ImportFolderID"] == 2
    )
    assert item["Provider_shoko file"] == str(match["FileID"])
    assert "Provider_tmdb" not in item  # Shokofin's defaults: no TMDB id
    download = next(
        b
        for b in bodies
        if b.get("eventType") == "Download" and b.get("movie", {}).get("id") == 52
    )
    assert (
        download["movieFile"]["path"] == "/data/anime/movies/" + match["RelativePath"]
    )


def test_seed_makes_runs_repeatable() -> None:
    first, second, other = (SimulatedStack(seed=seed) for seed in (3, 3, 4))
    release = RELEASES["lycoris_recoil_s01"]
    assert first.api_keys == second.api_keys != other.api_keys
    assert first.qbittorrent_password == second.qbittorrent_password
    assert first.player.info_hash(release) == second.player.info_hash(release)
    assert first.player.info_hash(release) != other.player.info_hash(release)
    assert Service.QBITTORRENT in SimulatedStack(qbittorrent_version="5.2").api_keys


def test_stack_passes_versions_through() -> None:
    default = SimulatedStack()
    assert (default.shoko.v6, default.jellyseerr.completes_requests) == (False, True)
    older = SimulatedStack(shoko_version="6", jellyseerr_version="2.5.2")
    assert (older.shoko.v6, older.jellyseerr.completes_requests) == (True, False)
    with pytest.raises(ValueError, match="Shoko"):
        SimulatedStack(shoko_version="4")
    assert (default.radarr.health_grace, default.sonarr.health_grace) == (900, 900)
    quick = SimulatedStack(health_grace=0)
    assert (quick.radarr.health_grace, quick.sonarr.health_grace) == (0, 0)


def test_cli_arguments(tmp_path: Path) -> None:
    args = parse_args(["--speed", "10", "--scenario", "regular_movie,anime_tv"])
    assert [s.name for s in args.scenarios] == ["regular_movie", "anime_tv"]
    assert (args.shoko_version, args.jellyseerr_version) == ("5", "2.7.3")
    args = parse_args(["--shoko-version", "6", "--jellyseerr-version", "2.5.2"])
    assert (args.shoko_version, args.jellyseerr_version) == ("6", "2.5.2")
    assert parse_args(["--health-grace", "0"]).health_grace == 0
    assert parse_args([]).health_grace == 900
    assert len(parse_args([]).scenarios) == len(SCENARIOS)
    with pytest.raises(SystemExit):
        parse_args(["--scenario", "nope"])
    with pytest.raises(SystemExit):
        parse_args(["--ha-url", "http://127.0.0.1:8123"])
    ids = tmp_path / "ids.json"
    ids.write_text(
        json.dumps({"jellyseerr": "a", "radarr": "b", "sonarr": "c", "jellyfin": "d"})
    )
    urls = webhook_urls("http://ha:8123/", ids)
    assert urls[Service.RADARR] == "http://ha:8123/api/webhook/b"


async def test_radarr_queue_removal_blocklists_and_grabs_another(
    clock: SimClock,
    radarr: RadarrServer,
    qbit: QBittorrentServer,
    capture: Capture,
    session: aiohttp.ClientSession,
) -> None:
    """`DELETE /queue/bulk` with blocklist: the download leaves, another is grabbed.

    Out of the client, failed, searched again; the release the indexers offer now is
    grabbed (its Grab webhook sent); the blocklisted one is never grabbed again
    (addendum §1b). qBittorrent's reannounce skips unknown hashes.
    """
    headers = {"X-Api-Key": "radarr-key"}
    radarr.set_webhook_target(WebhookTarget(capture.url()))
    dead, other = RELEASES["oppenheimer_bluray"], RELEASES["oppenheimer_web"]
    radarr.add_movie(MOVIES["oppenheimer"])
    radarr.grab(dead, HASH, 300)
    qbit.stall_torrent(HASH)
    radarr.offer(other, PACK_HASH, 100)
    _, queue = await get_json(session, f"{radarr.url}/api/v3/queue", headers=headers)
    (record,) = queue["records"]

    await login(session, qbit.url, QBIT_PASSWORD)
    async with session.post(
        f"{qbit.url}/api/v2/torrents/reannounce", data={"hashes": f"{HASH}|{'0' * 40}"}
    ) as reannounce:
        assert reannounce.status == 200
    assert qbit.reannounced == [HASH]

    async with session.delete(
        f"{radarr.url}/api/v3/queue/bulk",
        headers=headers,
        params={"removeFromClient": "true", "blocklist": "true"},
        json={"ids": [record["id"], 999]},
    ) as removed:
        assert removed.status == 200

    assert qbit.status(HASH) is None
    assert capture.events() == ["Grab"]
    assert capture.requests[0]["json"]["downloadId"] == PACK_HASH.upper()
    failed = [r for r in radarr.history if r.event_type == "downloadFailed"]
    assert [r.download_id for r in failed] == [HASH.upper()]
    assert radarr.movies[MOVIES["oppenheimer"].radarr_id].last_search is not None
    with pytest.raises(ValueError, match="blocklisted"):
        radarr.grab(dead, HASH, 300)
    async with session.delete(
        f"{radarr.url}/api/v3/queue/{record['id']}", headers=headers
    ) as gone:
        assert gone.status == 404


async def test_seerr_retry(
    jellyseerr: JellyseerrServer, session: aiohttp.ClientSession
) -> None:
    """Seerr's retry approves any request again; an unknown one is 404."""
    headers = {"X-Api-Key": "seerr-key"}
    failed = jellyseerr.create_request(
        MOVIES["dune_part_two"], USERS[2], (), approved=True
    )
    failed.status = RequestStatus.FAILED
    url = f"{jellyseerr.url}/api/v1/request"
    async with session.post(f"{url}/{failed.id}/retry", headers=headers) as retried:
        assert retried.status == 200
        assert (await retried.json())["status"] == 2
    assert jellyseerr.retried == [failed.id]
    async with session.post(f"{url}/999/retry", headers=headers) as unknown:
        assert unknown.status == 404


async def test_shoko_rescan(shoko: ShokoServer, session: aiohttp.ClientSession) -> None:
    """A hashed file can be rescanned; an unknown one is 404."""
    key = {"apikey": SHOKO_KEY}
    file = await shoko.detect("/data/anime/movies/Perfect Blue (1997)/movie.mkv", 1024)
    await shoko.hash(file)
    url = f"{shoko.url}/api/v3/File"
    async with session.post(f"{url}/{file.id}/Rescan", headers=key) as rescanned:
        assert rescanned.status == 200
    async with session.post(f"{url}/9999/Rescan", headers=key) as unknown:
        assert unknown.status == 404
    assert shoko.rescanned == [file.id]
