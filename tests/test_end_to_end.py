"""End to end over real sockets: the simulated stack and Home Assistant's HTTP server.

The integration is added through its config flow against the simulated services;
their webhooks reach Home Assistant's real webhook endpoints over HTTP, the pollers
query their real REST endpoints, and the states are read through the REST API.
The simulator runs on a manual clock, so every scenario plays deterministically.
"""

from collections import defaultdict
from collections.abc import AsyncGenerator, Callable, Iterator
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from custom_components.media_request_tracker.const import DOMAIN
from custom_components.media_request_tracker.pollers.jellyseerr import (
    NEW_REQUESTS_PER_POLL,
    JellyseerrPoller,
)
from tests.simulator import SCENARIOS, Service, SimulatedStack
from tests.simulator.catalog import Movie, Release
from tests.simulator.scenarios import Request, Step
from tests.simulator.stack import PUSHING_SERVICES
from tests.simulator.titles import movie, movie_release, register, unregister
from tests.test_shoko import until

SERVICE_STEPS = (
    (Service.RADARR, "radarr"),
    (Service.SONARR, "sonarr"),
    (Service.QBITTORRENT, "qbittorrent"),
    (Service.JELLYFIN, "jellyfin"),
    (Service.SHOKO, "shoko"),
)
# Simulated seconds per step, and how long every scenario takes to finish (the
# health outage happens after the apps' 15-minute start-up grace).
STEP = 5
DURATION = 1250


@pytest.fixture(
    params=[("5", "2.5.2"), ("6", "2.7.3")],
    ids=["Shoko 5, Seerr 2.5", "Shoko 6, Seerr 2.7"],
)
async def stack(
    socket_enabled: None, request: pytest.FixtureRequest
) -> AsyncGenerator[SimulatedStack]:
    """The simulated services on a manual clock, in two sets of versions.

    Shoko Server 5 or 6; a Seerr without (2.5) or with (2.6+) completed requests.
    """
    shoko, seerr = request.param
    simulated = SimulatedStack(
        speed=0, seed=0, shoko_version=shoko, jellyseerr_version=seerr
    )
    await simulated.start()
    yield simulated
    await simulated.stop()


async def add_integration(hass: HomeAssistant, stack: SimulatedStack) -> Any:
    """Run the config flow with every simulated service, as a user would."""
    credentials = stack.credentials()
    flow = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    configure = hass.config_entries.flow.async_configure
    jellyseerr = credentials[Service.JELLYSEERR]
    result = await configure(
        flow["flow_id"], {"url": jellyseerr["url"], "api_key": jellyseerr["api_key"]}
    )
    for service, step in SERVICE_STEPS:
        await configure(flow["flow_id"], {"next_step_id": step})
        answer = {key: value for key, value in credentials[service].items() if value}
        result = await configure(flow["flow_id"], answer)
        assert result["type"] == "menu", result
    result = await configure(flow["flow_id"], {"next_step_id": "finish"})
    assert result["type"] == "create_entry", result
    return result


def send_webhooks(stack: SimulatedStack, created: Any) -> None:
    """The services post to the webhook URLs the config flow gave."""
    urls = created["description_placeholders"]
    stack.send_webhooks_to(
        {service: urls[f"{service}_url"] for service in PUSHING_SERVICES}
    )


@pytest.fixture
async def served(hass: HomeAssistant, socket_enabled: None) -> AsyncGenerator[None]:
    """Home Assistant's HTTP server on a real loopback socket."""
    # Everything that adds routes comes first: serving freezes the router.
    for component in ("http", "api", "webhook", "calendar", DOMAIN):
        assert await async_setup_component(hass, component, {})
    server = TestServer(hass.http.app)
    await server.start_server()
    hass.config.internal_url = str(server.make_url("")).rstrip("/")
    yield
    await server.close()


async def play_every_scenario(
    hass: HomeAssistant, stack: SimulatedStack
) -> tuple[Any, dict[str, list[str]], dict[str, set[str]]]:
    """Add the integration and play every scenario.

    Returns the config entry, the states each title went through, in order, and
    what each waited for along the way (read from its entity at every step).
    """
    created = await add_integration(hass, stack)
    entry = created["result"]
    pollers = entry.runtime_data.pollers.values()
    # Shoko's live connection runs in the background for good: the first polls,
    # background tasks too, are awaited by polling once more.
    for poller in pollers:
        await poller.async_refresh()
    await hass.async_block_till_done()
    send_webhooks(stack, created)

    seen: defaultdict[str, list[str]] = defaultdict(list)

    @callback
    def record(event: Event[Any]) -> None:
        seen[event.data["title"]].append(event.data["to_state"])

    hass.bus.async_listen(f"{DOMAIN}_state_changed", record)
    waited: defaultdict[str, set[str]] = defaultdict(set)
    stack.play(list(SCENARIOS.values()))
    for _ in range(DURATION // STEP):
        stack.clock.advance(STEP)
        await hass.async_block_till_done()
        for poller in pollers:  # the polls of a few real minutes, compressed
            await poller.async_refresh()
        await hass.async_block_till_done()
        for state in hass.states.async_all("sensor"):
            if (reason := state.attributes.get("waiting_for")) is not None:
                waited[state.attributes.get("title", "")].add(reason)
    return entry, seen, waited


def assert_told_why(seen: dict[str, list[str]], waited: dict[str, set[str]]) -> None:
    """Why they waited, as Jellyseerr, Radarr and Sonarr told it."""
    assert seen["Dune: Part Three"] == ["approved"]
    assert "not_released" in waited["Dune: Part Three"]
    assert seen["The Bear"][-1] == "available"
    assert "delay_profile" in waited["The Bear"]
    assert seen["Everything Everywhere All at Once"][-1] == "available"
    assert "download_client_unreachable" in waited["Everything Everywhere All at Once"]
    assert "approval" in waited["Violet Evergarden: The Movie"]


@pytest.mark.usefixtures("served")
async def test_every_scenario(
    hass: HomeAssistant, stack: SimulatedStack, hass_client: ClientSessionGenerator
) -> None:
    """Each scenario's states, in order, and where each request ends."""
    entry, seen, waited = await play_every_scenario(hass, stack)

    def ends_with(title: str, *states: str) -> None:
        assert seen[title][-len(states) :] == list(states), (title, seen[title])

    ends_with("Dune: Part Two", "available")
    assert {"grabbing", "downloading", "importing"} <= set(seen["Dune: Part Two"])
    ends_with("Breaking Bad", "available")
    ends_with("Violet Evergarden: The Movie", "available")
    ends_with("Lycoris Recoil", "available")
    # An airing season: available, reopened by the new episode, available again.
    assert (
        seen["Severance"][-3:] == ["available", "grabbing", "available"]
        or seen["Severance"][-1] == "available"
    )
    ends_with("Interstellar", "failed", "importing", "available")
    ends_with("Arrival", "available")
    ends_with("Blade Runner 2049", "available")
    assert seen["Oppenheimer"][-1] == "downloading"
    # Available, then deleted in Radarr and Sonarr.
    ends_with("Inception", "available", "removed")
    ends_with("Chernobyl", "available", "removed")
    # AniDB does not know the file: it waits in anime_matching, stalled, saying so.
    ends_with("Perfect Blue", "downloaded", "anime_matching")
    # Seasons 2 and 3 of five: available once those two are, though the show is not.
    ends_with("Luther", "available")
    # Failures no webhook reports: Radarr's history says so.
    ends_with("The Matrix", "failed")
    ends_with("Mad Max: Fury Road", "failed")
    # A request deleted in Jellyseerr, and one whose title was blocklisted.
    ends_with("Whiplash", "removed")
    ends_with("Alien", "removed")
    assert_told_why(seen, waited)

    client = await hass_client()
    registry = er.async_get(hass)
    data = entry.runtime_data
    by_title = {request.title: request for request in data.tracker.requests.values()}
    for title, state in (
        ("Dune: Part Two", "available"),
        ("Oppenheimer", "downloading"),
    ):
        entity_id = registry.async_get_entity_id(
            "sensor", DOMAIN, f"{entry.entry_id}_request_{by_title[title].key}"
        )
        response = await client.get(f"/api/states/{entity_id}")
        body = await response.json()
        assert body["state"] == state
        # The poster, through Home Assistant, from this Seerr version's image proxy.
        poster = await client.get(body["attributes"]["entity_picture"])
        assert (poster.status, poster.content_type) == (200, "image/png")
    assert len(by_title["Lycoris Recoil"].episodes) == 13
    perfect_blue = by_title["Perfect Blue"]
    assert perfect_blue.stalled
    assert perfect_blue.current_problem is not None
    assert perfect_blue.current_problem.code == "file_not_matched"
    assert {ep.state for ep in by_title["Breaking Bad"].episodes.values()} == {
        "available"
    }

    # The torrent without seeds is flagged once it has been stuck a day.
    data.tracking.check_stalls(dt_util.utcnow() + timedelta(days=2))
    oppenheimer = await client.get(
        "/api/states/"
        + (
            registry.async_get_entity_id(
                "sensor",
                DOMAIN,
                f"{entry.entry_id}_request_{by_title['Oppenheimer'].key}",
            )
            or ""
        )
    )
    attributes = (await oppenheimer.json())["attributes"]
    assert attributes["stalled"] is True
    assert attributes["problem_code"] == "stalled"
    assert attributes["problem"] == (
        "The download has stalled: no seed is sending data (for more than 24 hours)"
    )


# Oppenheimer's torrent loses its seeds (simulated second 90) while the indexers have
# another release; with a 3-minute stall, remediation reannounces, then replaces it
# 3 minutes on, and the new release follows its grab to Jellyfin well within this.
DEAD_TORRENT_SECONDS = 900


@pytest.mark.usefixtures("served")
@pytest.mark.parametrize("stack", [("6", "2.7.3")], indirect=True, ids=["Shoko 6"])
async def test_a_dead_torrent_is_replaced_with_no_human_action(
    hass: HomeAssistant, stack: SimulatedStack, freezer: FrozenDateTimeFactory
) -> None:
    """Remediation on: reannounced, replaced through Radarr's queue, available."""
    created = await add_integration(hass, stack)
    entry = created["result"]
    hass.config_entries.async_update_entry(
        entry, options={"remediation": "on", "stall_hours": {"downloading": 0.05}}
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    send_webhooks(stack, created)
    steps: list[str] = []

    states: list[str] = []

    @callback
    def record(event: Event[Any]) -> None:
        steps.append(f"{event.data['step']}: {event.data['result']}")

    hass.bus.async_listen(f"{DOMAIN}_remediation", record)
    hass.bus.async_listen(
        f"{DOMAIN}_state_changed",
        callback(lambda event: states.append(event.data["to_state"])),
    )
    stack.play([SCENARIOS["stalled_torrent"]])
    pollers = entry.runtime_data.pollers.values()
    for _ in range(DEAD_TORRENT_SECONDS // STEP):
        stack.clock.advance(STEP)
        freezer.tick(timedelta(seconds=STEP))
        async_fire_time_changed(hass, dt_util.utcnow())
        await hass.async_block_till_done()
        for poller in pollers:
            await poller.async_refresh()
        await hass.async_block_till_done()

    assert steps == ["reannounce: done", "replace: done"]
    assert stack.qbittorrent.reannounced
    assert "oppenheimer_bluray" in stack.radarr.blocklist
    (oppenheimer,) = entry.runtime_data.tracker.requests.values()
    assert oppenheimer.state == "available"
    # Replaced while downloading, the request never went back to grabbing.
    assert states == ["approved", "grabbing", "downloading", "importing", "available"]
    sources = [entry.source for entry in oppenheimer.timeline]
    assert sources.count("remediation") == 2


@pytest.fixture
def films() -> Iterator[Callable[[int], list[Movie]]]:
    """Generated films for one test: each call adds more (numbered on), all removed."""
    added: list[tuple[Movie, tuple[Release, ...]]] = []

    def add(count: int) -> list[Movie]:
        first = len(added) + 1
        made = [movie("collection", n) for n in range(first, first + count)]
        for film in made:
            releases = (movie_release(film),)
            register(film, releases)
            added.append((film, releases))
        return made

    yield add
    for film, releases in added:
        unregister(film, releases)


async def request_all(
    stack: SimulatedStack, films: list[Movie], *, apart: float = 0.0
) -> None:
    """Each film requested in Jellyseerr, `apart` seconds apart, its webhook lost."""
    for film in films:
        stack.clock.advance(apart)
        await stack.player.apply(Step(0, Request(film.key), webhooks=False))


def tracked_titles(entry: Any) -> set[str]:
    """The titles of the entry's tracked requests."""
    return {r.title for r in entry.runtime_data.tracker.requests.values()}


@pytest.mark.usefixtures("served")
async def test_more_requests_than_a_page_are_found_with_no_webhook(
    hass: HomeAssistant, stack: SimulatedStack, films: Callable[[int], list[Movie]]
) -> None:
    """A collection requested at once, Jellyseerr's webhook off: one poll finds all.

    Jellyseerr lists the newest changes a page at a time; the poll reads on while a
    page holds only changes since the poll before.
    """
    entry = (await add_integration(hass, stack))["result"]
    jellyseerr = entry.runtime_data.jellyseerr
    await jellyseerr.async_refresh()  # after the backfill: only new changes from here
    collection = films(2 * NEW_REQUESTS_PER_POLL + 5)
    await request_all(stack, collection)

    await jellyseerr.async_refresh()

    assert tracked_titles(entry) == {film.title for film in collection}


@pytest.mark.usefixtures("served")
async def test_requests_made_while_home_assistant_was_down_are_all_found(
    hass: HomeAssistant, stack: SimulatedStack, films: Callable[[int], list[Movie]]
) -> None:
    """Where the polls had got to is stored: the first poll after a start reads on."""
    entry = (await add_integration(hass, stack))["result"]
    await entry.runtime_data.jellyseerr.async_refresh()
    before = films(3)
    await request_all(stack, before)
    await entry.runtime_data.jellyseerr.async_refresh()
    assert await hass.config_entries.async_unload(entry.entry_id)

    stack.clock.advance(600)
    meanwhile = films(NEW_REQUESTS_PER_POLL + 5)
    await request_all(stack, meanwhile, apart=10)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await entry.runtime_data.jellyseerr.async_refresh()

    assert tracked_titles(entry) == {film.title for film in before + meanwhile}


@pytest.mark.usefixtures("served")
async def test_reading_on_takes_changes_only_never_old_requests(
    hass: HomeAssistant, stack: SimulatedStack, films: Callable[[int], list[Movie]]
) -> None:
    """Requests the backfill never listed stay out when a later page reaches them.

    The backfill is made to read 5: the next 15 requests, as old, were never listed
    (the same happens beyond the real backfill's 100).
    """
    old = films(20)
    await request_all(stack, old, apart=10)
    with patch(f"{JellyseerrPoller.__module__}.BACKFILL_REQUESTS", 5):
        entry = (await add_integration(hass, stack))["result"]
        await until(hass, lambda: entry.runtime_data.tracking.backfilled)
    backfilled = tracked_titles(entry)
    assert len(backfilled) == 5

    stack.clock.advance(600)
    new = films(NEW_REQUESTS_PER_POLL + 5)  # page 2: 5 new, 5 known, 10 never listed
    await request_all(stack, new)
    await entry.runtime_data.jellyseerr.async_refresh()

    assert tracked_titles(entry) == backfilled | {film.title for film in new}
