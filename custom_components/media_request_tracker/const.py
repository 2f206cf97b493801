"""Constants of the Media Request Tracker integration.

A service is always `engine.models.Service`: its value is its key in the entry's data.
"""

from datetime import timedelta
import logging
from typing import Final

from .engine.models import Service

DOMAIN: Final = "media_request_tracker"
LOGGER: Final = logging.getLogger(__package__)

# Config entry 1.2: no unique id (1.1 used Jellyseerr's URL, which the quality
# scale forbids); `async_migrate_entry` moves older entries.
NO_URL_UNIQUE_ID: Final = 2

CONF_WEBHOOK_IDS: Final = "webhook_ids"
CONF_WEBHOOK_SECRET: Final = "webhook_secret"  # noqa: S105 (a key name)
# Further Radarr/Sonarr instances are config subentries of these types (DESIGN §4).
CONF_ROLE: Final = "role"
CONF_WEBHOOK_ID: Final = "webhook_id"
# What a poller passes to reauthentication to name the service whose key failed.
REAUTH_SERVICE: Final = "service"
# The services that push webhooks to us; each has its own endpoint.
PUSH_SERVICES: Final = (
    Service.JELLYSEERR,
    Service.RADARR,
    Service.SONARR,
    Service.JELLYFIN,
)

OPTION_RETENTION_DAYS: Final = "retention_days"
OPTION_HISTORY_DAYS: Final = "history_days"
OPTION_EPISODE_ENTITIES: Final = "episode_entities"
OPTION_REQUESTERS: Final = "requesters"
OPTION_PEOPLE: Final = "people"
OPTION_REMEDIATION: Final = "remediation"
OPTION_PROTECTED_TAG: Final = "protected_tag"
DEFAULT_PROTECTED_TAG: Final = "keep"
# Home Assistant's `person` entities: who the household's people are.
PERSON_DOMAIN: Final = "person"
OPTION_BACKFILL_DAYS: Final = "backfill_days"
OPTION_STALL_HOURS: Final = "stall_hours"
OPTION_LOCAL_WEBHOOKS_ONLY: Final = "local_webhooks_only"
OPTION_EPISODE_SETTLE_MINUTES: Final = "episode_settle_minutes"

DEFAULT_RETENTION_DAYS: Final = 7
DEFAULT_HISTORY_DAYS: Final = 90
DEFAULT_BACKFILL_DAYS: Final = 30
DEFAULT_EPISODE_SETTLE_MINUTES: Final = 10

# How often terminal requests are checked against the retention and history periods.
HOUSEKEEPING_INTERVAL: Final = timedelta(hours=1)
# A configured service that has sent no webhook this long after setup gets a repair.
SILENT_SOURCE_REPAIR_AFTER: Final = timedelta(hours=1)
# A service failing this long gets a repair (a restart of it is not worth one).
UNREACHABLE_REPAIR_AFTER: Final = timedelta(hours=1)
# How often requests are checked for stages that last too long.
STALL_CHECK_INTERVAL: Final = timedelta(minutes=1)
# Live progress reaches entities at most this often (or on a 1-point change).
PROGRESS_INTERVAL: Final = timedelta(seconds=30)
# Hours a request may stay in a state before it is flagged stalled (option
# `stall_hours` overrides any of them). Downloading counts from the moment the
# download client reports a stall condition, such as no seeds.
DEFAULT_STALL_HOURS: Final = {
    "requested": 72,
    "approved": 24,
    "grabbing": 6,
    "downloading": 24,
    "downloaded": 2,
    "importing": 2,
    "anime_matching": 6,
}

EVENT_STATE_CHANGED: Final = f"{DOMAIN}_state_changed"
EVENT_EPISODE_STATE_CHANGED: Final = f"{DOMAIN}_episode_state_changed"
EVENT_PROBLEM_CHANGED: Final = f"{DOMAIN}_problem_changed"
EVENT_EPISODES_READY: Final = f"{DOMAIN}_episodes_ready"
EVENT_REMEDIATION: Final = f"{DOMAIN}_remediation"

# Webhook bodies larger than this are refused before parsing.
MAX_WEBHOOK_BYTES: Final = 1024 * 1024
