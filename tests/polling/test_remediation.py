"""Remediation: a dead download is helped by itself, said, recorded and bounded.

A mocked stack: Dune's torrent has no seeds. With `remediation` on, the minute's
stall check flags it and takes the ladder's steps; a dry run decides the same and
sends nothing; a protected movie is never touched.
"""

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from custom_components.media_request_tracker.const import (
    DOMAIN,
    EVENT_PROBLEM_CHANGED,
    EVENT_REMEDIATION,
    EVENT_STATE_CHANGED,
)
from custom_components.media_request_tracker.engine.lifecycle import FORWARD_ORDER

from ..conftest import JELLYSEERR_URL, EventLog, Post, load_fixture
from .conftest import (
    DUNE,
    DUNE_HASH,
    QBITTORRENT,
    RADARR,
    Stack,
    history_row,
    poll,
    queue_record,
    request_state,
    torrent,
)

REANNOUNCE = f"{QBITTORRENT}/api/v2/torrents/reannounce"
QUEUE_BULK = f"{RADARR}/api/v3/queue/bulk"


async def set_options(
    hass: HomeAssistant, entry: MockConfigEntry, **options: Any
) -> None:
    """The entry's options, applied by a reload (as the options flow does)."""
    hass.config_entries.async_update_entry(entry, options=options)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def stalled_dune(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    post: Post,
    stack: Stack,
    remediation: str,
) -> None:
    """Remediation set as given, a 3-minute stall; Dune's torrent without seeds."""
    await set_options(
        hass, entry, remediation=remediation, stall_hours={"downloading": 0.05}
    )
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await post("radarr", "radarr/grab_regular.json")
    stack.torrents = {
        DUNE_HASH.lower(): torrent(state="stalledDL", dlspeed=0, num_seeds=0)
    }
    stack.queue = [queue_record()]
    stack.serve()
    await poll(hass, entry, "qbittorrent")


async def minutes_pass(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: int
) -> None:
    """Let the minute timers run, one minute at a time."""
    for _ in range(minutes):
        freezer.tick(timedelta(minutes=1))
        async_fire_time_changed(hass, dt_util.utcnow())
        await hass.async_block_till_done(wait_background_tasks=True)


def calls(stack: Stack, method: str, url: str) -> list[Any]:
    """The bodies sent with one method to one address."""
    return [
        body
        for call_method, call_url, body, _ in stack.mock.mock_calls
        if call_method.upper() == method and str(call_url).split("?")[0] == url
    ]


async def timeline(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Dune's timeline, as get_requests answers it."""
    response = await hass.services.async_call(
        DOMAIN, "get_requests", {}, blocking=True, return_response=True
    )
    assert response is not None
    (dune,) = response["requests"]
    entries: list[dict[str, Any]] = dune["timeline"]
    return entries


async def test_a_dead_torrent_is_reannounced_then_replaced(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    post: Post,
    stack: Stack,
    events: EventLog,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Flagged stalled → reannounce; still stalled 3 minutes on → replace.

    The 3-minute stall threshold bounds the reannounce's 30-minute wait.
    """
    await stalled_dune(hass, full_entry, post, stack, "on")

    await minutes_pass(hass, freezer, 4)

    assert calls(stack, "POST", REANNOUNCE) == [{"hashes": DUNE_HASH.lower()}]
    (step,) = events.of(EVENT_REMEDIATION)
    assert {
        key: step[key] for key in ("step", "dry_run", "result", "attempt", "of")
    } == {
        "step": "reannounce",
        "dry_run": False,
        "result": "done",
        "attempt": 1,
        "of": 3,
    }
    assert step["title"] == "Dune: Part Two"
    attributes = request_state(hass, full_entry, "80").attributes
    assert attributes["waiting_for"] == "remediation"
    assert attributes["waiting_detail"] == (
        "Asked the download's trackers for peers again (attempt 1 of 3)"
    )
    last = (await timeline(hass))[-1]
    assert (last["source"], last["detail"]) == (
        "remediation",
        "reannounce, attempt 1 of 3: done",
    )

    await minutes_pass(hass, freezer, 1)
    assert not calls(stack, "DELETE", QUEUE_BULK)
    for _ in range(3):  # up to the minute of the replace, not past it
        await minutes_pass(hass, freezer, 1)
        if calls(stack, "DELETE", QUEUE_BULK):
            break

    assert calls(stack, "DELETE", QUEUE_BULK) == [{"ids": [1]}]
    assert [e["step"] for e in events.of(EVENT_REMEDIATION)] == [
        "reannounce",
        "replace",
    ]
    assert len(calls(stack, "POST", REANNOUNCE)) == 1
    # The dead download left, and its stall with it.
    assert request_state(hass, full_entry, "80").attributes["stalled"] is False
    assert events.of(EVENT_PROBLEM_CHANGED)[-1]["stalled"] is False

    # Radarr blocklists it (history: failed) and searches: the request waits for
    # another release, it has not failed.
    stack.queue = []
    stack.torrents = {}
    stack.movie_history = [
        history_row(3, "downloadFailed", {"message": "Manually marked as failed"})
    ]
    stack.serve()
    await poll(hass, full_entry, "radarr", "qbittorrent")
    state = request_state(hass, full_entry, "80")
    assert (state.state, state.attributes["stalled"]) == ("downloading", False)
    assert state.attributes["waiting_detail"] == (
        "Replaced the download: Radarr is to grab another release (attempt 2 of 3)"
    )
    await post("radarr", load_fixture("radarr/grab_regular.json", downloadId="OTHER1"))
    assert "other1" in full_entry.runtime_data.tracker.requests["80"].downloads
    # The new grab continues it: still downloading (never back), its own words.
    state = request_state(hass, full_entry, "80")
    assert state.state == "downloading"
    assert state.attributes["waiting_for"] != "remediation"
    states = [e["to_state"] for e in events.of(EVENT_STATE_CHANGED)]
    assert states == sorted(states, key=FORWARD_ORDER.__getitem__)


async def test_a_step_taken_by_hand_is_where_the_ladder_goes_on(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    post: Post,
    stack: Stack,
    events: EventLog,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A person reannounces: remediation goes on with the replace, uncounted."""
    await stalled_dune(hass, full_entry, post, stack, "on")
    entity_id = request_state(hass, full_entry, "80").entity_id
    await hass.services.async_call(
        DOMAIN, "retry", {"entity_id": entity_id, "step": "reannounce"}, blocking=True
    )
    assert request_state(hass, full_entry, "80").attributes["waiting_detail"] == (
        "Asked the download's trackers for peers again (by hand)"
    )
    last = (await timeline(hass))[-1]
    assert (last["source"], last["detail"]) == (
        "remediation",
        "reannounce, by hand: done",
    )

    await minutes_pass(hass, freezer, 4)

    # Flagged stalled: the replace comes next, attempt 1 of the day's budget.
    assert len(calls(stack, "POST", REANNOUNCE)) == 1
    assert calls(stack, "DELETE", QUEUE_BULK) == [{"ids": [1]}]
    (step,) = events.of(EVENT_REMEDIATION)
    assert (step["step"], step["attempt"]) == ("replace", 1)


async def test_a_dry_run_decides_the_same_and_sends_nothing(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    post: Post,
    stack: Stack,
    events: EventLog,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Same steps, same events (dry_run true); nothing reaches qBittorrent or Radarr."""
    await stalled_dune(hass, full_entry, post, stack, "dry_run")

    await minutes_pass(hass, freezer, 7)

    assert not calls(stack, "POST", REANNOUNCE)
    assert not calls(stack, "DELETE", QUEUE_BULK)
    decided = events.of(EVENT_REMEDIATION)
    assert [(e["step"], e["dry_run"], e["result"]) for e in decided] == [
        ("reannounce", True, "dry_run"),
        ("replace", True, "dry_run"),
    ]
    assert request_state(hass, full_entry, "80").attributes["waiting_detail"] == (
        "Dry run: would replace the download with another release (attempt 2 of 3)"
    )


async def test_a_protected_movie_is_never_touched(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    post: Post,
    stack: Stack,
    events: EventLog,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Radarr's `keep` tag on the movie: steps are decided and left undone."""
    stack.movies = [DUNE | {"tags": [3]}]
    stack.tags = [{"id": 3, "label": "Keep"}]
    await stalled_dune(hass, full_entry, post, stack, "on")

    await minutes_pass(hass, freezer, 36)

    assert not calls(stack, "POST", REANNOUNCE)
    assert not calls(stack, "DELETE", QUEUE_BULK)
    assert {e["result"] for e in events.of(EVENT_REMEDIATION)} == {"protected"}


async def test_off_does_nothing(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    post: Post,
    stack: Stack,
    events: EventLog,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Off, a stall is only reported."""
    await stalled_dune(hass, full_entry, post, stack, "off")

    await minutes_pass(hass, freezer, 36)

    assert request_state(hass, full_entry, "80").attributes["stalled"] is True
    assert not events.of(EVENT_REMEDIATION)
    assert not calls(stack, "POST", REANNOUNCE)


async def test_a_request_never_added_is_retried_in_jellyseerr(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    post: Post,
    stack: Stack,
    events: EventLog,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Approved, yet Radarr never got it: Jellyseerr hands it over again, once a wait."""
    await set_options(
        hass, full_entry, remediation="on", stall_hours={"approved": 0.05}
    )
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    await poll(hass, full_entry, "radarr")
    retry = f"{JELLYSEERR_URL}/api/v1/request/80/retry"
    stack.mock.post(retry, json={"id": 80, "status": 2})

    await minutes_pass(hass, freezer, 5)

    assert len(calls(stack, "POST", retry)) == 1
    (step,) = events.of(EVENT_REMEDIATION)
    assert (step["step"], step["result"]) == ("jellyseerr_retry", "done")
    assert request_state(hass, full_entry, "80").attributes["waiting_detail"] == (
        "Asked Jellyseerr to send it to Radarr again (attempt 1 of 3)"
    )


async def test_an_import_only_a_person_can_fix_gets_an_issue(
    hass: HomeAssistant,
    full_entry: MockConfigEntry,
    post: Post,
    stack: Stack,
    events: EventLog,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No step for it: an issue in Radarr's words, saying where; gone once imported."""
    await set_options(hass, full_entry, remediation="on")
    await post("jellyseerr", "jellyseerr/media_auto_approved_movie_regular.json")
    blocked = [{"title": "Dune", "messages": ["Movie title mismatch."]}]
    stack.queue = [
        queue_record(
            status="completed",
            trackedDownloadStatus="warning",
            trackedDownloadState="importBlocked",
            statusMessages=blocked,
        )
    ]
    stack.serve()
    await poll(hass, full_entry, "radarr")
    await minutes_pass(hass, freezer, 2)

    issue_id = f"import_blocked_80_{full_entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {
        "entry": "stack",
        "title": "Dune: Part Two (2024)",
        "service": "Radarr",
        "message": "Movie title mismatch.",
        "url": f"{RADARR}/activity/queue",
    }
    assert not events.of(EVENT_REMEDIATION)

    stack.queue = [queue_record(status="completed", trackedDownloadState="imported")]
    stack.serve()
    await poll(hass, full_entry, "radarr")
    await minutes_pass(hass, freezer, 1)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
