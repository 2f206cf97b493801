"""Every repair issue of the integration, and the flows that fix them.

This module alone creates and deletes issues, so each id is formed in one place and
each fault has one remedy: a rejected key starts reauthentication (no issue), an
unreachable or silent service and webhook wiring get the issues below.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from homeassistant.components import webhook
from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import (
    DOMAIN,
    HOUSEKEEPING_INTERVAL,
    LOGGER,
    SILENT_SOURCE_REPAIR_AFTER,
)
from .data import MediaRequestTrackerConfigEntry
from .engine.models import Service
from .instances import ArrInstance, arr_instances
from .sources.errors import UNUSABLE_ANSWER
from .wiring import (
    ArrWiring,
    InstanceGone,
    JellyseerrWiring,
    Wiring,
    async_inspect,
    async_inspect_service,
    async_wire,
    is_wired,
    webhook_url,
)

if TYPE_CHECKING:
    # Newer than the oldest supported Home Assistant; annotations are not evaluated
    # at run time (Python 3.14), so only the type checker needs it.
    from homeassistant.components.repairs import RepairsFlowResult


class Repair(StrEnum):
    """The kinds of issue; fixable ones are about webhook wiring."""

    STORAGE_DAMAGED = "storage_damaged"
    SERVICE_UNREACHABLE = "service_unreachable"
    WEBHOOK_NEVER_RECEIVED = "webhook_never_received"
    WEBHOOK_MISSING = "webhook_missing"
    WEBHOOK_EVENTS = "webhook_events"
    WEBHOOK_FREE = "webhook_free"
    WEBHOOK_TAKEN = "webhook_taken"
    POLLING = "polling"
    # One per request whose import waits for a person (remediation takes no step).
    IMPORT_BLOCKED = "import_blocked"
    # A Radarr/Sonarr subentry's API key was rejected (reconfiguring it fixes it).
    INSTANCE_REJECTED = "instance_rejected"
    # Episode sensors left out under Home Assistant's entity cap.
    TOO_MANY_ENTITIES = "too_many_entities"


# Issues whose text names the service through a placeholder; the others have a
# text per service (`<service>_<repair>`), because what they say differs.
_SHARED_TEXT = frozenset(
    {
        Repair.SERVICE_UNREACHABLE,
        Repair.WEBHOOK_NEVER_RECEIVED,
        Repair.INSTANCE_REJECTED,
    }
)
_FIXABLE = frozenset(
    {
        Repair.WEBHOOK_MISSING,
        Repair.WEBHOOK_EVENTS,
        Repair.WEBHOOK_FREE,
        Repair.WEBHOOK_TAKEN,
    }
)
# The issues about how each service's webhook is wired.
_WIRING = {
    Service.RADARR: (Repair.WEBHOOK_MISSING, Repair.WEBHOOK_EVENTS),
    Service.SONARR: (Repair.WEBHOOK_MISSING, Repair.WEBHOOK_EVENTS),
    Service.JELLYSEERR: (Repair.WEBHOOK_FREE, Repair.WEBHOOK_TAKEN),
}
# Wiring is asked again at most this often when something suggests it changed.
WIRING_RECHECK_COOLDOWN = timedelta(minutes=1)


def issue_id(
    entry_id: str, repair: Repair, service: Service | None = None, instance: str = ""
) -> str:
    """The id of an entry's issue, about one service (instance) or the entry itself.

    `instance` is a Radarr/Sonarr subentry's id ("" the primary instance).
    """
    if service is None:
        return f"{repair}_{entry_id}"
    about = (
        f"{repair}_{service}"
        if repair in _SHARED_TEXT
        else _translation_key(repair, service)
    )
    if instance:
        about = f"{about}_{instance}"
    return f"{about}_{entry_id}"


def _translation_key(repair: Repair, service: Service | None) -> str:
    if service is None or repair in _SHARED_TEXT:
        return repair.value
    return f"{service}_{repair}"


@callback
def async_raise(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    repair: Repair,
    service: Service | None = None,
    *,
    instance: ArrInstance | None = None,
    **placeholders: str,
) -> None:
    """Create (or update) an issue; every text may name the entry and the service.

    About a Radarr/Sonarr `instance`, the service is named as the household named it.
    """
    key = "" if instance is None else instance.key
    named = {} if service is None else {"service": service.display_name}
    if instance is not None:
        named["service"] = instance.name
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(entry.entry_id, repair, service, key),
        is_fixable=repair in _FIXABLE,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=_translation_key(repair, service),
        translation_placeholders={"entry": entry.title, **named, **placeholders},
        data={
            "entry_id": entry.entry_id,
            "service": service and service.value,
            "instance": key,
        },
    )


@callback
def async_clear(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    service: Service,
    *repairs: Repair,
    instance: str = "",
) -> None:
    """Delete issues that no longer hold."""
    for repair in repairs:
        ir.async_delete_issue(
            hass, DOMAIN, issue_id(entry.entry_id, repair, service, instance)
        )


class RepairChecks:
    """Keeps the entry's issues true to the present.

    They are checked after setup and hourly, and again whenever their cause may
    have changed: a webhook from a service clears "never sent a webhook" at once
    and, while an issue says its wiring is wrong, has the wiring asked again; so
    does a service answering again after it failed. A reconfigure reloads the
    entry, which checks everything.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MediaRequestTrackerConfigEntry,
        sources_seen: Mapping[str, datetime],
        live: Callable[[str], bool] = lambda _key: False,
    ) -> None:
        """Nothing is checked until `async_start`.

        `live(key)` says whether the service (by poller key: the service, or a
        Radarr/Sonarr subentry's id) delivers its events over its live channel:
        webhooks are then optional, and their wiring is not asked for.
        """
        self._hass = hass
        self._entry = entry
        self._sources_seen = sources_seen
        self._live = live
        self._answering: dict[str, bool] = {}
        self._was_live: dict[str, bool] = {}
        self._started = dt_util.utcnow()
        self._wiring = Debouncer(
            hass,
            LOGGER,
            cooldown=WIRING_RECHECK_COOLDOWN.total_seconds(),
            immediate=True,
            function=self._start_wiring_check,
        )

    @callback
    def async_start(
        self, pollers: Mapping[str, DataUpdateCoordinator[None]]
    ) -> CALLBACK_TYPE:
        """Check now and hourly, and follow the pollers (by key); returns how to stop."""
        unsubscribe = [
            poller.async_add_listener(self._poll_listener(key, poller))
            for key, poller in pollers.items()
        ]
        unsubscribe.append(
            async_track_time_interval(self._hass, self._hourly, HOUSEKEEPING_INTERVAL)
        )
        self._hourly()

        @callback
        def stop() -> None:
            for unsub in unsubscribe:
                unsub()
            self._wiring.async_shutdown()

        return stop

    @callback
    def webhook_arrived(self, service: Service, instance: str = "") -> None:
        """The service posts to us: it is not silent, and maybe wired by now."""
        async_clear(
            self._hass,
            self._entry,
            service,
            Repair.WEBHOOK_NEVER_RECEIVED,
            instance=instance,
        )
        if any(
            self._is_open(repair, service, instance)
            for repair in _WIRING.get(service, ())
        ):
            self._wiring.async_schedule_call()

    async def async_check_wiring(self) -> None:
        """Raise or clear the issues about webhook wiring.

        A service that does not answer is left as it was: its connectivity covers it.
        """
        for state in await async_inspect(self._hass, self._entry):
            if isinstance(state, ArrWiring) and self._live(_poller_key(state.arr)):
                arr = state.arr
                async_clear(
                    self._hass,
                    self._entry,
                    arr.service,
                    *_WIRING[arr.service],
                    instance=arr.key,
                )
                continue
            show_wiring(self._hass, self._entry, state)

    @callback
    def _start_wiring_check(self) -> None:
        """A task of the entry's: unloading cancels a check still asking."""
        self._entry.async_create_background_task(
            self._hass, self.async_check_wiring(), f"{DOMAIN} wiring check"
        )

    @callback
    def _hourly(self, _now: datetime | None = None) -> None:
        self._check_silent_sources(dt_util.utcnow())
        self._wiring.async_schedule_call()

    def _poll_listener(
        self, key: str, poller: DataUpdateCoordinator[None]
    ) -> CALLBACK_TYPE:
        @callback
        def polled() -> None:
            answering = poller.last_update_success
            live = self._live(key)
            if (answering and not self._answering.get(key, True)) or (
                live != self._was_live.get(key, False)
            ):
                self._wiring.async_schedule_call()
            if live and not self._was_live.get(key, False):
                self._check_silent_sources(dt_util.utcnow())
            self._answering[key] = answering
            self._was_live[key] = live

        return polled

    def _is_open(self, repair: Repair, service: Service, instance: str) -> bool:
        issue = issue_id(self._entry.entry_id, repair, service, instance)
        return ir.async_get(self._hass).async_get_issue(DOMAIN, issue) is not None

    def _check_silent_sources(self, now: datetime) -> None:
        """An issue for a Radarr/Sonarr instance that neither posts nor is live.

        Judged by its own webhook (not even a Test) and its own hub; none while the
        repair that creates the webhook is open, which says as much. Jellyseerr is
        left out, its webhook slot has issues of its own; so is Jellyfin, whose
        webhook plugin is optional: a title is looked for every 2 seconds after its
        import, sooner than the plugin usually posts.
        """
        entry = self._entry
        for arr in arr_instances(entry):
            # A subentry may be far younger than its entry: its hour counts from
            # this setup (the reload that added it), not from the entry's creation.
            since = self._started if arr.key else entry.created_at
            waited = now - since >= SILENT_SOURCE_REPAIR_AFTER
            source = _poller_key(arr)
            delivers = source in self._sources_seen or self._live(source)
            creating = self._is_open(Repair.WEBHOOK_MISSING, arr.service, arr.key)
            if not waited or delivers or creating:
                async_clear(
                    self._hass,
                    entry,
                    arr.service,
                    Repair.WEBHOOK_NEVER_RECEIVED,
                    instance=arr.key,
                )
                continue
            url = webhook_url(self._hass, arr.webhook_id) or (
                webhook.async_generate_path(arr.webhook_id)
            )
            async_raise(
                self._hass,
                entry,
                Repair.WEBHOOK_NEVER_RECEIVED,
                arr.service,
                instance=arr,
                url=url,
            )


@dataclass(frozen=True, slots=True)
class BlockedImport:
    """A request's import that waits for a person, and where to do it."""

    title: str
    service: Service
    # The instance as the household names it ("Radarr 4K").
    name: str
    message: str
    url: str


@callback
def async_show_blocked_imports(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    blocked: Mapping[str, BlockedImport],
) -> None:
    """An issue per request in `blocked` (by key); the others' issues go."""
    prefix = f"{Repair.IMPORT_BLOCKED}_"
    suffix = f"_{entry.entry_id}"
    for domain, issue in list(ir.async_get(hass).issues):
        if (
            domain != DOMAIN
            or not issue.startswith(prefix)
            or not issue.endswith(suffix)
        ):
            continue
        if issue.removeprefix(prefix).removesuffix(suffix) not in blocked:
            ir.async_delete_issue(hass, DOMAIN, issue)
    for key, block in blocked.items():
        ir.async_create_issue(
            hass,
            DOMAIN,
            f"{prefix}{key}{suffix}",
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=Repair.IMPORT_BLOCKED,
            translation_placeholders={
                "entry": entry.title,
                "title": block.title,
                "service": block.name,
                "message": block.message,
                "url": block.url,
            },
            data={"entry_id": entry.entry_id, "service": block.service.value},
        )


@callback
def async_show_left_out_episodes(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, count: int, cap: int
) -> None:
    """Say how many episode sensors the entity cap leaves out (none: no issue)."""
    if count:
        async_raise(
            hass, entry, Repair.TOO_MANY_ENTITIES, count=str(count), cap=f"{cap:,}"
        )
    else:
        ir.async_delete_issue(
            hass, DOMAIN, issue_id(entry.entry_id, Repair.TOO_MANY_ENTITIES)
        )


@callback
def async_remove_instance_issues(
    hass: HomeAssistant, entry_id: str, instance: str
) -> None:
    """Delete every issue of a Radarr/Sonarr subentry that was removed."""
    registry = ir.async_get(hass)
    for domain, issue in list(registry.issues):
        if domain == DOMAIN and issue.endswith(f"_{instance}_{entry_id}"):
            ir.async_delete_issue(hass, DOMAIN, issue)


@callback
def async_remove_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Delete every issue of a removed entry."""
    registry = ir.async_get(hass)
    for domain, issue in list(registry.issues):
        if domain == DOMAIN and issue.endswith(f"_{entry_id}"):
            ir.async_delete_issue(hass, DOMAIN, issue)


@callback
def _poller_key(arr: ArrInstance) -> str:
    """How the entry's pollers name an instance: its subentry id, else its service."""
    return arr.key or arr.service


def show_wiring(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, state: Wiring
) -> None:
    """Raise or clear the service's wiring issues to match how it is wired."""
    match state:
        case ArrWiring():
            _show_arr_wiring(hass, entry, state)
        case JellyseerrWiring():
            _show_jellyseerr_wiring(hass, entry, state)


def _show_arr_wiring(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, state: ArrWiring
) -> None:
    arr = state.arr
    service, key = arr.service, arr.key
    if not state.connected:
        async_clear(hass, entry, service, Repair.WEBHOOK_EVENTS, instance=key)
        async_raise(
            hass, entry, Repair.WEBHOOK_MISSING, service, instance=arr, url=state.url
        )
        return
    async_clear(hass, entry, service, Repair.WEBHOOK_MISSING, instance=key)
    if state.missing_events:
        events = ", ".join(sorted(state.missing_events))
        async_raise(
            hass, entry, Repair.WEBHOOK_EVENTS, service, instance=arr, events=events
        )
    else:
        async_clear(hass, entry, service, Repair.WEBHOOK_EVENTS, instance=key)


def _show_jellyseerr_wiring(
    hass: HomeAssistant, entry: MediaRequestTrackerConfigEntry, state: JellyseerrWiring
) -> None:
    service = Service.JELLYSEERR
    async_clear(
        hass, entry, service, Repair.WEBHOOK_FREE, Repair.WEBHOOK_TAKEN, Repair.POLLING
    )
    if state.seerr_owns_it:
        async_raise(hass, entry, Repair.POLLING, service)
    elif state.other_url:
        async_raise(hass, entry, Repair.WEBHOOK_TAKEN, service, url=state.other_url)
    elif not state.ours:
        async_raise(hass, entry, Repair.WEBHOOK_FREE, service)


class WiringRepairFlow(RepairsFlow):
    """Confirm, then create (or complete) the service's webhook connection."""

    def __init__(self, entry_id: str, service: Service, instance: str = "") -> None:
        """Remember what the issue is about (`instance`: a subentry's id)."""
        self._entry_id = entry_id
        self._service = service
        self._instance = instance

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Look again first: what was fixed meanwhile is not wired twice."""
        entry = self._entry()
        if entry is None:
            return self.async_abort(reason="entry_removed")
        try:
            state = await self._async_inspect(entry)
        except UNUSABLE_ANSWER:
            return await self.async_step_confirm()
        if state is None:
            return self.async_abort(reason="entry_removed")
        if is_wired(state):
            show_wiring(self.hass, entry, state)
            return self.async_abort(reason="already_wired")
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Wire the service once the user agrees; say why when it fails."""
        errors: dict[str, str] = {}
        if user_input is not None:
            entry = self._entry()
            if entry is None:
                return self.async_abort(reason="entry_removed")
            try:
                await async_wire(self.hass, entry, self._service, self._instance)
            except InstanceGone:
                return self.async_abort(reason="entry_removed")
            except NoURLAvailableError:
                errors["base"] = "no_url"
            except UNUSABLE_ANSWER:
                errors["base"] = "cannot_connect"
            else:
                await self._async_show_present(entry)
                return self.async_create_entry(data={})
        return self.async_show_form(step_id="confirm", errors=errors)

    async def _async_show_present(self, entry: MediaRequestTrackerConfigEntry) -> None:
        """The issues as the service is wired now; the hourly check if it is silent."""
        try:
            state = await self._async_inspect(entry)
        except UNUSABLE_ANSWER as err:
            LOGGER.debug("Wired %s, but could not look again: %s", self._service, err)
            return
        if state is not None:
            show_wiring(self.hass, entry, state)

    async def _async_inspect(
        self, entry: MediaRequestTrackerConfigEntry
    ) -> Wiring | None:
        return await async_inspect_service(
            self.hass, entry, self._service, self._instance
        )

    def _entry(self) -> MediaRequestTrackerConfigEntry | None:
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        return entry if entry is not None and entry.domain == DOMAIN else None


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Every fixable issue of this integration is a wiring issue."""
    data = data or {}
    return WiringRepairFlow(
        str(data.get("entry_id", "")),
        Service(data["service"]),
        str(data.get("instance") or ""),
    )
