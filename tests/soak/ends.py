"""Where each request ended: its entities' final states against its lifecycle's.

A request ends right when its status sensor shows the lifecycle's expected state
and problem code, and, for one that must be available, every episode sensor shows
`available` too. One expected to be removed may also never have appeared: a pending
request deleted before anything saw it leaves nothing to show.
"""

from collections import Counter
from dataclasses import dataclass

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from custom_components.media_request_tracker.const import DOMAIN
from tests.simulator.household import Lifecycle

from .observe import StateEvent
from .report import WrongEnd
from .truth import RANK


@dataclass(frozen=True, slots=True)
class FinalState:
    """What a request's entities show at the end (state None: no entity)."""

    state: str | None
    problem_code: str | None
    episodes: tuple[str, ...]


def final_state(
    hass: HomeAssistant, entry_id: str, key: str | None, lifecycle: Lifecycle
) -> FinalState:
    """The request sensor's state and problem code, and its episode sensors' states.

    Entities are found by their unique ids (DESIGN §4).
    """
    if key is None:
        return FinalState(None, None, ())
    registry = er.async_get(hass)

    def shown(unique_id: str) -> tuple[str | None, str | None]:
        entity_id = registry.async_get_entity_id("sensor", DOMAIN, unique_id)
        state = hass.states.get(entity_id) if entity_id else None
        if state is None:
            return None, None
        return state.state, state.attributes.get("problem_code")

    state, code = shown(f"{entry_id}_request_{key}")
    episodes = tuple(
        shown(f"{entry_id}_episode_{key}_s{season}e{number}")[0] or "no entity"
        for season, number in lifecycle.episodes
    )
    return FinalState(state, code, episodes)


def judge(
    lifecycle: Lifecycle, key: str | None, final: FinalState, story: tuple[str, ...]
) -> WrongEnd | None:
    """None when the request ended right; else how it ended, stuck or wrong."""
    expected = lifecycle.expected
    right = (final.state, final.problem_code) == (
        expected.state,
        expected.problem_code,
    )
    if expected.state == "available":
        right = right and all(state == "available" for state in final.episodes)
    if right or (final.state is None and expected.state == "removed"):
        return None
    behind = RANK.get(final.state or "", -1) < RANK.get(expected.state, -1)
    episodes = f", episodes {dict(Counter(final.episodes))}" if final.episodes else ""
    return WrongEnd(
        title=lifecycle.title,
        kind=lifecycle.kind.value,
        mishap=lifecycle.mishap.value,
        request_key=key,
        expected=_describe(expected.state, expected.problem_code),
        shown=_describe(final.state, final.problem_code) + episodes,
        stuck=final.state is None or behind,
        story=story,
    )


def story(steps: list[tuple[float, str]], events: list[StateEvent]) -> tuple[str, ...]:
    """A request's steps (and what became of their webhooks) and events, in order."""
    lines = list(steps)
    for event in events:
        where = (
            "" if event.episode is None else " S{:02d}E{:02d}".format(*event.episode)
        )
        change = f"{event.from_state} -> {event.to_state} ({event.source})"
        lines.append((event.at, f"  event{where}: {change}"))
    lines.sort(key=lambda line: line[0])
    return tuple(f"{at:7.0f} s  {text}" for at, text in lines)


def _describe(state: str | None, code: str | None) -> str:
    if state is None:
        return "no entity"
    return state if code is None else f"{state} ({code})"
