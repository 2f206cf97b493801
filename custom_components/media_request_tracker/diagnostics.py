"""Diagnostics: what a bug report needs, without a single credential or requester.

The configuration shows which services are set up and how, the pollers whether
they reach their services, and the requests why one is where it is (its timeline).
Keys, passwords, webhook secrets and ids, credentials inside URLs, and the names of
the people who asked are redacted.
"""

from collections import Counter
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .const import (
    CONF_WEBHOOK_ID,
    CONF_WEBHOOK_IDS,
    CONF_WEBHOOK_SECRET,
    OPTION_PEOPLE,
    OPTION_REQUESTERS,
)
from .data import MediaRequestTrackerConfigEntry, MediaRequestTrackerData
from .engine.models import Request
from .engine.stored import request_to_dict
from .entity import device_request
from .instances import arr_subentries

# Anyone holding a webhook id can post to its endpoint: the ids are secrets too.
CONFIG_TO_REDACT = frozenset(
    {
        CONF_API_KEY,
        CONF_PASSWORD,
        CONF_USERNAME,
        CONF_WEBHOOK_SECRET,
        CONF_WEBHOOK_IDS,
        CONF_WEBHOOK_ID,
        OPTION_REQUESTERS,
        # Who the household's people are, by name.
        OPTION_PEOPLE,
    }
)
REQUEST_TO_REDACT = frozenset({"requested_by", "followers", "unfollowed"})


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry
) -> dict[str, Any]:
    """The entry's configuration, connectivity, counters and tracked requests."""
    data = entry.runtime_data
    tracking = data.tracking
    requests = data.tracker.requests.values()
    return {
        "config": {
            "data": _redact_config(entry.data),
            "options": _redact_config(entry.options),
            # Further Radarr/Sonarr instances, by subentry id.
            "instances": _redact_config(
                {
                    subentry.subentry_id: {
                        "type": subentry.subentry_type,
                        "title": subentry.title,
                        **subentry.data,
                    }
                    for subentry in arr_subentries(entry)
                }
            ),
        },
        "pollers": _pollers(data),
        "sources_seen": {
            source: seen.isoformat()
            for source, seen in tracking.notes.sources_seen.items()
        },
        "backfilled": tracking.backfilled,
        "counters": {
            "requests_by_state": dict(Counter(r.state.value for r in requests)),
            "episodes": sum(len(r.episodes) for r in requests),
            "tombstones": len(data.tracker.tombstones),
        },
        "requests": [_request(request) for request in requests],
        # Shoko's import folders and the library mounts learned for them.
        "shoko": None if data.shoko is None else data.shoko.diagnostics(),
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, device: dr.DeviceEntry
) -> dict[str, Any]:
    """A request device: that request; the service device: the whole entry."""
    about = device_request(device.identifiers)
    if about is None or about[0] != entry.entry_id:
        return await async_get_config_entry_diagnostics(hass, entry)
    request = entry.runtime_data.tracker.requests.get(about[1])
    return {"request": None if request is None else _request(request)}


def _redact_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Secrets redacted, in every service's settings and in their URLs."""
    redacted: dict[str, Any] = async_redact_data(config, CONFIG_TO_REDACT)
    for settings in redacted.values():
        if isinstance(settings, dict) and isinstance(settings.get(CONF_URL), str):
            settings[CONF_URL] = _redact_url(settings[CONF_URL])
    return redacted


def _redact_url(url: str) -> str:
    """`http://user:secret@host` → `http://**REDACTED**@host`; others unchanged."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{REDACTED}@{host}"))


def _pollers(data: MediaRequestTrackerData) -> dict[str, dict[str, Any]]:
    """Whether each service answered its last poll, and why not."""
    return {
        service: {
            "last_update_success": poller.last_update_success,
            "last_exception": None
            if poller.last_exception is None
            else str(poller.last_exception),
            "live_events": poller.live_events,
        }
        for service, poller in data.pollers.items()
    }


def _request(request: Request) -> dict[str, Any]:
    """Everything stored about a request (timeline included), requester redacted."""
    return async_redact_data(request_to_dict(request), REQUEST_TO_REDACT)
