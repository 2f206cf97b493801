"""Shoko Server's REST client and the parsing of its SignalR events (reference §3)."""

import json
from typing import Any

import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from custom_components.media_request_tracker.engine.evidence import (
    AnimeLink,
    AnimeMovieEvidence,
    AnimeSeriesEvidence,
    ShokoFileEvent,
    ShokoFileEvidence,
    ShokoLocation,
)
from custom_components.media_request_tracker.sources.errors import (
    CannotConnect,
    InvalidAuth,
    InvalidPayload,
    WrongService,
)
from custom_components.media_request_tracker.sources.shoko import (
    EVENT_NAMES,
    FileDetected,
    ShokoClient,
    ShokoFields,
    async_obtain_api_key,
    parse_event,
    parse_file,
)

from .conftest import FIXTURES, load_fixture

URL = "http://shoko:8111"
GARDEN = "Kotonoha no Niwa (2013)/[Group] Kotonoha no Niwa (2013) [BD 1080p].mkv"
XREF = AnimeLink(
    anidb_anime_id=9603, anidb_episode_id=147025, series_id=29, episode_id=331
)


def event(target: str, fixture: str, **changes: Any) -> Any:
    """Parse a reference payload as the hub would deliver it."""
    return parse_event(target, [load_fixture(f"shoko/{fixture}.json", **changes)])


def test_file_events_of_v5() -> None:
    """Detected, hashed, matched and moved files, with normalised paths."""
    assert event("ShokoEvent:FileDetected", "v5_ShokoEvent_FileDetected") == (
        FileDetected(ShokoLocation(2, GARDEN))
    )
    hashed = event(
        "ShokoEvent:FileHashed",
        "v5_ShokoEvent_FileHashed",
        RelativePath="\\" + GARDEN.replace("/", "\\"),
    )
    assert hashed == ShokoFileEvidence(
        ShokoFileEvent.HASHED, 220, location=ShokoLocation(2, GARDEN)
    )
    matched = event("ShokoEvent:FileMatched", "v5_ShokoEvent_FileMatched")
    assert (matched.event, matched.links) == (ShokoFileEvent.MATCHED, (XREF,))
    new_series = event(
        "ShokoEvent:FileMatched", "v5_ShokoEvent_FileMatched_series_not_created_yet"
    )
    assert new_series.links == (AnimeLink(18001, 280001),)
    moved = event("ShokoEvent:FileMoved", "v5_ShokoEvent_FileMoved")
    assert (moved.event, moved.previous) == (
        ShokoFileEvent.RELOCATED,
        ShokoLocation(2, GARDEN),
    )
    renamed = event("ShokoEvent:FileRenamed", "v5_ShokoEvent_FileRenamed")
    assert renamed.previous == ShokoLocation(2, GARDEN)


def test_not_matched_stalls_unless_it_is_a_rescan() -> None:
    """Without cross references: not matched (banned or not); with them: a match."""
    unmatched = event("ShokoEvent:FileNotMatched", "v5_ShokoEvent_FileNotMatched")
    assert (unmatched.event, unmatched.anidb_banned) == (
        ShokoFileEvent.NOT_MATCHED,
        False,
    )
    banned = event(
        "ShokoEvent:FileNotMatched", "v5_ShokoEvent_FileNotMatched", IsUDPBanned=True
    )
    assert banned.anidb_banned
    rescan = event(
        "ShokoEvent:FileNotMatched",
        "v5_ShokoEvent_FileNotMatched",
        HasCrossReferences=True,
    )
    assert rescan.event is ShokoFileEvent.MATCHED


def test_metadata_events_of_v5() -> None:
    """AniDB-sourced updates name Shoko's ids; TMDB movies mark the link."""
    assert event(
        "ShokoEvent:SeriesUpdated", "v5_ShokoEvent_SeriesUpdated_source_AniDB"
    ) == AnimeSeriesEvidence(9603, (29,), ((147025, (331,)),))
    assert (
        event("ShokoEvent:SeriesUpdated", "v5_ShokoEvent_SeriesUpdated_source_Shoko")
        is None
    )
    assert event(
        "ShokoEvent:EpisodeUpdated",
        "v5_ShokoEvent_EpisodeUpdated",
        Source="AniDB",
        EpisodeID=147025,
        SeriesID=9603,
    ) == AnimeSeriesEvidence(9603, (29,), ((147025, (331,)),))
    assert event("ShokoEvent:EpisodeUpdated", "v5_ShokoEvent_EpisodeUpdated") is None
    assert event(
        "ShokoEvent:MovieUpdated", "v5_ShokoEvent_MovieUpdated"
    ) == AnimeMovieEvidence(198375)
    assert (
        event("ShokoEvent:MovieUpdated", "v5_ShokoEvent_MovieUpdated", Reason="Removed")
        is None
    )


def test_v6_names_and_ignored_events() -> None:
    """v6-dev's feeds parse to the same evidence; greetings and deletes are ignored."""
    hashed = event("file:hashed", "v6dev_file_hashed")
    assert hashed == ShokoFileEvidence(
        ShokoFileEvent.HASHED, 220, location=ShokoLocation(2, GARDEN)
    )
    saved = event("release:saved", "v6dev_release_saved")
    assert saved == ShokoFileEvidence(
        ShokoFileEvent.MATCHED, 220, links=(AnimeLink(9603, 147025),)
    )
    detected = parse_event(
        "file:detected", [{"RelativePath": "/a/b.mkv", "ManagedFolderID": 3}]
    )
    assert detected == FileDetected(ShokoLocation(3, "a/b.mkv"))
    relocated = event(
        "file:relocated",
        "v6dev_file_hashed",
        PreviousRelativePath="old.mkv",
        PreviousManagedFolderID=1,
    )
    assert relocated.previous == ShokoLocation(1, "old.mkv")
    assert event("metadata:movie.added", "v5_ShokoEvent_MovieUpdated") == (
        AnimeMovieEvidence(198375)
    )
    assert "metadata:series.imageupdated" in EVENT_NAMES
    assert event("ShokoEvent:FileDeleted", "v5_ShokoEvent_FileDeleted") is None
    assert parse_event("ShokoEvent:OnConnected", [None]) is None
    assert parse_event("Unknown:Event", [{}]) is None


def test_malformed_payloads_raise_invalid_payload() -> None:
    """Wrong types name the offending path."""
    with pytest.raises(InvalidPayload, match="FileID"):
        parse_event("ShokoEvent:FileMatched", [{"FileID": "220"}])
    with pytest.raises(InvalidPayload, match="ShokoSeriesIDs"):
        event(
            "ShokoEvent:SeriesUpdated",
            "v5_ShokoEvent_SeriesUpdated_source_AniDB",
            ShokoSeriesIDs=["29"],
        )
    with pytest.raises(InvalidPayload):
        parse_event("ShokoEvent:FileMatched", ["not an object"])


async def test_validate(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Init/Status tells Shoko from anything else; the folder list checks the key."""
    client = ShokoClient(async_get_clientsession(hass), URL, "key")
    status = load_fixture("shoko/rest_v3_Init_Status_response.json")
    aioclient_mock.get(f"{URL}/api/v3/Init/Status", json=status)
    aioclient_mock.get(f"{URL}/api/v3/ImportFolder", status=401)
    with pytest.raises(InvalidAuth):
        await client.async_validate()
    aioclient_mock.clear_requests()
    aioclient_mock.get(f"{URL}/api/v3/Init/Status", json=status)
    aioclient_mock.get(
        f"{URL}/api/v3/ImportFolder",
        json=[load_fixture("shoko/rest_v3_ImportFolder_id_response.json")],
    )
    await client.async_validate()
    assert aioclient_mock.mock_calls[-1][3] == {"apikey": "key"}
    assert client.hub_url == (
        f"{URL}/signalr/aggregate?feeds=shoko,file,release,metadata"
    )
    assert client.hub_headers == {"apikey": "key"}


@pytest.mark.parametrize(
    ("status", "error"),
    [
        ({"json": {"State": "Starting"}}, CannotConnect),
        ({"json": {"State": "Sleeping"}}, WrongService),
        ({"json": {"title": "Jellyfin"}}, WrongService),
        ({"status": 404}, WrongService),
    ],
)
async def test_validate_rejects(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    status: dict[str, Any],
    error: type,
) -> None:
    """A starting Shoko cannot judge the key; other answers are not Shoko."""
    aioclient_mock.get(f"{URL}/api/v3/Init/Status", **status)
    aioclient_mock.get(f"{URL}/api/v3/ImportFolder", json={})
    client = ShokoClient(async_get_clientsession(hass), URL, "key")
    with pytest.raises(error):
        await client.async_validate()


async def test_validate_needs_a_folder_list(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """An object where the import folders should be is not Shoko."""
    aioclient_mock.get(f"{URL}/api/v3/Init/Status", json={"State": "Started"})
    aioclient_mock.get(f"{URL}/api/v3/ImportFolder", json={})
    client = ShokoClient(async_get_clientsession(hass), URL, "key")
    with pytest.raises(WrongService):
        await client.async_validate()


async def test_obtain_api_key(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """`/api/auth` gives the device's key; 401 and foreign answers are errors."""
    session = async_get_clientsession(hass)
    aioclient_mock.post(
        f"{URL}/api/auth", json=load_fixture("shoko/rest_auth_login_response.json")
    )
    key = await async_obtain_api_key(session, URL, "Default", "")
    assert key == "00000000-0000-0000-0000-000000000000"
    assert aioclient_mock.mock_calls[0][2] == {
        "user": "Default",
        "pass": "",
        "device": "Home Assistant Media Request Tracker",
    }
    aioclient_mock.clear_requests()
    aioclient_mock.post(f"{URL}/api/auth", status=401)
    with pytest.raises(InvalidAuth):
        await async_obtain_api_key(session, URL, "Default", "wrong")
    aioclient_mock.clear_requests()
    aioclient_mock.post(f"{URL}/api/auth", json={"token": "x"})
    with pytest.raises(WrongService):
        await async_obtain_api_key(session, URL, "Default", "")


async def test_files_and_folders(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """A file with cross references and TMDB links; lookups by path; folders."""
    client = ShokoClient(async_get_clientsession(hass), URL, "key")
    aioclient_mock.get(
        f"{URL}/api/v3/File/220",
        json=load_fixture(
            "shoko/rest_v3_File_id_include_XRefs_AbsolutePaths_response.json"
        ),
    )
    aioclient_mock.get(
        f"{URL}/api/v3/File/PathEndsWith",
        json=_array("shoko/rest_v3_File_PathEndsWith_response.json"),
    )
    aioclient_mock.get(
        f"{URL}/api/v3/ImportFolder/2",
        json=load_fixture("shoko/rest_v3_ImportFolder_id_response.json"),
    )
    remote = await client.async_get_file(220)
    assert (remote.file_id, remote.size, remote.tmdb_linked) == (220, 4294967296, True)
    assert remote.links == (XREF,)
    assert remote.evidence() == ShokoFileEvidence(
        ShokoFileEvent.MATCHED,
        220,
        location=ShokoLocation(2, GARDEN),
        links=(XREF,),
        size=4294967296,
        tmdb_linked=True,
    )
    (found,) = await client.async_find_files(GARDEN)
    assert found.locations == (ShokoLocation(2, GARDEN),)
    assert str(aioclient_mock.mock_calls[-1][1].query["path"]) == GARDEN
    folder = await client.async_get_import_folder(2)
    assert (folder.folder_id, folder.name, folder.path) == (
        2,
        "Anime Movies",
        "/data/anime/movies/",
    )


def _array(name: str) -> list[Any]:
    """A fixture that is a JSON array."""
    value: list[Any] = json.loads((FIXTURES / name).read_text())
    return value


def test_unmatched_file_is_hashed_evidence() -> None:
    """A file without cross references is only known, not matched."""
    remote = parse_file(
        ShokoFields({"ID": 7, "Size": 5, "Locations": [], "SeriesIDs": []})
    )
    assert remote.evidence() == ShokoFileEvidence(
        ShokoFileEvent.HASHED, 7, size=5, tmdb_linked=None
    )
