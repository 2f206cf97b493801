"""Shoko Server in Home Assistant: a real SignalR hub, REST mocked at the client.

The hub is the simulator's (negotiate, the JSON hub protocol with its 0x1E record
separator, pings, 404 for stale connection ids); it sends the reference payloads,
drops connections, refuses them for a while and sends malformed frames.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
import logging
from typing import Any

import pysignalr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from custom_components.media_request_tracker.const import DOMAIN, EVENT_REMEDIATION
from custom_components.media_request_tracker.engine.models import (
    Episode,
    Request,
    State,
)
from custom_components.media_request_tracker.pollers import (
    shoko as shoko_module,
    signalr,
)
from custom_components.media_request_tracker.pollers.shoko import (
    ShokoPoller,
)
from tests.simulator.clock import SimClock
from tests.simulator.shoko import ShokoServer

from .conftest import (
    EventLog,
    Post,
    entry_data,
    load_fixture,
)

KEY = "shoko-key"
JELLYFIN = "http://jellyfin:8096"
VIOLET = "Violet Evergarden - The Movie (2020)"
VIOLET_FILE = f"{VIOLET}/{VIOLET} Bluray-1080p.mkv"
VIOLET_SIZE = 1181116032
LYCORIS = (
    "Lycoris Recoil/Season 1/Lycoris Recoil - S01E0{n} - {title} [Bluray-1080p].mkv"
)
LYCORIS_TITLES = {1: "Easy does it", 2: "The more the merrier"}


@pytest.fixture(autouse=True)
def fast_reconnects(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seconds become fractions: our backoff, and pysignalr's first retry delay."""
    monkeypatch.setattr(signalr, "RECONNECT_MIN", 0.05)
    monkeypatch.setattr(signalr, "RECONNECT_MAX", 0.2)
    monkeypatch.setattr(pysignalr, "BACKOFF_INITIAL", 0.2)
    monkeypatch.setattr(pysignalr, "BACKOFF_MIN", 1.0)


@pytest.fixture
async def server(socket_enabled: None) -> AsyncIterator[ShokoServer]:
    """Shoko's hub on a loopback port (it wants the key, as v6-dev does)."""
    shoko = ShokoServer(SimClock(), KEY)
    await shoko.start()
    yield shoko
    await shoko.stop()


@pytest.fixture
def rest(
    jellyseerr_ok: AiohttpClientMocker, server: ShokoServer
) -> AiohttpClientMocker:
    """Jellyseerr, Jellyfin and Shoko's REST answers (the hub stays real)."""
    jellyseerr_ok.get(
        f"{server.url}/api/v3/ImportFolder/2",
        json=load_fixture(
            "shoko/rest_v3_ImportFolder_id_response.json", Path="/mnt/anime/movies/"
        ),
    )
    return jellyseerr_ok


def remote_file(file_id: int, path: str, folder: int, **changes: Any) -> dict[str, Any]:
    """Shoko's REST `File` of the reference, moved to another file."""
    body = load_fixture(
        "shoko/rest_v3_File_id_include_XRefs_AbsolutePaths_response.json",
        ID=file_id,
        **changes,
    )
    body["Locations"] = [
        {
            "ID": file_id + 10,
            "FileID": file_id,
            "ImportFolderID": folder,
            "RelativePath": path,
            "IsAccessible": True,
        }
    ]
    return body


async def setup(
    hass: HomeAssistant, server: ShokoServer, key: str = KEY, **options: Any
) -> tuple[MockConfigEntry, ShokoPoller]:
    """An entry with Shoko and Jellyfin (and the options), connected to the hub."""
    service = {"api_key": "key", "verify_ssl": True, "webhook_secret": None}
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="stack",
        data=entry_data(
            shoko={"url": server.url, "api_key": key, "verify_ssl": True},
            jellyfin={"url": JELLYFIN, **service},
        ),
        options=options,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    poller = entry.runtime_data.shoko
    assert poller is not None
    assert isinstance(poller, ShokoPoller)
    return entry, poller


async def until(hass: HomeAssistant, condition: Callable[[], object]) -> None:
    """Wait (up to 10 s) for what the hub and the dispatcher do in the background."""
    async with asyncio.timeout(10):
        while not condition():
            await hass.async_block_till_done()
            await asyncio.sleep(0.01)


async def send(server: ShokoServer, name: str, payload: Any) -> None:
    """Broadcast one v5 event to the clients of the `shoko` feed."""
    assert await server.hub.broadcast("shoko", f"ShokoEvent:{name}", [payload])


def file_event(name: str, file_id: int, path: str, folder: int = 2, **more: Any) -> Any:
    """A reference file event for another file."""
    return load_fixture(
        f"shoko/v5_ShokoEvent_{name}.json",
        FileID=file_id,
        RelativePath=path,
        ImportFolderID=folder,
        **more,
    )


def is_matched(track: Request | Episode) -> bool:
    """Whether Shoko matched the track's file."""
    return track.shoko is not None and track.shoko.matched


def violet(entry: MockConfigEntry) -> Request:
    return entry.runtime_data.tracker.requests["69"]


def series_of(request: Request) -> int | None:
    return None if request.shoko is None else request.shoko.series_id


async def import_violet(post: Post) -> None:
    """Jellyseerr request, Radarr grab and import of the anime movie."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie.json")
    await post("radarr", "radarr/grab.json")
    await post("radarr", "radarr/download.json")


def no_shoko_tasks() -> bool:
    """Neither our supervisor nor any pysignalr task is left running."""
    return not [
        task
        for task in asyncio.all_tasks()
        if "Shoko" in task.get_name()
        or "WebsocketTransport" in getattr(task.get_coro(), "__qualname__", "")
        or "ShokoLink" in getattr(task.get_coro(), "__qualname__", "")
    ]


async def test_movie_is_matched_then_found_by_its_shoko_file(
    hass: HomeAssistant, server: ShokoServer, rest: AiohttpClientMocker, post: Post
) -> None:
    """Hashed, matched, then Jellyfin is asked at once and finds the Shokofin item."""
    entry, poller = await setup(hass, server)
    await until(hass, lambda: server.hub.connections)
    await import_violet(post)
    assert violet(entry).state is State.ANIME_MATCHING

    rest.get(
        f"{server.url}/api/v3/File/220",
        json=remote_file(220, VIOLET_FILE, 2, Size=VIOLET_SIZE),
    )
    items = load_fixture("shoko/jellyfin_GET_Items_anime_movie_via_Shokofin_VFS.json")
    rest.get(f"{JELLYFIN}/Items", json=items)
    await send(
        server, "FileDetected", {"RelativePath": "/" + VIOLET_FILE, "ImportFolderID": 2}
    )
    await send(server, "FileHashed", file_event("FileHashed", 220, "/" + VIOLET_FILE))
    await until(hass, lambda: violet(entry).shoko is not None)
    await send(server, "FileMatched", file_event("FileMatched", 220, VIOLET_FILE))
    await until(hass, lambda: violet(entry).state is State.AVAILABLE)
    assert violet(entry).jellyfin_item_id == "b2c3d4e5f60718293a4b5c6d7e8f90a1"
    assert poller.diagnostics() == {
        "live_events": "connected",
        "import_folders": {
            2: {
                "name": "Anime Movies",
                "shoko_path": "/mnt/anime/movies/",
                "library_path": "/data/anime/movies/",
            }
        },
    }
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert no_shoko_tasks()


async def test_survives_drops_refusals_and_malformed_frames(
    hass: HomeAssistant,
    server: ShokoServer,
    rest: AiohttpClientMocker,
    post: Post,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every failure ends in a reconnect; loss and recovery are logged once each."""
    entry, poller = await setup(hass, server)
    await until(hass, lambda: server.hub.connections)
    await import_violet(post)
    rest.get(
        f"{server.url}/api/v3/File/222",
        json=remote_file(222, VIOLET_FILE, 2, Size=VIOLET_SIZE),
    )
    rest.get(f"{server.url}/api/v3/File/PathEndsWith", json=[])

    await server.hub.drop_connections()
    await until(hass, lambda: server.hub.connections and poller.link.error is None)
    await server.hub.send_malformed_frame()
    await until(hass, lambda: server.hub.negotiations >= 3 and server.hub.connections)
    # The malformed frame's loss and recovery are logged by this refresh at the
    # latest (under load, after the reconnect); only the refusal's are counted.
    await until(hass, lambda: poller.link.error is None)
    await poller.async_refresh()
    assert poller.last_update_success

    caplog.set_level(logging.INFO)
    caplog.clear()
    await server.refuse_connections(1.0)
    await until(hass, lambda: poller.link.error is not None)
    for _ in range(2):
        await poller.async_refresh()
        assert not poller.last_update_success
    await until(hass, lambda: server.hub.connections and poller.link.error is None)
    await poller.async_refresh()
    assert poller.last_update_success
    assert caplog.text.count("Error fetching Shoko Server") == 1
    assert caplog.text.count("Shoko Server (stack) data recovered") == 1

    # A payload that is not the model, then one that is: the stream goes on.
    await send(server, "FileHashed", {"FileID": "not a number"})
    await send(server, "FileHashed", {"FileID": "still not"})
    await send(server, "FileNotMatched", file_event("FileNotMatched", 222, VIOLET_FILE))
    await until(hass, lambda: violet(entry).stalled)
    state = hass.states.get("sensor.violet_evergarden_the_movie_2020")
    assert state is not None
    assert state.attributes["problem_code"] == "file_not_matched"
    assert state.attributes["problem"] == (
        f"Shoko Server could not match {VIOLET} Bluray-1080p.mkv with AniDB."
    )
    assert caplog.text.count("Ignored a malformed Shoko Server") == 1
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert no_shoko_tasks()


async def test_an_unmatched_file_is_rescanned_once(
    hass: HomeAssistant,
    server: ShokoServer,
    rest: AiohttpClientMocker,
    post: Post,
    events: EventLog,
) -> None:
    """Six hours unmatched, remediation on: Shoko rescans the file, and only once."""
    entry, _ = await setup(hass, server, remediation="on")
    await until(hass, lambda: server.hub.connections)
    await import_violet(post)
    rest.get(
        f"{server.url}/api/v3/File/222",
        json=remote_file(222, VIOLET_FILE, 2, Size=VIOLET_SIZE),
    )
    rest.get(f"{server.url}/api/v3/File/PathEndsWith", json=[])
    rescan = f"{server.url}/api/v3/File/222/Rescan"
    rest.post(rescan, json={})  # Shoko's 200 is empty; the mock cannot say so
    await send(server, "FileNotMatched", file_event("FileNotMatched", 222, VIOLET_FILE))
    await until(hass, lambda: violet(entry).stalled)

    def rescans() -> int:
        return sum(str(url).split("?")[0] == rescan for _, url, _, _ in rest.mock_calls)

    # AniDB's own retries get six hours first. (The minute's check is called
    # directly: the other pollers' timers stay out of this test.)
    remediation = entry.runtime_data.remediation
    assert remediation is not None
    remediation.async_check(dt_util.utcnow())
    await hass.async_block_till_done()
    assert rescans() == 0
    violet(entry).state_since = dt_util.utcnow() - timedelta(hours=6, minutes=1)

    for _ in range(3):
        remediation.async_check(dt_util.utcnow())
        await until(hass, lambda: events.of(EVENT_REMEDIATION))

    assert rescans() == 1
    (step,) = events.of(EVENT_REMEDIATION)
    assert (step["step"], step["result"]) == ("shoko_rescan", "done")
    state = hass.states.get("sensor.violet_evergarden_the_movie_2020")
    assert state is not None
    assert state.attributes["waiting_detail"] == (
        "Asked Shoko Server to match the file with AniDB again (attempt 1 of 3)"
    )
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def reauth_services(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """The service each reauthentication flow in progress asks credentials for."""
    services = []
    for flow in entry.async_get_active_flows(hass, {SOURCE_REAUTH}):
        form = await hass.config_entries.flow.async_configure(flow["flow_id"])
        services.append(form["description_placeholders"]["service"])
    return services


async def test_rejected_key_asks_for_a_new_one_and_stops(
    hass: HomeAssistant, server: ShokoServer, rest: AiohttpClientMocker
) -> None:
    """A 401 is a configuration error: reauthentication only, no retrying."""
    entry, poller = await setup(hass, server, key="wrong")
    await until(hass, lambda: list(entry.async_get_active_flows(hass, {SOURCE_REAUTH})))
    assert await reauth_services(hass, entry) == ["Shoko Server"]
    assert not [key for key in ir.async_get(hass).issues if key[0] == DOMAIN]
    await asyncio.sleep(0.3)
    assert server.hub.negotiations == 0
    await poller.async_refresh()
    assert not poller.last_update_success
    assert poller.diagnostics()["live_events"] == "Shoko Server rejected the API key"
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert no_shoko_tasks()


async def test_missed_events_are_found_by_path(
    hass: HomeAssistant, server: ShokoServer, rest: AiohttpClientMocker, post: Post
) -> None:
    """Polling looks up the waiting file by its path and applies the same evidence.

    With the import folder's mount known, it asks for Shoko's own full path.
    """
    entry, poller = await setup(hass, server)
    found = [remote_file(220, VIOLET_FILE, 2, Size=VIOLET_SIZE)]
    rest.get(f"{server.url}/api/v3/File/PathEndsWith", json=found)
    rest.get(f"{JELLYFIN}/Items", json={"Items": []})
    entry.runtime_data.tracker.shoko_folders[2] = "/data/anime/movies/"
    await poller.folders.async_get(2)
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    # The import wakes Shoko's poller: it looks the file up at once.
    await import_violet(post)
    await until(hass, lambda: is_matched(violet(entry)))
    assert violet(entry).state is State.ANIME_MATCHING
    (lookup,) = [call[1] for call in rest.mock_calls if "PathEndsWith" in str(call[1])]
    assert lookup.query["path"] == f"/mnt/anime/movies/{VIOLET_FILE}"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_events_about_other_files_and_metadata(
    hass: HomeAssistant,
    server: ShokoServer,
    rest: AiohttpClientMocker,
    post: Post,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Untracked files cost no REST call; a failing folder lookup or bug is logged."""
    entry, _ = await setup(hass, server)
    await until(hass, lambda: server.hub.connections)
    await import_violet(post)
    rest.get(f"{server.url}/api/v3/ImportFolder/8", status=404)
    await send(server, "FileDetected", {"RelativePath": "a.mkv", "ImportFolderID": 8})
    await send(server, "FileDetected", {"RelativePath": "b.mkv", "ImportFolderID": 9})
    await send(server, "FileHashed", file_event("FileHashed", 900, "Other/other.mkv"))
    rest.get(f"{server.url}/api/v3/File/220", status=500)
    await send(
        server,
        "FileMatched",
        file_event(
            "FileMatched",
            220,
            VIOLET_FILE,
            CrossReferences=[
                {
                    "EpisodeID": None,
                    "AnidbEpisodeID": 147025,
                    "SeriesID": None,
                    "AnidbAnimeID": 9603,
                    "GroupID": None,
                }
            ],
        ),
    )
    await send(
        server,
        "SeriesUpdated",
        load_fixture("shoko/v5_ShokoEvent_SeriesUpdated_source_AniDB.json"),
    )
    await until(hass, lambda: series_of(violet(entry)) == 29)
    await send(
        server,
        "MovieUpdated",
        load_fixture("shoko/v5_ShokoEvent_MovieUpdated.json", MovieID=533514),
    )
    await until(hass, lambda: violet(entry).shoko_tmdb_link)
    assert "Could not handle news from Shoko Server" in caplog.text
    assert not [c for c in rest.mock_calls if "/File/900" in str(c[1])]
    await hass.config_entries.async_unload(entry.entry_id)


def test_hub_tls() -> None:
    """An https hub gets a verifying or a non-verifying context; ws:// none."""
    assert signalr.hub_ssl("http://shoko:8111", True) is None
    assert signalr.hub_ssl("https://shoko", True) is not None
    assert signalr.hub_ssl("https://shoko", False) is not None


async def test_rest_rejecting_the_key_asks_for_a_new_one(
    hass: HomeAssistant,
    server: ShokoServer,
    rest: AiohttpClientMocker,
    post: Post,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 401 from REST while looking up a waiting file is the same configuration error."""
    # Every refresh looks the file up again (setup's first poll did already).
    monkeypatch.setattr(shoko_module, "FILE_CHECK_INTERVAL", timedelta(0))
    entry, poller = await setup(hass, server)
    await import_violet(post)
    rest.get(f"{server.url}/api/v3/File/PathEndsWith", status=401)
    await poller.async_refresh()
    assert not poller.last_update_success
    assert await reauth_services(hass, entry) == ["Shoko Server"]
    assert not [key for key in ir.async_get(hass).issues if key[0] == DOMAIN]
    await hass.config_entries.async_unload(entry.entry_id)


async def test_anime_episodes_are_matched_and_available_one_by_one(
    hass: HomeAssistant, server: ShokoServer, rest: AiohttpClientMocker, post: Post
) -> None:
    """Each episode leaves anime_matching on its own match and is found by its file."""
    entry, _ = await setup(hass, server)
    await until(hass, lambda: server.hub.connections)
    await post("jellyseerr", "jellyseerr/media_auto_approved_tv.json")
    await post("sonarr", "sonarr/grab_season_pack.json")
    await post("sonarr", "sonarr/import_complete_season_pack.json")
    show = entry.runtime_data.tracker.requests["68"]
    assert show.state is State.ANIME_MATCHING
    for n, title in LYCORIS_TITLES.items():
        path = LYCORIS.format(n=n, title=title)
        rest.get(f"{server.url}/api/v3/File/{300 + n}", status=500)
        xref = {
            "EpisodeID": 500 + n,
            "AnidbEpisodeID": 280000 + n,
            "SeriesID": 41,
            "AnidbAnimeID": 18001,
            "GroupID": 40,
        }
        await send(
            server,
            "FileMatched",
            file_event("FileMatched", 300 + n, path, 1, CrossReferences=[xref]),
        )
    await until(hass, lambda: is_matched(show.episodes[(1, 2)]))
    assert not is_matched(show.episodes[(1, 3)])
    # Matched or not, each episode stays anime_matching until Jellyfin shows it.
    assert {ep.state for ep in show.episodes.values()} == {State.ANIME_MATCHING}

    series = {
        "Id": "f" * 32,
        "Type": "Series",
        "Name": "Lycoris Recoil",
        "ProviderIds": {"Shoko Series": "41"},
        "LocationType": "FileSystem",
    }
    episodes = [
        {
            "Id": f"{n:032x}",
            "Type": "Episode",
            "Name": title,
            "IndexNumber": n,
            "ParentIndexNumber": 1,
            "ProviderIds": {"Shoko File": str(300 + n)},
            "LocationType": "FileSystem",
            "Path": f"/vfs/{n}.mkv",
            "SeriesId": "f" * 32,
        }
        for n, title in LYCORIS_TITLES.items()
    ]
    rest.get(f"{JELLYFIN}/Items?SearchTerm=Lycoris+Recoil", json={"Items": []})
    rest.get(f"{JELLYFIN}/Items", json={"Items": [series]})
    rest.get(f"{JELLYFIN}/Shows/{'f' * 32}/Episodes", json={"Items": episodes})
    await entry.runtime_data.pollers["jellyfin"].async_refresh()
    assert [show.episodes[(1, n)].state for n in (1, 2, 3)] == [
        State.AVAILABLE,
        State.AVAILABLE,
        State.ANIME_MATCHING,
    ]
    await hass.config_entries.async_unload(entry.entry_id)


async def test_movie_filed_as_a_series_and_by_name(
    hass: HomeAssistant, server: ShokoServer, rest: AiohttpClientMocker, post: Post
) -> None:
    """Shokofin shows some anime movies as a series episode; else the name decides."""
    entry, _ = await setup(hass, server)
    await until(hass, lambda: server.hub.connections)
    await import_violet(post)
    rest.get(f"{server.url}/api/v3/File/220", status=404)
    await send(server, "FileMatched", file_event("FileMatched", 220, VIOLET_FILE))
    await until(hass, lambda: is_matched(violet(entry)))

    series = {
        "Id": "e" * 32,
        "Type": "Series",
        "Name": "Violet",
        "ProviderIds": {"Shoko Series": "29"},
        "LocationType": "FileSystem",
    }
    episode = {
        "Id": "d" * 32,
        "Type": "Episode",
        "Name": "Complete Movie",
        "ProviderIds": {"Shoko File": "220"},
        "LocationType": "FileSystem",
        "Path": "/vfs/movie.mkv",
    }
    rest.get(f"{JELLYFIN}/Items?IncludeItemTypes=Movie", json={"Items": []})
    rest.get(f"{JELLYFIN}/Items?IncludeItemTypes=Series", json={"Items": [series]})
    rest.get(f"{JELLYFIN}/Shows/{'e' * 32}/Episodes", json={"Items": [episode]})
    await entry.runtime_data.pollers["jellyfin"].async_refresh()
    assert violet(entry).state is State.AVAILABLE
    await hass.config_entries.async_unload(entry.entry_id)


async def test_anime_movie_without_ids_is_found_by_title_and_year(
    hass: HomeAssistant, server: ShokoServer, rest: AiohttpClientMocker, post: Post
) -> None:
    """No Shoko file id and no TMDB id on the item: its title and year."""
    entry, _ = await setup(hass, server)
    await import_violet(post)
    item = {
        "Id": "c" * 32,
        "Type": "Movie",
        "Name": "Violet Evergarden: The Movie",
        "ProductionYear": 2020,
        "ProviderIds": {},
        "LocationType": "FileSystem",
        "Path": "/movies/violet.mkv",
    }
    rest.get(f"{JELLYFIN}/Items", json={"Items": [item]})
    await entry.runtime_data.pollers["jellyfin"].async_refresh()
    assert violet(entry).state is State.AVAILABLE
    await hass.config_entries.async_unload(entry.entry_id)
