"""The dashboard card is served and loaded without a manual resource step."""

from http import HTTPStatus

import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from custom_components.media_request_tracker import CARD_URL
from custom_components.media_request_tracker.const import DOMAIN

# The frontend's files are a separate package, absent from the floor environment.
pytest.importorskip("hass_frontend")


async def test_card_is_served_and_added_to_the_frontend(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """The frontend, set up after the integration, loads the card module."""
    from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL  # noqa: PLC0415

    assert await async_setup_component(hass, DOMAIN, {})
    assert await async_setup_component(hass, "frontend", {})
    await hass.async_block_till_done()

    urls = hass.data[DATA_EXTRA_MODULE_URL].urls
    assert [url for url in urls if url.startswith(f"{CARD_URL}?v=")]
    client = await hass_client()
    response = await client.get(CARD_URL)
    assert response.status == HTTPStatus.OK
    assert "customElements.define" in await response.text()
