"""Actions: list requests, re-verify, try again, forget, follow and unfollow.

They are registered once, in `async_setup` (quality scale `action-setup`), and find
the entries they act on themselves: `get_requests` through `config_entry_id`, the
others through their `target:` (request status sensors, episode sensors or request
devices), so that an automation keeps working however many entries there are.
"""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
    service,
)
from homeassistant.helpers.target import (
    TargetSelection,
    async_extract_referenced_entity_ids,
)
from homeassistant.util import dt as dt_util

from .compat import vol
from .const import DOMAIN, PERSON_DOMAIN
from .data import MediaRequestTrackerData
from .engine.models import (
    RETRY_STEPS,
    Attempt,
    Episode,
    MediaType,
    Remedy,
    Request,
    State,
)
from .engine.stored import timeline_dict
from .engine.views import Outlook, episode_attributes, request_attributes
from .entity import device_request
from .remedies import prepare

SERVICE_GET_REQUESTS = "get_requests"
SERVICE_REFRESH = "refresh"
SERVICE_RETRY = "retry"
SERVICE_FORGET = "forget"
SERVICE_FOLLOW = "follow"
SERVICE_UNFOLLOW = "unfollow"

ATTR_STATE = "state"
ATTR_MEDIA_TYPE = "media_type"
ATTR_REQUESTED_BY = "requested_by"
ATTR_SEARCH = "search"
ATTR_LIMIT = "limit"
ATTR_PERSON = "person"
ATTR_STEP = "step"
# A person's state names the Home Assistant user it is, if any.
ATTR_USER_ID = "user_id"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

GET_REQUESTS_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_STATE): vol.All(
            cv.ensure_list, [vol.In([state.value for state in State])]
        ),
        vol.Optional(ATTR_MEDIA_TYPE): vol.In([kind.value for kind in MediaType]),
        vol.Optional(ATTR_REQUESTED_BY): cv.string,
        vol.Optional(ATTR_SEARCH): cv.string,
        vol.Optional(ATTR_LIMIT, default=DEFAULT_LIMIT): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=MAX_LIMIT)
        ),
    }
)
# `refresh` may go without a target (everything); the others need one.
REFRESH_SCHEMA = vol.Schema(cv.ENTITY_SERVICE_FIELDS)
TARGETED_SCHEMA = cv.make_entity_service_schema({})
RETRY_SCHEMA = cv.make_entity_service_schema(
    {
        vol.Optional(ATTR_STEP, default=Remedy.SEARCH): vol.All(
            vol.In([step.value for step in RETRY_STEPS]), vol.Coerce(Remedy)
        )
    }
)
FOLLOW_SCHEMA = cv.make_entity_service_schema(
    {vol.Optional(ATTR_PERSON): cv.entity_domain(PERSON_DOMAIN)}
)


@dataclass(frozen=True, slots=True)
class _Targeted:
    """A request an action targets, with the entry's data that tracks it."""

    data: MediaRequestTrackerData
    request: Request


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions, once for every entry of the integration."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_REQUESTS,
        _async_get_requests,
        schema=GET_REQUESTS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_REFRESH, _async_refresh, schema=REFRESH_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_RETRY, _async_retry, schema=RETRY_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_FORGET, _async_forget, schema=TARGETED_SCHEMA
    )
    for name, follows in ((SERVICE_FOLLOW, True), (SERVICE_UNFOLLOW, False)):
        hass.services.async_register(
            DOMAIN, name, partial(_async_follow, follows=follows), schema=FOLLOW_SCHEMA
        )


# get_requests


async def _async_get_requests(call: ServiceCall) -> ServiceResponse:
    """The full data of the matching requests, newest first, across entries."""
    data = call.data
    matching = [
        (entry_data, request)
        for entry_data in _entries(call.hass, data.get(ATTR_CONFIG_ENTRY_ID))
        for request in entry_data.tracker.requests.values()
        if _matches(request, data)
    ]
    matching.sort(key=lambda found: found[1].jellyseerr_request_id, reverse=True)
    now = dt_util.utcnow()
    return {
        "requests": [
            _request_view(entry_data, request, entry_data.tracker.outlook(now))
            for entry_data, request in matching[: data[ATTR_LIMIT]]
        ]
    }


def _entries(
    hass: HomeAssistant, entry_id: str | None
) -> list[MediaRequestTrackerData]:
    """The given entry (which must be a loaded one of ours), else all loaded ones."""
    if entry_id is None:
        return _loaded(hass)
    entry = service.async_get_config_entry(hass, DOMAIN, entry_id)
    entry_data: MediaRequestTrackerData = entry.runtime_data
    return [entry_data]


def _matches(request: Request, data: Mapping[str, Any]) -> bool:
    """Whether a request passes every filter given (text filters ignore case)."""
    if (states := data.get(ATTR_STATE)) and request.state not in states:
        return False
    if (kind := data.get(ATTR_MEDIA_TYPE)) and request.media_type != kind:
        return False
    if (who := data.get(ATTR_REQUESTED_BY)) and (
        request.requested_by or ""
    ).casefold() != who.casefold():
        return False
    search = data.get(ATTR_SEARCH)
    return not search or search.casefold() in request.title.casefold()


def _request_view(
    entry_data: MediaRequestTrackerData, request: Request, outlook: Outlook
) -> dict[str, Any]:
    """The status sensor's attributes, plus the state, episodes and timeline (JSON)."""
    return {
        **request_attributes(request, entry_data.texts, outlook),
        "state": request.state.value,
        "episodes": [
            _episode_view(entry_data, request, request.episodes[key], outlook)
            for key in sorted(request.episodes)
        ],
        "timeline": [
            {**timeline_dict(entry), "time": entry.time.isoformat()}
            for entry in request.timeline
        ],
    }


def _episode_view(
    entry_data: MediaRequestTrackerData,
    request: Request,
    episode: Episode,
    outlook: Outlook,
) -> dict[str, Any]:
    attributes = episode_attributes(request, episode, entry_data.texts, outlook)
    # Stalls are flagged on the request; the episode's flag is always false.
    del attributes["stalled"]
    return {**attributes, "state": episode.state.value}


# refresh


async def _async_refresh(call: ServiceCall) -> None:
    """Poll the entries' services now; without a target, every loaded entry."""
    if TargetSelection(call.data).has_any_target:
        entries = _entries_of(_targeted(call))
    else:
        entries = _loaded(call.hass)
    # Each poller handles its own failures (its connectivity sensor shows them).
    await asyncio.gather(
        *(
            poller.async_request_refresh()
            for entry_data in entries
            for poller in entry_data.pollers.values()
        )
    )


# retry


async def _async_retry(call: ServiceCall) -> None:
    """Take one step again for each request: a search, by default."""
    step: Remedy = call.data[ATTR_STEP]
    targets = _targeted(call)
    # Every target is checked before the first call upstream is sent.
    actions = [prepare(target.data, target.request, step) for target in targets]
    for target, action in zip(targets, actions, strict=True):
        await action()
        # Remediation's ladder goes on from the step a person took.
        target.data.tracking.record_attempt(
            target.request.key,
            Attempt(step, dt_util.utcnow(), dry_run=False, result="done", by_hand=True),
        )


# forget


async def _async_forget(call: ServiceCall) -> None:
    """Stop tracking the requests for good; their devices and entities go."""
    targets = _targeted(call)
    for entry_data in _entries_of(targets):
        entry_data.tracking.forget(
            target.request.key for target in targets if target.data is entry_data
        )
        # Housekeeping removes the devices of requests that no longer show.
        entry_data.tracking.async_housekeeping()


# follow, unfollow


async def _async_follow(call: ServiceCall, *, follows: bool) -> None:
    """The person (by default the caller's) follows the requests, or stops to."""
    targets = _targeted(call)
    person = _person(call, must_exist=follows)
    for entry_data in _entries_of(targets):
        entry_data.tracking.follow(
            (target.request.key for target in targets if target.data is entry_data),
            person,
            follows=follows,
        )


def _person(call: ServiceCall, *, must_exist: bool) -> str:
    """The person named, else the one the calling user is.

    Only an existing person can start following; one deleted since can still be
    taken off the requests they followed.
    """
    hass = call.hass
    if (person := call.data.get(ATTR_PERSON)) is not None:
        if must_exist and hass.states.get(person) is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_person",
                translation_placeholders={"person": person},
            )
        return str(person)
    if (user_id := call.context.user_id) is not None:
        for state in hass.states.async_all(PERSON_DOMAIN):
            if state.attributes.get(ATTR_USER_ID) == user_id:
                return state.entity_id
    raise ServiceValidationError(
        translation_domain=DOMAIN, translation_key="no_person_for_user"
    )


# Targets


def _entries_of(targets: list[_Targeted]) -> list[MediaRequestTrackerData]:
    """The entries of some targets, each once."""
    return list({target.data.entry_id: target.data for target in targets}.values())


def _loaded(hass: HomeAssistant) -> list[MediaRequestTrackerData]:
    return [
        entry.runtime_data for entry in hass.config_entries.async_loaded_entries(DOMAIN)
    ]


def _targeted(call: ServiceCall) -> list[_Targeted]:
    """The requests a call targets; anything named explicitly must be a request.

    Entities and devices reached through an area, floor or label may belong to
    other integrations: those are skipped, but at least one request must remain.
    """
    hass = call.hass
    selection = TargetSelection(call.data)
    selected = async_extract_referenced_entity_ids(hass, selection)
    named = {
        entity_id: _entity_request(hass, entity_id) for entity_id in selected.referenced
    } | {
        device_id: _device_request(hass, device_id)
        for device_id in selection.device_ids
    }
    if stray := sorted(name for name, ids in named.items() if ids is None):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_a_request",
            translation_placeholders={"target": ", ".join(stray)},
        )
    reached = [
        _entity_request(hass, entity_id) for entity_id in selected.indirectly_referenced
    ] + [_device_request(hass, device_id) for device_id in selected.referenced_devices]
    found = {ids for ids in [*named.values(), *reached] if ids is not None}
    if not found:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="no_request_targeted"
        )
    return [_tracked(hass, entry_id, key) for entry_id, key in sorted(found)]


def _entity_request(hass: HomeAssistant, entity_id: str) -> tuple[str, str] | None:
    """(entry id, request key) of one of our entities on a request device."""
    entry = er.async_get(hass).async_get(entity_id)
    if entry is None or entry.platform != DOMAIN or entry.device_id is None:
        return None
    return _device_request(hass, entry.device_id)


def _device_request(hass: HomeAssistant, device_id: str) -> tuple[str, str] | None:
    """(entry id, request key) of a request device; None for any other."""
    device = dr.async_get(hass).async_get(device_id)
    return None if device is None else device_request(device.identifiers)


def _tracked(hass: HomeAssistant, entry_id: str, key: str) -> _Targeted:
    """The request in its (loaded) entry; a pruned or forgotten one is an error."""
    entry = service.async_get_config_entry(hass, DOMAIN, entry_id)
    entry_data: MediaRequestTrackerData = entry.runtime_data
    request = entry_data.tracker.requests.get(key)
    if request is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_request",
            translation_placeholders={"request_key": key},
        )
    return _Targeted(entry_data, request)
