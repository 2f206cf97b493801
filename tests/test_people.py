"""People: Jellyseerr users linked to Home Assistant persons, and who follows what."""

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from homeassistant.core import Context, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component

from custom_components.media_request_tracker.const import DOMAIN

from .conftest import EventLog, Post, entity_state, load_fixture

ANNA = "person.anna_kingsley"
BEN = "person.ben"
MOVIE = "jellyseerr/media_auto_approved_movie_regular.json"


@pytest.fixture
async def persons(hass: HomeAssistant, hass_admin_user: MockUser) -> None:
    """Anna (the admin user's person) and Ben, who has no user."""
    assert await async_setup_component(
        hass,
        "person",
        {
            "person": [
                {"id": "anna", "name": "Anna Kingsley", "user_id": hass_admin_user.id},
                {"id": "ben", "name": "Ben"},
            ]
        },
    )


def requested_by(user: str) -> dict[str, Any]:
    """The Dune request, made by another Jellyseerr user."""
    payload = load_fixture(MOVIE)
    payload["request"]["requestedBy_username"] = user
    return payload


def status(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """The Dune request sensor's attributes."""
    state = entity_state(hass, "sensor", f"{entry.entry_id}_request_80")
    return dict(state.attributes)


def followers_state(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """What the Dune device's followers sensor shows."""
    return entity_state(hass, "sensor", f"{entry.entry_id}_followers_80").state


async def link(hass: HomeAssistant, entry: MockConfigEntry, **people: str) -> None:
    """Save the options with these people links (the entry reloads)."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["step_id"] == "people"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], people
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def follow(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    action: str = "follow",
    context: Context | None = None,
    **data: Any,
) -> None:
    """Call follow or unfollow on the Dune request."""
    await hass.services.async_call(
        DOMAIN,
        action,
        {"entity_id": status_entity(hass, entry), **data},
        blocking=True,
        context=context,
    )


def status_entity(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    return entity_state(hass, "sensor", f"{entry.entry_id}_request_80").entity_id


@pytest.mark.usefixtures("persons")
async def test_people_step_suggests_persons_by_name(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """Jellyseerr's users and tracked requesters are offered; names suggest persons."""
    await post("jellyseerr", requested_by("ben"))
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "people"
    fields = {str(key): key for key in result["data_schema"].schema}
    # Jellyseerr's users list, and "ben", who requested Dune, sorted by name.
    assert list(fields) == ["admin", "anna", "ben", "Ben.Kingsley", "guest"]
    suggested = {
        name: (key.description or {}).get("suggested_value")
        for name, key in fields.items()
    }
    # "anna" is Anna Kingsley's first name; two users would be Ben: no guess.
    assert suggested == {
        "admin": None,
        "anna": ANNA,
        "ben": BEN,
        "Ben.Kingsley": BEN,
        "guest": None,
    }


@pytest.mark.usefixtures("persons")
async def test_requests_and_events_name_the_requesters_person(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post, events: EventLog
) -> None:
    """A linked requester is the request's person and its first follower."""
    await link(hass, loaded_entry, anna=ANNA)
    await post("jellyseerr", requested_by("Anna"))

    attributes = status(hass, loaded_entry)
    # Jellyseerr's names are matched regardless of case.
    assert attributes["requested_by_person"] == ANNA
    assert attributes["followers"] == [ANNA]
    assert followers_state(hass, loaded_entry) == "Anna Kingsley"
    (created,) = events.of("media_request_tracker_state_changed")
    assert created["requested_by_person"] == ANNA
    assert created["followers"] == [ANNA]
    updates = entity_state(
        hass, "event", f"{loaded_entry.entry_id}_request_updates"
    ).attributes
    assert updates["event_type"] == "approved"
    assert updates["followers"] == [ANNA]


@pytest.mark.usefixtures("persons")
async def test_follow_defaults_to_the_callers_person_and_is_stored(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    events: EventLog,
    hass_admin_user: MockUser,
    hass_storage: dict[str, Any],
) -> None:
    """Anna follows Ben's request: she is on every later event, after a restart too."""
    await post("jellyseerr", requested_by("ben"))
    await link(hass, loaded_entry, ben=BEN)

    request = loaded_entry.runtime_data.tracker.requests["80"]
    updated_at = request.updated_at
    await follow(hass, loaded_entry, context=Context(user_id=hass_admin_user.id))
    # Following twice changes nothing.
    await follow(hass, loaded_entry, person=ANNA)
    # Nor does following count as news: retention and history count on.
    assert request.updated_at == updated_at

    assert status(hass, loaded_entry)["followers"] == [BEN, ANNA]
    assert followers_state(hass, loaded_entry) == "Ben, Anna Kingsley"
    await post("radarr", "radarr/grab_regular.json")
    grabbed = events.of("media_request_tracker_state_changed")[-1]
    assert grabbed["to_state"] == "grabbing"
    assert grabbed["followers"] == [BEN, ANNA]

    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    (stored,) = hass_storage[f"{DOMAIN}.{loaded_entry.entry_id}"]["data"]["requests"]
    assert stored["followers"] == [ANNA]
    assert status(hass, loaded_entry)["followers"] == [BEN, ANNA]


@pytest.mark.usefixtures("persons")
async def test_requesters_can_unfollow_their_own_request(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """Unfollowing leaves the requester's person named but off the followers."""
    await post("jellyseerr", requested_by("ben"))
    await link(hass, loaded_entry, ben=BEN)

    await follow(hass, loaded_entry, "unfollow", person=BEN)

    attributes = status(hass, loaded_entry)
    assert attributes["requested_by_person"] == BEN
    assert attributes["followers"] == []
    assert followers_state(hass, loaded_entry) == ""
    await follow(hass, loaded_entry, person=BEN)
    assert status(hass, loaded_entry)["followers"] == [BEN]


@pytest.mark.usefixtures("persons")
async def test_follow_needs_a_person(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    post: Post,
    hass_storage: dict[str, Any],
) -> None:
    """An unknown person, or a caller who is nobody, is refused and changes nothing."""
    await post("jellyseerr", requested_by("ben"))

    with pytest.raises(ServiceValidationError) as unknown:
        await follow(hass, loaded_entry, person="person.nobody")
    assert unknown.value.translation_key == "unknown_person"
    with pytest.raises(ServiceValidationError) as nobody:
        await follow(hass, loaded_entry, context=Context(user_id="not-a-person"))
    assert nobody.value.translation_key == "no_person_for_user"

    assert status(hass, loaded_entry)["followers"] == []
    assert followers_state(hass, loaded_entry) == ""


async def test_many_followers_fit_in_a_state(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """Names past Home Assistant's 255 characters are counted, not cut mid-name."""
    assert await async_setup_component(
        hass,
        "person",
        {
            "person": [
                {"id": f"p{n}", "name": f"Great-aunt Wilhelmina the {n}th"}
                for n in range(12)
            ]
        },
    )
    await post("jellyseerr", requested_by("ben"))
    for n in range(12):
        await follow(
            hass, loaded_entry, person=f"person.great_aunt_wilhelmina_the_{n}th"
        )

    shown = followers_state(hass, loaded_entry)
    assert len(shown) <= 255
    assert shown.startswith("Great-aunt Wilhelmina the 0th, ")
    kept = shown.count("Great-aunt")
    assert shown.endswith(f"th +{12 - kept}")
    assert len(status(hass, loaded_entry)["followers"]) == 12


@pytest.mark.usefixtures("persons")
async def test_a_link_left_empty_is_not_suggested_again(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Clearing Anna's suggested link sticks: the next People step leaves it empty."""
    await link(hass, loaded_entry, **{"Ben.Kingsley": BEN})
    assert loaded_entry.options["people"]["anna"] == ""

    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    suggested = {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }
    assert suggested["anna"] is None
    assert suggested["Ben.Kingsley"] == BEN


@pytest.mark.usefixtures("persons")
async def test_a_deleted_person_can_still_be_unfollowed(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, post: Post
) -> None:
    """A person removed from Home Assistant is taken off what they followed."""
    await post("jellyseerr", requested_by("ben"))
    loaded_entry.runtime_data.tracker.follow("80", "person.moved_out")
    with pytest.raises(ServiceValidationError):
        await follow(hass, loaded_entry, person="person.moved_out")

    await follow(hass, loaded_entry, "unfollow", person="person.moved_out")

    assert status(hass, loaded_entry)["followers"] == []
