"""What every poller shares: scheduling by Home Assistant, and one error mapping.

Each service is a DataUpdateCoordinator: Home Assistant schedules it, logs a failure
once and the recovery once, and its connectivity sensor follows `last_update_success`.
A poller only decides what to ask and when; the service's `sources/` module turns the
answers into evidence, which the tracker applies exactly like webhooks (origin `poll`).
"""

from abc import abstractmethod
import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER, REAUTH_SERVICE, UNREACHABLE_REPAIR_AFTER
from ..data import MediaRequestTrackerConfigEntry
from ..engine.evidence import Evidence
from ..engine.models import Service, State
from ..events import Origin
from ..instances import ArrInstance
from ..repairs import Repair, async_clear, async_raise
from ..sources.errors import UNUSABLE_ANSWER, InvalidAuth
from ..tracking import RequestTracking
from .signalr import SignalRLink

# Seconds between two polls that work appearing asks for.
WAKE_COOLDOWN = 2.0
# Pieces of a poll's evidence applied per event-loop turn.
APPLY_BATCH = 100


class ServicePoller(DataUpdateCoordinator[None]):
    """A service whose answers become evidence; failures mark it disconnected.

    It runs at once (debounced) when a request enters one of the states it
    `watches`, whatever its interval: work has appeared for it.
    """

    service: Service
    watches: frozenset[State] = frozenset()
    # The Radarr or Sonarr polled, when it is one (its issues name it).
    instance: ArrInstance | None = None
    # The service's live channel, when it has one (Radarr, Sonarr, Shoko).
    link: SignalRLink | None = None

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MediaRequestTrackerConfigEntry,
        tracking: RequestTracking,
        interval: timedelta,
    ) -> None:
        """Poll the service for one config entry."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{self.label} ({entry.title})",
            update_interval=interval,
            # Woken polls run at once, and then at most every few seconds (the
            # default waits ten after the last one).
            request_refresh_debouncer=Debouncer(
                hass, LOGGER, cooldown=WAKE_COOLDOWN, immediate=True
            ),
        )
        self.tracking = tracking
        self.entry = entry
        # A wake while a poll runs: that poll may have read too early, so another
        # follows it (the debouncer drops calls made during a run).
        self._polling = False
        self._woken_while_polling = False
        self._unreachable_since: datetime | None = None
        tracking.watch(self.service, self.watches, self._wake)

    @property
    def label(self) -> str:
        """The service as the household names it ("Radarr 4K")."""
        return (
            self.service.display_name if self.instance is None else self.instance.name
        )

    @property
    def instance_key(self) -> str:
        """The Radarr/Sonarr subentry polled ("" the entry's own service)."""
        return "" if self.instance is None else self.instance.key

    @property
    def live_events(self) -> str | None:
        """The live channel: `connected`, `connecting`, or why it is down.

        None for a service without one.
        """
        if self.link is None:
            return None
        if self.link.connected:
            return "connected"
        return self.link.error or "connecting"

    @callback
    def _wake(self) -> None:
        self.entry.async_create_task(
            self.hass, self.async_wake(), f"{DOMAIN} wake {self.service}"
        )

    async def async_wake(self) -> None:
        """Poll at once, or again right after the poll that is running."""
        if self._polling:
            self._woken_while_polling = True
            return
        await self.async_request_refresh()

    async def _async_update_data(self) -> None:
        """Poll once, and once more if woken meanwhile."""
        self._polling = True
        try:
            await self._async_update_once()
        finally:
            self._polling = False
            if self._woken_while_polling:
                self._woken_while_polling = False
                self._wake()  # after the debouncer's cooldown

    async def _async_update_once(self) -> None:
        """Poll, mapping client failures to translated update failures."""
        try:
            self.update_interval = await self._async_poll()
        except InvalidAuth as err:
            raise self._auth_failed() from err
        except UNUSABLE_ANSWER as err:
            self._note_unreachable()
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="service_unavailable",
                translation_placeholders={
                    "service": self.label,
                    "error": str(err),
                },
            ) from err
        self._note_reachable()

    def _auth_failed(self) -> Exception:
        """A rejected key: reauthentication asks for this service's credentials.

        The entry keeps working without this service meanwhile; only Jellyseerr's
        rejection stops it.
        """
        if self.service is Service.JELLYSEERR:
            return ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="jellyseerr_invalid_auth"
            )
        if self.instance_key:
            # A subentry's key is changed by reconfiguring it: an issue says so.
            async_raise(
                self.hass,
                self.entry,
                Repair.INSTANCE_REJECTED,
                self.service,
                instance=self.instance,
            )
        else:
            self.start_reauth()
        return self.rejected()

    def start_reauth(self) -> None:
        """Ask the user for this service's new credentials (once per flow)."""
        self.entry.async_start_reauth(
            self.hass, data={REAUTH_SERVICE: self.service.value}
        )

    def rejected(self) -> UpdateFailed:
        """What a poll reports while the service rejects its credentials."""
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="service_invalid_auth",
            translation_placeholders={"service": self.label},
        )

    def _note_unreachable(self) -> None:
        """A repair once the service has been unreachable for a long time."""
        now = dt_util.utcnow()
        self._unreachable_since = self._unreachable_since or now
        if now - self._unreachable_since >= UNREACHABLE_REPAIR_AFTER:
            async_raise(
                self.hass,
                self.entry,
                Repair.SERVICE_UNREACHABLE,
                self.service,
                instance=self.instance,
                since=self._unreachable_since.isoformat(timespec="minutes"),
            )

    def _note_reachable(self) -> None:
        if self.instance_key:
            async_clear(
                self.hass,
                self.entry,
                self.service,
                Repair.INSTANCE_REJECTED,
                instance=self.instance_key,
            )
        if self._unreachable_since is not None:
            self._unreachable_since = None
            async_clear(
                self.hass,
                self.entry,
                self.service,
                Repair.SERVICE_UNREACHABLE,
                instance=self.instance_key,
            )

    @abstractmethod
    async def _async_poll(self) -> timedelta:
        """Fetch, hand evidence to the tracking, and return the next interval."""

    async def _async_apply_all(self, evidence: Iterable[Evidence | None]) -> None:
        """Apply a poll's evidence, a batch per event-loop turn.

        A big library's queue or history is thousands of pieces: applied in one
        go, they would hold the loop (and every webhook) for a large part of a second.
        """
        for count, each in enumerate(evidence, start=1):
            self._apply(each)
            if count % APPLY_BATCH == 0:
                await asyncio.sleep(0)

    @callback
    def _apply(self, evidence: Evidence | None, origin: Origin = Origin.POLL) -> None:
        if evidence is not None:
            self.tracking.apply(evidence, origin, self.service)
