"""Posters served by Home Assistant: through Jellyseerr, Jellyfin or TMDB, cached."""

from datetime import timedelta
from http import HTTPStatus
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from homeassistant.const import ATTR_ENTITY_PICTURE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from custom_components.media_request_tracker.const import DOMAIN

from .conftest import JELLYSEERR_URL, Post, entry_data, load_fixture

DUNE_FILE = "1pdfLvkbY9ohJlCjQH2CZjjYVvJ.jpg"
CARD_SIZE_PATH = f"/t/p/w300_and_h450_bestv2/{DUNE_FILE}"
NEW_PROXY = f"{JELLYSEERR_URL}/imageproxy/tmdb{CARD_SIZE_PATH}"
OLD_PROXY = f"{JELLYSEERR_URL}/imageproxy{CARD_SIZE_PATH}"
TMDB = f"https://image.tmdb.org{CARD_SIZE_PATH}"
JPEG = {
    "content": b"\xff\xd8\xff\xe0 a poster",
    "headers": {"Content-Type": "image/jpeg"},
}
JELLYFIN = "http://jellyfin:8096"
JELLYFIN_CONFIG = {"url": JELLYFIN, "api_key": "jf", "verify_ssl": True}


def picture(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> Any:
    """The request status sensor's entity picture."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_request_{key}"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.attributes.get(ATTR_ENTITY_PICTURE)


async def fetch(
    hass_client_no_auth: ClientSessionGenerator, path: str
) -> tuple[int, bytes, dict[str, str]]:
    """GET a path as a browser's `<img>` would: without Home Assistant's token."""
    client = await hass_client_no_auth()
    response = await client.get(path)
    return response.status, await response.read(), dict(response.headers)


def calls(mock: AiohttpClientMocker, url: str) -> int:
    """How many requests went to this URL."""
    return sum(str(call[1]) == url for call in mock.mock_calls)


async def load_with_jellyfin(hass: HomeAssistant) -> MockConfigEntry:
    """An entry with Jellyfin configured, loaded."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Jellyseerr",
        data=entry_data(jellyfin=JELLYFIN_CONFIG),
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_the_poster_comes_through_jellyseerr_once(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
    post: Post,
) -> None:
    """The entity picture is a path on Home Assistant; the poster is cached.

    The answer may not run script (no SVG is ever served, and a sandbox besides).
    """
    jellyseerr_ok.get(NEW_PROXY, **JPEG)
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    path = picture(hass, loaded_entry, "80")
    assert path.startswith(f"/api/{DOMAIN}/poster/{loaded_entry.entry_id}/80?v=")

    for _ in range(2):
        status, body, headers = await fetch(hass_client_no_auth, path)
        assert (status, body) == (HTTPStatus.OK, JPEG["content"])
        assert headers["Cache-Control"] == "private, max-age=86400"
        assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert headers["X-Content-Type-Options"] == "nosniff"
    assert calls(jellyseerr_ok, NEW_PROXY) == 1


async def test_the_url_outlives_a_restart_and_follows_the_poster(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
    post: Post,
) -> None:
    """Notifications may keep the URL; a new poster gets a new one."""
    approved = load_fixture("jellyseerr/media_auto_approved_movie_regular.json")
    await post("jellyseerr", approved)
    before = picture(hass, loaded_entry, "80")
    await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert picture(hass, loaded_entry, "80") == before

    approved["image"] = "https://image.tmdb.org/t/p/w600_and_h900_bestv2/other.jpg"
    approved["notification_type"] = "MEDIA_AVAILABLE"
    request = loaded_entry.runtime_data.tracker.requests["80"]
    request.details_known = False  # a webhook may still fill it
    request.poster_url = None
    await post("jellyseerr", approved)
    after = picture(hass, loaded_entry, "80")
    assert after != before
    assert after.split("&token=")[1] == before.split("&token=")[1]


@pytest.mark.parametrize(
    "token",
    ["", "guess", "%C3%A9t%C3%A9", "a" * 64],
    ids=["none", "wrong", "é", "long"],
)
async def test_a_wrong_token_or_entry_gets_nothing(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
    post: Post,
    token: str,
) -> None:
    """401 without the entry's token, whether or not the entry exists."""
    jellyseerr_ok.get(NEW_PROXY, **JPEG)
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    path, query = picture(hass, loaded_entry, "80").split("?")
    good = query.split("&token=")[1]

    wrong = f"{path}?token={token}"
    assert (await fetch(hass_client_no_auth, wrong))[0] == HTTPStatus.UNAUTHORIZED
    no_entry = f"/api/{DOMAIN}/poster/nope/80?token={good}"
    assert (await fetch(hass_client_no_auth, no_entry))[0] == HTTPStatus.UNAUTHORIZED
    unknown = f"/api/{DOMAIN}/poster/{loaded_entry.entry_id}/999?token={good}"
    assert (await fetch(hass_client_no_auth, unknown))[0] == HTTPStatus.NOT_FOUND
    assert calls(jellyseerr_ok, NEW_PROXY) == 0


async def test_an_older_jellyseerr_is_asked_its_own_way(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
    post: Post,
) -> None:
    """Before v2.6 the new route asks TMDB for `tmdb/t/p/…` and answers 500.

    The old route is tried then, and once it has worked only it is asked.
    """
    jellyseerr_ok.get(NEW_PROXY, status=HTTPStatus.INTERNAL_SERVER_ERROR)
    jellyseerr_ok.get(OLD_PROXY, **JPEG)
    approved = load_fixture("jellyseerr/media_auto_approved_movie_regular.json")
    await post("jellyseerr", approved)
    approved["request"]["request_id"] = "81"
    approved["image"] = approved["image"].replace(DUNE_FILE, "x.jpg")
    await post("jellyseerr", approved)
    jellyseerr_ok.get(OLD_PROXY.replace(DUNE_FILE, "x.jpg"), **JPEG)

    for key in ("80", "81"):
        status, body, _ = await fetch(
            hass_client_no_auth, picture(hass, loaded_entry, key)
        )
        assert (status, body) == (HTTPStatus.OK, JPEG["content"])
    assert calls(jellyseerr_ok, NEW_PROXY) == 1
    assert calls(jellyseerr_ok, NEW_PROXY.replace(DUNE_FILE, "x.jpg")) == 0


async def test_jellyfin_comes_before_tmdb(
    hass: HomeAssistant,
    jellyseerr_ok: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
    post: Post,
) -> None:
    """Both local services first: on a network without internet TMDB would wait."""
    jellyseerr_ok.get(f"{JELLYFIN}/Items", json={"Items": [], "TotalRecordCount": 0})
    entry = await load_with_jellyfin(hass)
    jellyseerr_ok.get(NEW_PROXY, status=HTTPStatus.BAD_GATEWAY)
    jellyseerr_ok.get(OLD_PROXY, status=HTTPStatus.BAD_GATEWAY)
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    added = load_fixture("jellyfin-webhook/ItemAdded_Movie_regular.json")
    await post("jellyfin", added)
    png = {"content": b"\x89PNG a poster", "headers": {"Content-Type": "image/png"}}
    jellyseerr_ok.get(
        f"{JELLYFIN}/Items/{added['ItemId']}/Images/Primary?fillWidth=300", **png
    )

    status, body, _ = await fetch(hass_client_no_auth, picture(hass, entry, "80"))
    assert (status, body) == (HTTPStatus.OK, png["content"])
    assert calls(jellyseerr_ok, TMDB) == 0


async def test_without_local_sources_the_poster_comes_from_tmdb(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
    post: Post,
) -> None:
    """Home Assistant may reach the internet where the browser cannot."""
    jellyseerr_ok.get(NEW_PROXY, status=HTTPStatus.BAD_GATEWAY)
    jellyseerr_ok.get(OLD_PROXY, status=HTTPStatus.BAD_GATEWAY)
    jellyseerr_ok.get(TMDB, **JPEG)
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    status, body, _ = await fetch(
        hass_client_no_auth, picture(hass, loaded_entry, "80")
    )
    assert (status, body) == (HTTPStatus.OK, JPEG["content"])


@pytest.mark.parametrize(
    "answer",
    [
        {
            "text": "<html>captive portal</html>",
            "headers": {"Content-Type": "text/html"},
        },
        {
            "text": '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "headers": {"Content-Type": "image/svg+xml"},
        },
        {
            "content": b"x" * (1024 * 1024 + 1),
            "headers": {"Content-Type": "image/jpeg"},
        },
    ],
    ids=["error page", "svg", "too large"],
)
async def test_only_a_poster_is_served(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    post: Post,
    answer: dict[str, Any],
) -> None:
    """Anything but a raster image of poster size is passed over: 404.

    Sources that gave nothing are not asked again for ten minutes.
    """
    for url in (NEW_PROXY, OLD_PROXY, TMDB):
        jellyseerr_ok.get(url, **answer)
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    path = picture(hass, loaded_entry, "80")
    assert (await fetch(hass_client_no_auth, path))[0] == HTTPStatus.NOT_FOUND
    assert (await fetch(hass_client_no_auth, path))[0] == HTTPStatus.NOT_FOUND
    assert calls(jellyseerr_ok, TMDB) == 1
    freezer.tick(timedelta(minutes=11))
    assert (await fetch(hass_client_no_auth, path))[0] == HTTPStatus.NOT_FOUND
    assert calls(jellyseerr_ok, TMDB) == 2
