"""Posters served by Home Assistant: through Jellyseerr, Jellyfin or TMDB, cached."""

from http import HTTPStatus
from typing import Any

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
JPEG = {
    "content": b"\xff\xd8\xff\xe0 a poster",
    "headers": {"Content-Type": "image/jpeg"},
}
JELLYFIN = "http://jellyfin:8096"


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
) -> tuple[int, bytes, str | None]:
    """GET a path as a browser's `<img>` would: without Home Assistant's token."""
    client = await hass_client_no_auth()
    response = await client.get(path)
    return response.status, await response.read(), response.headers.get("Cache-Control")


def calls(mock: AiohttpClientMocker, path: str) -> int:
    """How many requests went to URLs containing `path`."""
    return sum(path in str(call[1]) for call in mock.mock_calls)


async def test_the_poster_comes_through_jellyseerr_once(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
    post: Post,
) -> None:
    """The entity picture is a path on Home Assistant; the poster is cached."""
    jellyseerr_ok.get(f"{JELLYSEERR_URL}/imageproxy/tmdb{CARD_SIZE_PATH}", **JPEG)
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    path = picture(hass, loaded_entry, "80")
    assert path.startswith(f"/api/{DOMAIN}/poster/{loaded_entry.entry_id}/80?token=")

    for _ in range(2):
        status, body, cache = await fetch(hass_client_no_auth, path)
        assert (status, body) == (HTTPStatus.OK, JPEG["content"])
        assert cache == "private, max-age=86400"
    assert calls(jellyseerr_ok, "/imageproxy/") == 1


async def test_a_wrong_token_or_request_gets_nothing(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
    post: Post,
) -> None:
    """Without the entry's token: 401; an unknown request or entry: 404."""
    jellyseerr_ok.get(f"{JELLYSEERR_URL}/imageproxy/tmdb{CARD_SIZE_PATH}", **JPEG)
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    path, token = picture(hass, loaded_entry, "80").split("?")
    entry_id = loaded_entry.entry_id

    assert (await fetch(hass_client_no_auth, path))[0] == HTTPStatus.UNAUTHORIZED
    wrong = f"{path}?token=guess"
    assert (await fetch(hass_client_no_auth, wrong))[0] == HTTPStatus.UNAUTHORIZED
    unknown = f"/api/{DOMAIN}/poster/{entry_id}/999?{token}"
    assert (await fetch(hass_client_no_auth, unknown))[0] == HTTPStatus.NOT_FOUND
    no_entry = f"/api/{DOMAIN}/poster/nope/80?{token}"
    assert (await fetch(hass_client_no_auth, no_entry))[0] == HTTPStatus.NOT_FOUND
    assert calls(jellyseerr_ok, "/imageproxy/") == 0


async def test_an_older_jellyseerr_is_asked_its_own_way(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
    post: Post,
) -> None:
    """Before v2.6 the route has no `tmdb/`; once learnt, only it is asked."""
    jellyseerr_ok.get(
        f"{JELLYSEERR_URL}/imageproxy/tmdb{CARD_SIZE_PATH}", status=HTTPStatus.NOT_FOUND
    )
    jellyseerr_ok.get(f"{JELLYSEERR_URL}/imageproxy{CARD_SIZE_PATH}", **JPEG)
    approved = load_fixture("jellyseerr/media_auto_approved_movie_regular.json")
    await post("jellyseerr", approved)
    approved["request"]["request_id"] = "81"
    await post("jellyseerr", approved)

    for key in ("80", "81"):
        status, body, _ = await fetch(
            hass_client_no_auth, picture(hass, loaded_entry, key)
        )
        assert (status, body) == (HTTPStatus.OK, JPEG["content"])
    assert calls(jellyseerr_ok, "/imageproxy/tmdb/") == 1


async def test_without_jellyseerr_the_poster_comes_from_tmdb(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
    post: Post,
) -> None:
    """Home Assistant may reach the internet where the browser cannot."""
    jellyseerr_ok.get(
        f"{JELLYSEERR_URL}/imageproxy/tmdb{CARD_SIZE_PATH}",
        status=HTTPStatus.BAD_GATEWAY,
    )
    jellyseerr_ok.get(f"https://image.tmdb.org{CARD_SIZE_PATH}", **JPEG)
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    status, body, _ = await fetch(
        hass_client_no_auth, picture(hass, loaded_entry, "80")
    )
    assert (status, body) == (HTTPStatus.OK, JPEG["content"])


async def test_an_error_page_is_no_poster(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    jellyseerr_ok: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
    post: Post,
) -> None:
    """A source answering something else than an image is passed over: 404."""
    html = {
        "text": "<html>captive portal</html>",
        "headers": {"Content-Type": "text/html"},
    }
    jellyseerr_ok.get(f"{JELLYSEERR_URL}/imageproxy/tmdb{CARD_SIZE_PATH}", **html)
    jellyseerr_ok.get(f"{JELLYSEERR_URL}/imageproxy{CARD_SIZE_PATH}", **html)
    jellyseerr_ok.get(f"https://image.tmdb.org{CARD_SIZE_PATH}", **html)
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    status, _, _ = await fetch(hass_client_no_auth, picture(hass, loaded_entry, "80"))
    assert status == HTTPStatus.NOT_FOUND


async def test_jellyfin_has_the_poster_tmdb_does_not(
    hass: HomeAssistant,
    jellyseerr_ok: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
    post: Post,
) -> None:
    """A request without a TMDB poster shows Jellyfin's image once it is there."""
    jellyfin = {"url": JELLYFIN, "api_key": "jf", "verify_ssl": True}
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Jellyseerr",
        data=entry_data(jellyfin=jellyfin),
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    jellyseerr_ok.get(f"{JELLYFIN}/Items", json={"Items": [], "TotalRecordCount": 0})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    approved = load_fixture("jellyseerr/media_auto_approved_movie_regular.json")
    approved["image"] = ""
    await post("jellyseerr", approved)
    assert picture(hass, entry, "80") is None

    added = load_fixture("jellyfin-webhook/ItemAdded_Movie_regular.json")
    await post("jellyfin", added)
    item_id = added["ItemId"]
    jellyseerr_ok.get(
        f"{JELLYFIN}/Items/{item_id}/Images/Primary?fillWidth=300",
        content=b"\x89PNG a poster",
        headers={"Content-Type": "image/png"},
    )
    status, body, _ = await fetch(hass_client_no_auth, picture(hass, entry, "80"))
    assert (status, body) == (HTTPStatus.OK, b"\x89PNG a poster")
