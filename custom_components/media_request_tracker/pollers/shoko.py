"""Shoko Server: live SignalR events, with REST as the safety net.

`ShokoEvents` turns each hub event into evidence, completing file events from REST
when they may concern a tracked file. `ShokoPoller` looks up the files still waiting
for a match, in case an event was missed, and carries the connectivity the diagnostic
sensor shows: its poll fails while live events are lost.
"""

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from homeassistant.const import CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util

from ..clients import shoko_client
from ..const import DOMAIN, LOGGER
from ..data import MediaRequestTrackerConfigEntry
from ..engine.evidence import ShokoFileEvent, ShokoFileEvidence
from ..engine.lifecycle import matched
from ..engine.models import Episode, EpisodeKey, Request, Service, State, Track
from ..events import Origin
from ..sources.errors import InvalidPayload, UpstreamError
from ..sources.shoko import (
    EVENT_NAMES,
    FileDetected,
    ImportFolder,
    ShokoClient,
    ShokoEvent,
    completed,
    parse_event,
)
from ..tracking import RequestTracking
from .base import ServicePoller
from .signalr import SignalRLink, hub_ssl

# The REST safety net: often while files wait for a match, rarely otherwise.
ACTIVE = timedelta(seconds=60)
IDLE = timedelta(minutes=5)
# Each waiting file is looked up in Shoko at most this often.
FILE_CHECK_INTERVAL = timedelta(minutes=2)


def async_setup_shoko(
    hass: HomeAssistant,
    entry: MediaRequestTrackerConfigEntry,
    tracking: RequestTracking,
    on_match: Iterable[ServicePoller],
) -> ShokoPoller:
    """Create Shoko's poller and start its live connection (a task of the entry).

    A new match asks the `on_match` pollers (Jellyfin) at once whether it shows.
    """
    config = entry.data[Service.SHOKO]
    poller = ShokoPoller(
        hass,
        entry,
        tracking,
        shoko_client(hass, config),
        verify_ssl=config.get(CONF_VERIFY_SSL, True),
        on_match=on_match,
    )
    entry.async_create_background_task(
        hass, poller.link.async_run(), f"{DOMAIN} Shoko Server live events"
    )
    return poller


class ImportFolders:
    """Shoko's import folders by id: fetched once each, and again when one is new."""

    def __init__(self, client: ShokoClient) -> None:
        """Start with none known."""
        self._client = client
        self.known: dict[int, ImportFolder] = {}

    async def async_get(self, folder_id: int) -> ImportFolder | None:
        """The folder, asked of Shoko if it is not known yet (None if it fails)."""
        if folder_id not in self.known:
            try:
                self.known[folder_id] = await self._client.async_get_import_folder(
                    folder_id
                )
            except (UpstreamError, InvalidPayload) as err:
                LOGGER.debug("Shoko import folder %s not found: %s", folder_id, err)
                return None
        return self.known[folder_id]


class ShokoEvents:
    """Turns Shoko's events into evidence for the tracker."""

    def __init__(
        self,
        tracking: RequestTracking,
        client: ShokoClient,
        folders: ImportFolders,
        on_match: Iterable[ServicePoller],
    ) -> None:
        """Handle events for one entry; a new match asks `on_match` pollers at once."""
        self._tracking = tracking
        self._client = client
        self._folders = folders
        self._on_match = tuple(on_match)
        self._malformed: set[str] = set()

    async def async_handle(self, name: str, arguments: list[Any]) -> None:
        """Handle one hub event (the dispatcher logs anything unexpected)."""
        try:
            event = parse_event(name, arguments)
            if event is not None:
                await self._async_apply(event)
        except InvalidPayload as err:
            # Logged once per event name: a changed Shoko would repeat it endlessly.
            log = LOGGER.debug if name in self._malformed else LOGGER.warning
            self._malformed.add(name)
            log("Ignored a malformed Shoko Server %s event: %s", name, err)

    async def _async_apply(self, event: ShokoEvent) -> None:
        match event:
            case FileDetected():
                # Worth knowing where the folder is before the file gets matched.
                await self._folders.async_get(event.location.folder_id)
            case ShokoFileEvidence():
                await self._async_apply_file(event)
            case _:
                self._tracking.apply(event, Origin.WEBHOOK)

    async def _async_apply_file(self, evidence: ShokoFileEvidence) -> None:
        """A file event, completed from REST when it may concern a tracked file.

        Shoko reports its whole library; only files whose id or path we track are
        worth a request for their size, cross references and TMDB links.
        """
        tracker = self._tracking.tracker
        if evidence.location is not None and not tracker.wants_shoko_file(evidence):
            # Not a tracked file yet: the tracker keeps it for when its import shows.
            self._tracking.apply(evidence, Origin.WEBHOOK)
            return
        try:
            remote = await self._client.async_get_file(evidence.file_id)
        except (UpstreamError, InvalidPayload) as err:
            LOGGER.debug("Shoko file %s not looked up: %s", evidence.file_id, err)
        else:
            evidence = completed(evidence, remote)
        if tracker.wants_shoko_file(evidence):
            await self.async_apply_file(evidence, Origin.WEBHOOK)

    async def async_apply_file(
        self, evidence: ShokoFileEvidence, origin: Origin
    ) -> None:
        """Apply file evidence; a match asks Jellyfin at once whether it shows it."""
        outcome = self._tracking.apply(evidence, origin)
        if evidence.event is ShokoFileEvent.MATCHED and outcome.touched:
            for poller in self._on_match:
                await poller.async_request_refresh()


class ShokoPoller(ServicePoller):
    """Shoko's connection, and the REST safety net for events that were missed.

    Each poll looks up, by path, the files that still wait for a match.
    """

    service = Service.SHOKO
    watches = frozenset({State.ANIME_MATCHING})

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MediaRequestTrackerConfigEntry,
        tracking: RequestTracking,
        client: ShokoClient,
        *,
        verify_ssl: bool,
        on_match: Iterable[ServicePoller] = (),
    ) -> None:
        """Poll one Shoko Server; `link` is its live connection (not started)."""
        super().__init__(hass, entry, tracking, IDLE)
        self.client = client
        self.folders = ImportFolders(client)
        self.events = ShokoEvents(tracking, client, self.folders, on_match)
        self.link: SignalRLink = SignalRLink(
            Service.SHOKO.display_name,
            client.hub_url,
            client.hub_headers,
            EVENT_NAMES,
            ssl_context=hub_ssl(client.url, verify_ssl),
            on_event=self.events.async_handle,
            on_change=self.async_request_refresh,
            on_auth_failed=self.start_reauth,
        )
        self._checked: dict[tuple[str, EpisodeKey | None], datetime] = {}

    async def _async_poll(self) -> timedelta:
        waiting = list(_waiting_files(self.tracking.tracker.requests.values()))
        for path in self._due(waiting):
            await self._async_look_up(path)
        self._check_link()
        return ACTIVE if waiting else IDLE

    def _due(self, waiting: list[tuple[Request, Track, str]]) -> list[str]:
        """Paths not looked up for FILE_CHECK_INTERVAL; forgets tracks done waiting."""
        now = dt_util.utcnow()
        checked: dict[tuple[str, EpisodeKey | None], datetime] = {}
        due: list[str] = []
        for request, track, path in waiting:
            key = (request.key, track.key if isinstance(track, Episode) else None)
            last = self._checked.get(key)
            if last is None or now - last >= FILE_CHECK_INTERVAL:
                due.append(path)
                last = now
            checked[key] = last
        self._checked = checked
        return due

    async def _async_look_up(self, path: str) -> None:
        """Ask Shoko for the file at a library path; the tracker checks the match."""
        for remote in await self.client.async_find_files(self._shoko_suffix(path)):
            for location in remote.locations:
                await self.events.async_apply_file(
                    remote.evidence(location), Origin.POLL
                )

    def _shoko_suffix(self, path: str) -> str:
        """What to ask for: the full Shoko path where the folder's mount is known.

        Otherwise the series folder and file name, which both mounts share.
        """
        library = path.replace("\\", "/")
        for folder_id, prefix in self.tracking.tracker.shoko_folders.items():
            folder = self.folders.known.get(folder_id)
            if folder is not None and library.startswith(prefix):
                return folder.path + library.removeprefix(prefix)
        return "/".join(library.rsplit("/", 2)[-2:])

    def _check_link(self) -> None:
        """Fail the poll while live events are lost: the sensor shows it.

        A rejected key started reauthentication when the hub refused it.
        """
        if self.link.auth_failed:
            raise self.rejected()
        if self.link.error is not None:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="shoko_events_lost",
                translation_placeholders={"error": self.link.error},
            )

    def diagnostics(self) -> dict[str, Any]:
        """The live connection, and each import folder as Shoko and *arr see it."""
        folders = self.folders.known
        learned = self.tracking.tracker.shoko_folders
        return {
            "live_events": self.link.error or "connected",
            "import_folders": {
                folder_id: {
                    "name": folder.name if (folder := folders.get(folder_id)) else None,
                    "shoko_path": folder.path if folder else None,
                    "library_path": learned.get(folder_id),
                }
                for folder_id in sorted(folders.keys() | learned.keys())
            },
        }


def _waiting_files(
    requests: Iterable[Request],
) -> Iterator[tuple[Request, Track, str]]:
    """The movies and episodes waiting for Shoko's match, with their latest file."""
    for request in requests:
        if request.state is not State.ANIME_MATCHING:
            continue
        tracks: Iterable[Track] = (
            (ep for ep in request.episodes.values() if ep.state is State.ANIME_MATCHING)
            if request.episodes
            else (request,)
        )
        for track in tracks:
            if track.paths and not matched(track):
                yield request, track, track.paths[-1]
