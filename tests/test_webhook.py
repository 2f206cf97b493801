"""Webhook endpoints: bad input gets a clear 4xx and changes nothing; secrets hold."""

from base64 import b64encode
from http import HTTPStatus
import logging
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from homeassistant.core import HomeAssistant

from custom_components.media_request_tracker.const import (
    CONF_WEBHOOK_SECRET,
    DOMAIN,
)
from custom_components.media_request_tracker.engine.stored import (
    request_to_dict,
)

from .conftest import Post, entry_data, load_fixture

SECRET = "s3cr3t-webhook-token"


def basic(user: str, password: str) -> str:
    """An Authorization header as Radarr and Sonarr send it."""
    return "Basic " + b64encode(f"{user}:{password}".encode("latin-1")).decode()


def snapshot(entry: MockConfigEntry) -> dict[str, object]:
    """Every tracked request, as stored."""
    return {
        key: request_to_dict(request)
        for key, request in entry.runtime_data.tracker.requests.items()
    }


async def track_one_request(entry: MockConfigEntry, post: Post) -> dict[str, object]:
    """Track request 80 (Jellyseerr auto-approved it); the snapshot that follows."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    assert set(entry.runtime_data.tracker.requests) == {"80"}
    return snapshot(entry)


@pytest.mark.parametrize(
    ("source", "body", "status", "reason"),
    [
        ("radarr", b"{not json", HTTPStatus.BAD_REQUEST, "not valid JSON"),
        ("radarr", b"[1, 2]", HTTPStatus.BAD_REQUEST, "must be an object"),
        ("radarr", b'{"movie": {}}', HTTPStatus.BAD_REQUEST, "eventType is missing"),
        (
            "radarr",
            b'{"eventType": "Grab", "movie": {"id": "71", "title": "x"}}',
            HTTPStatus.BAD_REQUEST,
            "body.movie.id must be an integer",
        ),
        (
            "sonarr",
            b'{"eventType": "Download", "series": {"id": 1}, "episodes": []}',
            HTTPStatus.BAD_REQUEST,
            "episodeFile or episodeFiles",
        ),
        (
            "jellyseerr",
            b'{"notification_type": "MEDIA_APPROVED", "media": {"media_type": "tv", "tmdbId": "x1"}, "request": {"request_id": "5"}}',
            HTTPStatus.BAD_REQUEST,
            "tmdbId must be a whole number",
        ),
        (
            "jellyseerr",
            b'{"notification_type": "MEDIA_APPROVED", "media": {"media_type": "music", "tmdbId": "1"}, "request": {"request_id": "5"}}',
            HTTPStatus.BAD_REQUEST,
            "media_type must be movie or tv",
        ),
        (
            "jellyfin",
            b'{"NotificationType": "ItemAdded", "ItemType": "Movie"}',
            HTTPStatus.BAD_REQUEST,
            "itemid is missing",
        ),
    ],
)
async def test_malformed_bodies_are_refused(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    caplog: pytest.LogCaptureFixture,
    source: str,
    body: bytes,
    status: HTTPStatus,
    reason: str,
) -> None:
    """Malformed JSON and wrong types: 4xx with a reason, one log line, no change."""
    before = await track_one_request(loaded_entry, post)
    caplog.clear()

    response = await post(source, body)

    assert response.status == status
    assert reason in await response.text()
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert source in warnings[0].getMessage()
    assert snapshot(loaded_entry) == before


async def test_body_over_one_mebibyte_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """Too large bodies get 413 before being parsed."""
    before = await track_one_request(loaded_entry, post)
    big = b'{"eventType": "Grab", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    response = await post("radarr", big)
    assert response.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert snapshot(loaded_entry) == before


async def test_only_post_is_allowed(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Other methods never reach the handler."""
    client = await hass_client_no_auth()
    response = await client.get("/api/webhook/hook_radarr")
    assert response.status == HTTPStatus.METHOD_NOT_ALLOWED


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("radarr", "radarr/test.json"),
        ("sonarr", "sonarr/test.json"),
        ("jellyseerr", "jellyseerr/test_notification.json"),
    ],
)
async def test_test_events_mark_the_source_connected(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    source: str,
    name: str,
) -> None:
    """A Test notification is acknowledged and recorded, and changes no request."""
    before = await track_one_request(loaded_entry, post)
    response = await post(source, name)
    assert response.status == HTTPStatus.OK
    assert source in loaded_entry.runtime_data.tracking.notes.sources_seen
    assert snapshot(loaded_entry) == before


@pytest.mark.parametrize(
    ("source", "body"),
    [
        ("radarr", {"eventType": "ApplicationUpdate", "message": "Radarr updated"}),
        ("radarr", {"eventType": "MovieAdded", "movie": {"id": 1}}),
        ("sonarr", {"eventType": "SeriesAdd", "series": {"id": 1}}),
        ("jellyseerr", "jellyseerr/issue_created.json"),
        ("jellyfin", {"NotificationType": "PlaybackStart", "ItemId": "x"}),
        (
            "jellyfin",
            {"NotificationType": "ItemAdded", "ItemType": "MusicAlbum", "ItemId": "x"},
        ),
    ],
)
async def test_unknown_events_are_acknowledged_and_ignored(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    source: str,
    body: dict[str, object] | str,
) -> None:
    """Events we do not use answer 200 so that senders do not back off."""
    before = await track_one_request(loaded_entry, post)
    response = await post(source, body)
    assert response.status == HTTPStatus.OK
    assert snapshot(loaded_entry) == before


async def test_jellyfin_text_plain_template_body(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """The Generic destination sends text/plain; lower-case keys, dashed ids."""
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    response = await post(
        "jellyfin",
        load_fixture("jellyfin-webhook/ItemAdded_Movie_template_lowercase_keys.json"),
        headers={"Content-Type": "text/plain"},
    )
    assert response.status == HTTPStatus.OK
    request = loaded_entry.runtime_data.tracker.requests["80"]
    assert request.state == "available"
    assert request.jellyfin_item_id == "c0ffee00d1e2f3a4b5c6d7e8f9a0b1c2"


@pytest.fixture
async def secured_entry(hass: HomeAssistant, jellyseerr_ok: object) -> MockConfigEntry:
    """An entry whose Radarr and Jellyseerr webhooks require a secret."""
    data = entry_data(
        radarr={
            "url": "http://radarr:7878",
            "api_key": "r",
            "verify_ssl": True,
            CONF_WEBHOOK_SECRET: SECRET,
        }
    )
    data["jellyseerr"][CONF_WEBHOOK_SECRET] = SECRET
    entry = MockConfigEntry(domain=DOMAIN, data=data)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.mark.parametrize(
    ("source", "headers", "status"),
    [
        ("radarr", {}, HTTPStatus.UNAUTHORIZED),
        (
            "radarr",
            {"Authorization": basic("radarr", "wrong")},
            HTTPStatus.UNAUTHORIZED,
        ),
        ("radarr", {"Authorization": "Basic !!!"}, HTTPStatus.UNAUTHORIZED),
        (
            "radarr",
            {"Authorization": basic("any-user", SECRET)},
            HTTPStatus.OK,
        ),
        ("jellyseerr", {"Authorization": "Bearer nope"}, HTTPStatus.UNAUTHORIZED),
        ("jellyseerr", {"Authorization": SECRET}, HTTPStatus.OK),
        ("jellyseerr", {"Authorization": f"Bearer {SECRET}"}, HTTPStatus.OK),
        ("sonarr", {}, HTTPStatus.OK),
    ],
)
async def test_webhook_secret(
    hass: HomeAssistant,
    secured_entry: MockConfigEntry,
    post: Post,
    caplog: pytest.LogCaptureFixture,
    source: str,
    headers: dict[str, str],
    status: HTTPStatus,
) -> None:
    """Configured secrets are required (Basic auth for *arr, a header otherwise)."""
    name = {"radarr": "radarr/test.json", "sonarr": "sonarr/test.json"}.get(
        source, "jellyseerr/test_notification.json"
    )
    response = await post(source, name, headers=headers)
    assert response.status == status
    assert (source in secured_entry.runtime_data.tracking.notes.sources_seen) is (
        status == HTTPStatus.OK
    )
    assert SECRET not in caplog.text


async def test_refusals_are_logged_once_a_minute(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    secured_entry: MockConfigEntry,
    post: Post,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A sender posting with a wrong secret in a loop costs one warning a minute."""
    for _ in range(5):
        response = await post("radarr", "radarr/test.json")
        assert response.status == HTTPStatus.UNAUTHORIZED
    freezer.tick(61)
    await post("radarr", "radarr/test.json")
    warnings = [
        r for r in caplog.records if r.levelname == "WARNING" and "Refused" in r.msg
    ]
    assert [r.getMessage() for r in warnings] == [
        "Refused a radarr webhook: missing or wrong credentials"
    ] * 2


@pytest.mark.parametrize(("option", "local_only"), [(None, True), (False, False)])
async def test_webhooks_are_local_only_unless_turned_off(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    jellyseerr_ok: object,
    post: Post,
    option: bool | None,
    local_only: bool,
) -> None:
    """Closed by default: a sender outside the network is not handed to us."""
    options = {} if option is None else {"local_webhooks_only": option}
    entry = MockConfigEntry(domain=DOMAIN, data=config_entry.data, options=options)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    with patch("homeassistant.util.network.is_local", return_value=False):
        response = await post(
            "jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json"
        )
    # Home Assistant answers 200 either way (by design); only the state tells.
    assert response.status == HTTPStatus.OK
    tracked = "80" in entry.runtime_data.tracker.requests
    assert tracked is not local_only
