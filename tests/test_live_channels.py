"""Radarr's and Sonarr's live channels: their hub wakes the poll, no webhook needed.

Frames in `fixtures/live/` are shaped as the apps send them (see its README); the
end-to-end tests run the integration against the simulated apps' hubs over real
sockets, with every webhook off.
"""

import asyncio
from collections import defaultdict
from collections.abc import AsyncGenerator
from datetime import timedelta
import json
from typing import Any
from unittest.mock import patch

import pytest

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from custom_components.media_request_tracker.const import DOMAIN
from custom_components.media_request_tracker.engine.models import Service
from custom_components.media_request_tracker.pollers.arr import (
    ACTIVE,
    IDLE,
    LIVE_IDLE,
    ArrPoller,
)
from custom_components.media_request_tracker.repairs import (
    Repair,
    issue_id,
)
from custom_components.media_request_tracker.sources.arr_live import (
    LiveMessage,
    Topic,
    parse_live_message,
)
from custom_components.media_request_tracker.sources.errors import InvalidPayload
from tests.simulator import SCENARIOS, SimulatedStack

from .conftest import FIXTURES, entity_state
from .test_end_to_end import add_integration, served  # noqa: F401 (a fixture)
from .test_shoko import until

pytestmark = pytest.mark.live_channels


def arguments(name: str) -> list[Any]:
    """The arguments of a `receiveMessage` frame in `fixtures/live/`."""
    frame = json.loads((FIXTURES / "live" / f"{name}.json").read_text())
    assert frame["target"] == "receiveMessage"
    arguments: list[Any] = frame["arguments"]
    return arguments


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ("radarr_movie_grabbed", LiveMessage(Topic.MEDIA, 71)),
        ("radarr_moviefile_added", LiveMessage(Topic.MEDIA, 71)),
        # A deleted file is its bare id: its movie is not named.
        ("radarr_moviefile_deleted", LiveMessage(Topic.MEDIA, None)),
        ("radarr_queue_status", LiveMessage(Topic.QUEUE)),
        ("radarr_queue_sync", LiveMessage(Topic.QUEUE)),
        ("radarr_health_sync", LiveMessage(Topic.HEALTH)),
        ("sonarr_episode_grabbed", LiveMessage(Topic.MEDIA, 12)),
        ("sonarr_episodefile_added", LiveMessage(Topic.MEDIA, 12)),
        ("sonarr_series_updated", LiveMessage(Topic.MEDIA, 12)),
        # Housekeeping: ignored.
        ("radarr_command", None),
        ("radarr_version", None),
    ],
)
def test_messages_read_as_the_apps_send_them(
    frame: str, expected: LiveMessage | None
) -> None:
    """Each frame's message: what it is about, and which movie or series."""
    assert parse_live_message(arguments(frame)) == expected


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ([], "takes one argument"),
        (["movie"], "message must be an object"),
        ([{"name": "movie"}], "message.body"),
        (
            [{"name": "movie", "body": {"resource": {"id": "71"}}}],
            "message.body.resource.id must be an integer",
        ),
    ],
)
def test_a_malformed_message_is_refused(bad: list[Any], error: str) -> None:
    """Refused with the offending path, never half read."""
    with pytest.raises(InvalidPayload, match=error):
        parse_live_message(bad)


@pytest.fixture
async def stack(socket_enabled: None) -> AsyncGenerator[SimulatedStack]:
    """The simulated services on a manual clock."""
    simulated = SimulatedStack(speed=0, seed=0)
    await simulated.start()
    yield simulated
    await simulated.stop()


def arr_pollers(entry: Any) -> list[ArrPoller[Any]]:
    """The entry's Radarr and Sonarr pollers."""
    pollers: list[ArrPoller[Any]] = entry.runtime_data.arrs
    return pollers


def state_of(entry: Any, title: str) -> str | None:
    """The tracked state of the request with that title."""
    for request in entry.runtime_data.tracker.requests.values():
        if request.title == title:
            return request.state.value
    return None


@pytest.mark.usefixtures("served")
async def test_a_grab_is_seen_at_once_with_no_webhook(
    hass: HomeAssistant, stack: SimulatedStack
) -> None:
    """Radarr's hub wakes its poll: the grab shows without a webhook or a poll tick."""
    entry = (await add_integration(hass, stack))["result"]
    await until(hass, lambda: all(p.link.connected for p in arr_pollers(entry)))
    stack.play([SCENARIOS["regular_movie"]])
    stack.clock.advance(5)
    await entry.runtime_data.jellyseerr.async_refresh()  # Seerr's webhook is off too
    await until(hass, lambda: state_of(entry, "Dune: Part Two") == "approved")

    stack.clock.advance(5)  # Radarr grabs, tells its web UI's hub, sends no webhook
    # Seen long before Radarr's next timed poll (minutes away): the hub woke it.
    # How fast is the benchmark's business; here it is at once, or once the poll
    # the approval woke has cooled down (WAKE_COOLDOWN).
    await until(
        hass, lambda: state_of(entry, "Dune: Part Two") in {"grabbing", "downloading"}
    )

    radarr = entry.runtime_data.arrs[0]
    # Work in progress: the 30 s safety net, once the woken poll has finished.
    await until(hass, lambda: radarr.update_interval == ACTIVE)
    connectivity = entity_state(
        hass, "binary_sensor", f"{entry.entry_id}_connected_radarr"
    )
    assert connectivity.attributes["live_events"] == "connected"


@pytest.mark.usefixtures("served")
async def test_a_movie_and_a_season_pack_reach_available_with_no_webhook(
    hass: HomeAssistant, stack: SimulatedStack
) -> None:
    """Every webhook off; Radarr and Sonarr are never polled on a timer.

    Seerr, qBittorrent and Jellyfin are polled each step (Jellyfin tells an API
    key nothing live); what Radarr and Sonarr add comes from their hubs' wakes.
    The simulated minutes pass in real milliseconds, so the wakes' cooldown is
    shortened to match.
    """
    with patch(f"{ArrPoller.__module__.rsplit('.', 1)[0]}.base.WAKE_COOLDOWN", 0.01):
        entry = (await add_integration(hass, stack))["result"]
    await until(hass, lambda: all(p.link.connected for p in arr_pollers(entry)))
    data = entry.runtime_data
    polled = [data.jellyseerr, data.qbittorrent, data.jellyfin]
    seen: defaultdict[str, list[str]] = defaultdict(list)

    @callback
    def record(event: Event[Any]) -> None:
        seen[event.data["title"]].append(event.data["to_state"])

    hass.bus.async_listen(f"{DOMAIN}_state_changed", record)
    stack.play([SCENARIOS["regular_movie"], SCENARIOS["regular_tv_season_pack"]])
    for _ in range(300 // 5):
        stack.clock.advance(5)
        await asyncio.sleep(0.05)  # the hubs' messages, the polls they wake
        await hass.async_block_till_done()
        for poller in polled:
            await poller.async_refresh()
        await hass.async_block_till_done()

    for title in ("Dune: Part Two", "Breaking Bad"):
        states = seen[title]
        assert states[-1] == "available", (title, states)
        # Bound to its torrent, which only Radarr's or Sonarr's grab can do.
        assert "downloading" in states, (title, states)
        assert len(states) == len(set(states)), (title, states)  # forward only


@pytest.mark.usefixtures("served")
async def test_the_channel_comes_back_after_a_drop_and_stops_on_a_refused_key(
    hass: HomeAssistant, stack: SimulatedStack
) -> None:
    """A dropped hub is reconnected; a key the hub refuses asks for a new one."""
    entry = (await add_integration(hass, stack))["result"]
    radarr = entry.runtime_data.arrs[0]
    await until(hass, lambda: radarr.link.connected)
    negotiated = stack.radarr.hub.negotiations

    with patch(
        "custom_components.media_request_tracker.pollers.signalr.RECONNECT_MIN", 0.05
    ):
        radarr.link._delay = 0.05
        await stack.radarr.hub.drop_connections()
        await until(hass, lambda: not radarr.link.connected)
        assert radarr.live_events != "connected"
        await until(hass, lambda: radarr.link.connected)
        assert stack.radarr.hub.negotiations > negotiated

        stack.radarr.api_key = "changed-in-radarr"
        radarr.link._delay = 0.05
        await stack.radarr.hub.drop_connections()
        await until(hass, lambda: radarr.link.auth_failed)

    assert radarr.live_events == "Radarr rejected the API key"
    flows = hass.config_entries.flow.async_progress_by_handler(entry.domain)
    assert any(flow["context"]["source"] == SOURCE_REAUTH for flow in flows)


@pytest.mark.parametrize(
    "upgrade_only", [False, True], ids=["hub refused", "only the upgrade refused"]
)
@pytest.mark.usefixtures("served")
async def test_a_hub_that_stays_down_is_not_polled_for_at_each_attempt(
    hass: HomeAssistant, stack: SimulatedStack, upgrade_only: bool
) -> None:
    """The drop and the reason it stays down wake the poll; each retry does not.

    Attempts and wakes are made fast, so that every retry would show as a poll. A
    proxy may pass the negotiation and refuse only the WebSocket: pysignalr then
    reports the attempt as closed too, which is no news of ours; the reason shown is
    the refused upgrade, not pysignalr's "negotiation failure".
    """
    signalr = "custom_components.media_request_tracker.pollers.signalr"
    with (
        patch(f"{ArrPoller.__module__.rsplit('.', 1)[0]}.base.WAKE_COOLDOWN", 0.01),
        patch(f"{signalr}.RECONNECT_MIN", 0.02),
        patch(f"{signalr}.RECONNECT_MAX", 0.02),
    ):
        entry = (await add_integration(hass, stack))["result"]
        radarr = entry.runtime_data.arrs[0]
        await until(hass, lambda: radarr.link.connected)
        await hass.async_block_till_done()
        polls = 0

        @callback
        def count() -> None:
            nonlocal polls
            polls += 1

        radarr.async_add_listener(count)
        await stack.radarr.hub.take_down(upgrade_only=upgrade_only)
        await until(hass, lambda: stack.radarr.hub.refused >= 8)
        await hass.async_block_till_done()

    assert 1 <= polls <= 2
    assert "503" in str(radarr.live_events)


@pytest.mark.usefixtures("served")
async def test_an_app_down_with_its_hub_is_polled_as_often_as_without_one(
    hass: HomeAssistant, stack: SimulatedStack
) -> None:
    """Idle with the hub up: every 15 minutes. Radarr goes down: every 5 again.

    The poll its hub's drop wakes fails, so it cannot set the interval itself.
    """
    with patch(f"{ArrPoller.__module__.rsplit('.', 1)[0]}.base.WAKE_COOLDOWN", 0.01):
        entry = (await add_integration(hass, stack))["result"]
        radarr = entry.runtime_data.arrs[0]
        await until(hass, lambda: radarr.update_interval == LIVE_IDLE)

        await stack.radarr.go_offline()
        await until(hass, lambda: not radarr.last_update_success)

    assert radarr.update_interval == IDLE
    assert not radarr.link.connected


@pytest.mark.usefixtures("served")
async def test_webhooks_are_not_asked_for_while_the_hubs_connect_and_deliver(
    hass: HomeAssistant, stack: SimulatedStack
) -> None:
    """No webhook is wired anywhere, and none is asked for once the hubs deliver.

    The hour a service gets to send its first webhook, and the wiring check's
    cooldown, are shortened: neither Radarr nor Sonarr has an issue while its hub
    makes its first connection, nor once it delivers; Jellyfin, looked for every 2
    seconds after an import, is never asked for its plugin.
    """
    repairs = "custom_components.media_request_tracker.repairs"
    with (
        patch(f"{repairs}.SILENT_SOURCE_REPAIR_AFTER", timedelta(0)),
        patch(f"{repairs}.WIRING_RECHECK_COOLDOWN", timedelta(seconds=0.1)),
    ):
        entry = (await add_integration(hass, stack))["result"]
        registry = ir.async_get(hass)

        def raised(repair: Repair, service: Service) -> bool:
            issue = issue_id(entry.entry_id, repair, service)
            return registry.async_get_issue(DOMAIN, issue) is not None

        def arr_issues() -> list[tuple[Repair, Service]]:
            return [
                (repair, service)
                for service in (Service.RADARR, Service.SONARR)
                for repair in (Repair.WEBHOOK_NEVER_RECEIVED, Repair.WEBHOOK_MISSING)
                if raised(repair, service)
            ]

        assert not arr_issues()  # not while the hubs make their first connection
        await until(hass, lambda: all(p.link.connected for p in arr_pollers(entry)))
        await hass.async_block_till_done()
        assert not arr_issues()
        assert not raised(Repair.WEBHOOK_NEVER_RECEIVED, Service.JELLYFIN)
